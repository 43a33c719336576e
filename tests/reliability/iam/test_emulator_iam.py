"""controller.local.iam_ext: with moto's IAM enforcement on, the served emulator judges requests as AWS does.

Each test makes a role (its inline policy given here), assumes it with the emulator's STS while enforcement is
off, then switches enforcement on (`moto.core.authorization.enable_iam_authentication()`, read per request by
the served emulator, which runs in this process) and calls through boto3 as that role. What is and is not
evaluated: controller/local/iam_ext.py's docstring.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import cache, partial
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.core import errors as moto_errors
from moto.core.authorization import ActionAuthenticatorMixin, enable_iam_authentication
from moto.stepfunctions.parser.asl.utils import boto_client

from controller.local import iam_ext

ACCOUNT, REGION = "111122223333", "us-east-1"
ROLE = "iam-probe"
EXECUTION_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/modelctl-dev-pipeline"
NO_RETRIES = Config(retries={"mode": "standard", "max_attempts": 1})
DENIED = ("AccessDenied", "AccessDeniedException")


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


@pytest.fixture
def url(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    return emulator_url


@cache
def _session() -> boto3.Session:
    """One Session for every client (a new Session loads the service models again); credentials per client."""
    return boto3.Session(aws_access_key_id="admin", aws_secret_access_key="admin", region_name=REGION)


def admin(url: str, service: str) -> Any:
    """A client with any credentials: valid only while enforcement is off."""
    return _session().client(service, endpoint_url=url, config=NO_RETRIES)


def as_role(url: str, name: str, statements: list[dict[str, Any]]) -> Callable[[str], Any]:
    """Clients (by service) of a session of a new role `name` whose one inline policy has `statements`; the role
    is made and assumed with enforcement off."""
    iam = admin(url, "iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    if statements:
        document = {"Version": "2012-10-17", "Statement": statements}
        iam.put_role_policy(RoleName=name, PolicyName="probe", PolicyDocument=json.dumps(document))
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    granted = admin(url, "sts").assume_role(RoleArn=role_arn, RoleSessionName="probe")["Credentials"]

    def client(service: str) -> Any:
        return _session().client(
            service,
            endpoint_url=url,
            config=NO_RETRIES,
            aws_access_key_id=granted["AccessKeyId"],
            aws_secret_access_key=granted["SecretAccessKey"],
            aws_session_token=granted["SessionToken"],
        )

    return client


def allow(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def error_of(call: Callable[[], Any]) -> dict[str, str]:
    """The error a call answers ({} when it succeeds)."""
    try:
        call()
    except ClientError as error:
        return dict(error.response["Error"])
    return {}


# --- resources named by the request ---------------------------------------------------------------------------


ALARM = {
    "MetricName": "Invocation5XXErrors",
    "Namespace": "AWS/SageMaker",
    "Statistic": "Sum",
    "Period": 60,
    "EvaluationPeriods": 1,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanThreshold",
}
DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
# service -> (IAM action, the resource the policy allows, a call naming a resource, a name in and out of scope)
SCOPED: dict[str, tuple[str, str, Callable[[Any, str], Any], str, str]] = {
    "ssm": (
        "ssm:PutParameter",
        arn("ssm", "parameter/modelctl/dev/*"),
        lambda c, name: c.put_parameter(Name=name, Value="1", Type="String", Overwrite=True),
        "/modelctl/dev/scorer/hyperparameters",
        "/modelctl/prod/scorer/hyperparameters",
    ),
    "dynamodb": (
        "dynamodb:PutItem",
        arn("dynamodb", "table/modelctl-state"),
        lambda c, name: c.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "b"}}),
        "modelctl-state",
        "someone-elses",
    ),
    "sagemaker": (
        "sagemaker:CreateModelPackageGroup",
        arn("sagemaker", "model-package-group/*-dev"),
        lambda c, name: c.create_model_package_group(ModelPackageGroupName=name),
        "Scorer-dev",  # SageMaker ARNs spell names in lowercase
        "scorer-prod",
    ),
    "stepfunctions": (
        "states:CreateStateMachine",
        arn("states", "stateMachine:modelctl-*-dev"),
        lambda c, name: c.create_state_machine(name=name, definition=DEFINITION, roleArn=EXECUTION_ROLE_ARN),
        "modelctl-scorer-dev",
        "modelctl-scorer-prod",
    ),
    "scheduler": (
        "scheduler:GetScheduleGroup",  # a REST GET without a body: the signature moto miscomputes
        arn("scheduler", "schedule-group/modelctl-dev"),
        lambda c, name: c.get_schedule_group(Name=name),
        "modelctl-dev",
        "modelctl-prod",
    ),
    "codebuild": (
        "codebuild:BatchGetProjects",
        arn("codebuild", "project/modelctl-*-dev-*"),
        lambda c, name: c.batch_get_projects(names=[name]),
        "modelctl-scorer-dev-training",
        "modelctl-scorer-prod-training",
    ),
    "cloudwatch": (
        "cloudwatch:PutMetricAlarm",  # signed as `monitoring`
        arn("cloudwatch", "alarm:modelctl-*"),
        lambda c, name: c.put_metric_alarm(AlarmName=name, **ALARM),
        "modelctl-scorer-dev-errors-primary",
        "scorer-dev-errors",
    ),
    "sns": (
        "sns:Publish",
        arn("sns", "modelctl-dev"),
        lambda c, name: c.publish(TopicArn=arn("sns", name), Message="{}"),
        "modelctl-dev",
        "modelctl-prod",
    ),
    "lambda": (
        "lambda:GetFunction",
        arn("lambda", "function:modelctl-*-dev"),
        lambda c, name: c.get_function(FunctionName=name),
        "modelctl-reconciler-dev",
        "modelctl-reconciler-prod",
    ),
}


@pytest.mark.parametrize("service", sorted(SCOPED))
def test_a_statement_scoped_to_arns_allows_exactly_the_resources_it_names(url: str, service: str) -> None:
    action, resource, call, inside, outside = SCOPED[service]
    if service == "dynamodb":  # the allowed call succeeds, on a table that exists
        admin(url, "dynamodb").create_table(
            TableName=inside,
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
    client = as_role(url, ROLE, [allow([action], [resource])])(service)
    with enable_iam_authentication():
        allowed, denied = error_of(lambda: call(client, inside)), error_of(lambda: call(client, outside))
    assert allowed.get("Code") not in DENIED, allowed  # succeeds, or fails for a reason other than IAM
    assert denied["Code"] in DENIED, denied
    assert f"perform: {action} on resource: arn:aws:" in denied["Message"], denied
    assert outside.lower() in denied["Message"].lower() and ROLE in denied["Message"]


def test_a_request_naming_several_resources_needs_each(url: str) -> None:
    ssm = admin(url, "ssm")
    for name in ("/modelctl/dev/a", "/modelctl/prod/a"):
        ssm.put_parameter(Name=name, Value="1", Type="String")
    client = as_role(url, ROLE, [allow(["ssm:GetParameters"], [arn("ssm", "parameter/modelctl/dev/*")])])("ssm")
    with enable_iam_authentication():
        assert client.get_parameters(Names=["/modelctl/dev/a"])["Parameters"]
        denied = error_of(lambda: client.get_parameters(Names=["/modelctl/dev/a", "/modelctl/prod/a"]))
        by_version = client.get_parameters(Names=["/modelctl/dev/a:1"])["Parameters"]  # a version of an allowed one
    assert denied["Code"] == "AccessDeniedException" and "parameter/modelctl/prod/a" in denied["Message"]
    assert [p["Name"] for p in by_version] == ["/modelctl/dev/a"]


def test_an_action_without_resource_types_is_authorized_on_star(url: str) -> None:
    scoped = as_role(url, "scoped", [allow(["ssm:DescribeParameters"], [arn("ssm", "parameter/*")])])("ssm")
    unscoped = as_role(url, "unscoped", [allow(["ssm:DescribeParameters"], ["*"])])("ssm")
    with enable_iam_authentication():
        denied = error_of(lambda: scoped.describe_parameters())
        unscoped.describe_parameters()
    assert denied["Code"] == "AccessDeniedException" and denied["Message"].endswith("on resource: *")


# --- the operations the emulator's own patches implement ------------------------------------------------------

# (service, call) for operations whose moto implementation the emulator replaces (controller/local/*_ext.py)
PATCHED_OPERATIONS: list[tuple[str, Callable[[Any], Any]]] = [
    ("sagemaker", lambda c: c.create_endpoint(EndpointName="scorer-dev", EndpointConfigName="scorer-dev-1")),
    ("sagemaker", lambda c: c.update_endpoint(EndpointName="scorer-dev", EndpointConfigName="scorer-dev-2")),
    (
        "sagemaker",
        lambda c: c.update_endpoint_weights_and_capacities(
            EndpointName="scorer-dev", DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredWeight": 1}]
        ),
    ),
    ("sagemaker", lambda c: c.describe_training_job(TrainingJobName="scorer-1")),
    ("sagemaker-runtime", lambda c: c.invoke_endpoint(EndpointName="scorer-dev", Body=b"1")),
    ("ssm", lambda c: c.describe_parameters(MaxResults=50)),
    ("codebuild", lambda c: c.start_build(projectName="modelctl-scorer-dev-training")),
    ("codebuild", lambda c: c.batch_get_builds(ids=["modelctl-scorer-dev-training:1"])),
    ("stepfunctions", lambda c: c.start_execution(stateMachineArn=arn("states", "stateMachine:modelctl-scorer-dev"))),
    ("lambda", lambda c: c.invoke(FunctionName="modelctl-reconciler-dev", Payload=b"{}")),
    ("dynamodb", lambda c: c.put_item(TableName="modelctl-state", Item={"pk": {"S": "lock#dev"}})),
]


def test_the_operations_the_emulator_patches_are_authorized_like_every_other(url: str) -> None:
    client = as_role(url, ROLE, [])  # a role with no policy: nothing is allowed
    with enable_iam_authentication():
        errors = [error_of(partial(call, client(service))) for service, call in PATCHED_OPERATIONS]
    assert all(e.get("Code") in DENIED for e in errors), errors


# --- Step Functions tasks run as the execution role -----------------------------------------------------------


def _run(sfn: Any, machine_arn: str) -> dict[str, Any]:
    execution = sfn.start_execution(stateMachineArn=machine_arn)["executionArn"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError(f"{execution} still running after 20 s")


def test_a_pipelines_tasks_are_authorized_as_its_execution_role(url: str) -> None:
    admin(url, "ssm").put_parameter(Name="/modelctl/dev/scorer/hyperparameters", Value='{"eta":"0.2"}', Type="String")
    task = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ssm:getParameter", "End": True}
    task["Parameters"] = {"Name": "/modelctl/dev/scorer/hyperparameters"}
    task["ResultSelector"] = {"Value.$": "$.Parameter.Value"}  # the whole answer holds a datetime
    definition = json.dumps({"StartAt": "Read", "States": {"Read": task}})
    machines = {}
    for name, statements in (
        ("modelctl-allowed-dev", [allow(["ssm:GetParameter"], [arn("ssm", "parameter/modelctl/dev/*")])]),
        ("modelctl-denied-dev", [allow(["ssm:GetParameter"], [arn("ssm", "parameter/modelctl/prod/*")])]),
    ):
        as_role(url, name, statements)
        role_arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        machines[name] = admin(url, "stepfunctions").create_state_machine(
            name=name, definition=definition, roleArn=role_arn
        )["stateMachineArn"]
    starter = as_role(url, "starter", [allow(["states:StartExecution", "states:DescribeExecution"], ["*"])])
    with enable_iam_authentication():
        allowed = _run(starter("stepfunctions"), machines["modelctl-allowed-dev"])
        denied = _run(starter("stepfunctions"), machines["modelctl-denied-dev"])
    assert allowed["status"] == "SUCCEEDED", allowed
    assert json.loads(allowed["output"]) == {"Value": '{"eta":"0.2"}'}
    assert denied["status"] == "FAILED", denied
    cause = denied.get("cause", "") + denied.get("error", "")
    assert "AccessDenied" in cause and "assumed-role/modelctl-denied-dev/states-execution" in cause, denied


# --- moto without these patches ------------------------------------------------------------------------------


@pytest.mark.allow_shape_violations  # moto's own denials: XML from JSON services, which the shape check names
def test_moto_alone_still_judges_these_requests_unlike_aws(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails once a newer moto makes iam_ext (or one of its patches) unnecessary: then drop or shrink it."""
    monkeypatch.setenv("MODELCTL_LOCAL_CHECK_RESPONSES", "report")  # let moto's XML denials through, recorded
    client = as_role(
        url,
        ROLE,
        [
            allow(["ssm:PutParameter"], [arn("ssm", "parameter/modelctl/*")]),
            allow(["cloudwatch:DescribeAlarms", "scheduler:GetScheduleGroup"], ["*"]),
        ],
    )
    moto_authorize = iam_ext.original(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action")
    monkeypatch.setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action", moto_authorize)
    moto_task_client = iam_ext.original(boto_client, "boto_client_for")(REGION, "ssm", None)
    with enable_iam_authentication():
        scoped = error_of(lambda: client("ssm").put_parameter(Name="/modelctl/dev/a", Value="1", Type="String"))
        cloudwatch = error_of(lambda: client("cloudwatch").describe_alarms())
        get = error_of(lambda: client("scheduler").get_schedule_group(Name="modelctl-dev"))
        task = error_of(lambda: moto_task_client.get_parameter(Name="/modelctl/dev/a"))
    assert scoped["Code"] == "403" and "<Code>AccessDenied</Code>" in scoped["Message"]  # on "*", in XML
    assert "monitoring:DescribeAlarms" in cloudwatch["Message"]  # the signing name, not the IAM prefix
    assert "SignatureDoesNotMatch" in get["Message"]  # a GET without a body
    assert "InvalidClientTokenId" in task["Message"]  # the interpreter's key "ak" is nobody's
    assert not set(iam_ext.COMMON_DENIALS) & set(iam_ext.original(moto_errors, "COMMON_ERROR_CODES"))
