"""The response-shape check (controller.local.response_shapes, response_check) and the answers it made us fix
(controller.local.sagemaker_shapes), on both emulator flavours.

The judge is botocore's model: `violations` is tested on hand-made wire answers; the hook is tested by making
moto answer something AWS never would; each fix is tested against the AWS API reference it cites, and checked to
be still needed (moto's own answer, called through `original`, still has the flaw)."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from emulator_kit import ROLE, SageMakerKit
from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse

from controller.local import response_check, sagemaker_shapes
from controller.local.response_shapes import Response, violations


def _operation(service: str, name: str) -> Any:
    return botocore.session.get_session().get_service_model(service).operation_model(name)


def _json(body: dict[str, Any]) -> Response:
    return Response(200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(body).encode())


DESCRIBE_MODEL = {
    "ModelName": "m",
    "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m",
    "CreationTime": 1700000000.5,
    "ExecutionRoleArn": ROLE,
}


def test_an_answer_aws_could_send_passes() -> None:
    assert violations(_operation("sagemaker", "DescribeModel"), "json", _json(DESCRIBE_MODEL)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"VpcConfig": {}}, "VpcConfig.SecurityGroupIds: required member of VpcConfig is missing"),
        ({"ModelName": None}, "ModelName: required member of DescribeModelOutput is missing"),
        ({"CreationTime": "2024-01-01T00:00:00Z"}, "is not epoch seconds"),
        ({"EnableNetworkIsolation": "yes"}, "EnableNetworkIsolation: expected boolean"),
        ({"PrimaryContainer": {"Mode": "Sideways"}}, "is not one of ContainerMode's values"),
        ({"modelName": "m"}, "members the shape does not have: modelName"),
        ({"Containers": {"Image": "i"}}, "ContainerDefinitionList: expected a JSON array"),
    ],
)
def test_what_aws_never_sends_is_named(change: dict[str, Any], expected: str) -> None:
    found = violations(_operation("sagemaker", "DescribeModel"), "json", _json(DESCRIBE_MODEL | change))
    assert any(expected in problem for problem in found), found


def test_query_timestamps_are_iso_8601_and_errors_need_a_code() -> None:
    operation = _operation("sts", "GetSessionToken")
    xml = (
        "<GetSessionTokenResponse><GetSessionTokenResult><Credentials><AccessKeyId>A</AccessKeyId>"
        "<SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken><Expiration>{}</Expiration>"
        "</Credentials></GetSessionTokenResult></GetSessionTokenResponse>"
    )
    good = Response(200, {}, xml.format("2024-01-01T00:00:00Z").encode())
    bad = Response(200, {}, xml.format("1704067200").encode())
    assert violations(operation, "query", good) == []
    assert "is not ISO 8601" in violations(operation, "query", bad)[0]
    codeless = Response(400, {}, b"{}")
    assert "without an error code" in violations(_operation("sagemaker", "DescribeModel"), "json", codeless)[0]


@pytest.mark.allow_shape_violations
def test_an_answer_aws_never_sends_becomes_a_500_naming_the_flaw(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SageMakerResponse, "list_models", lambda self: ActionResult({"Models": [{"ModelName": "m"}]}))
    before = len(response_check.found())
    with pytest.raises(ClientError) as refused:
        aws.client("sagemaker").list_models()
    assert refused.value.response["Error"]["Code"] == response_check.ERROR_CODE
    assert "Models[0].ModelArn: required member of ModelSummary is missing" in str(refused.value)
    assert response_check.found()[before].operation == "ListModels"


def test_the_checked_shapes_are_counted(aws: Any) -> None:
    aws.client("sagemaker").list_models()
    assert ("sagemaker", "ListModels") in response_check.checked()


def test_the_check_routes_rest_protocols(aws: Any) -> None:
    """REST services are routed by method and URI template (Scheduler: rest-json; S3: rest-xml, virtual hosts)."""
    aws.client("scheduler").list_schedule_groups()
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="shape-check")
    s3.list_objects_v2(Bucket="shape-check")
    assert {("scheduler", "ListScheduleGroups"), ("s3", "ListObjectsV2")} <= response_check.checked()


# --- the answers fixed (controller.local.sagemaker_shapes) --------------------------------------------------------


def test_describe_model_omits_a_vpc_config_it_was_not_given(kit: SageMakerKit) -> None:
    """DescribeModel, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModel.html, and
    VpcConfig, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_VpcConfig.html (SecurityGroupIds and
    Subnets required): a model without one has no VpcConfig member."""
    kit.model("no-vpc")
    assert "VpcConfig" not in kit.sm.describe_model(ModelName="no-vpc")
    moto_answer = _moto_action("describe_model", {"ModelName": "no-vpc"})
    assert moto_answer["VpcConfig"] == {}, "moto omits an empty VpcConfig now: sagemaker_shapes' patch can go"


def test_describe_endpoint_omits_data_capture_it_was_not_given(kit: SageMakerKit) -> None:
    """DescribeEndpoint, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html:
    DataCaptureConfig is a DataCaptureConfigSummary whose members are all required; an endpoint without data
    capture has no such member."""
    kit.model("m1")
    kit.config("plain", ("primary", "m1", 1, 1.0))
    described = kit.endpoint("plain-ep", "plain")
    assert "DataCaptureConfig" not in described
    moto_answer = _moto_action("describe_endpoint", {"EndpointName": "plain-ep"})
    assert moto_answer["DataCaptureConfig"] == {}, "moto omits it now: sagemaker_shapes' patch can go"


def test_describe_endpoint_summarises_its_configs_data_capture(kit: SageMakerKit) -> None:
    """DataCaptureConfigSummary,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfigSummary.html: EnableCapture,
    CaptureStatus (Started | Stopped), CurrentSamplingPercentage, DestinationS3Uri, KmsKeyId."""
    kit.model("m1")
    kit.sm.create_endpoint_config(
        EndpointConfigName="captured",
        ProductionVariants=[
            {"VariantName": "primary", "ModelName": "m1", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 10,
            "DestinationS3Uri": "s3://bucket/capture/",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
    )
    described = kit.endpoint("captured-ep", "captured")
    assert described["DataCaptureConfig"] == {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 10,
        "DestinationS3Uri": "s3://bucket/capture/",
        "KmsKeyId": "",
    }


def _moto_action(action: str, params: dict[str, Any]) -> dict[str, Any]:
    """moto's own response action (before sagemaker_shapes), run on the current backend."""
    response = SageMakerResponse()
    response.current_account, response.region = "123456789012", "us-east-1"
    response._get_param = lambda name, default=None: params.get(name, default)
    answer = sagemaker_shapes.original(SageMakerResponse, action)(response)
    return dict(answer.result)


def test_scalable_targets_name_the_service_linked_role_they_use(aws: Any) -> None:
    """ScalableTarget, https://docs.aws.amazon.com/autoscaling/application/APIReference/API_ScalableTarget.html:
    RoleARN is required; a target registered without one uses the namespace's service-linked role."""
    autoscaling = aws.client("application-autoscaling")
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/e1/variant/primary",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    autoscaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=2)
    described = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"][0]
    assert described["RoleARN"].endswith(
        "role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
    )
    from moto.applicationautoscaling import responses as moto_responses

    from controller.local import autoscaling_ext

    class Target:
        applicationautoscaling_backend = None
        creation_time, max_capacity, min_capacity, role_arn, suspended_state, arn = 0, 2, 1, None, None, "arn"
        resource_id, scalable_dimension, service_namespace = "r", "d", "sagemaker"

    moto_built = autoscaling_ext.original(moto_responses, "_build_target")(Target())
    assert moto_built["RoleARN"] is None, "moto names the role now: autoscaling_ext can go"


def test_list_schedules_answers_summaries(aws: Any) -> None:
    """ScheduleSummary, https://docs.aws.amazon.com/scheduler/latest/APIReference/API_ScheduleSummary.html."""
    from moto.scheduler.responses import EventBridgeSchedulerResponse

    from controller.local import scheduler_ext

    scheduler = aws.client("scheduler")
    scheduler.create_schedule(
        Name="s1",
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:x", "RoleArn": ROLE},
    )
    summary = scheduler.list_schedules()["Schedules"][0]
    assert set(summary) <= set(scheduler_ext.SUMMARY_MEMBERS) and summary["Target"] == {
        "Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:x"
    }
    response = EventBridgeSchedulerResponse()
    response.current_account, response.region, response.querystring = "123456789012", "us-east-1", {}
    response._get_param = lambda name, default=None: default
    moto_answer = json.loads(scheduler_ext.original(EventBridgeSchedulerResponse, "list_schedules")(response))
    assert "ScheduleExpression" in moto_answer["Schedules"][0], "moto summarises now: scheduler_ext can go"
