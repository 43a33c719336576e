"""Guardrail rollbacks, in one place: telling from an observed endpoint that SageMaker rolled its last update back,
marking it in the state store (so the same config is not retried until the spec changes), notifying the model's
owners once, and holding the endpoint out of the desired state while its mark stands. The mark itself is a
controller.reconcile.store.RollbackMark; status reports it as health ROLLED_BACK while it holds the endpoint.

A mark's life: made when a rollback is first seen; it holds the endpoint while the specs want exactly the config
that was rolled back; it goes when the controller next writes the endpoint (the rollout of another config, which
a spec change brought). Until that write the endpoint still reports the old rollback (its FailureReason stays until
an update completes), so the mark is also what says that rollback is known: it is never taken for a rollback of
the config the specs want now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from controller.desired.state import DesiredState
from controller.ports import Cloud
from controller.reconcile.result import PlanResult
from controller.reconcile.store import StateStore
from controller.resources import Kind, Observed, Resource


def rollback_of(observed: Observed) -> str | None:
    """The FailureReason when SageMaker rolled the endpoint's last update back, else None.

    DescribeEndpoint after an auto-rollback (deployment guardrails: an AutoRollbackConfiguration alarm fired, the
    deployment timed out, or the new fleet failed) shows EndpointStatus InService on the OLD config, with
    LastDeploymentConfig (the update's DeploymentConfig) and a FailureReason; a completed update clears
    FailureReason, and a failed create is status Failed, not a rollback. Pure: reads the Observed only.
    """
    reason = observed.extra.get("failureReason")
    if observed.status == "InService" and reason and observed.extra.get("lastDeploymentConfig"):
        return str(reason)
    return None


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
    """Whether an endpoint shows a rollback that no mark records yet."""
    marks = store.rolled_back(env)
    return any(r.ref.key not in marks for r, _ in rollbacks(planned))


def note_rollbacks(env: str, planned: PlanResult, store: StateStore, cloud: Cloud) -> None:
    """Mark (and notify) every rollback no mark records yet: the rollout of the config the specs want now."""
    marks = store.rolled_back(env)
    for resource, reason in rollbacks(planned):
        if resource.ref.key in marks:
            continue  # the rollback of an earlier config, already recorded and notified
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


def standing(desired: DesiredState, rolled_back: Mapping[str, str]) -> frozenset[str]:
    """The endpoints whose wanted config is the one a guardrail rolled back (rolled_back: endpoint -> rolled-back
    config): their marks stand. A mark of an endpoint whose specs want another config, or none yet, does not."""
    return frozenset(
        r.ref.key
        for r in desired.resources
        if r.ref.kind is Kind.ENDPOINT and rolled_back.get(r.ref.key) == r.properties.get("endpointConfigName")
    )


def hold_rolled_back(desired: DesiredState, rolled_back: Mapping[str, str]) -> DesiredState:
    """The desired state without the endpoints whose marks stand (see `standing`); they are listed in `held`
    instead, so the rollout is not retried until the spec changes."""
    endpoints = standing(desired, rolled_back)
    held = {r.ref for r in desired.resources if r.ref.kind is Kind.ENDPOINT and r.ref.key in endpoints}
    if not held:
        return desired
    return replace(
        desired,
        resources=tuple(r for r in desired.resources if r.ref not in held),
        held=desired.held | held,
    )
