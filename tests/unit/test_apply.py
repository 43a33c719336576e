"""The executor on fake adapters: waves in dependency order, retries by error type, an outcome per change. Pure."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from controller.errors import PermanentError, TemporaryError
from controller.plan.plan import Plan, build_plan
from controller.reconcile.executor import BUSY_CODE, Executor, Status
from controller.resources import MANAGED_TAG, Kind, Observed, Ref, Resource

TAGS = {MANAGED_TAG: "true"}
PARAM = Ref(Kind.PARAMETER, "/modelctl/dev/m/hyperparameters")
MACHINE = Ref(Kind.STATE_MACHINE, "modelctl-m-dev")
RUN = Ref(Kind.PIPELINE_RUN, "modelctl-m-dev/m-0123456789ab")
ALARM = Ref(Kind.ALARM, "modelctl-m-dev-errors")
OLD = Ref(Kind.ALARM, "modelctl-m-dev-old")


class FakeAdapter:
    """Records writes in a shared journal; `failures` scripts the errors a ref raises, one per attempt."""

    def __init__(self, kind: Kind, journal: list[str], failures: dict[Ref, list[Exception]]) -> None:
        self.kind = kind
        self.journal = journal
        self.failures = failures
        self.lock = threading.Lock()

    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        raise AssertionError("the executor must not read")

    def _write(self, verb: str, ref: Ref) -> None:
        with self.lock:
            scripted = self.failures.get(ref)
            if scripted:
                raise scripted.pop(0)
            self.journal.append(f"{verb} {ref}")

    def create(self, resource: Resource) -> None:
        self._write("create", resource.ref)

    def update(self, resource: Resource, observed: Observed) -> None:
        self._write("update", resource.ref)

    def delete(self, observed: Observed) -> None:
        self._write("delete", observed.ref)


def _world(protected: bool = False) -> tuple[Plan, dict[Ref, Resource], dict[Ref, Observed]]:
    resources = [
        Resource(PARAM, "m", {"value": "{}", "type": "String"}, TAGS),
        Resource(MACHINE, "m", {"definitionDigest": "d", "roleArn": "r"}, TAGS, (PARAM,)),
        Resource(RUN, "m", {"configId": "m-0123456789ab"}, TAGS, (MACHINE, PARAM)),
        Resource(ALARM, "m", {"threshold": 5}, TAGS),
    ]
    observed = {
        ALARM: Observed(ALARM, {"threshold": 1}, TAGS),
        OLD: Observed(OLD, {"threshold": 1}, TAGS),
    }
    plan = build_plan("dev", resources, observed, git_sha="abc", inventory={OLD}, protected=protected)
    return plan, {r.ref: r for r in resources}, observed


def _executor(journal: list[str], failures: dict[Ref, list[Exception]] | None = None) -> Executor:
    scripted = failures or {}
    operations = {kind: FakeAdapter(kind, journal, scripted) for kind in Kind}
    return Executor(operations, sleep=lambda seconds: None)  # type: ignore[arg-type]


def test_changes_apply_in_dependency_order_then_deletes() -> None:
    journal: list[str] = []
    plan, desired, observed = _world()
    result = _executor(journal).apply(plan, desired, observed)
    assert result.ok and result.summary() == "Apply: 5 applied, 0 failed, 0 skipped"
    assert journal.index(f"create {PARAM}") < journal.index(f"create {MACHINE}") < journal.index(f"create {RUN}")
    assert journal[-1] == f"delete {OLD}"


def test_throttling_is_retried_and_applied_once() -> None:
    journal: list[str] = []
    plan, desired, observed = _world()
    failures: dict[Ref, list[Exception]] = {PARAM: [TemporaryError("Rate exceeded", code="ThrottlingException")] * 2}
    result = _executor(journal, failures).apply(plan, desired, observed)
    outcome = next(o for o in result.outcomes if o.change.ref == PARAM)
    assert (outcome.status, outcome.attempts) == (Status.APPLIED, 3)
    assert journal.count(f"create {PARAM}") == 1


def test_a_permanent_failure_skips_its_dependents_and_nothing_escapes() -> None:
    journal: list[str] = []
    plan, desired, observed = _world()
    failures: dict[Ref, list[Exception]] = {MACHINE: [PermanentError("AccessDenied")], ALARM: [KeyError("bug")]}
    result = _executor(journal, failures).apply(plan, desired, observed)
    status = {o.change.ref: (o.status, o.message) for o in result.outcomes}
    assert status[MACHINE] == (Status.FAILED, "AccessDenied")
    assert status[RUN][0] is Status.SKIPPED and str(MACHINE) in status[RUN][1]
    assert status[ALARM] == (Status.FAILED, "KeyError: 'bug'")
    assert status[PARAM][0] is Status.APPLIED and not result.ok


def test_a_busy_endpoint_is_left_for_the_next_reconcile() -> None:
    journal: list[str] = []
    plan, desired, observed = _world()
    failures: dict[Ref, list[Exception]] = {ALARM: [TemporaryError("endpoint is Updating", code=BUSY_CODE)]}
    result = _executor(journal, failures).apply(plan, desired, observed)
    outcome = next(o for o in result.outcomes if o.change.ref == ALARM)
    assert outcome.status is Status.SKIPPED and "next reconcile" in outcome.message and outcome.attempts == 1


def test_retries_are_bounded() -> None:
    journal: list[str] = []
    plan, desired, observed = _world()
    failures: dict[Ref, list[Exception]] = {PARAM: [TemporaryError("503", code="ServiceUnavailable")] * 9}
    result = _executor(journal, failures).apply(plan, desired, observed)
    outcome = next(o for o in result.outcomes if o.change.ref == PARAM)
    assert (outcome.status, outcome.attempts) == (Status.FAILED, 5)


def test_protected_environments_delete_only_when_allowed() -> None:
    plan, desired, observed = _world(protected=True)
    journal: list[str] = []
    refused = _executor(journal).apply(plan, desired, observed)
    old = next(o for o in refused.outcomes if o.change.ref == OLD)
    assert old.status is Status.SKIPPED and "--allow-delete" in old.message
    assert f"delete {OLD}" not in journal
    allowed = _executor(journal).apply(plan, desired, observed, allow_delete=True)
    assert allowed.ok and f"delete {OLD}" in journal


def test_hooks_run_around_every_write() -> None:
    plan, desired, observed = _world()
    seen: list[str] = []
    base = _executor([])
    executor = Executor(
        base.operations,
        sleep=base.sleep,
        before_write=lambda change: seen.append(f"before {change.ref}"),
        after_write=lambda change: seen.append(f"after {change.ref}"),
    )
    assert executor.apply(plan, desired, observed).ok
    assert len(seen) == 2 * len(plan.changes)
