"""`modelctl apply` end to end on the served emulator: convergence, retraining, failures, guardrail rollbacks,
interruptions, concurrency and promotion — through the CLI and the orchestrator, over real boto3 calls.

The specs are tests/e2e/specs_small (one realtime model with pinned images, dev/stage/prod with prod promoted
from stage under approval), copied per test so edits stay local.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

from controller.cli.main import main
from controller.cli.session import Session, aws_for
from controller.errors import LockHeldError
from controller.local import control
from controller.plan.plan import Change
from controller.reconcile.health import ROLLED_BACK, Health
from controller.reconcile.orchestrate import ApplyOptions, ApplyRun, apply_environment
from controller.resources import Kind
from controller.spec.loader import load_catalog

ACCOUNT, REGION = "111122223333", "us-east-1"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:e2e-alerts"
SMALL_SPECS = Path(__file__).parent / "specs_small"


@pytest.fixture
def local(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MODELCTL_LOCAL_URL", emulator_url)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("MODELCTL_GIT_SHA", "e2e0000000000000000000000000000000000001")
    return emulator_url


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    shutil.copytree(SMALL_SPECS, tmp_path / "specs")
    return tmp_path / "specs"


def _client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION)


def _converge(specs: Path, env: str = "dev") -> int:
    return main(["apply", "--env", env, "--local", "--yes", "--wait", "--timeout", "2m", str(specs)])


def _edit(specs: Path, old: str, new: str) -> None:
    path = specs / "scorer.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@contextmanager
def _session(specs: Path, env: str = "dev") -> Iterator[tuple[Any, Session]]:
    catalog = load_catalog([str(specs)])
    with aws_for(catalog.environments[env], local=True) as session:
        yield catalog, session


def _apply(specs: Path, env: str = "dev", **options: Any) -> tuple[ApplyRun, Session]:
    with _session(specs, env) as (catalog, session):
        run = apply_environment(
            catalog,
            env,
            session.cloud,
            session.store,
            git_sha="e2e0000000000000000000000000000000000001",
            resolve_image=lambda *args: "unused",
            options=ApplyOptions(poll_seconds=0, **options),
        )
    return run, session


def _serving(url: str, endpoint: str = "scorer-dev") -> dict[str, str]:
    sagemaker = _client(url, "sagemaker")
    config_name = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    variants = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
    return {v["VariantName"]: v["ModelName"] for v in variants}


def _executions(url: str, machine: str = "modelctl-scorer-dev") -> list[dict[str, Any]]:
    sfn = _client(url, "stepfunctions")
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine}"
    return list(sfn.list_executions(stateMachineArn=arn)["executions"])


def _alerts_queue(url: str) -> str:
    sqs, sns = _client(url, "sqs"), _client(url, "sns")
    queue = sqs.create_queue(QueueName="e2e-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=TOPIC, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return str(queue)


def _alerts(url: str, queue: str) -> list[dict[str, Any]]:
    messages = _client(url, "sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_a_fresh_apply_converges_and_a_second_apply_writes_nothing(local: str, specs: Path) -> None:
    assert _converge(specs) == 0
    assert list(_serving(local)) == ["primary"]
    run, session = _apply(specs)
    assert run.result is None and not run.planned.plan.has_changes
    calls = session.cloud.clients.calls
    assert calls.writes == 0, calls.snapshot()  # not even the lock: a converged environment costs reads only


def test_a_hyperparameter_change_trains_once_and_deploys(local: str, specs: Path) -> None:
    assert _converge(specs) == 0
    first = _serving(local)["primary"]
    _edit(specs, "hyperparameters: {eta: 0.2}", "hyperparameters: {eta: 0.3}")
    assert _converge(specs) == 0
    second = _serving(local)["primary"]
    assert second != first and second.rsplit("-", 1)[0] != first.rsplit("-", 1)[0]  # a new training config
    jobs = _client(local, "sagemaker").list_training_jobs()["TrainingJobSummaries"]
    assert sorted(j["TrainingJobName"] for j in jobs) == sorted([first, second])  # one run per config, no more
    assert _converge(specs) == 0 and len(_executions(local)) == 2


def test_a_failed_training_notifies_keeps_serving_and_is_not_retried(local: str, specs: Path) -> None:
    assert _converge(specs) == 0
    first = _serving(local)["primary"]
    queue = _alerts_queue(local)
    control.configure(local, {"trainingJobs": {"fail": [{"namePrefix": "scorer-", "reason": "OOM in epoch 3"}]}})
    _edit(specs, "hyperparameters: {eta: 0.2}", "hyperparameters: {eta: 0.4}")
    assert _converge(specs) == 1  # stops as Degraded
    failed = [e for e in _executions(local) if e["status"] == "FAILED"]
    assert len(failed) == 1
    assert _serving(local)["primary"] == first  # the endpoint keeps serving the previous version
    alerts = [a for a in _alerts(local, queue) if a.get("event") == "pipelineFailed"]
    assert alerts and "OOM in epoch 3" in json.dumps(alerts[0])
    assert _converge(specs) == 1 and len(_executions(local)) == 2  # not retried until the spec changes
    # ...or until someone asks: the cause is fixed, `modelctl retrain` starts attempt 2 of the same config
    control.configure(local, {"trainingJobs": {"fail": []}})
    assert main(["retrain", "scorer", str(specs), "--env", "dev", "--local"]) == 0
    names = [e["name"] for e in _executions(local)]
    assert any(name.endswith("-a2") and name.startswith(failed[0]["name"]) for name in names)
    assert _converge(specs) == 0
    assert _serving(local)["primary"].startswith(failed[0]["name"])  # the retrained version of that config serves


def _roll_out_and_roll_back(local: str, specs: Path, eta: str) -> str:
    """Converge, change eta (a new training config), and roll the new version out while the errors alarm fires:
    SageMaker's guardrail rolls the endpoint back. Returns what served before (and serves again)."""
    assert _converge(specs) == 0
    first = _serving(local)["primary"]
    _edit(specs, "hyperparameters: {eta: 0.2}", f"hyperparameters: {{eta: {eta}}}")
    cloudwatch = _client(local, "cloudwatch")

    def alarm_on_rollout(change: Change) -> None:
        if change.ref.kind is Kind.ENDPOINT:
            cloudwatch.set_alarm_state(
                AlarmName="modelctl-scorer-dev-errors-primary", StateValue="ALARM", StateReason="5xx during canary"
            )

    rolled_out = False
    deadline = time.monotonic() + 60
    while not rolled_out and time.monotonic() < deadline:  # train the new config, then roll it out (alarm fires)
        run, _ = _apply(specs, after_write=alarm_on_rollout)
        rolled_out = run.result is not None and any(o.change.ref.kind is Kind.ENDPOINT for o in run.result.outcomes)
        time.sleep(0 if rolled_out else 0.5)
    assert rolled_out, "the new version was never rolled out"
    while _client(local, "sagemaker").describe_endpoint(EndpointName="scorer-dev")["EndpointStatus"] != "InService":
        time.sleep(0.2)
    assert _serving(local)["primary"] == first  # rolled back to the old fleet
    return first


def test_a_canary_whose_alarm_fires_rolls_back_is_reported_and_not_retried(local: str, specs: Path) -> None:
    _roll_out_and_roll_back(local, specs, "0.5")
    queue = _alerts_queue(local)  # the rollback is noticed, and notified, by the next apply
    _, session = _apply(specs)  # sees the rollback, records it, holds the endpoint
    assert session.cloud.clients.calls["sagemaker.UpdateEndpoint"] == 0
    assert main(["status", "--env", "dev", "--local", "--format", "json", str(specs)]) == 1
    _, session = _apply(specs)
    assert session.cloud.clients.calls["sagemaker.UpdateEndpoint"] == 0  # not retried
    with _session(specs) as (_, session):
        marks = session.store.rolled_back("dev")
    assert list(marks) == ["scorer-dev"]
    alerts = [a for a in _alerts(local, queue) if a.get("event") == "rollback"]
    assert alerts and alerts[0]["endpoint"] == "scorer-dev"


def test_a_fixed_spec_after_a_rollback_deploys_and_the_model_is_ready_again(
    local: str, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _roll_out_and_roll_back(local, specs, "0.5")
    _apply(specs)  # records the rollback: scorer is Degraded, RolledBack
    queue = _alerts_queue(local)
    _client(local, "cloudwatch").set_alarm_state(
        AlarmName="modelctl-scorer-dev-errors-primary", StateValue="OK", StateReason="fixed"
    )
    _edit(specs, "hyperparameters: {eta: 0.5}", "hyperparameters: {eta: 0.6}")  # the fix: another config
    assert _converge(specs) == 0  # trains it and deploys it: Ready, not held by the old mark
    assert _serving(local)["primary"].startswith(_executions(local)[0]["name"])  # the fixed version serves
    with _session(specs) as (_, session):
        assert session.store.rolled_back("dev") == {}  # the mark went with the rollout that replaced it
    capsys.readouterr()
    assert main(["status", "--env", "dev", "--local", "--format", "json", str(specs)]) == 0
    status = json.loads(capsys.readouterr().out)["models"][0]
    assert (status["health"], status["reason"]) == (Health.READY.value, "InSync")
    assert [a for a in _alerts(local, queue) if a.get("event") == "rollback"] == []  # no second, false rollback


def test_status_reports_a_standing_rollback_as_degraded(
    local: str, specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _converge(specs) == 0
    wanted = _client(local, "sagemaker").describe_endpoint(EndpointName="scorer-dev")["EndpointConfigName"]

    def status_after_mark(config: str) -> tuple[str, str]:
        with _session(specs) as (_, session):
            session.store.mark_rolled_back("dev", "scorer-dev", config, "alarm errors fired")
        capsys.readouterr()
        main(["status", "--env", "dev", "--local", "--format", "json", str(specs)])
        status = json.loads(capsys.readouterr().out)["models"][0]
        return status["health"], status["reason"]

    # a mark of a config the specs no longer want does not stand
    assert status_after_mark("scorer-dev-000000000000") == (Health.READY.value, "InSync")
    # the specs still want the rolled-back config: it is held, the model Degraded
    assert status_after_mark(wanted) == (Health.DEGRADED.value, ROLLED_BACK)


@pytest.mark.parametrize("crash_after", [1, 3, 5])
def test_an_interrupted_apply_is_finished_by_the_next_without_duplicate_training(
    local: str, specs: Path, crash_after: int
) -> None:
    writes: list[str] = []

    def crash(change: Change) -> None:
        writes.append(str(change.ref))
        if len(writes) == crash_after:
            raise KeyboardInterrupt  # the process is stopped midway: not an error the executor may swallow

    with pytest.raises(KeyboardInterrupt):
        _apply(specs, after_write=crash)
    assert len(writes) >= crash_after  # writes of the same wave already in flight finish
    assert _converge(specs) == 0
    assert len(_executions(local)) == 1  # the pipeline ran once for the config
    assert list(_serving(local)) == ["primary"]


def test_a_second_apply_during_the_first_is_refused_or_waits_and_never_interleaves(local: str, specs: Path) -> None:
    assert main(["plan", "--env", "dev", "--local", str(specs)]) == 0  # creates the emulator's prerequisites
    control.configure(local, {"delays": {"training": 30}})  # no version appears while the two applies run
    spans: dict[str, list[float]] = {"first": [], "waiter": []}
    refused: list[str] = []
    waited: list[ApplyRun] = []
    waiter: list[threading.Thread] = []

    def refused_run() -> None:
        try:
            _apply(specs, wait_seconds=0)
        except LockHeldError as exc:
            refused.append(str(exc))

    def waiting_run() -> None:
        run, _ = _apply(specs, wait_seconds=60, after_write=lambda change: spans["waiter"].append(time.monotonic()))
        waited.append(run)

    def first_hook(change: Change) -> None:
        spans["first"].append(time.monotonic())
        if len(spans["first"]) == 1:  # the first apply holds the lock now: start two more
            contender = threading.Thread(target=refused_run)
            contender.start()
            contender.join(timeout=60)
            waiter.append(threading.Thread(target=waiting_run))
            waiter[0].start()

    _apply(specs, after_write=first_hook)
    waiter[0].join(timeout=120)
    assert len(refused) == 1 and "is locked by" in refused[0]  # told who holds it
    # the waiter planned again once it had the lock, after the first had released it: the first had done it all
    # (the pipeline runs; the endpoint waits for its version), so it found nothing to do and wrote nothing
    assert len(waited) == 1 and waited[0].result is None and not waited[0].planned.plan.has_changes
    assert spans["waiter"] == []


def test_prod_serves_only_an_approved_stage_version_and_never_trains(local: str, specs: Path) -> None:
    assert _converge(specs, "stage") == 0  # stage trains; its version waits for approval
    sagemaker = _client(local, "sagemaker")
    packages = sagemaker.list_model_packages(ModelPackageGroupName="scorer-stage")["ModelPackageSummaryList"]
    assert [p["ModelApprovalStatus"] for p in packages] == ["PendingManualApproval"]
    assert _serving(local, "scorer-stage") == {"primary": packages[0]["ModelPackageDescription"]}  # stage serves it
    run, _ = _apply(specs, "prod")
    assert not any(o.change.ref.kind is Kind.PIPELINE_RUN for o in (run.result.outcomes if run.result else ()))
    assert "waiting for an Approved version" in " ".join(run.planned.desired.notes["scorer"])
    sagemaker.update_model_package(ModelPackageArn=packages[0]["ModelPackageArn"], ModelApprovalStatus="Approved")
    assert _converge(specs, "prod") == 0
    version = packages[0]["ModelPackageDescription"]
    assert _serving(local, "scorer-prod") == {"primary": version}  # promoted, not retrained
    assert sagemaker.list_training_jobs()["TrainingJobSummaries"][0]["TrainingJobName"] == version
    assert len(sagemaker.list_training_jobs()["TrainingJobSummaries"]) == 1


def test_drift_by_hand_is_planned_undone_and_notified(local: str, specs: Path) -> None:
    _edit(specs, "on: [pipelineFailed, rollback, degraded]", "on: [pipelineFailed, rollback, degraded, drift]")
    assert _converge(specs) == 0
    queue = _alerts_queue(local)
    sagemaker = _client(local, "sagemaker")
    sagemaker.update_endpoint_weights_and_capacities(  # someone scales the endpoint in the console
        EndpointName="scorer-dev", DesiredWeightsAndCapacities=[{"VariantName": "primary", "DesiredInstanceCount": 3}]
    )
    while sagemaker.describe_endpoint(EndpointName="scorer-dev")["EndpointStatus"] != "InService":
        time.sleep(0.2)
    run, _ = _apply(specs)
    assert run.result is not None
    assert [(o.change.ref.key, o.change.classification.value) for o in run.result.outcomes] == [
        ("scorer-dev", "weights_only")
    ]
    drift = [a for a in _alerts(local, queue) if a.get("event") == "drift"]
    assert drift and drift[0]["resources"] == ["sagemaker.endpoint/scorer-dev"]


def test_a_new_version_of_the_same_spec_rolls_forward_without_a_drift_notification(local: str, specs: Path) -> None:
    """A scheduled (or `modelctl retrain`) run registers a newer version of the current config; the next apply rolls
    the endpoint forward to it. The spec is the one last applied, but AWS did not drift: the desired state moved."""
    _edit(specs, "on: [pipelineFailed, rollback, degraded]", "on: [pipelineFailed, rollback, degraded, drift]")
    assert _converge(specs) == 0
    first = _serving(local)["primary"]
    queue = _alerts_queue(local)
    assert main(["retrain", "scorer", "--env", "dev", "--local", "--path", str(specs)]) == 0  # what a schedule does
    assert _converge(specs) == 0
    second = _serving(local)["primary"]
    assert second != first and second.rsplit("-", 1)[0] == first.rsplit("-", 1)[0]  # the same config, rolled forward
    assert [a for a in _alerts(local, queue) if a.get("event") == "drift"] == []
