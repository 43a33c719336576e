"""Step Functions adapters against the in-process emulator: digests, executions, runs by key."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from aws_kit import ROLE

from controller.aws.session import AwsClients
from controller.aws.stepfunctions import PipelineRuns, StateMachines, definition_digest
from controller.resources import MANAGED_TAG, Kind, Ref

PASS = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
FAIL = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "QualityGate", "Cause": "auc 0.7 < 0.8"}}}


def make_machine(sfn: Any, name: str, definition: dict[str, Any]) -> str:
    arn: str = sfn.create_state_machine(
        name=name,
        definition=json.dumps(definition, indent=2),
        roleArn=ROLE,
        tags=[{"key": MANAGED_TAG, "value": "true"}],
    )["stateMachineArn"]
    return arn


def run(sfn: Any, machine_arn: str, name: str) -> None:
    arn = sfn.start_execution(stateMachineArn=machine_arn, name=name, input="{}")["executionArn"]
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)


def test_definition_digest_is_canonical() -> None:
    assert definition_digest(json.dumps(PASS, indent=4)) == definition_digest(PASS)
    assert definition_digest(PASS) != definition_digest(FAIL)


def test_state_machines_read_digest_role_tags_and_executions(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    sfn = raw("stepfunctions")
    ok_arn = make_machine(sfn, "churn-dev", PASS)
    failing_arn = make_machine(sfn, "fraud-dev", FAIL)
    run(sfn, ok_arn, "churn-aaaa-1")
    run(sfn, failing_arn, "fraud-bbbb-1")

    observed = StateMachines(clients).observe(["churn-dev", "fraud-dev", "absent-dev"])

    assert sorted(observed) == ["churn-dev", "fraud-dev"]
    churn = observed["churn-dev"]
    assert churn.ref == Ref(Kind.STATE_MACHINE, "churn-dev")
    assert churn.properties == {"definitionDigest": definition_digest(PASS), "roleArn": ROLE}
    assert churn.managed
    assert churn.extra["arn"] == ok_arn
    [execution] = churn.extra["executions"]
    assert execution["name"] == "churn-aaaa-1"
    assert execution["status"] == "SUCCEEDED"
    assert execution["error"] is None and isinstance(execution["start"], str)
    [failed] = observed["fraud-dev"].extra["executions"]
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "QualityGate", "auc 0.7 < 0.8")
    calls = clients.calls.snapshot()
    assert calls["stepfunctions.ListStateMachines"] == 1
    assert calls["stepfunctions.DescribeStateMachine"] == 2
    assert calls["stepfunctions.DescribeExecution"] == 1  # only the failed newest run


def test_pipeline_runs_by_machine_and_execution_name(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    sfn = raw("stepfunctions")
    run(sfn, make_machine(sfn, "fraud-dev", FAIL), "fraud-bbbb-1")

    observed = PipelineRuns(clients).observe(["fraud-dev/fraud-bbbb-1", "fraud-dev/fraud-bbbb-2", "absent/x"])

    assert list(observed) == ["fraud-dev/fraud-bbbb-1"]
    failed = observed["fraud-dev/fraud-bbbb-1"]
    assert failed.properties == {"status": "FAILED"}
    assert failed.status == "FAILED"
    assert (failed.extra["error"], failed.extra["cause"]) == ("QualityGate", "auc 0.7 < 0.8")
    assert set(failed.extra) == {"error", "cause", "start", "stop"}
    assert clients.calls.snapshot() == {"stepfunctions.ListStateMachines": 1, "stepfunctions.DescribeExecution": 2}
