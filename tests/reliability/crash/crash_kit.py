"""What the crash and contention tests share: the specs they edit, `modelctl` run through crash_runner.py (as a
subprocess, or in this process with its writes logged), and the checks of a converged environment.

The subprocesses reach the served emulator of the test process (MODELCTL_LOCAL_URL, `--local`), whose state
outlives them. Every run uses one pace (pipelines poll every POLL_SECONDS, `apply --wait` pauses WAIT_INTERVAL
between passes) and one git SHA, so the killed run, the CLI, the Lambda and the recovering run want the same
resources.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from crash_runner import WriteRecorder, is_lock_write, recording_make

from controller.aws.session import AwsClients
from controller.aws.statetable import TABLE_NAME
from controller.cli import apply as commands
from controller.cli import context
from controller.cli.main import main
from controller.reconcile.orchestrate import RETAINED_CONFIGS
from controller.resources import Kind

ACCOUNT, REGION, ENV = "111122223333", "us-east-1", "dev"
GIT_SHA = "c4a5b0000000000000000000000000000000e7e7"
SMALL_SPECS = Path(__file__).resolve().parents[2] / "e2e" / "specs_small"
RUNNER = Path(__file__).with_name("crash_runner.py")
POLL_SECONDS, WAIT_INTERVAL = 0, 0.2
RUN_LIMIT_SECONDS = 90  # a subprocess that runs longer than this is a failed test, not a hung suite
MACHINE = f"modelctl-scorer-{ENV}"
# emulator knobs (controller.local.control): training jobs and endpoint changes in 0.1 s, a 5-minute bake in 0.06 s
FAST_EMULATOR = {"delays": {"training": 0.1, "endpoint": 0.1, "bakeScale": 0.0002}}


def local_environ(url: str) -> dict[str, str]:
    """The variables `modelctl --local` runs with here: the served emulator, its account, the commit."""
    return {"MODELCTL_LOCAL_URL": url, "MOTO_ACCOUNT_ID": ACCOUNT, "MODELCTL_GIT_SHA": GIT_SHA}


def set_eta(specs: Path, eta: str) -> None:
    """Set scorer's `eta` hyperparameter: every value is a new training config (a retrain and a new fleet)."""
    path = specs / "scorer.yaml"
    text, found = re.subn(r"hyperparameters: \{eta: [0-9.]+\}", f"hyperparameters: {{eta: {eta}}}", path.read_text())
    assert found == 1
    path.write_text(text)


def apply_args(specs: Path, *options: str) -> list[str]:
    """`modelctl apply` of ENV on the emulator, unprompted, with `options` (e.g. --wait, --lock-wait 30)."""
    return ["apply", "--env", ENV, "--local", "--yes", *options, str(specs)]


def start_runner(
    url: str, log: Path, label: str, runner_options: Sequence[str], modelctl_args: Sequence[str]
) -> subprocess.Popen[str]:
    """crash_runner.py as a subprocess, logging to `log` as `label`, with `runner_options` (e.g. --kill-after 3),
    running `modelctl_args`; stdout and stderr captured."""
    pace = ["--poll-seconds", str(POLL_SECONDS), "--wait-interval", str(WAIT_INTERVAL)]
    command = [sys.executable, str(RUNNER), "--write-log", str(log), "--label", label, *pace, *runner_options]
    return subprocess.Popen(
        [*command, "--", *modelctl_args],
        env={**os.environ, **local_environ(url)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for a runner (at most RUN_LIMIT_SECONDS): its exit code (negative: the signal), stdout, stderr."""
    try:
        out, err = process.communicate(timeout=RUN_LIMIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"the runner did not finish in {RUN_LIMIT_SECONDS} s:\n{out}\n{err}")
    return process.returncode, out, err


@contextmanager
def local_pace(recorder: WriteRecorder | None = None) -> Iterator[None]:
    """In this process: the runners' pace for `--local` commands, and their writes logged by `recorder`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(context, "LOCAL_POLL_SECONDS", POLL_SECONDS)
        patch.setitem(commands.WAIT_INTERVAL_SECONDS, True, WAIT_INTERVAL)
        if recorder is not None:
            patch.setattr(AwsClients, "_make", recording_make(AwsClients._make, recorder))
        yield


def modelctl(args: Sequence[str], recorder: WriteRecorder | None = None) -> int:
    """`modelctl` in this process, at the runners' pace (see local_pace)."""
    with local_pace(recorder):
        return main(list(args))


def client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION)


def lock_item(url: str) -> dict[str, Any] | None:
    """ENV's lock item in the state table (holder, since, expires), or None when no run holds it."""
    item = client(url, "dynamodb").get_item(
        TableName=TABLE_NAME, Key={"pk": {"S": f"lock#{ENV}"}, "sk": {"S": "lock"}}, ConsistentRead=True
    )
    if "Item" not in item:
        return None
    stored = item["Item"]
    return {
        "holder": stored["holder"]["S"],
        "since": float(stored["since"]["N"]),
        "expires": float(stored["expires"]["N"]),
    }


def inventory(url: str, kind: Kind) -> set[str]:
    """The keys of `kind` the state store's inventory says the controller made in ENV."""
    pages = (
        client(url, "dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=TABLE_NAME,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"inventory#{ENV}"}},
            ConsistentRead=True,
        )
    )
    return {item["key"]["S"] for page in pages for item in page["Items"] if item["kind"]["S"] == kind.value}


def executions(url: str) -> list[dict[str, Any]]:
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{MACHINE}"
    pages = client(url, "stepfunctions").get_paginator("list_executions").paginate(stateMachineArn=arn)
    return [execution for page in pages for execution in page["executions"]]


def assert_converged_once(url: str, configs_trained: int) -> None:
    """The end state a finished apply leaves, whatever was killed before it:

    - one Step Functions execution and one training job per training config, for `configs_trained` configs;
    - every endpoint config is in the inventory (the only way one is ever pruned), at most RETAINED_CONFIGS per
      endpoint;
    - every endpoint serves a config whose models exist;
    - no run holds the lock."""
    started = executions(url)
    assert all(run["status"] == "SUCCEEDED" for run in started), started
    runs = Counter(str(run["name"]) for run in started)  # named after the config id
    assert len(runs) == configs_trained and set(runs.values()) == {1}, runs
    sagemaker = client(url, "sagemaker")
    jobs = Counter(
        str(job["TrainingJobName"]).rsplit("-", 1)[0]  # <config id>-<timestamp>
        for page in sagemaker.get_paginator("list_training_jobs").paginate()
        for job in page["TrainingJobSummaries"]
    )
    assert jobs == runs, (jobs, runs)
    configs = [
        str(config["EndpointConfigName"])
        for page in sagemaker.get_paginator("list_endpoint_configs").paginate()
        for config in page["EndpointConfigs"]
    ]
    unknown = set(configs) - inventory(url, Kind.ENDPOINT_CONFIG)
    assert not unknown, f"endpoint configs the inventory does not know (never pruned): {sorted(unknown)}"
    endpoints = [str(e["EndpointName"]) for e in sagemaker.list_endpoints()["Endpoints"]]
    assert endpoints, "no endpoint"
    for endpoint in endpoints:
        assert sum(config.startswith(f"{endpoint}-") for config in configs) <= RETAINED_CONFIGS, configs
        serving = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        for variant in sagemaker.describe_endpoint_config(EndpointConfigName=serving)["ProductionVariants"]:
            sagemaker.describe_model(ModelName=variant["ModelName"])  # raises when the model is missing
    assert lock_item(url) is None


def lock_holds(log: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """(label, from, to) of every hold of a lock in a write log: from the end of the acquiring put to the start
    of the releasing delete (inf when never released), an interval within which the holder surely held it."""
    holds: list[tuple[str, float, float]] = []
    taken: dict[str, float] = {}
    for entry in log:
        if entry["refused"]:
            continue
        if is_lock_write(entry):
            taken[entry["label"]] = entry["end"]
        elif is_lock_write(entry, "dynamodb.DeleteItem"):
            holds.append((entry["label"], taken.pop(entry["label"]), entry["start"]))
    return holds + [(label, since, float("inf")) for label, since in taken.items()]


def assert_never_interleaved(log: list[dict[str, Any]], *, outside_the_lock: str = "bundle#") -> None:
    """No two runs held the lock at once, and no run wrote while another held it. A violation is reported only
    when certain: a write whose whole request-to-response interval falls inside another run's hold. Writes to
    state-store items whose pk starts with `outside_the_lock` are made after the lock by design (the reconciler
    Lambda marks a bundle applied once its run has released the lock) and are not checked."""
    holds = lock_holds(log)
    for label, since, until in holds:
        for other, other_since, other_until in holds:
            assert label == other or other_until <= since or until <= other_since, (holds, log)
        inside = [
            entry
            for entry in log
            if entry["label"] != label
            and not entry["refused"]
            and not str(entry["target"]).startswith(outside_the_lock)
            and since < entry["start"]
            and entry["end"] < until
        ]
        assert not inside, f"{label} held the lock from {since} to {until}, yet others wrote: {inside}"
