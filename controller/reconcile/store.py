"""The controller's state store: the per-environment lock, the history of applied plans, the inventory used to
prune, guardrail rollback marks, applied-bundle marks and how far pipeline endings were notified.

Pure logic over an injected `Table` (controller.ports): on AWS that is `controller.aws.statetable.StateTable` (DynamoDB,
table `modelctl-state`, string keys `pk` and `sk`); in unit tests an in-memory fake with the same conditional
semantics. The reconciler holds the lock around observe -> apply and writes history, inventory and marks after
apply; `modelctl history` reads the history.

Item layout (every item has `pk` and `sk`; times are epoch seconds unless named ISO):

    pk                          sk                        attributes
    lock#<env>                  lock                      holder (who#token), who, since, expires
    history#<env>               <ISO finished>#<git sha>  git_sha, plan_digest, started, finished, who, models (JSON)
    history#<env>#<model>       <ISO finished>#<git sha>  the same header, record (JSON of a ModelRecord)
    inventory#<env>             <kind>#<key>              kind, key, model
    rolledback#<env>            <endpoint>                config_name, reason, when
    bundle#<env>                <bundle git sha>          applied, who
    endings#<env>               <state machine>           until (the newest stop notified), who

The lock is a conditional put (absent, or its lease expired); a heartbeat thread extends the lease every third of
it, on condition the holder is still us, and the release is a delete on the same condition. A run that crashes
leaves a lock that the next run takes once the lease has passed.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import NamedTuple

from controller.errors import ConflictError, LockHeldError, LockLostError, ModelctlError
from controller.ports import Condition, Item, Table, Value


class Serving(NamedTuple):
    """One variant of an endpoint after the apply: its name, the model version it serves, its traffic weight."""

    variant: str
    version: str
    weight: float


@dataclass(frozen=True)
class ModelRecord:
    """What one applied plan did to one model.

    model: the model's name; spec_digest: digest of its spec as applied; config_id: its training config's id;
    serving: the endpoint's variants afterwards; outcomes: (status, count) pairs summing the model's change outcomes,
    e.g. (("applied", 3), ("failed", 0)); changes: one line per change, as the plan printed it.
    """

    model: str
    spec_digest: str
    config_id: str
    serving: tuple[Serving, ...] = ()
    outcomes: tuple[tuple[str, int], ...] = ()
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Revision:
    """One applied plan, as a header shared by its records.

    env: the environment; git_sha: the commit the specs came from; plan_digest: digest of the plan applied;
    started / finished: epoch seconds of the apply; who: the user or role that ran it.
    """

    env: str
    git_sha: str
    plan_digest: str
    started: float
    finished: float
    who: str


@dataclass(frozen=True)
class ApplyRecord:
    """What `record_apply` stores: the revision and one record per model the plan touched."""

    revision: Revision
    models: tuple[ModelRecord, ...]


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a model's history: the revision applied and what it did to the model."""

    revision: Revision
    record: ModelRecord


@dataclass(frozen=True)
class AppliedPlan:
    """One line of an environment's history: the revision and the names of the models it touched."""

    revision: Revision
    models: tuple[str, ...]


@dataclass(frozen=True)
class RollbackMark:
    """A guardrail rollback: config_name is the endpoint config that failed (not retried until the spec changes),
    reason why it was rolled back, when the epoch seconds it was marked."""

    config_name: str
    reason: str
    when: float


def iso(epoch: float) -> str:
    """Epoch seconds as a sortable UTC ISO 8601 text with microseconds."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class StateStore:
    """The store's public face. table: the Table; who: the user or role acting (recorded everywhere); clock and
    sleep: time sources, injected by tests."""

    def __init__(
        self,
        table: Table,
        *,
        who: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table = table
        self.who = who
        self.clock = clock
        self.sleep = sleep

    def lock(
        self, env: str, *, lease_seconds: float = 300, wait_seconds: float = 0, poll: float = 1.0
    ) -> EnvironmentLock:
        """A context manager holding env's lock (see EnvironmentLock); raises LockHeldError on entry if another
        run holds it for longer than wait_seconds."""
        return EnvironmentLock(self, env, lease=lease_seconds, wait=wait_seconds, poll=poll)

    # History

    def record_apply(self, record: ApplyRecord) -> None:
        """Store one item for the environment and one per model (see the layout)."""
        revision = record.revision
        header: dict[str, Value] = {
            "sk": f"{iso(revision.finished)}#{revision.git_sha}",
            "git_sha": revision.git_sha,
            "plan_digest": revision.plan_digest,
            "started": revision.started,
            "finished": revision.finished,
            "who": revision.who,
        }
        models = json.dumps([model.model for model in record.models])
        items = [{**header, "pk": f"history#{revision.env}", "models": models}]
        items += [
            {**header, "pk": f"history#{revision.env}#{model.model}", "record": json.dumps(asdict(model))}
            for model in record.models
        ]
        self.table.put_many(items)

    def history(self, env: str, model: str, limit: int = 50) -> list[HistoryEntry]:
        """The model's applied revisions in env, newest first."""
        items = self.table.query(f"history#{env}#{model}", newest_first=True, limit=limit)
        return [HistoryEntry(_revision(env, item), _model_record(str(item["record"]))) for item in items]

    def applies(self, env: str, limit: int = 50) -> list[AppliedPlan]:
        """The plans applied to env, newest first."""
        items = self.table.query(f"history#{env}", newest_first=True, limit=limit)
        return [AppliedPlan(_revision(env, item), tuple(json.loads(str(item["models"])))) for item in items]

    # Inventory

    def remember(self, env: str, refs: Iterable[tuple[str, str, str]]) -> None:
        """Record (kind, key, model) resources as created by the controller in env, now."""
        created = self.clock()
        self.table.put_many(
            {
                "pk": f"inventory#{env}",
                "sk": f"{kind}#{key}",
                "kind": kind,
                "key": key,
                "model": model,
                "created": created,
            }
            for kind, key, model in refs
        )

    def forget(self, env: str, refs: Iterable[tuple[str, str]]) -> None:
        """Drop (kind, key) resources from env's inventory (after deleting them)."""
        self.table.delete_many((f"inventory#{env}", f"{kind}#{key}") for kind, key in refs)

    def inventory(self, env: str) -> set[tuple[str, str]]:
        """Every (kind, key) the controller created in env and has not forgotten."""
        return set(self.created(env))

    def created(self, env: str) -> dict[tuple[str, str], float]:
        """The inventory with when each resource was created (epoch seconds; 0 for records older than that)."""
        return {
            (str(item["kind"]), str(item["key"])): float(item.get("created", 0))
            for item in self.table.query(f"inventory#{env}")
        }

    # Guardrail rollbacks

    def mark_rolled_back(self, env: str, endpoint: str, config_name: str, reason: str) -> None:
        """Remember that endpoint's config_name was rolled back, so it is not retried until the spec changes."""
        self.table.put(
            {
                "pk": f"rolledback#{env}",
                "sk": endpoint,
                "config_name": config_name,
                "reason": reason,
                "when": self.clock(),
            }
        )

    def rolled_back(self, env: str) -> dict[str, RollbackMark]:
        """The rollback marks in env, by endpoint."""
        return {
            str(item["sk"]): RollbackMark(str(item["config_name"]), str(item["reason"]), float(item["when"]))
            for item in self.table.query(f"rolledback#{env}")
        }

    def clear_rolled_back(self, env: str, endpoint: str) -> None:
        """Forget endpoint's rollback mark (its spec changed)."""
        self.table.delete(f"rolledback#{env}", endpoint)

    # Applied bundles

    def mark_bundle_applied(self, env: str, sha: str) -> None:
        """Remember that the bundle built from commit `sha` was fully applied to env."""
        self.table.put({"pk": f"bundle#{env}", "sk": sha, "applied": self.clock(), "who": self.who})

    def bundle_applied(self, env: str, sha: str) -> bool:
        """Whether the bundle built from commit `sha` was fully applied to env."""
        return self.table.get(f"bundle#{env}", sha) is not None

    # Pipeline endings the reconciler notified (executions that ran no Catch: controller.reconcile.pipeline_alerts)

    def endings_notified(self, env: str, machine: str) -> float | None:
        """The stop time (epoch seconds) of the newest ending of `machine` already notified, None if none was."""
        item = self.table.get(f"endings#{env}", machine)
        return float(item["until"]) if item is not None else None

    def advance_endings(self, env: str, machine: str, until: float) -> bool:
        """Record that `machine`'s endings up to `until` are notified; False (nothing written) when another run
        already recorded as much, so each ending is notified by one run only."""
        condition = Condition(when_absent=True, below=(("until", until),))
        try:
            self.table.put(
                {"pk": f"endings#{env}", "sk": machine, "until": until, "who": self.who}, condition=condition
            )
        except ConflictError:
            return False
        return True

    def reset_endings(self, env: str, machine: str, until: float | None) -> None:
        """Put `machine`'s mark back to `until` (None: no mark) after its notification could not be sent."""
        if until is None:
            self.table.delete(f"endings#{env}", machine)
        else:
            self.table.put({"pk": f"endings#{env}", "sk": machine, "until": until, "who": self.who})

    def last_applied_bundle(self, env: str) -> str | None:
        """The commit of the bundle applied to env most recently, if any."""
        items = self.table.query(f"bundle#{env}")
        return str(max(items, key=lambda item: float(item["applied"]))["sk"]) if items else None


def _revision(env: str, item: Item) -> Revision:
    return Revision(
        env=env,
        git_sha=str(item["git_sha"]),
        plan_digest=str(item["plan_digest"]),
        started=float(item["started"]),
        finished=float(item["finished"]),
        who=str(item["who"]),
    )


def _model_record(text: str) -> ModelRecord:
    data = json.loads(text)
    return ModelRecord(
        model=data["model"],
        spec_digest=data["spec_digest"],
        config_id=data["config_id"],
        serving=tuple(Serving(*variant) for variant in data["serving"]),
        outcomes=tuple((status, count) for status, count in data["outcomes"]),
        changes=tuple(data["changes"]),
    )


class EnvironmentLock:
    """One run's hold on one environment's lock, as a context manager (from StateStore.lock).

    On entry: a conditional put of the lock item (absent, or its lease expired), retried every `poll` seconds
    for up to `wait` seconds while another run holds it, then LockHeldError naming the holder. A refused put that
    finds our own holder stored means the lock is ours: the put went through, its answer was lost and botocore
    resent it. While held: a heartbeat thread extends the lease every lease/3 seconds, on condition the holder is
    still us; `lost` turns true when a renewal is refused (another run took the lock after it expired) or the lease
    ran out unrenewed, and `check()` then raises LockLostError, so the executor can stop before its next write. On
    exit: the heartbeat stops and the item is deleted if it is still ours.
    """

    def __init__(self, store: StateStore, env: str, *, lease: float, wait: float, poll: float) -> None:
        self.store = store
        self.env = env
        self.lease = lease
        self.wait = wait
        self.poll = poll
        self.holder = f"{store.who}#{secrets.token_hex(8)}"
        self.expires = 0.0
        self._pk = f"lock#{env}"
        self._ours = Condition(equal=(("holder", self.holder),))
        self._refused = threading.Event()
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name=f"lock-heartbeat-{env}", daemon=True)

    @property
    def lost(self) -> bool:
        """True once the lock may belong to someone else."""
        return self._refused.is_set() or self.store.clock() >= self.expires

    def check(self) -> None:
        """Raise LockLostError if the lock may belong to someone else."""
        if self.lost:
            raise LockLostError(f"lost the lock on environment {self.env!r}: its lease ran out or it was taken")

    def __enter__(self) -> EnvironmentLock:
        self._acquire()
        self._heartbeat.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._heartbeat.join()
        try:
            self.store.table.delete(self._pk, "lock", condition=self._ours)
        except ConflictError:
            self._refused.set()

    def _acquire(self) -> None:
        clock, table = self.store.clock, self.store.table
        deadline = clock() + self.wait
        while True:
            now = clock()
            item = {"pk": self._pk, "sk": "lock", "holder": self.holder, "who": self.store.who}
            try:
                table.put(
                    {**item, "since": now, "expires": now + self.lease},
                    condition=Condition(when_absent=True, below=(("expires", now),)),
                )
            except ConflictError:
                current = table.get(self._pk, "lock")
                if current is None:
                    continue  # released between our put and our read: try again at once
                if current.get("holder") == self.holder:  # our put went through, its answer was lost and retried
                    self.expires = float(current["expires"])
                    return
                if clock() >= deadline:
                    raise self._held(current) from None
                self.store.sleep(max(0.0, min(self.poll, deadline - clock())))
            else:
                self.expires = now + self.lease
                return

    def _held(self, current: Item) -> LockHeldError:
        holder, since, expires = str(current["holder"]), float(current["since"]), float(current["expires"])
        left = max(0.0, expires - self.store.clock())
        return LockHeldError(
            f"environment {self.env!r} is locked by {holder} since {iso(since)}; "
            f"its lease expires at {iso(expires)} (in {left:.0f} s) unless renewed",
            holder=holder,
            since=since,
            expires=expires,
        )

    def _beat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            expires = self.store.clock() + self.lease
            try:
                self.store.table.update(self._pk, "lock", {"expires": expires}, condition=self._ours)
            except ConflictError:
                self._refused.set()
                return
            except ModelctlError:
                continue  # a failed renewal is retried at the next beat; `lost` turns true if the lease runs out
            self.expires = expires
