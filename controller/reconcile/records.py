"""What an apply leaves behind besides AWS changes: inventory bookkeeping, guardrail rollback marks, notifications
only the reconciler can send (rollback, drift, degraded) and the history record. Called by controller.reconcile.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from controller.aws.cloud import Cloud
from controller.aws.sagemaker_endpoints import rollback_of
from controller.plan.plan import Action, Change
from controller.reconcile.executor import ApplyResult, Outcome, Status
from controller.reconcile.store import ApplyRecord, ModelRecord, Revision, Serving, StateStore
from controller.resources import SPEC_DIGEST_TAG, Kind, Resource

if TYPE_CHECKING:
    from controller.reconcile.orchestrate import PlanResult


def remember_before_create(env: str, change: Change, store: StateStore) -> None:
    """Inventory a resource before it is created: only inventoried resources are ever pruned, so one recorded
    after its create would be left forever by a run killed in between (the next plan adopts it as it is). A
    record of a create that then fails names nothing: the plan finds no such resource to delete."""
    if change.action is Action.CREATE:
        store.remember(env, [(change.ref.kind.value, change.ref.key, change.model)])


def bookkeep(env: str, change: Change, store: StateStore, hook: Callable[[Change], None] | None) -> None:
    """After a successful write: forget what was deleted, then call the caller's hook."""
    if change.action is Action.DELETE:
        store.forget(env, [(change.ref.kind.value, change.ref.key)])
    if hook is not None:
        hook(change)


def rollbacks(planned: PlanResult) -> list[tuple[Resource, str]]:
    """Endpoints SageMaker rolled back from the config the specs still want: (desired endpoint, reason)."""
    found = []
    for resource in planned.desired.resources:
        seen = planned.observed.get(resource.ref) if resource.ref.kind is Kind.ENDPOINT else None
        reason = rollback_of(seen) if seen is not None else None
        wanted = resource.properties.get("endpointConfigName")
        if seen is not None and reason is not None and seen.properties.get("endpointConfigName") != wanted:
            found.append((resource, reason))
    return found


def new_rollbacks(planned: PlanResult, store: StateStore, env: str) -> bool:
    marks = store.rolled_back(env)
    return any(
        marks.get(r.ref.key) is None or marks[r.ref.key].config_name != r.properties.get("endpointConfigName")
        for r, _ in rollbacks(planned)
    )


def note_rollbacks(env: str, planned: PlanResult, store: StateStore, cloud: Cloud) -> None:
    for resource, reason in rollbacks(planned):
        wanted = str(resource.properties.get("endpointConfigName"))
        store.mark_rolled_back(env, resource.ref.key, wanted, reason)
        notify = planned.desired.notify.get(resource.model)
        if notify is not None and notify.topic is not None and notify.wants("rollback"):
            cloud.notify(
                notify.topic,
                f"modelctl: {resource.ref.key} rolled back",
                {
                    "event": "rollback",
                    "model": resource.model,
                    "env": env,
                    "endpoint": resource.ref.key,
                    "rolledBackConfig": wanted,
                    "reason": reason,
                    "gitSha": planned.plan.git_sha,
                    "summary": f"{resource.model} in {env}: the rollout to {wanted} was rolled back ({reason}); "
                    "it is not retried until the spec changes",
                },
            )


def apply_record(env: str, planned: PlanResult, result: ApplyResult, started: float, who: str) -> ApplyRecord:
    records = []
    for model, outcomes in sorted(_by_model(result.outcomes).items()):
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


def notify_outcomes(env: str, planned: PlanResult, result: ApplyResult, store: StateStore, cloud: Cloud) -> None:
    """`drift`: a model whose spec is the one last applied had AWS changed under it (the apply put it back);
    `degraded`: a change of the model failed. Each model's owners choose the events (notifications.on)."""
    digests = {r.model: r.tags.get(SPEC_DIGEST_TAG, "") for r in planned.desired.resources}
    for model, outcomes in _by_model(result.outcomes).items():
        notify = planned.desired.notify.get(model)
        if notify is None or notify.topic is None:
            continue
        failed = [o for o in outcomes if o.status is Status.FAILED]
        updates = [o for o in outcomes if o.change.action is not Action.CREATE and o.status is Status.APPLIED]
        base = {
            "model": model,
            "env": env,
            "gitSha": planned.plan.git_sha,
            "configId": planned.desired.config_ids.get(model),
        }
        if failed and notify.wants("degraded"):
            lines = [f"{o.change.ref}: {o.message}" for o in failed]
            cloud.notify(
                notify.topic,
                f"modelctl: {model} in {env} degraded",
                {
                    **base,
                    "event": "degraded",
                    "failures": lines,
                    "summary": f"{model} in {env}: {len(failed)} change(s) failed; first: {lines[0]}",
                },
            )
        if updates and notify.wants("drift"):
            last = store.history(env, model, limit=1)
            if last and last[0].record.spec_digest == digests.get(model):
                changed = [str(o.change.ref) for o in updates]
                cloud.notify(
                    notify.topic,
                    f"modelctl: drift undone on {model} in {env}",
                    {
                        **base,
                        "event": "drift",
                        "resources": changed,
                        "summary": f"{model} in {env}: {len(changed)} resource(s) had drifted from the applied spec "
                        "and were put back",
                    },
                )


def _by_model(outcomes: Sequence[Outcome]) -> dict[str, list[Outcome]]:
    grouped: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        grouped.setdefault(outcome.change.model, []).append(outcome)
    return grouped
