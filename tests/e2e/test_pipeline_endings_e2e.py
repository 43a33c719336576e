"""Pipeline runs that end without the pipeline's own failure notification, on the served emulator: a run stopped
by hand (StopExecution -> ABORTED) and a run past its TimeoutSeconds (TIMED_OUT) each notify `pipelineFailed` once,
from the reconcile that observes them (controller.reconcile.pipeline_alerts), never again on later reconciles, and
status shows the model Degraded. Specs: tests/e2e/specs_small, copied per test.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from controller.cli.main import main
from controller.cli.session import aws_for
from controller.local import control
from controller.reconcile.orchestrate import ApplyOptions, apply_environment
from controller.spec.loader import load_catalog

ACCOUNT, REGION = "111122223333", "us-east-1"
GIT_SHA = "e2e0000000000000000000000000000000000002"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:e2e-alerts"
MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:modelctl-scorer-dev"


@pytest.fixture
def specs(emulator_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MODELCTL_LOCAL_URL", emulator_url)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("MODELCTL_GIT_SHA", GIT_SHA)
    shutil.copytree(Path(__file__).parent / "specs_small", tmp_path / "specs")
    return tmp_path / "specs"


def _reconcile(specs: Path) -> None:
    """One apply pass of dev, as the reconciler Lambda makes on a pipeline status event or its sweep."""
    catalog = load_catalog([str(specs)])
    with aws_for(catalog.environments["dev"], local=True) as session:
        apply_environment(
            catalog,
            "dev",
            session.cloud,
            session.store,
            git_sha=GIT_SHA,
            resolve_image=lambda *args: "unused",
            options=ApplyOptions(poll_seconds=0),
        )


def _newest(sfn: Any, status: str, timeout: float = 30) -> dict[str, Any]:
    """The newest execution once it has `status`."""
    deadline = time.monotonic() + timeout
    while True:
        newest = max(sfn.list_executions(stateMachineArn=MACHINE_ARN)["executions"], key=lambda e: e["startDate"])
        if newest["status"] == status:
            return dict(newest)
        assert time.monotonic() < deadline, f"{newest['name']} is {newest['status']}, not {status}"
        time.sleep(0.2)


def _pipeline_failures(url: str, queue: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", endpoint_url=url, region_name=REGION)
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    bodies = [json.loads(m["Body"]) for m in messages]
    return [body for body in bodies if body.get("event") == "pipelineFailed"]


def _status(specs: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    main(["status", "--env", "dev", "--local", "--format", "json", str(specs)])
    models = json.loads(capsys.readouterr().out)["models"]
    return dict(next(model for model in models if model["model"] == "scorer"))


def test_a_stopped_and_a_timed_out_run_each_notify_once(
    emulator_url: str, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = emulator_url
    assert main(["apply", "--env", "dev", "--local", "--yes", "--wait", "--timeout", "2m", str(specs)]) == 0
    sqs, sns = boto3.client("sqs", endpoint_url=url, region_name=REGION), boto3.client("sns", endpoint_url=url)
    queue = sqs.create_queue(QueueName="e2e-endings")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=TOPIC, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    sfn = boto3.client("stepfunctions", endpoint_url=url, region_name=REGION)

    # 1. A new training config starts a run; someone stops it while it trains.
    control.configure(url, {"delays": {"training": 30}})
    path = specs / "scorer.yaml"
    path.write_text(path.read_text().replace("hyperparameters: {eta: 0.2}", "hyperparameters: {eta: 0.7}"))
    _reconcile(specs)
    running = _newest(sfn, "RUNNING")
    sfn.stop_execution(executionArn=running["executionArn"], error="Operator", cause="stopped by hand")
    _newest(sfn, "ABORTED")
    _reconcile(specs)
    _reconcile(specs)  # a later reconcile (the 10-minute sweep) notifies nothing more
    stopped = _pipeline_failures(url, queue)
    assert [(m["execution"], m["status"]) for m in stopped] == [(running["name"], "ABORTED")]
    status = _status(specs, capsys)
    assert (status["health"], status["reason"]) == ("Degraded", "PipelineFailed")
    assert "was stopped (ABORTED)" in status["message"]

    # 2. `modelctl retrain` starts attempt 2; its TimeoutSeconds (2 h, scaled to ~1.4 s here) passes mid-training.
    control.configure(url, {"delays": {"timeoutScale": 0.0002}})
    assert main(["retrain", "scorer", "--env", "dev", "--local", "--path", str(specs)]) == 0
    timed_out = _newest(sfn, "TIMED_OUT")
    assert timed_out["name"].endswith("-a2")
    _reconcile(specs)
    _reconcile(specs)
    late = _pipeline_failures(url, queue)
    assert [(m["execution"], m["status"]) for m in late] == [(timed_out["name"], "TIMED_OUT")]
    status = _status(specs, capsys)
    assert (status["health"], status["reason"]) == ("Degraded", "PipelineFailed")
    assert "timed out (TIMED_OUT)" in status["message"]
