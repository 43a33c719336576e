"""controller.local.stepfunctions_timeouts: a state machine's TimeoutSeconds ends an execution TIMED_OUT without
running any Catch, as AWS does, on a clock the `timeoutScale` knob can speed up; and ListExecutions gives a timed-out
execution its stopDate (the `moto_still_*` test fails once a newer moto does that by itself: drop the patch then)."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from moto.stepfunctions.responses import StepFunctionResponse

from controller.local import control, stepfunctions_timeouts

ROLE = "arn:aws:iam::123456789012:role/sfn"
CAUGHT = {"Type": "Pass", "Result": "caught", "End": True}
WAITS_TOO_LONG = {
    "StartAt": "Sleep",
    "TimeoutSeconds": 3600,
    "States": {
        "Sleep": {"Type": "Wait", "Seconds": 30, "Next": "Work"},
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sts:getCallerIdentity",
            "Parameters": {},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
            "End": True,
        },
        "Caught": CAUGHT,
    },
}


def _start(definition: dict[str, Any]) -> tuple[Any, str, str]:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = sfn.create_state_machine(name=f"t{time.monotonic_ns()}", definition=json.dumps(definition), roleArn=ROLE)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
    return sfn, machine["stateMachineArn"], execution["executionArn"]


def _ended(sfn: Any, arn: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.05)
    return dict(described)


def test_an_execution_past_its_timeout_seconds_is_timed_out_and_runs_no_catch(in_process_aws: None) -> None:
    """AWS "Amazon States Language: state machine structure" (TimeoutSeconds: the maximum time an execution can
    run; past it the execution fails with States.Timeout) and "Handling errors in Step Functions workflows" (catchers
    are not for top-level execution failures: listen for TIMED_OUT events instead). 3600 s scaled to 0.36 s."""
    control.apply({"delays": {"timeoutScale": 0.0001}})
    sfn, _, arn = _start(WAITS_TOO_LONG)
    described = _ended(sfn, arn)
    assert described["status"] == "TIMED_OUT" and described["stopDate"] >= described["startDate"]
    events = [event["type"] for event in sfn.get_execution_history(executionArn=arn)["events"]]
    assert "ExecutionTimedOut" in events and not any(event.startswith("Pass") for event in events)


def test_a_timeout_is_as_written_by_default_and_the_scale_is_a_knob() -> None:
    assert (
        control.Knobs.model_validate({"delays": {"endpoint": 0, "training": 0, "bakeScale": 1}}).delays.timeout_scale
        == 1
    )
    assert stepfunctions_timeouts.scaled_seconds(7200, 0.0002) == pytest.approx(1.44)
    assert stepfunctions_timeouts.scaled_seconds(10, 0) == 0.1


def test_a_definition_without_timeout_seconds_runs_to_its_end(in_process_aws: None) -> None:
    control.apply({"delays": {"timeoutScale": 0.0001}})
    quick = {"StartAt": "P", "States": {"P": {"Type": "Wait", "Seconds": 1, "End": True}}}
    sfn, _, arn = _start(quick)
    assert _ended(sfn, arn)["status"] == "SUCCEEDED"


def test_moto_still_gives_timed_out_executions_no_stop_date(
    in_process_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for action in ("describe_execution", "list_executions"):
        monkeypatch.setattr(StepFunctionResponse, action, stepfunctions_timeouts.original(StepFunctionResponse, action))
    control.apply({"delays": {"timeoutScale": 0.0001}})
    sfn, machine, arn = _start(WAITS_TOO_LONG)
    described = _ended(sfn, arn)
    (listed,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert described["status"] == listed["status"] == "TIMED_OUT"
    assert "stopDate" not in described and "stopDate" not in listed


def test_timed_out_executions_are_described_and_listed_with_their_stop_date(in_process_aws: None) -> None:
    """Step Functions API Reference, ExecutionListItem: stopDate, "If the execution already ended, the date the
    execution stopped"."""
    control.apply({"delays": {"timeoutScale": 0.0001}})
    sfn, machine, arn = _start(WAITS_TOO_LONG)
    described = _ended(sfn, arn)
    (listed,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert (listed["status"], listed["stopDate"]) == ("TIMED_OUT", described["stopDate"])
