"""The reconciler Lambda and a CLI apply on one environment at once: their writes never interleave, the one that
comes second waits for the lock or is told who holds it, and the environment converges once (one pipeline run).

The Lambda's handler runs in this process on a bundle of tests/e2e/specs_small uploaded by `modelctl bundle` (as
tests/lambda/test_handler.py does); the CLI runs `apply` through tests/reliability/crash/crash_runner.py as a
subprocess. Both
log their writes with request and response times to one file. The first to take the lock keeps it until the log
shows the other refused on it (`--hold-lock-for`, WriteRecorder.hold_lock_for), so the two really contend.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crash_kit import (
    ACCOUNT,
    ENV,
    FAST_EMULATOR,
    GIT_SHA,
    REGION,
    SMALL_SPECS,
    apply_args,
    assert_converged_once,
    assert_never_interleaved,
    finish,
    local_environ,
    local_pace,
    modelctl,
    start_runner,
)
from crash_runner import WriteRecorder, is_lock_write, read_log

from controller.aws.statetable import TABLE_NAME
from controller.cli.bundle import bundle as bundle_command
from controller.local import control
from controller.local.bootstrap import ensure_prerequisites
from reconciler_lambda import handler

BUCKET, TOPIC = "e2e-dev-artifacts", f"arn:aws:sns:{REGION}:{ACCOUNT}:e2e-alerts"
AUTHOR = "Ada <ada@acme.example>"
LEASE = ["--lock-lease", "30"]  # longer than any hold here: only a release ends one
START_LIMIT_SECONDS = 60  # the first run takes the lock within this, or the test fails


@dataclass(frozen=True)
class Context:
    """The attributes of the Lambda context object the handler's logger reads."""

    function_name: str = "modelctl-reconciler-dev"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:modelctl-reconciler-dev"
    aws_request_id: str = "6f1a2b3c-0000-4000-8000-000000000007"


@pytest.fixture
def bundle(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The Lambda's environment, and the bundle of SMALL_SPECS uploaded; yields the emulator's URL."""
    settings = {
        **local_environ(emulator_url),
        "MODELCTL_GIT_AUTHOR": AUTHOR,
        "MODELCTL_ENV": ENV,
        "MODELCTL_BUCKET": BUCKET,
        "MODELCTL_TOPIC_ARN": TOPIC,
        "MODELCTL_POLL_SECONDS": "0",
        "AWS_REGION": REGION,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(handler, "_clients", [])  # a cold start: clients made (and hooked) on this invocation
    control.configure(emulator_url, FAST_EMULATOR)
    role = f"arn:aws:iam::{ACCOUNT}:role/modelctl-sagemaker"
    ensure_prerequisites(emulator_url, REGION, bucket=BUCKET, role_arn=role, topic_arn=TOPIC, table_name=TABLE_NAME)
    upload = argparse.Namespace(path=str(SMALL_SPECS), out=None, upload=[ENV], local=True)
    assert bundle_command(upload) == 0
    yield emulator_url


def _s3_event() -> dict[str, Any]:
    key = f"bundles/{GIT_SHA}.json"
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventName": "ObjectCreated:Put",
                "responseElements": {"x-amz-request-id": "C3D13FE58DE4C811"},
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": key, "size": 2048}},
            }
        ]
    }


def _reconcile(recorder: WriteRecorder) -> dict[str, Any]:
    """The Lambda handler on the bundle's S3 event, its writes logged by `recorder`."""
    with local_pace(recorder):
        summary: dict[str, Any] = handler.handler(_s3_event(), Context())  # type: ignore[arg-type]
    return summary


def _wait_until(found: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + START_LIMIT_SECONDS
    while not found():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


def _took_lock(log: Path, label: str) -> Callable[[], bool]:
    return lambda: any(e["label"] == label and is_lock_write(e) and not e["refused"] for e in read_log(log))


def _assert_a_further_apply_writes_nothing() -> None:
    further = WriteRecorder(None, "further")
    assert modelctl(apply_args(SMALL_SPECS), further) == 0 and further.writes == 0  # not even the lock


def _refused(log: Path, label: str) -> list[dict[str, Any]]:
    return [e for e in read_log(log) if e["label"] == label and is_lock_write(e) and e["refused"]]


def test_a_cli_apply_during_a_lambda_reconcile_is_told_who_holds_the_lock(bundle: str, tmp_path: Path) -> None:
    log = tmp_path / "writes.jsonl"
    with ThreadPoolExecutor(max_workers=1) as pool:
        reconcile = pool.submit(_reconcile, WriteRecorder(log, "lambda", hold_lock_for="cli"))
        _wait_until(_took_lock(log, "lambda"), "the Lambda takes the lock")
        cli = start_runner(bundle, log, "cli", [], apply_args(SMALL_SPECS, "--lock-wait", "0", *LEASE))
        code, out, err = finish(cli)
        summary = reconcile.result(timeout=START_LIMIT_SECONDS)
    assert code == 1 and f"is locked by {AUTHOR} via reconciler (bundle)#" in err, (code, out, err)
    assert _refused(log, "cli") and not [e for e in read_log(log) if e["label"] == "cli" and not e["refused"]]
    assert summary["status"] == "applied" and summary["outcomes"]["failed"] == 0, summary
    # the operator applies again once the reconcile is done, and the environment converges
    again = WriteRecorder(log, "cli again")
    assert modelctl(apply_args(SMALL_SPECS, "--wait", "--timeout", "1m", *LEASE), again) == 0
    assert_never_interleaved(read_log(log))
    assert_converged_once(bundle, 1)
    _assert_a_further_apply_writes_nothing()


def test_a_lambda_reconcile_during_a_cli_apply_waits_for_it(bundle: str, tmp_path: Path) -> None:
    log = tmp_path / "writes.jsonl"
    hold = ["--hold-lock-for", "lambda"]
    wait = ["--wait", "--timeout", "1m", "--lock-wait", "60"]  # its later passes may find the Lambda holding it
    cli = start_runner(bundle, log, "cli", hold, apply_args(SMALL_SPECS, *wait, *LEASE))
    try:
        _wait_until(_took_lock(log, "cli"), "the CLI takes the lock")
        summary = _reconcile(WriteRecorder(log, "lambda"))  # refused, it waits (LOCK_WAIT_SECONDS), then plans
    except BaseException:
        cli.kill()
        raise
    code, out, err = finish(cli)
    assert code == 0, (code, out, err)
    refused, entries = _refused(log, "lambda"), read_log(log)
    taken = [e for e in entries if e["label"] == "lambda" and is_lock_write(e) and not e["refused"]]
    assert refused and taken and refused[0]["end"] < taken[0]["start"], entries  # it waited, then took the lock
    assert summary["status"] in {"applied", "waiting", "converged"}, summary
    assert_never_interleaved(entries)
    assert_converged_once(bundle, 1)
    _assert_a_further_apply_writes_nothing()
