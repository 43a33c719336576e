"""The executor: applies a Plan wave by wave, in dependency order, with one Outcome per change.

A wave is every change whose dependencies (`Resource.depends_on`, among the plan's own changes) are done; changes
of one wave run concurrently on a bounded thread pool, waves one after another. A change whose dependency failed
or was skipped is skipped, saying which. Errors are handled by type, never by message (kopf's idea):

- TemporaryError (throttling, 5xx, a resource busy): retried with exponential backoff and jitter, at most
  `max_attempts` times; an endpoint that is not InService ("EndpointBusy") is not waited for but skipped, so the
  next reconcile, minutes later, finishes it;
- NotFoundError on a delete: the resource is gone, as wanted (a delete resent after its answer was lost finds
  nothing): applied;
- PermanentError and every other ModelctlError: the change fails; any other exception (a bug) also fails the change
  and is reported with its type. No exception escapes for one change; apply always returns every outcome.

Deletes in a protected environment are skipped unless `allow_delete`. `before_write` is called before every write
(the state lock's liveness check goes there: a lost lock stops the run before its next write) and `after_write`
after every successful one (inventory bookkeeping, crash-test hooks). No boto3.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

from controller.errors import ModelctlError, NotFoundError, TemporaryError
from controller.plan.plan import Action, Change, Plan
from controller.ports import ResourceOperations
from controller.resources import Kind, Observed, Ref, Resource

BUSY_CODE = "EndpointBusy"


class Status(StrEnum):
    APPLIED = "applied"  # the write succeeded (or found its own resource already as wanted)
    FAILED = "failed"  # the write failed for good; `message` says why
    SKIPPED = "skipped"  # not attempted: a dependency did not apply, deletes are not allowed, or a resource is busy


@dataclass(frozen=True)
class Outcome:
    """What happened to one change.

    change: the planned change; status: applied / failed / skipped; message: why, for people ("" when applied);
    attempts: how many times the write was tried (0 when skipped); seconds: time spent on it, retries included
    """

    change: Change
    status: Status
    message: str = ""
    attempts: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class ApplyResult:
    """Every outcome, in plan order. `ok` is True only when every change applied."""

    outcomes: tuple[Outcome, ...]

    @property
    def ok(self) -> bool:
        return all(outcome.status is Status.APPLIED for outcome in self.outcomes)

    def count(self, status: Status) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status is status)

    def summary(self) -> str:
        return (
            f"Apply: {self.count(Status.APPLIED)} applied, {self.count(Status.FAILED)} failed, "
            f"{self.count(Status.SKIPPED)} skipped"
        )


WriteHook = Callable[[Change], None]


@dataclass(frozen=True)
class Executor:
    """Applies plans through the adapter registry.

    operations: adapters by kind; max_workers: concurrent writes within a wave; max_attempts: tries per change on
    TemporaryError; base_delay: first backoff in seconds (doubled per attempt, capped at 30 s, with jitter);
    sleep: injectable for tests; before_write / after_write: hooks around every write (see the module docstring)
    """

    operations: Mapping[Kind, ResourceOperations]
    max_workers: int = 8
    max_attempts: int = 5
    base_delay: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    before_write: WriteHook | None = None
    after_write: WriteHook | None = None

    def apply(
        self,
        plan: Plan,
        desired: Mapping[Ref, Resource],
        observed: Mapping[Ref, Observed],
        *,
        allow_delete: bool = False,
    ) -> ApplyResult:
        """Apply every change of `plan`; `desired` and `observed` are what the plan was computed from."""
        results: dict[Ref, Outcome] = {}
        for wave in _waves(plan.changes, desired):
            ready: list[Change] = []
            for change in wave:
                blocker = _blocker(change, desired, results)
                if blocker:
                    results[change.ref] = Outcome(change, Status.SKIPPED, blocker)
                elif change.action is Action.DELETE and plan.protected and not allow_delete:
                    message = f"{plan.env} is protected: deletes need --allow-delete"
                    results[change.ref] = Outcome(change, Status.SKIPPED, message)
                else:
                    ready.append(change)
            with ThreadPoolExecutor(max_workers=max(1, min(self.max_workers, len(ready)))) as pool:
                for outcome in pool.map(lambda c: self._run(c, desired, observed), ready):
                    results[outcome.change.ref] = outcome
        return ApplyResult(tuple(results[change.ref] for change in plan.changes))

    def _run(self, change: Change, desired: Mapping[Ref, Resource], observed: Mapping[Ref, Observed]) -> Outcome:
        started = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            try:
                if self.before_write is not None:
                    self.before_write(change)
                self._write(change, desired, observed)
            except TemporaryError as exc:
                if exc.code == BUSY_CODE:
                    return self._outcome(
                        change, Status.SKIPPED, f"{exc} (the next reconcile retries)", attempts, started
                    )
                if attempts >= self.max_attempts:
                    return self._outcome(change, Status.FAILED, f"{exc} (after {attempts} attempts)", attempts, started)
                self.sleep(self._backoff(attempts, exc.delay))
                continue
            except NotFoundError as exc:
                if change.action is not Action.DELETE:
                    return self._outcome(change, Status.FAILED, str(exc), attempts, started)
            except ModelctlError as exc:
                return self._outcome(change, Status.FAILED, str(exc), attempts, started)
            except Exception as exc:  # a bug must not hide the other changes' outcomes
                return self._outcome(change, Status.FAILED, f"{type(exc).__name__}: {exc}", attempts, started)
            if self.after_write is not None:
                self.after_write(change)
            return self._outcome(change, Status.APPLIED, "", attempts, started)

    def _write(self, change: Change, desired: Mapping[Ref, Resource], observed: Mapping[Ref, Observed]) -> None:
        adapter = self.operations[change.ref.kind]
        if change.action is Action.CREATE:
            adapter.create(desired[change.ref])
        elif change.action is Action.UPDATE:
            adapter.update(desired[change.ref], observed[change.ref])
        elif change.action is Action.DELETE:
            adapter.delete(observed[change.ref])

    def _backoff(self, attempt: int, hinted: float) -> float:
        delay: float = min(30.0, max(hinted, self.base_delay * 2 ** (attempt - 1)))
        return delay * random.uniform(0.5, 1.0)

    @staticmethod
    def _outcome(change: Change, status: Status, message: str, attempts: int, started: float) -> Outcome:
        return Outcome(change, status, message, attempts, time.monotonic() - started)


def _waves(changes: Sequence[Change], desired: Mapping[Ref, Resource]) -> list[list[Change]]:
    """Creates and updates grouped into waves, each after every change of the plan it depends on; then the
    deletes, one at a time in plan order (the reverse of the dependency order), after everything else."""
    deletes = [[change] for change in changes if change.action is Action.DELETE]
    changes = [change for change in changes if change.action is not Action.DELETE]
    in_plan = {change.ref for change in changes}
    level: dict[Ref, int] = {}
    for change in changes:  # plan order is already topological, so dependencies have their level
        resource = desired.get(change.ref)
        depends = [ref for ref in (resource.depends_on if resource else ()) if ref in in_plan and ref in level]
        level[change.ref] = 1 + max((level[ref] for ref in depends), default=-1)
    waves: list[list[Change]] = [[] for _ in range(1 + max(level.values(), default=-1))]
    for change in changes:
        waves[level[change.ref]].append(change)
    return waves + deletes


def _blocker(change: Change, desired: Mapping[Ref, Resource], results: Mapping[Ref, Outcome]) -> str:
    resource = desired.get(change.ref)
    for ref in resource.depends_on if resource else ():
        done = results.get(ref)
        if done is not None and done.status is not Status.APPLIED:
            return f"skipped: {ref} did not apply ({done.status})"
    return ""
