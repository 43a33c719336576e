"""controller.local.stepfunctions_ext: each patch still fills a gap of moto (the `moto_still_*` tests fail
once a newer moto behaves like AWS by itself: drop the patch then), and the patched behaviour holds."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from controller.local import stepfunctions_ext

ROLE = "arn:aws:iam::123456789012:role/sfn"
CODEBUILD_PROJECT = {
    "name": "image",
    "source": {"type": "GITHUB", "location": "https://github.com/acme/churn-model.git"},
    "artifacts": {"type": "NO_ARTIFACTS"},
    "environment": {"type": "LINUX_CONTAINER", "image": "standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"},
    "serviceRole": ROLE,
}
BUILD_THEN_READ_STATUS = {
    "StartAt": "Build",
    "States": {
        "Build": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:codebuild:startBuild",
            "Parameters": {"ProjectName": "image", "SourceVersion": "v1"},
            "ResultSelector": {"Id.$": "$.Build.Id"},
            "Next": "Get",
        },
        "Get": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:codebuild:batchGetBuilds",
            "Parameters": {"Ids.$": "States.Array($.Id)"},
            "ResultSelector": {"Status.$": "$.Builds[0].BuildStatus", "Version.$": "$.Builds[0].SourceVersion"},
            "End": True,
        },
    },
}


def run(definition: dict[str, Any], value: Any = None, name: str | None = None) -> dict[str, Any]:
    """Create a state machine and run one execution of it to its end; its description."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = sfn.create_state_machine(name=f"m{time.monotonic_ns()}", definition=json.dumps(definition), roleArn=ROLE)
    named = {"name": name} if name else {}
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(value or {}), **named)
    deadline = time.monotonic() + 10
    while (described := sfn.describe_execution(executionArn=arn["executionArn"]))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    result: dict[str, Any] = described
    return result


def pass_state(parameters: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": parameters, "End": True}}}


@pytest.fixture
def unpatched(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any, str], None]:
    """Put moto's own implementation of `owner.name` back for one test."""

    def restore(owner: Any, name: str) -> None:
        monkeypatch.setattr(owner, name, stepfunctions_ext.original(owner, name))

    return restore


# --- AWS SDK integrations: PascalCase parameters and results --------------------------------------------------


def test_moto_still_passes_sdk_parameters_unchanged(in_process_aws: None, unpatched: Any) -> None:
    unpatched(StateTaskServiceAwsSdk, "_normalise_parameters")
    unpatched(StateTaskServiceAwsSdk, "_normalise_response")
    boto3.client("codebuild", region_name="us-east-1").create_project(**CODEBUILD_PROJECT)

    done = run(BUILD_THEN_READ_STATUS)

    assert done["status"] == "FAILED"  # boto3 has no ProjectName parameter: CodeBuild's API is camelCase


def test_sdk_integrations_take_and_give_pascal_case(in_process_aws: None) -> None:
    boto3.client("codebuild", region_name="us-east-1").create_project(**CODEBUILD_PROJECT)

    done = run(BUILD_THEN_READ_STATUS)

    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"Status": "IN_PROGRESS", "Version": "v1"}


def test_casing_follows_the_shapes_and_leaves_map_keys_alone() -> None:
    from controller.local.stepfunctions_ext import _operation, _to_sfn_casing

    shape = _operation("codebuild", "batch_get_builds").output_shape
    response = {"builds": [{"buildStatus": "SUCCEEDED", "phases": [{"phaseType": "BUILD"}], "unknownKey": 1}]}
    assert _to_sfn_casing(response, shape) == {
        "Builds": [{"BuildStatus": "SUCCEEDED", "Phases": [{"PhaseType": "BUILD"}], "UnknownKey": 1}]
    }
    job = _operation("sagemaker", "describe_training_job").output_shape
    assert _to_sfn_casing({"HyperParameters": {"max_depth": "6"}}, job) == {"HyperParameters": {"max_depth": "6"}}


# --- $$.Execution.StartTime ------------------------------------------------------------------------------------


def test_moto_still_gives_the_start_time_as_a_datetime(in_process_aws: None) -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    run(pass_state({"ok": True}))
    execution: Execution = stepfunctions_parser_backends["123456789012"]["us-east-1"].state_machines[0].executions[0]

    details = stepfunctions_ext.original(Execution, "get_start_execution_details")(execution)

    assert not isinstance(details.start_time, str)


def test_the_start_time_is_an_iso_8601_string_in_utc_with_milliseconds(in_process_aws: None) -> None:
    done = run(pass_state({"start.$": "$$.Execution.StartTime"}))

    start = json.loads(done["output"])["start"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", start), start
    assert abs(datetime.fromisoformat(start) - done["startDate"]) < timedelta(seconds=1)


# --- JSONPath results ------------------------------------------------------------------------------------------


def test_moto_still_wraps_definite_paths_after_an_index_and_raises_for_empty_filters() -> None:
    moto_extract = stepfunctions_ext.original(json_path, "extract_json")

    assert moto_extract("$.Builds[0].BuildStatus", {"Builds": [{"BuildStatus": "SUCCEEDED"}]}) == ["SUCCEEDED"]
    with pytest.raises(NoSuchJsonPathError):
        moto_extract("$.m[?(@.Name == 'auc')].Value", {"m": [{"Name": "loss", "Value": 1}]})


def test_definite_paths_give_one_value_and_empty_filters_give_an_empty_list(in_process_aws: None) -> None:
    data = {"Builds": [{"BuildStatus": "SUCCEEDED", "Phases": [1, 2]}], "m": [{"Name": "loss", "Value": 1.0}]}
    done = run(
        pass_state(
            {
                "status.$": "$.Builds[0].BuildStatus",
                "phases.$": "$.Builds[0].Phases",
                "auc.$": "$.m[?(@.Name == 'auc')].Value",
                "loss.$": "$.m[?(@.Name == 'loss')].Value",
                "all.$": "$.m[*].Name",
            }
        ),
        data,
    )

    assert json.loads(done["output"]) == {
        "status": "SUCCEEDED",
        "phases": [1, 2],
        "auc": [],
        "loss": [1.0],
        "all": ["loss"],
    }


def test_a_missing_definite_path_is_still_a_runtime_error(in_process_aws: None) -> None:
    done = run(pass_state({"x.$": "$.Builds[0].Missing"}), {"Builds": [{}]})

    assert (done["status"], done["error"]) == ("FAILED", "States.Runtime")


@pytest.mark.parametrize(
    ("path", "definite"),
    [
        ("$.a[0].b", True),
        ("$['x:y'].z", True),
        ("$$.Execution.StartTime", True),
        ("$.a[*].b", False),
        ("$.a[?(@.x == 'a:b')].v", False),
        ("$..a", False),
        ("$.a[1:2]", False),
        ("$.a[0,1]", False),
    ],
)
def test_definite_paths_are_recognised(path: str, definite: bool) -> None:
    assert stepfunctions_ext.is_definite(path) is definite


# --- StartExecution without a name ----------------------------------------------------------------------------


def test_moto_still_names_every_unnamed_execution_none(in_process_aws: None, unpatched: Any) -> None:
    unpatched(StepFunctionsParserBackend, "start_execution")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = sfn.create_state_machine(name="unnamed", definition=json.dumps(pass_state({})), roleArn=ROLE)

    first = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])
    assert first["executionArn"].endswith(":None")
    with pytest.raises(ClientError, match="ExecutionAlreadyExists"):
        sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"other": 1}')


def test_unnamed_executions_get_uuid_names(in_process_aws: None) -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = sfn.create_state_machine(name="unnamed", definition=json.dumps(pass_state({})), roleArn=ROLE)

    arns = [sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"] for _ in range(2)]

    names = [arn.rsplit(":", 1)[1] for arn in arns]
    assert len(set(names)) == 2
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", name) for name in names)


# --- served: the interpreter calls the services of the same emulator ---------------------------------------


def test_served_executions_call_the_services_of_the_same_emulator(emulator_url: str) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(Name="p", Value="from the emulator", Type="String")
    definition = {
        "StartAt": "Read",
        "States": {
            "Read": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:ssm:getParameter",
                "Parameters": {"Name": "p"},
                "ResultSelector": {"Value.$": "$.Parameter.Value"},
                "End": True,
            }
        },
    }

    done = run(definition)

    assert json.loads(done["output"]) == {"Value": "from the emulator"}


# --- what moto already does like AWS ----------------------------------------------------------------------------


def test_waits_are_honoured_and_executions_run_concurrently(in_process_aws: None) -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}}
    machine = sfn.create_state_machine(name="waits", definition=json.dumps(definition), roleArn=ROLE)
    started = time.monotonic()
    arns = [
        sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"s": 1}')["executionArn"]
        for _ in range(3)
    ]
    while any(sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" for arn in arns):
        time.sleep(0.05)

    assert 1.0 <= time.monotonic() - started < 2.5  # three 1 s waits, side by side
    history = sfn.get_execution_history(executionArn=arns[0])["events"]
    assert [event["type"] for event in history][-1] == "ExecutionSucceeded"
    assert len(sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]) == 3
