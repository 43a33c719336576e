"""Time-based lifecycle of SageMaker endpoints in the embedded emulator.

moto makes every endpoint InService at once. Here a change records a small timeline when it starts
(`start_*`), and the moto endpoint is brought up to date whenever something reads it (`advance_endpoint`, called
by controller.local.sagemaker_ext before moto answers). Nothing runs in the background: the status a caller
sees is a pure function of the clock, the timeline, the knobs (controller.local.control) captured when the
change started, and the CloudWatch alarms' state history.

Timelines (AWS: UpdateEndpoint, DescribeEndpoint, "Deployment guardrails" in the SageMaker developer guide):
    create   Creating --(delays.endpoint)--> InService, or Failed with FailureReason (injected failure)
    update   Updating: the new fleet provisions (delays.endpoint), then the baking periods of the
             BlueGreenUpdatePolicy run (ALL_AT_ONCE: 1, CANARY: 2, LINEAR: one per step, each
             WaitIntervalInSeconds x bakeScale), then TerminationWaitInSeconds x bakeScale; meanwhile
             DescribeEndpoint keeps the old EndpointConfigName and shows PendingDeploymentSummary. Then
             InService with the new config. If an AutoRollbackConfiguration alarm is in ALARM at any moment
             of the baking periods, the deployment exceeds MaximumExecutionTimeoutInSeconds (both counted
             without provisioning), or a failure is injected (at the end of provisioning): RollingBack
             (delays.endpoint), then InService with the OLD config and a FailureReason saying why.
    weights  UpdateEndpointWeightsAndCapacities: Updating (Desired* new, Current* old) for delays.endpoint,
             then InService with Current* = Desired*.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends

from controller.local.control import Knobs, failure_for

# moto's FakeEndpoint, mutated in place: moto serialises their attributes
# (snake_case attribute -> CamelCase response member), so setting e.g. `pending_deployment_summary`
# makes DescribeEndpoint return PendingDeploymentSummary.
MotoEndpoint = Any

LOCK = threading.RLock()  # moto's server answers requests from several threads


def _dt(seconds: float) -> datetime:
    """Epoch seconds as moto's naive-UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC).replace(tzinfo=None)


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


def variant_summary(variant: dict[str, Any]) -> dict[str, Any]:
    """DescribeEndpoint ProductionVariantSummary for one endpoint-config ProductionVariant.

    InitialVariantWeight defaults to 1.0 and 0.0 is a valid weight (API_ProductionVariant)."""
    weight = variant.get("InitialVariantWeight")
    summary: dict[str, Any] = {"VariantName": variant["VariantName"]}
    summary["CurrentWeight"] = summary["DesiredWeight"] = 1.0 if weight is None else float(weight)
    if variant.get("InitialInstanceCount") is not None:
        summary["CurrentInstanceCount"] = summary["DesiredInstanceCount"] = variant["InitialInstanceCount"]
    if variant.get("ServerlessConfig") is not None:
        summary["CurrentServerlessConfig"] = summary["DesiredServerlessConfig"] = variant["ServerlessConfig"]
    return summary


@dataclass(frozen=True, kw_only=True)
class _EndpointChange:
    kind: str  # "create" | "update" | "weights"
    started: float
    bake_start: float  # new fleet provisioned: alarms are watched from here...
    bake_end: float  # ...until here
    done: float
    config_name: str  # what the endpoint serves once done
    variants: list[dict[str, Any]]
    where: tuple[str, str]  # account id, region (of the CloudWatch alarms)
    pending_variants: list[dict[str, Any]] = field(default_factory=list)  # PendingDeploymentSummary's
    previous: tuple[str, list[dict[str, Any]]] | None = None  # config and variants to roll back to
    alarms: tuple[str, ...] = ()
    timeout_at: float | None = None
    injected_failure: str | None = None
    rollback_seconds: float = 0.0


_endpoint_changes: weakref.WeakKeyDictionary[Any, _EndpointChange] = weakref.WeakKeyDictionary()


def _pending_summary(change: _EndpointChange, at: float) -> dict[str, Any]:
    status = "Creating" if at < change.bake_start else "Baking"
    variants = []
    for variant in change.pending_variants:
        summary = {
            key: variant[source]
            for key, source in (("DesiredInstanceCount", "InitialInstanceCount"), ("InstanceType", "InstanceType"))
            if variant.get(source) is not None
        }
        variants.append(
            {
                "VariantName": variant["VariantName"],
                "DesiredWeight": variant_summary(variant)["DesiredWeight"],
                **summary,
                "VariantStatus": [{"Status": status, "StartTime": _dt(change.started)}],
            }
        )
    return {"EndpointConfigName": change.config_name, "StartTime": _dt(change.started), "ProductionVariants": variants}


def _bake_plan(
    deployment_config: dict[str, Any] | None, variants: list[dict[str, Any]]
) -> tuple[float, float, float | None]:
    """(seconds of baking, termination wait, execution timeout) of a DeploymentConfig, in AWS seconds."""
    policy = (deployment_config or {}).get("BlueGreenUpdatePolicy")
    if not policy:
        return 0.0, 0.0, None
    routing = policy["TrafficRoutingConfiguration"]
    steps = {"ALL_AT_ONCE": 1, "CANARY": 2}.get(routing["Type"])
    if steps is None:  # LINEAR: one baking period per step
        size = routing["LinearStepSize"]
        total = 100 if size["Type"] == "CAPACITY_PERCENT" else sum(v.get("InitialInstanceCount", 1) for v in variants)
        steps = math.ceil(total / size["Value"])
    return (
        steps * float(routing.get("WaitIntervalInSeconds", 0)),
        float(policy.get("TerminationWaitInSeconds", 0)),
        policy.get("MaximumExecutionTimeoutInSeconds"),
    )


def _quick_change(kind: str, endpoint: MotoEndpoint, knobs: Knobs, **details: Any) -> _EndpointChange:
    """A change without baking periods, done once delays.endpoint has passed."""
    started = time.time()
    done = started + knobs.delays.endpoint
    return _EndpointChange(
        kind=kind,
        started=started,
        bake_start=done,
        bake_end=done,
        done=done,
        config_name=endpoint.endpoint_config_name,
        where=_account_region(endpoint),
        **details,
    )


def start_create(endpoint: MotoEndpoint, config_variants: list[dict[str, Any]], knobs: Knobs) -> None:
    """CreateEndpoint: the endpoint is Creating until delays.endpoint has passed."""
    with LOCK:
        change = _quick_change(
            "create",
            endpoint,
            knobs,
            variants=endpoint.production_variants,
            pending_variants=config_variants,
            injected_failure=failure_for(knobs.endpoints.fail, endpoint.endpoint_name),
        )
        _endpoint_changes[endpoint] = change
        endpoint.endpoint_status = "Creating"
        endpoint.pending_deployment_summary = _pending_summary(change, change.started)


def start_update(
    endpoint: MotoEndpoint,
    config_name: str,
    config_variants: list[dict[str, Any]],
    variants: list[dict[str, Any]],
    deployment_config: dict[str, Any] | None,
    knobs: Knobs,
) -> None:
    """UpdateEndpoint: Updating while the new fleet provisions and bakes (see the module docstring)."""
    with LOCK:
        started = time.time()
        scale = knobs.delays.bake_scale
        bake, termination, timeout = _bake_plan(deployment_config, config_variants)
        bake_start = started + knobs.delays.endpoint
        alarms = (deployment_config or {}).get("AutoRollbackConfiguration", {}).get("Alarms", [])
        change = _EndpointChange(
            kind="update",
            started=started,
            bake_start=bake_start,
            bake_end=bake_start + bake * scale,
            done=bake_start + (bake + termination) * scale,
            config_name=config_name,
            variants=variants,
            pending_variants=config_variants,
            previous=(endpoint.endpoint_config_name, endpoint.production_variants),
            alarms=tuple(alarm["AlarmName"] for alarm in alarms),
            timeout_at=None if timeout is None or timeout >= bake + termination else bake_start + timeout * scale,
            injected_failure=failure_for(knobs.endpoints.fail, endpoint.endpoint_name),
            rollback_seconds=knobs.delays.endpoint,
            where=_account_region(endpoint),
        )
        _endpoint_changes[endpoint] = change
        endpoint.endpoint_status = "Updating"
        endpoint.last_deployment_config = deployment_config
        endpoint.pending_deployment_summary = _pending_summary(change, started)


def start_weights(endpoint: MotoEndpoint, desired: list[dict[str, Any]], knobs: Knobs) -> None:
    """UpdateEndpointWeightsAndCapacities: Desired* values now, Current* values once the change is done.

    A DesiredWeightAndCapacity without DesiredWeight or DesiredInstanceCount leaves that value as it is."""
    with LOCK:
        by_name = {entry["VariantName"]: entry for entry in desired}
        during, after = [], []
        for variant in endpoint.production_variants:
            entry = by_name.get(variant["VariantName"], {})
            wanted = dict(variant)
            if entry.get("DesiredWeight") is not None:
                wanted["DesiredWeight"] = float(entry["DesiredWeight"])
            if entry.get("DesiredInstanceCount") is not None:
                wanted["DesiredInstanceCount"] = entry["DesiredInstanceCount"]
            settled = dict(wanted, CurrentWeight=wanted.get("DesiredWeight"))
            if "DesiredInstanceCount" in wanted:
                settled["CurrentInstanceCount"] = wanted["DesiredInstanceCount"]
            during.append(wanted)
            after.append(settled)
        _endpoint_changes[endpoint] = _quick_change("weights", endpoint, knobs, variants=after)
        endpoint.endpoint_status = "Updating"
        endpoint.production_variants = during


def _account_region(endpoint: MotoEndpoint) -> tuple[str, str]:
    _, _, _, region, account_id, _ = endpoint.arn.split(":", 5)
    return account_id, region


def _alarm_trip(change: _EndpointChange) -> tuple[float, str] | None:
    """The first moment of the baking periods at which one of the rollback alarms was in ALARM, and its name.

    Reads moto's alarm history (one ("StateUpdate", reason, data, state, since) entry per past state)."""
    account_id, region = change.where
    alarms = cloudwatch_backends[account_id][region].alarms
    trips = []
    for name in change.alarms:
        alarm = alarms.get(name)
        if alarm is None:
            continue
        states = [(_epoch(h[4]), h[3]) for h in alarm.history if h[0] == "StateUpdate"]
        states.append((_epoch(alarm.state_updated_timestamp), alarm.state_value))
        for (since, state), (until, _) in zip(states, [*states[1:], (math.inf, "")], strict=True):
            start = max(since, change.bake_start)
            if state == "ALARM" and start < min(until, change.bake_end):
                trips.append((start, name))
    return min(trips, default=None)


def _rollback(change: _EndpointChange) -> tuple[float, str] | None:
    """When an update starts rolling back, and the FailureReason it leaves, if it does."""
    previous = change.previous[0] if change.previous else ""
    causes = []
    if change.injected_failure:
        causes.append((change.bake_start, change.injected_failure))
    if trip := _alarm_trip(change):
        causes.append(
            (
                trip[0],
                f"Endpoint update rolled back to endpoint configuration {previous}: "
                f"CloudWatch alarm {trip[1]} went into ALARM state during the deployment.",
            )
        )
    if change.timeout_at is not None:
        causes.append(
            (
                change.timeout_at,
                f"Endpoint update rolled back to endpoint configuration {previous}: "
                "the deployment exceeded MaximumExecutionTimeoutInSeconds.",
            )
        )
    return min(causes, default=None)


def _settle(
    endpoint: MotoEndpoint,
    status: str,
    at: float,
    config: str,
    variants: list[dict[str, Any]],
    failure_reason: str | None,
) -> None:
    del _endpoint_changes[endpoint]
    endpoint.endpoint_status = status
    endpoint.endpoint_config_name = config
    endpoint.production_variants = variants
    endpoint.failure_reason = failure_reason
    endpoint.pending_deployment_summary = None
    endpoint.last_modified_time = _dt(at)


def advance_endpoint(endpoint: MotoEndpoint) -> None:
    """Bring the endpoint's status, config and variants to what they are now."""
    with LOCK:
        change = _endpoint_changes.get(endpoint)
        if change is None:
            return
        now = time.time()
        rollback = _rollback(change) if change.kind == "update" else None
        if rollback is not None and now >= rollback[0] and change.previous is not None:
            if now < rollback[0] + change.rollback_seconds:
                endpoint.endpoint_status = "RollingBack"
                endpoint.pending_deployment_summary = None
            else:
                _settle(endpoint, "InService", rollback[0] + change.rollback_seconds, *change.previous, rollback[1])
        elif now < change.done:
            if change.kind != "weights":
                endpoint.pending_deployment_summary = _pending_summary(change, now)
        elif change.kind == "create" and change.injected_failure:
            _settle(endpoint, "Failed", change.done, change.config_name, change.variants, change.injected_failure)
        else:
            _settle(endpoint, "InService", change.done, change.config_name, change.variants, None)


def in_progress(endpoint: MotoEndpoint) -> bool:
    """True while a create, update, weights change or rollback is under way."""
    with LOCK:
        advance_endpoint(endpoint)
        return endpoint in _endpoint_changes
