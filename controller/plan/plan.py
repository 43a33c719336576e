"""The plan: an immutable, printable, savable list of changes that converges one environment to its specs.

`build_plan()` runs `controller.plan.diff`, classifies every change (what kind of event it is for the model: a retrain,
a new fleet, a weight shift, a config edit, a delete), attaches its capacity impact (`controller.plan.capacity`), orders
the changes for apply and records a digest of the observed state it was computed from, so applying a saved plan
after AWS moved on is refused (`Plan.check_fresh`).

As in terraform's internal/plans: `Change{action, before, after}`; `reason` is for people only and apply branches on
`action` and `ref.kind`, never on `reason` or `classification`. Action, FieldChange and Conflict are defined in
controller.plan.diff and re-exported here.

JSON shape (`Plan.to_json`, "planVersion": 1; `from_json` refuses any other version)::

    {"planVersion": 1, "env": "prod", "protected": true, "gitSha": "9f1c2e7...", "createdAt": "2026-11-25T12:00:00Z",
     "observedDigest": "sha256:<64 hex>",
     "conflicts": [{"kind": "sagemaker.endpoint", "key": "churn-xgb-prod", "model": "churn-xgb", "message": "..."}],
     "changes": [{"action": "create" | "update" | "delete", "kind": "<Kind value>", "key": "<AWS name>",
                  "model": "churn-xgb", "classification": "retrain" | "new_fleet" | "weights_only" | "config_only"
                  | "delete", "reason": "...", "before": {...} | null, "after": {...} | null,
                  "fieldChanges": [{"path": "variants[primary].weight", "before": 90, "after": 100}],
                  "capacity": null | {"training": [{"instanceType": "ml.m5.xlarge", "count": 1}], "trainingHours": 2.0,
                                      "spot": false, "before": [...], "after": [...], "rolloutExtra": [...],
                                      "rolloutHours": 0.33, "cost": null | {"currency": "USD", "trainingMax": 0.46,
                                      "hourlyBefore": null, "hourlyAfter": null, "rolloutExtra": null},
                                      "notes": ["..."]}}]}
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from controller import naming
from controller.errors import PlanError
from controller.plan import capacity, fleet_rules
from controller.plan.capacity import Capacity, Instances, PriceTable
from controller.plan.diff import Action, Conflict, FieldChange, ResourceDiff, diff, leaves
from controller.resources import Kind, Observed, Ref, Resource

__all__ = [
    "PLAN_VERSION",
    "Action",
    "Change",
    "Classification",
    "Conflict",
    "FieldChange",
    "Plan",
    "build_plan",
    "observed_digest",
]

PLAN_VERSION = 1
_KIND_ORDER = {kind: index for index, kind in enumerate(Kind)}
_STRATEGIES = {"ALL_AT_ONCE": "allAtOnce", "CANARY": "canary", "LINEAR": "linear"}  # SageMaker's routing types


class Classification(StrEnum):
    """What a change means for the model, for reviewers (apply does not branch on it)."""

    RETRAIN = "retrain"  # a pipeline run starts: no version of the current training config exists yet
    NEW_FLEET = "new_fleet"  # an endpoint moves to a new endpoint config: new instances, blue/green rollout;
    #                          the endpoint config created for it carries the same classification
    WEIGHTS_ONLY = "weights_only"  # same endpoint config; live weights or instance counts go back to the spec
    CONFIG_ONLY = "config_only"  # any other create or update (parameters, schedules, alarms, ...): no instances move
    DELETE = "delete"  # a managed resource no longer in the specs is removed


@dataclass(frozen=True)
class Change:
    """One planned change to one resource (terraform's plans.Change).

    action: what apply does; ref: kind and AWS name; model: the owning model; before: the observed properties as
    compared, None for a create; after: the desired properties, None for a delete; reason: why, for people only;
    classification: what it means for the model; field_changes: the differing leaves (every leaf for a create or a
    delete); capacity: instances and money it moves, None where nothing moves
    """

    action: Action
    ref: Ref
    model: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str
    classification: Classification
    field_changes: tuple[FieldChange, ...] = ()
    capacity: Capacity | None = None


@dataclass(frozen=True)
class Plan:
    """Everything to do in one environment, in apply order, and the state it was computed from.

    env: the environment's name; protected: the environment is protected (deletes need --allow-delete);
    changes: creates and updates in dependency order (topological by `Resource.depends_on`, then `Kind` order, then
    key), then deletes in the reverse of that order; NOOPs are not listed; conflicts: desired names held by resources
    the controller does not own (the plan cannot be applied while any remain); observed_digest: `observed_digest()`
    of the state the plan was computed from; git_sha: the specs' commit; created_at: when, ISO-8601 UTC
    """

    env: str
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    observed_digest: str
    git_sha: str
    created_at: str
    protected: bool = False

    @property
    def has_changes(self) -> bool:
        """True when apply would change anything."""
        return bool(self.changes)

    def by_model(self) -> dict[str, tuple[Change, ...]]:
        """The changes grouped by model, models sorted by name, changes in plan order."""
        groups: dict[str, list[Change]] = {}
        for change in self.changes:
            groups.setdefault(change.model, []).append(change)
        return {model: tuple(groups[model]) for model in sorted(groups)}

    def check_fresh(self, observed: Mapping[Ref, Observed]) -> None:
        """Raise PlanError when `observed` is not the state this plan was computed from."""
        if observed_digest(observed) != self.observed_digest:
            raise PlanError(f"the plan for {self.env} is stale: AWS changed since it was made; plan again")

    def to_json(self) -> str:
        """The versioned JSON shape in the module docstring."""
        return json.dumps(
            {
                "planVersion": PLAN_VERSION,
                "env": self.env,
                "protected": self.protected,
                "gitSha": self.git_sha,
                "createdAt": self.created_at,
                "observedDigest": self.observed_digest,
                "conflicts": [
                    {"kind": str(c.ref.kind), "key": c.ref.key, "model": c.model, "message": c.message}
                    for c in self.conflicts
                ],
                "changes": [_change_dict(c) for c in self.changes],
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Read a saved plan; PlanError when it is not a plan of this version."""
        try:
            data = json.loads(text)
            if data.get("planVersion") != PLAN_VERSION:
                raise PlanError(f"unsupported plan version {data.get('planVersion')!r}; expected {PLAN_VERSION}")
            return cls(
                env=data["env"],
                changes=tuple(_change_from(c) for c in data["changes"]),
                conflicts=tuple(
                    Conflict(Ref(Kind(c["kind"]), c["key"]), c["model"], c["message"]) for c in data["conflicts"]
                ),
                observed_digest=data["observedDigest"],
                git_sha=data["gitSha"],
                created_at=data["createdAt"],
                protected=bool(data["protected"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise PlanError(f"not a modelctl plan: {error!r}") from error


def build_plan(
    env: str,
    desired: Sequence[Resource],
    observed: Mapping[Ref, Observed],
    *,
    git_sha: str,
    inventory: Collection[Ref] | None = None,
    claimed: Sequence[Resource] = (),
    protected: bool = False,
    prices: PriceTable | None = None,
    now: datetime | None = None,
) -> Plan:
    """Diff, classify, cost and order; `inventory` and `claimed` as in `controller.plan.diff.diff`, `now` for
    reproducible plans."""
    result = diff(desired, observed, inventory=inventory, claimed=claimed)
    ordered = _order(d for d in result.diffs if d.action is not Action.NOOP)
    fleets = {str(d.after["endpointConfigName"]): d.ref.key for d in ordered if d.after and _is_new_fleet(d)}
    trained = _training_identities(result.diffs)
    changes = tuple(_classify(d, fleets, observed, prices, trained) for d in ordered)
    created = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Plan(env, changes, result.conflicts, observed_digest(observed), git_sha, created, protected)


def observed_digest(observed: Mapping[Ref, Observed]) -> str:
    """`sha256:<hex>` of the canonical JSON of an observed state (every ref, property, tag, status and extra)."""
    state = [
        {
            "kind": str(ref.kind),
            "key": ref.key,
            "properties": o.properties,
            "tags": o.tags,
            "status": o.status,
            "extra": o.extra,
        }
        for ref, o in sorted(observed.items(), key=lambda item: (str(item[0].kind), item[0].key))
    ]
    canonical = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _order(diffs: Iterable[ResourceDiff]) -> tuple[ResourceDiff, ...]:
    """Creates/updates topologically (ties by Kind order, then key), then deletes in reverse Kind order."""
    pending = list(diffs)
    deletes = sorted((d for d in pending if d.action is Action.DELETE), key=_rank, reverse=True)
    live = {d.ref: d for d in pending if d.action is not Action.DELETE}
    needs = {
        ref: {dep for dep in (d.desired.depends_on if d.desired else ()) if dep in live and dep != ref}
        for ref, d in live.items()
    }
    users: dict[Ref, list[Ref]] = {}
    for ref, deps in needs.items():
        for dep in deps:
            users.setdefault(dep, []).append(ref)
    ready = [(_rank(live[ref]), ref) for ref, deps in needs.items() if not deps]
    heapq.heapify(ready)
    ordered: list[ResourceDiff] = []
    while ready:
        _, ref = heapq.heappop(ready)
        ordered.append(live[ref])
        for user in users.get(ref, ()):
            needs[user].discard(ref)
            if not needs[user]:
                heapq.heappush(ready, (_rank(live[user]), user))
    if len(ordered) != len(live):
        stuck = sorted(str(ref) for ref, deps in needs.items() if deps)
        raise PlanError(f"dependency cycle among: {', '.join(stuck)}")
    return (*ordered, *deletes)


def _rank(d: ResourceDiff) -> tuple[int, str]:
    return _KIND_ORDER[d.ref.kind], d.ref.key


def _is_new_fleet(d: ResourceDiff) -> bool:
    """An endpoint created, or pointed at another endpoint config."""
    return d.ref.kind is Kind.ENDPOINT and (
        d.action is Action.CREATE or any(c.path == "endpointConfigName" for c in d.field_changes)
    )


def _training_identities(diffs: Iterable[ResourceDiff]) -> dict[str, tuple[Any, Any]]:
    """model -> (the training identity AWS last recorded, the one the spec asks for), from each model's
    training-config parameter (`value.identity`: source, image, training): what a RETRAIN names as changed."""
    found: dict[str, tuple[Any, Any]] = {}
    for d in diffs:
        if d.ref.kind is Kind.PARAMETER and d.ref.key.endswith("/training-config") and d.observed and d.desired:
            before, after = d.observed.properties.get("value"), d.desired.properties.get("value")
            if isinstance(before, Mapping) and isinstance(after, Mapping):
                found[d.model] = (before.get("identity"), after.get("identity"))
    return found


def _classify(
    d: ResourceDiff,
    fleets: Mapping[str, str],
    observed: Mapping[Ref, Observed],
    prices: PriceTable | None,
    trained: Mapping[str, tuple[Any, Any]],
) -> Change:
    """The Change for one actionable diff: classification, reason and capacity."""
    paths = ", ".join(c.path for c in d.field_changes)
    cost: Capacity | None = None
    if d.action is Action.DELETE:
        kind, reason = Classification.DELETE, "no longer in the specs"
        if d.ref.kind is Kind.ENDPOINT and d.observed is not None:
            cost = capacity.endpoint(_live_fleet(d.observed, observed), (), new_fleet=False, prices=prices)
    elif d.ref.kind is Kind.PIPELINE_RUN and d.action is Action.CREATE and d.desired is not None:
        kind, reason = Classification.RETRAIN, _retrain_reason(d.desired, trained.get(d.model))
        hours = _input(d.desired, "instanceHours") or _input(d.desired, "capacity")
        cost = capacity.retrain(hours, prices) if hours else None
    elif d.ref.kind is Kind.ENDPOINT and d.desired is not None:
        new = _is_new_fleet(d)
        kind = Classification.NEW_FLEET if new else Classification.WEIGHTS_ONLY
        rollout = _rollout(d.desired)
        reason = _fleet_reason(d.desired, rollout) if new else f"live endpoint differs from the spec: {paths}"
        if new and d.observed is not None:
            rollout, reason = _fleet_rules(d.desired, d.observed, observed, rollout, reason)
        before = _live_fleet(d.observed, observed) if d.observed is not None else ()
        after = _desired_fleet(d.desired, None if new else d.observed)
        cost = capacity.endpoint(before, after, new_fleet=new, rollout=rollout, prices=prices)
    elif d.ref.kind is Kind.ENDPOINT_CONFIG and d.ref.key in fleets:
        kind, reason = Classification.NEW_FLEET, f"endpoint config for the new fleet of endpoint {fleets[d.ref.key]}"
    else:
        kind = Classification.CONFIG_ONLY
        reason = "does not exist" if d.action is Action.CREATE else f"differs from the spec: {paths}"
    fields = _state_changes(d) if d.ref.kind is Kind.STATE_MACHINE else d.field_changes
    if d.ref.kind is Kind.STATE_MACHINE and d.action is Action.UPDATE:
        reason = f"pipeline differs from the spec: {', '.join(c.path for c in fields)}"
    return Change(d.action, d.ref, d.model, d.before, d.after, reason, kind, fields, cost)


def _fleet_rules(
    endpoint: Resource,
    live: Observed,
    observed: Mapping[Ref, Observed],
    rollout: Mapping[str, Any] | None,
    reason: str,
) -> tuple[Mapping[str, Any] | None, str]:
    """The rollout and reason of a new fleet on a live endpoint, as SageMaker will run it (fleet_rules): all at once
    when the variant names change, and the autoscaled variants deregistered around the update."""
    live_names = [str(v["name"]) for v in live.extra.get("variants", [])]
    wanted = {str(v["name"]): str(v["instanceType"]) for v in endpoint.properties.get("variants", [])}
    if rollout and rollout.get("strategy") != "allAtOnce" and not fleet_rules.guardrails_kept(live_names, wanted):
        name = endpoint.properties.get("endpointConfigName")
        rollout, reason = None, f"new fleet on endpoint config {name} ({fleet_rules.rollout_note(live_names, wanted)})"
    config = observed.get(Ref(Kind.ENDPOINT_CONFIG, str(live.properties.get("endpointConfigName", ""))))
    live_types = {str(v["name"]): str(v.get("instanceType")) for v in (config.properties["variants"] if config else [])}
    registered = [v for v in live_names if Ref(Kind.SCALING_TARGET, naming.scaling_target(live.ref.key, v)) in observed]
    released = fleet_rules.autoscaling_released(live_types, wanted, registered)
    return rollout, reason + ("; " + fleet_rules.scaling_note(released) if released else "")


def _input(resource: Resource, key: str) -> Any:
    """A plan input carried in the desired properties (or, failing that, in the payload): `training` and
    `previousTraining` (canonical training config content), `instanceHours` or `capacity` (instanceType,
    instanceCount, maxRuntimeSeconds, spot), `rollout` (strategy, canaryPercent / stepPercent, bakeMinutes)."""
    return resource.properties.get(key, resource.payload.get(key))


def _rollout(endpoint: Resource) -> Mapping[str, Any] | None:
    """The spec's rollout: the `rollout` input, or read back from the SageMaker DeploymentConfig in the payload."""
    given = _input(endpoint, "rollout")
    if given or "deploymentConfig" not in endpoint.payload:
        return given or None
    routing = endpoint.payload["deploymentConfig"].get("BlueGreenUpdatePolicy", {}).get("TrafficRoutingConfiguration")
    if not routing:
        return None
    step = (routing.get("CanarySize") or routing.get("LinearStepSize") or {}).get("Value")
    return {
        "strategy": _STRATEGIES.get(routing.get("Type", ""), "allAtOnce"),
        "bakeMinutes": int(routing.get("WaitIntervalInSeconds", 0)) // 60,
        **({"canaryPercent" if "CanarySize" in routing else "stepPercent": step} if step else {}),
    }


def _retrain_reason(run: Resource, identities: tuple[Any, Any] | None) -> str:
    """Which fields of the training config made a new config id, before → after (from the `training` /
    `previousTraining` inputs, else from the training-config parameter's recorded and wanted identities)."""
    config = run.properties.get("configId", run.ref.key)
    previous, current = _input(run, "previousTraining"), _input(run, "training")
    if (previous is None or current is None) and identities is not None:
        previous, current = identities
    if previous is None or current is None:
        return f"no version of training config {config} exists yet"
    changed = [f"{c.path}: {_short(c.before)} → {_short(c.after)}" for c in leaves(previous, current)]
    return f"training config {config}: {'; '.join(changed) or 'nothing visible changed (digest inputs)'}"


def _short(value: Any) -> str:
    """A value in a reason: JSON, cut to 60 characters; `(none)` for absent."""
    if value is None:
        return "(none)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:59] + "…"


def _state_changes(d: ResourceDiff) -> tuple[FieldChange, ...]:
    """A state machine's change as the states that changed (`states.WaitTraining.Seconds: 30 → 60`, a new or a
    removed state), not as its digest; the definitions come from the desired payload and the observed `extra`."""
    new = (d.desired.payload.get("definition") or {}).get("States") if d.desired else None
    old = (d.observed.extra.get("definition") or {}).get("States") if d.observed else None
    others = tuple(c for c in d.field_changes if c.path != "definitionDigest")
    if not isinstance(new, Mapping) or (d.action is Action.UPDATE and not isinstance(old, Mapping)):
        return d.field_changes
    if d.action is Action.CREATE:
        return (FieldChange("states", None, f"{len(new)} states: {', '.join(new)}"), *others)
    assert isinstance(old, Mapping)
    states: list[FieldChange] = []
    for name in sorted(set(old) | set(new), key=str):
        if name not in old:
            states.append(FieldChange(f"states.{name}", None, "(new state)"))
        elif name not in new:
            states.append(FieldChange(f"states.{name}", "(state removed)", None))
        else:
            states.extend(leaves(old[name], new[name], f"states.{name}"))
    return (*states, *others)


def _fleet_reason(endpoint: Resource, rollout: Mapping[str, Any] | None) -> str:
    name = endpoint.properties.get("endpointConfigName")
    if not rollout:
        how = "rollout: all at once, no guardrails"
    else:
        strategy = rollout.get("strategy", "allAtOnce")
        step = rollout.get("canaryPercent") or rollout.get("stepPercent")
        bake = rollout.get("bakeMinutes")
        how = f"rollout: {strategy}" + (f" {step}%" if step else "") + (f", bake {bake} min" if bake else "")
    return f"new fleet on endpoint config {name} ({how})"


def _live_fleet(endpoint: Observed, observed: Mapping[Ref, Observed]) -> list[Instances]:
    """The instances a live endpoint holds; instance types from the live variants or, failing that, its config."""
    config = observed.get(Ref(Kind.ENDPOINT_CONFIG, str(endpoint.properties.get("endpointConfigName", ""))))
    types = {v["name"]: v.get("instanceType") for v in (config.properties.get("variants", []) if config else [])}
    return [
        Instances(str(v.get("instanceType") or types.get(v["name"]) or "unknown"), int(v.get("instanceCount") or 0))
        for v in endpoint.extra.get("variants", [])
    ]


def _desired_fleet(endpoint: Resource, live: Observed | None) -> list[Instances]:
    """The instances the spec asks for; for autoscaled variants of a live endpoint, the count autoscaling keeps."""
    autoscaled = set(endpoint.properties.get("autoscaled") or ())
    counts = {v["name"]: v.get("instanceCount") for v in (live.extra.get("variants", []) if live else [])}
    return [
        Instances(
            str(v["instanceType"]),
            int(counts.get(v["name"]) or v["instanceCount"]) if v["name"] in autoscaled else int(v["instanceCount"]),
        )
        for v in endpoint.properties.get("variants", [])
    ]


def _change_dict(change: Change) -> dict[str, Any]:
    return {
        "action": change.action.name.lower(),
        "kind": str(change.ref.kind),
        "key": change.ref.key,
        "model": change.model,
        "classification": str(change.classification),
        "reason": change.reason,
        "before": change.before,
        "after": change.after,
        "fieldChanges": [{"path": f.path, "before": f.before, "after": f.after} for f in change.field_changes],
        "capacity": None if change.capacity is None else change.capacity.to_dict(),
    }


def _change_from(data: Mapping[str, Any]) -> Change:
    return Change(
        action=Action[str(data["action"]).upper()],
        ref=Ref(Kind(data["kind"]), data["key"]),
        model=data["model"],
        before=data["before"],
        after=data["after"],
        reason=data["reason"],
        classification=Classification(data["classification"]),
        field_changes=tuple(FieldChange(f["path"], f["before"], f["after"]) for f in data["fieldChanges"]),
        capacity=None if data["capacity"] is None else Capacity.from_dict(data["capacity"]),
    )
