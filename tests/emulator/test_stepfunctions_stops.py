"""controller.local.stepfunctions_stops: StopExecution right after StartExecution stops the run and answers its
stopDate, as AWS does, where moto failed when the execution's thread had not yet built its environment."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from controller.local import stepfunctions_stops

ROLE = "arn:aws:iam::123456789012:role/sfn"
WAITS = {"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 30, "End": True}}}


def test_a_run_stopped_at_once_is_aborted_and_the_answer_has_its_stop_date(in_process_aws: None) -> None:
    """Step Functions API Reference, "StopExecution": the response's stopDate ("The date the execution is stopped")
    is required; the execution's status becomes ABORTED."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = sfn.create_state_machine(name=f"s{time.monotonic_ns()}", definition=json.dumps(WAITS), roleArn=ROLE)
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]

    stopped = sfn.stop_execution(executionArn=arn)

    assert stopped["stopDate"] is not None
    deadline = time.monotonic() + 10
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert described["status"] == "ABORTED"


def test_a_stop_waits_for_the_environment_its_thread_builds(in_process_aws: None) -> None:
    """The race itself, made certain: a worker whose environment does not exist yet when the stop arrives."""
    stops: list[Any] = []

    class Environment:
        def set_stop(self, **arguments: Any) -> None:
            stops.append(arguments)

    worker: Any = object.__new__(ExecutionWorker)
    worker.env = None

    def build_later() -> None:
        time.sleep(0.2)
        worker.env = Environment()

    threading.Thread(target=build_later).start()
    ExecutionWorker.stop(worker, stop_date="now", error=None, cause=None)
    assert stops == [{"stop_date": "now", "cause": None, "error": None}]
    assert stepfunctions_stops.ENVIRONMENT_WAIT_SECONDS >= 1
