"""Apply under injected AWS faults (issue 7): throttling, 503s, connection resets and lost responses at the botocore
layer of the controller's clients (tests/reliability/faults/fault_kit.py), on the served emulator with
tests/e2e/specs_small.

The promise: under 30% faults, repeated applies converge to the state a run without faults leaves, with every change
applied once or reported (an outcome per change, or an error the CLI prints), never lost, never a traceback.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aws_state import serving, snapshot
from fault_kit import Fault, FaultInjector, FaultPlan, Forced

from controller.aws.session import client_config
from controller.cli.main import main
from controller.cli.session import Session, aws_for
from controller.errors import ModelctlError
from controller.local import control
from controller.reconcile.executor import Status
from controller.reconcile.health import Health, model_status
from controller.reconcile.orchestrate import ApplyOptions, ApplyRun, apply_environment, plan_with_state
from controller.reconcile.result import PlanResult
from controller.reconcile.store import StateStore
from controller.resources import Kind
from controller.spec.catalog import Catalog
from controller.spec.loader import load_catalog

ACCOUNT, ENV = "111122223333", "dev"
GIT_SHA = "fa17000000000000000000000000000000000001"
SMALL_SPECS = Path(__file__).parents[2] / "e2e" / "specs_small"
EDIT = ("hyperparameters: {eta: 0.2}", "hyperparameters: {eta: 0.3}")
PASS_PAUSE = 0.3  # seconds between two passes (the CLI's `apply --wait` waits 1 s locally)
CONVERGE_SECONDS = 90  # a pass loop that has not converged by then fails the test
MAX_PASSES = 80
ATTEMPTS = 1 + client_config(1).retries["max_attempts"]  # botocore's max_attempts counts retries: 8 retries, 9 tries
POLL_SECONDS = 1  # the pipelines' poll interval, as `--local` runs them


def _use_emulator(patch: pytest.MonkeyPatch, url: str) -> None:
    patch.setenv("AWS_ENDPOINT_URL", url)
    patch.setenv("MODELCTL_LOCAL_URL", url)
    patch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)


def _copy_specs(folder: Path) -> Path:
    shutil.copytree(SMALL_SPECS, folder / "specs")
    return folder / "specs"


def _edit(specs: Path) -> None:
    path = specs / "scorer.yaml"
    old, new = EDIT
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))


@dataclass
class Passes:
    """What a pass loop saw: every ApplyRun, and the errors passes raised (what the CLI prints as `error: ...`)."""

    runs: list[ApplyRun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.runs) + len(self.errors)

    def outcomes(self, status: Status) -> list[str]:
        return [
            f"{o.change.ref}: {o.message}"
            for run in self.runs
            for o in (run.result.outcomes if run.result else ())
            if o.status is status
        ]


def _ready(catalog: Catalog, planned: PlanResult, store: StateStore) -> bool:
    """Every model of the environment Ready (what `modelctl status` exits 0 on)."""
    marks = {endpoint: mark.reason for endpoint, mark in store.rolled_back(ENV).items()}
    by_model = planned.plan.by_model()
    return all(
        model_status(entry.name, planned.desired, planned.observed, by_model.get(entry.name, ()), marks).health
        is Health.READY
        for entry in catalog.models_in(ENV)
    )


def converge(specs: Path, faults: FaultInjector | None = None) -> Passes:
    """Apply passes in one session, as `modelctl apply --wait` runs them, until a pass finds nothing to change and
    every model Ready; a new session when opening one failed (its STS call), as the next command would.

    A pass that raises a controller error counts as reported (the CLI prints it and exits 1); any other exception
    escapes and fails the test. Every pass that applied must have an outcome for every planned change, with a
    reason unless applied."""
    catalog = load_catalog([str(specs)])
    passes = Passes()
    deadline = time.monotonic() + CONVERGE_SECONDS
    while passes.count < MAX_PASSES and time.monotonic() < deadline:
        try:
            with aws_for(catalog.environments[ENV], local=True) as session:
                while passes.count < MAX_PASSES and time.monotonic() < deadline:
                    if _one_pass(catalog, session, passes):
                        return passes
                    time.sleep(PASS_PAUSE)
        except ModelctlError as error:
            passes.errors.append(f"opening the session: {type(error).__name__}: {error}")
    summary = faults.summary() if faults else "no faults"
    raise AssertionError(f"not converged after {passes.count} passes ({summary}): {passes}")


def _one_pass(catalog: Catalog, session: Session, passes: Passes) -> bool:
    """One apply pass, recorded in `passes`; True when it found the environment converged."""
    try:
        run = apply_environment(
            catalog,
            ENV,
            session.cloud,
            session.store,
            git_sha=GIT_SHA,
            resolve_image=lambda *args: "unused",
            options=ApplyOptions(poll_seconds=POLL_SECONDS),
        )
        passes.runs.append(run)
        if run.result is None:
            return _ready(catalog, run.planned, session.store)
    except ModelctlError as error:
        passes.errors.append(f"{type(error).__name__}: {error}")
        return False
    assert [o.change for o in run.result.outcomes] == list(run.planned.plan.changes)  # one outcome per change
    assert all(o.message for o in run.result.outcomes if o.status is not Status.APPLIED)
    return False


def _plan(specs: Path) -> dict[str, Any]:
    """The saved-plan JSON of a plan of ENV now (its changes and the digest of what it observed), without its time."""
    catalog = load_catalog([str(specs)])
    with aws_for(catalog.environments[ENV], local=True) as session:
        planned = plan_with_state(
            catalog,
            ENV,
            session.cloud.operations,
            session.store,
            git_sha=GIT_SHA,
            resolve_image=lambda *args: "unused",
            poll_seconds=POLL_SECONDS,
        )
    saved: dict[str, Any] = json.loads(planned.plan.to_json())
    del saved["createdAt"]
    return saved


@dataclass(frozen=True)
class CleanRun:
    """The state a run without faults leaves: after the first converge, and after the hyperparameter edit."""

    fresh: dict[str, Any]
    changed: dict[str, Any]


@pytest.fixture(scope="module")
def clean(emulator_server: Any, tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
    with pytest.MonkeyPatch.context() as patch:
        _use_emulator(patch, emulator_server.url)
        control.reset(emulator_server.url)
        specs = _copy_specs(tmp_path_factory.mktemp("clean"))
        converge(specs)
        fresh = snapshot(emulator_server.url, ENV)
        _edit(specs)
        converge(specs)
        return CleanRun(fresh, snapshot(emulator_server.url, ENV))


@pytest.fixture
def local(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    _use_emulator(monkeypatch, emulator_url)
    return emulator_url


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    return _copy_specs(tmp_path)


def _faults(monkeypatch: pytest.MonkeyPatch, plan: FaultPlan) -> FaultInjector:
    injector = FaultInjector(plan)
    injector.install(monkeypatch)
    return injector


# The writes of a fresh apply that a retry could turn into a duplicate or an error: each loses its first response.
FRESH_LOST = tuple(
    Forced(operation, Fault.LOST_RESPONSE)
    for operation in (
        "dynamodb.PutItem",  # the environment lock
        "ssm.PutParameter",
        "sagemaker.CreateModelPackageGroup",
        "stepfunctions.CreateStateMachine",
        "stepfunctions.StartExecution",
        "cloudwatch.PutMetricAlarm",
        "sagemaker.CreateEndpointConfig",
        "sagemaker.CreateEndpoint",
    )
)
# ...and those of a hyperparameter change: a new parameter version and label, a run, a config, a canary rollout.
CHANGE_LOST = tuple(
    Forced(operation, Fault.LOST_RESPONSE)
    for operation in (
        "dynamodb.PutItem",
        "ssm.PutParameter",
        "ssm.LabelParameterVersion",
        "stepfunctions.StartExecution",
        "sagemaker.CreateEndpointConfig",
        "sagemaker.UpdateEndpoint",
    )
)

# ...and those of pruning a removed spec: every delete, and the inventory's bookkeeping.
DELETE_LOST = tuple(
    Forced(operation, Fault.LOST_RESPONSE)
    for operation in (
        "dynamodb.PutItem",
        "cloudwatch.DeleteAlarms",
        "sagemaker.DeleteEndpoint",
        "sagemaker.DeleteEndpointConfig",
        "stepfunctions.DeleteStateMachine",
        "ssm.DeleteParameter",
        "dynamodb.BatchWriteItem",
    )
)


def _converge_under_faults(specs: Path, faults: FaultInjector, expected: dict[str, Any], url: str) -> Passes:
    """Converge with `faults` injected; the state must be `expected` (the clean run's), every fault kind seen."""
    passes = converge(specs, faults)
    assert snapshot(url, ENV) == expected, faults.summary()
    assert all(faults.injected(kind) > 0 for kind in Fault) and not faults.forced_pending(), faults.summary()
    assert not passes.outcomes(Status.FAILED), passes  # every lost response was absorbed, none reported as a failure
    return passes


def test_fresh_applies_under_30_percent_faults_converge_to_the_clean_state(
    clean: CleanRun, local: str, specs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = _faults(monkeypatch, FaultPlan(rate=0.3, seed=1, forced=FRESH_LOST))
    _converge_under_faults(specs, faults, clean.fresh, local)
    state = snapshot(local, ENV)
    runs = state["stateMachines"]["modelctl-scorer-dev"]["executions"]
    assert len(runs) == len(state["trainingJobs"]) == 1  # trained once
    assert state["trainingJobs"][0].startswith(runs[0][0])  # by the run of the training config


def test_a_change_under_faults_is_planned_the_same_then_trained_once_and_rolled_out(
    clean: CleanRun, local: str, specs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = _faults(monkeypatch, FaultPlan(rate=0.3, seed=2, forced=FRESH_LOST))
    _converge_under_faults(specs, faults, clean.fresh, local)
    _edit(specs)
    faults.plan = FaultPlan(rate=0)
    without_faults = _plan(specs)
    for seed in (3, 4):  # reads are retried: under faults the plan is the same (changes, observed digest)
        faults.plan = FaultPlan(rate=0.3, seed=seed)
        before = faults.injected()
        assert _plan(specs) == without_faults
        assert faults.injected() > before
    faults.plan = FaultPlan(rate=0.3, seed=5, forced=CHANGE_LOST)
    _converge_under_faults(specs, faults, clean.changed, local)
    state = snapshot(local, ENV)
    assert serving(state, "scorer-dev") != serving(clean.fresh, "scorer-dev")  # the new version serves
    assert len(state["trainingJobs"]) == 2  # one run per training config


def test_a_removed_spec_under_faults_is_pruned_and_forgotten(
    clean: CleanRun, local: str, specs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = _faults(monkeypatch, FaultPlan(rate=0.3, seed=6, forced=FRESH_LOST))
    _converge_under_faults(specs, faults, clean.fresh, local)
    (specs / "scorer.yaml").unlink()
    faults.plan = FaultPlan(rate=0.3, seed=7, forced=DELETE_LOST)
    passes = converge(specs, faults)
    history = ("pipeline.run#", "sagemaker.modelPackageGroup#")  # runs and the registry are never pruned
    assert snapshot(local, ENV) == {
        **clean.fresh,
        **{kind: {} for kind in ("parameters", "stateMachines", "endpointConfigs", "endpoints", "alarms")},
        "inventory": [item for item in clean.fresh["inventory"] if item.startswith(history)],  # the deleted forgotten
    }, faults.summary()
    assert not passes.outcomes(Status.FAILED), passes  # a delete resent after a lost answer found it gone: applied
    assert not faults.forced_pending()


def test_calls_failing_every_attempt_are_reported_or_retried_and_the_next_pass_finishes(
    local: str, specs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    forced = (
        Forced("sagemaker.ListModelPackageGroups", Fault.UNAVAILABLE, ATTEMPTS),  # the plan's first read
        Forced("sagemaker.CreateEndpointConfig", Fault.LOST_RESPONSE, ATTEMPTS),  # made, then every answer lost
    )
    faults = _faults(monkeypatch, FaultPlan(rate=0, forced=forced))
    assert main(["apply", "--env", ENV, "--local", "--yes", str(specs)]) == 1  # the read's failure is reported
    assert "ServiceUnavailable" in capsys.readouterr().err
    passes = converge(specs, faults)
    configs = [
        o
        for run in passes.runs
        for o in (run.result.outcomes if run.result else ())
        if o.change.ref.kind is Kind.ENDPOINT_CONFIG
    ]
    assert [(o.status, o.attempts) for o in configs] == [(Status.APPLIED, 2)]  # the executor's retry adopted it
    assert faults.injected() == 2 * ATTEMPTS and not faults.forced_pending()
    assert len(snapshot(local, ENV)["endpointConfigs"]) == 1


def test_the_lock_is_taken_kept_and_released_under_faults(
    local: str, specs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = _faults(
        monkeypatch, FaultPlan(rate=0.3, seed=8, forced=(Forced("dynamodb.PutItem", Fault.LOST_RESPONSE),))
    )
    catalog = load_catalog([str(specs)])
    with aws_for(catalog.environments[ENV], local=True) as session:
        with session.store.lock(ENV, lease_seconds=2.4) as lock:  # taken although its put's answer was lost
            deadline = time.monotonic() + 3.2
            while time.monotonic() < deadline:  # renewed every 0.8 s, through faults
                lock.check()
                time.sleep(0.1)
        assert session.store.table.get(f"lock#{ENV}", "lock") is None  # released
    assert not faults.forced_pending() and faults.requests["dynamodb.UpdateItem"] >= 3
