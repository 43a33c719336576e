"""The reconciler Lambda's handler, in-process, with real event shapes (S3 notification, Step Functions status
change, scheduled event) against the served emulator; the bundle is made and uploaded by `modelctl bundle`.

Specs: tests/e2e/specs_small (one realtime model; the function serves `dev`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from controller.aws.statetable import TABLE_NAME
from controller.cli.bundle import bundle as bundle_command
from controller.desired.bundle import dumps
from controller.local.bootstrap import ensure_prerequisites
from controller.spec.identity import digest
from reconciler_lambda import handler

ACCOUNT, REGION, ENV = "111122223333", "us-east-1", "dev"
BUCKET, TOPIC = "e2e-dev-artifacts", f"arn:aws:sns:{REGION}:{ACCOUNT}:e2e-alerts"
SHA = "1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5"
SPECS = Path(__file__).resolve().parents[1] / "e2e" / "specs_small"


@dataclass
class Context:
    """The attributes of the Lambda context object the handler's logger reads."""

    function_name: str = "modelctl-reconciler-dev"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:modelctl-reconciler-dev"
    aws_request_id: str = "6f1a2b3c-0000-4000-8000-000000000001"


@pytest.fixture
def lambda_env(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in {
        "MOTO_ACCOUNT_ID": ACCOUNT,
        "MODELCTL_LOCAL_URL": emulator_url,
        "MODELCTL_GIT_SHA": SHA,
        "MODELCTL_GIT_AUTHOR": "Ada <ada@acme.example>",
        "MODELCTL_ENV": ENV,
        "MODELCTL_BUCKET": BUCKET,
        "MODELCTL_TOPIC_ARN": TOPIC,
        "MODELCTL_POLL_SECONDS": "0",
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(handler, "_clients", [])  # a cold start per test
    ensure_prerequisites(
        emulator_url,
        REGION,
        bucket=BUCKET,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/modelctl-sagemaker",
        topic_arn=TOPIC,
        table_name=TABLE_NAME,
    )
    return emulator_url


def _upload(specs: Path = SPECS) -> None:
    args = argparse.Namespace(path=str(specs), out=None, upload=[ENV], local=True)
    assert bundle_command(args) == 0


def _commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sha: str, old: str, new: str, file: str) -> None:
    """Upload the bundle of a commit `sha` that replaces `old` with `new` in one of the specs."""
    specs = tmp_path / sha
    shutil.copytree(SPECS, specs)
    text = (specs / file).read_text()
    assert old in text
    (specs / file).write_text(text.replace(old, new, 1))
    monkeypatch.setenv("MODELCTL_GIT_SHA", sha)
    _upload(specs)


def _s3(key: str = f"bundles/{SHA}.json") -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventName": "ObjectCreated:Put",
                "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810"},
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": key, "size": 2048}},
            }
        ]
    }


def _pipeline(status: str = "SUCCEEDED", machine: str = f"modelctl-scorer-{ENV}") -> dict[str, Any]:
    return {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": ACCOUNT,
        "region": REGION,
        "detail": {
            "executionArn": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine}:run-1",
            "stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine}",
            "name": "run-1",
            "status": status,
        },
    }


SCHEDULED = {
    "version": "0",
    "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": ACCOUNT,
    "region": REGION,
    "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/modelctl-reconciler-{ENV}-sweep"],
    "detail": {},
}


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = handler.handler(event, Context())  # type: ignore[arg-type]
    return summary


def _converge(event: dict[str, Any]) -> dict[str, Any]:
    """Invoke until a pass finds nothing to write (training and the endpoint take a few seconds locally)."""
    deadline = time.monotonic() + 90
    while True:
        summary = _invoke(event)
        if summary["status"] == "converged" or time.monotonic() > deadline:
            return summary
        time.sleep(0.5)


def _writes() -> dict[str, int]:
    return {k: v for k, v in handler._clients[0].calls.snapshot().items() if not k.split(".")[1].startswith("Get")}


def _client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION)


def test_a_new_bundle_is_applied_and_a_repeated_event_changes_nothing(lambda_env: str) -> None:
    _upload()
    first = _invoke(_s3())
    assert (first["status"], first["gitSha"], first["trigger"]) == ("applied", SHA, "bundle")
    assert first["outcomes"]["applied"] > 0 and first["writes"] > 0
    # the pipeline's end deploys at once; the pass that finds nothing to write marks the bundle applied
    converged = _converge(_pipeline())
    assert converged["status"] == "converged" and converged["writes"] <= 1, converged
    sagemaker = _client(lambda_env, "sagemaker")
    assert sagemaker.describe_endpoint(EndpointName="scorer-dev")["EndpointStatus"] == "InService"
    again = _invoke(_s3())
    assert (again["status"], again["reason"], again["writes"]) == ("unchanged", "bundle already applied", 0)
    assert sum(handler._clients[0].calls.snapshot().values()) <= 3  # the bundle (S3) and the mark (DynamoDB)


def test_a_new_bundle_observes_only_the_models_whose_specs_changed(
    lambda_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _upload()
    _invoke(_s3())
    assert _converge(_pipeline())["status"] == "converged"
    # a commit that changes only another environment: nothing of dev's models is read
    stage_only = "e" * 40
    _commit(
        tmp_path,
        monkeypatch,
        stage_only,
        "artifactBucket: e2e-stage-artifacts",
        "artifactBucket: e2e-s2",
        "environments.yaml",
    )
    summary = _invoke(_s3(f"bundles/{stage_only}.json"))
    assert (summary["status"], summary["observed"]) == ("converged", []), summary
    assert not any(name.startswith("sagemaker.") for name in handler._clients[0].calls.snapshot())
    # a commit that changes the model: it is observed, and retrained
    retrain = "f" * 40
    _commit(tmp_path, monkeypatch, retrain, "eta: 0.2", "eta: 0.3", "scorer.yaml")
    summary = _invoke(_s3(f"bundles/{retrain}.json"))
    assert (summary["status"], summary["observed"]) == ("applied", ["scorer"]), summary
    assert _executions(lambda_env) == 2


def _executions(url: str) -> int:
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:modelctl-scorer-{ENV}"
    return len(_client(url, "stepfunctions").list_executions(stateMachineArn=arn)["executions"])


def test_the_sweep_finds_drift_and_puts_it_back(lambda_env: str) -> None:
    _upload()
    _invoke(_s3())
    assert _converge(SCHEDULED)["status"] == "converged"
    ssm = _client(lambda_env, "ssm")
    ssm.put_parameter(Name="/modelctl/dev/scorer/hyperparameters", Value='{"eta": "0.5"}', Overwrite=True)
    swept = _invoke(SCHEDULED)
    assert (swept["status"], swept["trigger"]) == ("applied", "schedule"), swept
    assert _invoke(SCHEDULED)["writes"] == 0  # and the next sweep writes nothing


@pytest.mark.parametrize(
    ("change", "reason"),
    [("version", "bundle version 2 is unknown"), ("tamper", "does not match its digest")],
)
def test_a_bad_bundle_is_refused_before_any_write(lambda_env: str, change: str, reason: str) -> None:
    _upload()
    s3 = _client(lambda_env, "s3")
    stored = json.loads(s3.get_object(Bucket=BUCKET, Key=f"bundles/{SHA}.json")["Body"].read())
    if change == "version":
        content = {k: v for k, v in stored.items() if k != "digest"} | {"bundleVersion": 2}
        stored = {**content, "digest": digest(content)}
    else:
        stored["specs"][-1]["data"]["spec"]["training"]["hyperparameters"]["eta"] = 0.9
    s3.put_object(Bucket=BUCKET, Key=f"bundles/{SHA}.json", Body=dumps(stored).encode())
    summary = _invoke(_s3())
    assert summary["status"] == "refused" and reason in summary["reason"], summary
    assert _writes() == {"sns.Publish": 1}  # the operators are told; nothing else is written
    assert not _client(lambda_env, "ssm").describe_parameters()["Parameters"]


def test_events_for_other_environments_and_running_executions_are_ignored(lambda_env: str) -> None:
    assert _invoke(_pipeline(machine="modelctl-scorer-stage"))["status"] == "ignored"
    assert _invoke(_pipeline(status="RUNNING"))["status"] == "ignored"
    assert _invoke(_s3("bundles/latest.json"))["status"] == "ignored"
    assert handler._clients[0].calls.snapshot() == {}
