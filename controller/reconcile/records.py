"""The state-store records an apply keeps besides its AWS changes: the inventory (remembered before a create,
forgotten after a delete, so only what the controller made is ever pruned), the guardrail rollback marks a new
rollout of their endpoint ends, and the history record of the apply.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence

from controller.plan.plan import Action, Change
from controller.reconcile.executor import ApplyResult, Outcome
from controller.reconcile.result import PlanResult
from controller.reconcile.store import ApplyRecord, ModelRecord, Revision, Serving, StateStore
from controller.resources import SPEC_DIGEST_TAG, Kind


def remember_before_create(env: str, change: Change, store: StateStore) -> None:
    """Inventory a resource before it is created: only inventoried resources are ever pruned, so one recorded
    after its create would be left forever by a run killed in between (the next plan adopts it as it is). A
    record of a create that then fails names nothing: the plan finds no such resource to delete."""
    if change.action is Action.CREATE:
        store.remember(env, [(change.ref.kind.value, change.ref.key, change.model)])


def bookkeep(
    env: str,
    change: Change,
    store: StateStore,
    hook: Callable[[Change], None] | None,
    rolled_back: Collection[str] = (),
) -> None:
    """After a successful write: forget what was deleted, end the rollback mark of an endpoint just written (the
    rollout of another config: its own rollback, if any, is a new one; `rolled_back`: the marked endpoints), then
    call the caller's hook."""
    if change.action is Action.DELETE:
        store.forget(env, [(change.ref.kind.value, change.ref.key)])
    if change.ref.kind is Kind.ENDPOINT and change.ref.key in rolled_back:
        store.clear_rolled_back(env, change.ref.key)
    if hook is not None:
        hook(change)


def apply_record(env: str, planned: PlanResult, result: ApplyResult, started: float, who: str) -> ApplyRecord:
    records = []
    for model, outcomes in sorted(by_model(result.outcomes).items()):
        endpoint = next(
            (r for r in planned.desired.resources if r.model == model and r.ref.kind is Kind.ENDPOINT), None
        )
        serving = tuple(
            Serving(str(v["name"]), str(v["model"]), float(v["weight"]))
            for v in (endpoint.properties.get("variants", ()) if endpoint else ())
        )
        tags = next((r.tags for r in planned.desired.resources if r.model == model), {})
        counts = Counter(o.status.value for o in outcomes)
        records.append(
            ModelRecord(
                model,
                tags.get(SPEC_DIGEST_TAG, ""),
                planned.desired.config_ids.get(model, ""),
                serving,
                tuple(sorted(counts.items())),
                tuple(
                    f"{o.change.action.value} {o.change.ref} [{o.status.value}] {o.message}".rstrip() for o in outcomes
                ),
            )
        )
    revision = Revision(env, planned.plan.git_sha, planned.plan.observed_digest, started, time.time(), who)
    return ApplyRecord(revision, tuple(records))


def by_model(outcomes: Sequence[Outcome]) -> dict[str, list[Outcome]]:
    grouped: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        grouped.setdefault(outcome.change.model, []).append(outcome)
    return grouped
