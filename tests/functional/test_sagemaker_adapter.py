"""SageMaker adapters against the in-process emulator: normalised shapes, list-then-describe, missing keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_kit import ROLE
from botocore.stub import Stubber

from controller.aws.sagemaker import ModelPackageGroups, Models
from controller.aws.sagemaker_endpoints import EndpointConfigs, Endpoints
from controller.aws.session import AwsClients
from controller.resources import MANAGED_TAG, Kind, Ref

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
MANAGED = [{"Key": MANAGED_TAG, "Value": "true"}]
LARGE = "ml.m5.large"


def make_model(sagemaker: Any, name: str) -> None:
    container = {"Image": IMAGE, "ModelDataUrl": f"s3://bucket/models/{name}/model.tar.gz"}
    sagemaker.create_model(ModelName=name, PrimaryContainer=container, ExecutionRoleArn=ROLE, Tags=MANAGED)


def make_config(sagemaker: Any, name: str, model: str, *, capture: bool = False) -> None:
    variants = [
        {"VariantName": "primary", "ModelName": model, "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 2, "InitialVariantWeight": 90.0},
        {"VariantName": "canary", "ModelName": model, "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 1, "InitialVariantWeight": 10.0},
    ]  # fmt: skip
    extra: dict[str, Any] = {}
    if capture:
        extra["DataCaptureConfig"] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": 10,
            "DestinationS3Uri": "s3://bucket/capture/churn/",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        }
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants, Tags=MANAGED, **extra)


def test_models_read_container_and_role(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    sagemaker = raw("sagemaker")
    for name in ("churn-aaaa-1", "churn-aaaa-2", "other-model"):
        make_model(sagemaker, name)

    observed = Models(clients).observe(["churn-aaaa-1", "churn-aaaa-2", "churn-aaaa-3"])

    assert sorted(observed) == ["churn-aaaa-1", "churn-aaaa-2"]
    model = observed["churn-aaaa-1"]
    assert model.ref == Ref(Kind.MODEL, "churn-aaaa-1")
    assert model.properties == {
        "image": IMAGE,
        "modelDataUrl": "s3://bucket/models/churn-aaaa-1/model.tar.gz",
        "executionRoleArn": ROLE,
    }
    assert model.managed
    calls = clients.calls.snapshot()
    assert calls["sagemaker.ListModels"] == 1
    assert calls["sagemaker.DescribeModel"] == 2 and calls["sagemaker.ListTags"] == 2


def test_endpoint_configs_normalise_variants_and_capture(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    sagemaker = raw("sagemaker")
    make_model(sagemaker, "churn-aaaa-1")
    make_config(sagemaker, "churn-dev-c1", "churn-aaaa-1", capture=True)
    make_config(sagemaker, "churn-dev-c2", "churn-aaaa-1")

    observed = EndpointConfigs(clients).observe(["churn-dev-c1", "churn-dev-c2", "churn-dev-c3"])

    assert sorted(observed) == ["churn-dev-c1", "churn-dev-c2"]
    assert observed["churn-dev-c1"].properties == {
        "variants": [
            {"name": "canary", "model": "churn-aaaa-1", "instanceType": LARGE, "instanceCount": 1, "weight": 10},
            {"name": "primary", "model": "churn-aaaa-1", "instanceType": LARGE, "instanceCount": 2, "weight": 90},
        ],
        "dataCapture": {"samplingPercent": 10, "destination": "s3://bucket/capture/churn/"},
    }  # fmt: skip
    assert observed["churn-dev-c2"].properties["dataCapture"] is None
    assert observed["churn-dev-c2"].managed


def test_endpoints_report_config_status_and_live_variants(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    sagemaker = raw("sagemaker")
    make_model(sagemaker, "churn-aaaa-1")
    make_config(sagemaker, "churn-dev-c1", "churn-aaaa-1")
    sagemaker.create_endpoint(EndpointName="churn-dev", EndpointConfigName="churn-dev-c1", Tags=MANAGED)

    observed = Endpoints(clients).observe(["churn-dev", "fraud-dev"])

    assert list(observed) == ["churn-dev"]
    endpoint = observed["churn-dev"]
    assert endpoint.properties == {"endpointConfigName": "churn-dev-c1"}
    assert endpoint.status in {"Creating", "InService"}
    assert [variant["name"] for variant in endpoint.extra["variants"]] == ["canary", "primary"]
    assert set(endpoint.extra["variants"][0]) == {
        "name", "weight", "instanceCount", "desiredWeight", "desiredInstanceCount"
    }  # fmt: skip
    assert endpoint.extra["failureReason"] is None
    assert endpoint.managed


def test_model_package_groups_list_versions_newest_first(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    sagemaker = raw("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName="churn-dev", Tags=MANAGED)
    sagemaker.create_model_package_group(ModelPackageGroupName="fraud-dev")
    inference = {
        "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://bucket/m.tar.gz"}],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    for version, approval in (("churn-aaaa-1", "Approved"), ("churn-aaaa-2", "PendingManualApproval")):
        sagemaker.create_model_package(
            ModelPackageGroupName="churn-dev",
            ModelPackageDescription=version,
            ModelApprovalStatus=approval,
            InferenceSpecification=inference,
        )

    observed = ModelPackageGroups(clients).observe(["churn-dev", "missing-dev"])

    assert list(observed) == ["churn-dev"]
    group = observed["churn-dev"]
    assert group.properties == {}
    assert group.managed
    versions = group.extra["versions"]
    assert [(v["version"], v["approval"]) for v in versions] == [
        ("churn-aaaa-2", "PendingManualApproval"),
        ("churn-aaaa-1", "Approved"),
    ]
    assert set(versions[0]) == {"version", "status", "approval", "arn", "created"}
    assert versions[0]["arn"].startswith("arn:aws:sagemaker:")
    assert isinstance(versions[0]["created"], str)
    assert clients.calls["sagemaker.ListModelPackageGroups"] == 1


def test_nothing_wanted_costs_nothing(clients: AwsClients) -> None:
    assert Models(clients).observe([]) == {}
    assert clients.calls.snapshot() == {}


def test_a_model_deleted_between_list_and_describe_is_absent(offline: AwsClients) -> None:
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model/churn-aaaa-1"
    with Stubber(offline.sagemaker) as stub:
        stub.add_response(
            "list_models",
            {"Models": [{"ModelName": "churn-aaaa-1", "ModelArn": arn, "CreationTime": datetime.now(UTC)}]},
            {"NameContains": "churn-aaaa-1", "MaxResults": 100},
        )
        stub.add_client_error(  # described before its tags are read: a deleted model costs no tag read
            "describe_model", service_error_code="ValidationException", service_message='Could not find model "x".'
        )
        assert Models(offline).observe(["churn-aaaa-1"]) == {}
        stub.assert_no_pending_responses()
