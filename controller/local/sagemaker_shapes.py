"""SageMaker answers in the shapes AWS sends them: optional structures omitted rather than sent empty.

moto 5.2 fills absent optional structures with `{}`; where the structure's members are required, AWS's own
clients refuse the answer (sagemaker-core's pydantic models: "data_capture_config.enable_capture Field
required"; the emulator's response-shape check, controller.local.response_check, flags it). AWS omits a structure
that was not configured. Each patch below wraps moto's response action and cites the AWS API reference:

- DescribeEndpoint (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html):
  `DataCaptureConfig` is a DataCaptureConfigSummary
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfigSummary.html) whose
  EnableCapture, CaptureStatus (Started | Stopped), CurrentSamplingPercentage, DestinationS3Uri and KmsKeyId are
  all required. moto sends `{}` for an endpoint without data capture, and for one with data capture the endpoint
  config's DataCaptureConfig (InitialSamplingPercentage, CaptureOptions, ...) instead of the summary. Here: no
  member without capture; with capture, the summary of the config's capture (status Started when enabled).
- DescribeModel (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModel.html): `VpcConfig`
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_VpcConfig.html: SecurityGroupIds and Subnets
  required) is absent for a model created without one; moto sends `{}`.
- DescribeEndpointConfig
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpointConfig.html): `DataCaptureConfig`
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html: InitialSamplingPercentage,
  DestinationS3Uri and CaptureOptions required) is absent for a config created without data capture; moto sends
  `{}`.
- DescribeModelPackage
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModelPackage.html): `ModelPackageName` is
  required; a versioned package (one in a group) is named after its group, which moto leaves out.
- DescribeModelPackageGroup
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModelPackageGroup.html): `CreatedBy` (a
  UserContext, every member optional) is required; moto leaves it out. Here: an empty UserContext, what a caller
  outside SageMaker Studio gets.

`install()` is idempotent (controller.local.emulator); tests/emulator/test_response_shapes.py checks that moto
still answers the way each patch corrects, so a patch a newer moto makes unnecessary is noticed.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse

from controller.local.patching import Patches

_patches = Patches()
original = _patches.original  # moto's implementation of a patched attribute (tests check moto still needs it)


def _result(answer: Any) -> dict[str, Any] | None:
    """A copy of the dict an ActionResult carries (None for anything else: left as moto made it)."""
    result = getattr(answer, "result", None)
    return dict(result) if isinstance(answer, ActionResult) and isinstance(result, dict) else None


def capture_summary(capture: dict[str, Any]) -> dict[str, Any]:
    """The DataCaptureConfigSummary DescribeEndpoint reports for an endpoint config's DataCaptureConfig."""
    enabled = bool(capture.get("EnableCapture", True))
    return {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": int(capture.get("InitialSamplingPercentage", 0)),
        "DestinationS3Uri": str(capture.get("DestinationS3Uri", "")),
        "KmsKeyId": str(capture.get("KmsKeyId", "")),
    }


def describe_endpoint_action(self: SageMakerResponse) -> Any:
    answer = _patches.original(SageMakerResponse, "describe_endpoint")(self)
    body = _result(answer)
    if body is None:
        return answer
    capture = body.pop("DataCaptureConfig", None)
    if capture and "CaptureStatus" in capture:
        body["DataCaptureConfig"] = capture
    elif capture and "DestinationS3Uri" in capture:
        body["DataCaptureConfig"] = capture_summary(capture)
    return ActionResult(body)


def describe_model_action(self: SageMakerResponse) -> Any:
    answer = _patches.original(SageMakerResponse, "describe_model")(self)
    body = _result(answer)
    if body is None:
        return answer
    if not body.get("VpcConfig"):
        body.pop("VpcConfig", None)
    return ActionResult(body)


def describe_endpoint_config_action(self: SageMakerResponse) -> Any:
    answer = _patches.original(SageMakerResponse, "describe_endpoint_config")(self)
    body = _result(answer)
    if body is None:
        return answer
    if not (body.get("DataCaptureConfig") or {}).get("DestinationS3Uri"):
        body.pop("DataCaptureConfig", None)
    return ActionResult(body)


def describe_model_package_action(self: SageMakerResponse) -> Any:
    answer = _patches.original(SageMakerResponse, "describe_model_package")(self)
    body = _result(answer)
    if body is None:
        return answer
    if not body.get("ModelPackageName") and body.get("ModelPackageGroupName"):
        body["ModelPackageName"] = body["ModelPackageGroupName"]
    return ActionResult(body)


def describe_model_package_group_action(self: SageMakerResponse) -> Any:
    answer = _patches.original(SageMakerResponse, "describe_model_package_group")(self)
    body = _result(answer)
    if body is None:
        return answer
    body.setdefault("CreatedBy", {})
    return ActionResult(body)


PATCHED = {
    "describe_endpoint": describe_endpoint_action,
    "describe_model": describe_model_action,
    "describe_endpoint_config": describe_endpoint_config_action,
    "describe_model_package": describe_model_package_action,
    "describe_model_package_group": describe_model_package_group_action,
}


def install() -> None:
    if _patches.installed:
        return
    for name, action in PATCHED.items():
        _patches.replace(SageMakerResponse, name, action)
