"""Pure comparison of desired resources with observed ones: what to create, update, delete or leave alone.

`diff()` pairs every desired `Resource` with the `Observed` value of the same `Ref` and says, per resource, which
`Action` converges AWS and which fields differ (`FieldChange`: path, before, after). It reads no AWS and knows
nothing of classification or cost; `controller.plan` turns a `DiffResult` into a `Plan`.

Rules kept here (SPEC.md "Meanings the controller must honour", DESIGN.md "Rules the code keeps"):

- An endpoint is compared by its endpoint config name and by the LIVE variant weights and instance counts
  (`Observed.extra["variants"]`), not by the initial weights inside its endpoint config: a weight changed by hand in
  the console is drift. Weights are relative, so they are compared as shares (90/10 equals 9/1, 100 equals 100.0).
- The instance count of a variant listed in the desired endpoint's `autoscaled` is owned by autoscaling: never drift.
- A desired name held by a resource without the managed tag is a `Conflict`, never a change; so is one held by a
  managed resource whose ownership tags name another model or environment (names join model and environment
  names with `-`, so `a-b` in `c` and `a` in `b-c` want the same endpoint), and a name two desired resources want.
- Scalable targets and policies carry no tags (AWS keeps none): they are the endpoint's they scale, so one whose
  endpoint is observed and unmanaged is never deleted.
- A managed observed resource that is no longer desired is deleted (optionally only if it is in the caller's
  inventory of previously managed refs). Pipeline runs are history and are never deleted. An endpoint config a
  remaining endpoint still uses, and a model a remaining endpoint config still uses, is not deleted (yet): the next
  reconcile, once the endpoint has moved on, deletes it.
- A pipeline run that exists (whatever its status) is never re-run by the diff: a failed run is not retried.

Desired-only inputs (`training`, `previousTraining`, `instanceHours`, `rollout`, `autoscaled`) are carried for the
plan and never compared. Normalising what AWS fills in is the adapters' job; this module only compares.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from controller.resources import ENV_TAG, MODEL_TAG, Kind, Observed, Ref, Resource

# Keys of desired properties that feed the plan (classification, capacity) but have no AWS counterpart.
PLAN_INPUTS = frozenset({"training", "previousTraining", "instanceHours", "rollout", "autoscaled"})

# Kinds compared by existence alone. A pipeline run is immutable history (it exists, so it ran); endpoint configs,
# models and promoted versions are immutable in SageMaker and content-named, so different content has another name.
EXISTENCE_ONLY = frozenset({Kind.PIPELINE_RUN, Kind.ENDPOINT_CONFIG, Kind.MODEL, Kind.PROMOTED_VERSION})

# Kinds whose observed tags are those of a container the environment's models share (a schedule reports its
# schedule group's), so their model tag names the model that made the container, not the resource.
_CONTAINER_TAGGED = frozenset({Kind.SCHEDULE})

# Kinds AWS keeps no tags for; they belong to the endpoint they scale (`endpoint/<name>/variant/<variant>`).
_SCALING = frozenset({Kind.SCALING_TARGET, Kind.SCALING_POLICY})

# Fields of an endpoint variant that are compared against the live endpoint.
_LIVE_VARIANT_FIELDS = ("weight", "instanceCount")


class Action(StrEnum):
    """What apply does to one resource (terraform's plans.Action); the value is the symbol the plan prints."""

    CREATE = "+"  # the resource does not exist: create it
    UPDATE = "~"  # it exists and differs: change it in place (or, for content-named kinds, point at a new one)
    DELETE = "-"  # it exists, is ours, and is no longer desired: delete it
    NOOP = " "  # it exists and matches: nothing to do


@dataclass(frozen=True)
class FieldChange:
    """One differing leaf value.

    path: dotted path inside the properties; list items are addressed by their `name` when they have one
        (`variants[primary].weight`), else by index (`dimensions[0]`)
    before: the observed value, None when absent
    after: the desired value, None when absent
    """

    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Conflict:
    """A desired name already taken by a resource the controller does not own (no managed tag): a plan error.

    ref: the clashing resource; model: the model that wants the name; message: what to do about it, for people
    """

    ref: Ref
    model: str
    message: str


@dataclass(frozen=True)
class ResourceDiff:
    """The comparison of one resource.

    action: what converges it; ref: kind and name; model: the owning model (from the managed tags for deletes);
    before: the observed properties as compared (for an endpoint, with the live `variants`), None when absent;
    after: the desired properties, None for a delete; field_changes: the differing leaves, in path order (every leaf
    for a create or a delete); desired / observed: the values compared, for the plan's classification and capacity
    """

    action: Action
    ref: Ref
    model: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    field_changes: tuple[FieldChange, ...]
    desired: Resource | None
    observed: Observed | None


@dataclass(frozen=True)
class DiffResult:
    """Everything `diff()` found.

    diffs: one per desired resource plus one per planned delete, NOOPs included, in input order then deletes;
    conflicts: desired names held by unmanaged resources (those resources have no entry in `diffs`)
    """

    diffs: tuple[ResourceDiff, ...]
    conflicts: tuple[Conflict, ...]


def diff(
    desired: Sequence[Resource],
    observed: Mapping[Ref, Observed],
    *,
    inventory: Collection[Ref] | None = None,
    claimed: Sequence[Resource] = (),
) -> DiffResult:
    """Compare `desired` with `observed` (the environment's observed state, keyed by ref).

    inventory: refs the controller managed before (from the state store); when given, only those are deleted, so a
    managed resource the store never recorded is left alone. When None, every managed observed resource that is not
    desired is deleted.
    claimed: resources not wanted yet whose names will be (compared with nothing, never changed or deleted): their
    conflicts are reported now.
    """
    diffs: list[ResourceDiff] = []
    conflicts: list[Conflict] = []
    wanted_by: dict[Ref, Resource] = {}
    claims = {id(resource) for resource in claimed}
    for resource in (*desired, *claimed):
        seen = observed.get(resource.ref)
        first = wanted_by.setdefault(resource.ref, resource)
        if first is not resource:
            conflicts.append(_conflict(resource, f"is wanted by model {first.model} too; {_RENAME}"))
        elif seen is not None and not seen.managed:
            conflicts.append(_conflict(resource, _UNTAGGED))
        elif seen is not None and (owner := _other_owner(resource, seen)) is not None:
            conflicts.append(_conflict(resource, f"is modelctl's, but for {owner}; {_RENAME}"))
        elif id(resource) not in claims:
            diffs.append(_compare(resource, seen))
    for ref in _deletable((*desired, *claimed), observed, inventory):
        seen = observed[ref]
        before = dict(seen.properties)
        changes = leaves(before, None)
        diffs.append(ResourceDiff(Action.DELETE, ref, seen.tags.get(MODEL_TAG, ""), before, None, changes, None, seen))
    return DiffResult(tuple(diffs), tuple(conflicts))


def _deletable(
    desired: Sequence[Resource], observed: Mapping[Ref, Observed], inventory: Collection[Ref] | None
) -> list[Ref]:
    """Managed, no longer desired, inventoried, not a pipeline run, and not used by what stays, sorted by ref."""
    wanted = {resource.ref for resource in desired}
    doomed = {
        ref
        for ref, seen in observed.items()
        if ref not in wanted
        and seen.managed
        and not _scales_a_foreign_endpoint(seen, observed)
        and ref.kind is not Kind.PIPELINE_RUN
        and (inventory is None or ref in inventory)
    }
    in_use = {used for ref, seen in observed.items() if ref not in doomed for used in _uses(seen)}
    spared = doomed & in_use
    while spared:  # sparing one resource spares what it uses (an endpoint config spares its models)
        doomed -= spared
        in_use = {used for ref in spared for used in _uses(observed[ref])}
        spared = doomed & in_use
    return sorted(doomed, key=lambda r: (str(r.kind), r.key))


def scaled_endpoint(seen: Observed) -> Ref | None:
    """The endpoint a scalable target or scaling policy scales (whose ownership is theirs); None for other kinds."""
    if seen.ref.kind not in _SCALING:
        return None
    resource_id = seen.ref.key if seen.ref.kind is Kind.SCALING_TARGET else str(seen.properties.get("resourceId"))
    return Ref(Kind.ENDPOINT, resource_id.split("/")[1]) if resource_id.startswith("endpoint/") else None


def _scales_a_foreign_endpoint(seen: Observed, observed: Mapping[Ref, Observed]) -> bool:
    endpoint = scaled_endpoint(seen)
    owner = observed.get(endpoint) if endpoint is not None else None
    return owner is not None and not owner.managed


def _other_owner(resource: Resource, seen: Observed) -> str | None:
    """`model M in environment E` when a managed resource's ownership tags name another model or environment than
    `resource`'s (tags a kind does not read count as matching), else None."""
    keys = (ENV_TAG,) if resource.ref.kind in _CONTAINER_TAGGED else (ENV_TAG, MODEL_TAG)
    if all(seen.tags.get(key, resource.tags.get(key)) == resource.tags.get(key) for key in keys):
        return None
    return f"model {seen.tags.get(MODEL_TAG, '?')} in environment {seen.tags.get(ENV_TAG, '?')}"


def _uses(seen: Observed) -> set[Ref]:
    """What a live endpoint or endpoint config points at: never deleted while it is in use."""
    if seen.ref.kind is Kind.ENDPOINT:
        return {Ref(Kind.ENDPOINT_CONFIG, str(seen.properties.get("endpointConfigName")))}
    if seen.ref.kind is Kind.ENDPOINT_CONFIG:
        return {Ref(Kind.MODEL, str(v.get("model"))) for v in seen.properties.get("variants") or ()}
    return set()


def leaves(before: Any, after: Any, path: str = "") -> tuple[FieldChange, ...]:
    """The differing leaves of two JSON-like values (None stands for absent); numbers compare by value."""
    if isinstance(before, Mapping) or isinstance(after, Mapping):
        old = before if isinstance(before, Mapping) else {}
        new = after if isinstance(after, Mapping) else {}
        if (
            before is not None
            and after is not None
            and not (isinstance(before, Mapping) and isinstance(after, Mapping))
        ):
            return (FieldChange(path, before, after),)
        found: list[FieldChange] = []
        for key in sorted(set(old) | set(new), key=str):
            found.extend(leaves(old.get(key), new.get(key), _join(path, str(key))))
        return tuple(found)
    if _named_list(before) or _named_list(after):
        return leaves(_by_name(before), _by_name(after), path)
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return tuple(
            c for i, (b, a) in enumerate(zip(before, after, strict=True)) for c in leaves(b, a, f"{path}[{i}]")
        )
    return () if _same(before, after) else (FieldChange(path, before, after),)


def _compare(resource: Resource, seen: Observed | None) -> ResourceDiff:
    """One desired resource against its (managed or absent) observed value."""
    after = dict(resource.properties)
    compared_after = {k: v for k, v in after.items() if k not in PLAN_INPUTS}
    changes: tuple[FieldChange, ...]
    if seen is None:
        changes = leaves(None, compared_after)
        return ResourceDiff(Action.CREATE, resource.ref, resource.model, None, after, changes, resource, None)
    before = dict(seen.properties)
    if resource.ref.kind in EXISTENCE_ONLY:
        changes = ()
    elif resource.ref.kind is Kind.ENDPOINT:
        before["variants"] = [dict(v) for v in seen.extra.get("variants", [])]
        changes = _endpoint_changes(before, after)
    else:
        changes = leaves(before, compared_after)
    action = Action.UPDATE if changes else Action.NOOP
    return ResourceDiff(action, resource.ref, resource.model, before, after, changes, resource, seen)


def _endpoint_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """Config name, then live weights (as shares) and instance counts (unless autoscaled), variant by variant."""
    found = list(leaves(before.get("endpointConfigName"), after.get("endpointConfigName"), "endpointConfigName"))
    autoscaled = set(after.get("autoscaled") or ())
    live = {v["name"]: v for v in before.get("variants", [])}
    wanted = {v["name"]: v for v in after.get("variants", [])}
    live_shares, wanted_shares = _shares(live), _shares(wanted)
    for name in sorted(set(live) | set(wanted)):
        path = f"variants[{name}]"
        if name not in live or name not in wanted:
            found.extend(leaves(_live_view(live.get(name)), _live_view(wanted.get(name)), path))
            continue
        if not math.isclose(live_shares[name], wanted_shares[name], rel_tol=1e-9, abs_tol=1e-12):
            found.append(FieldChange(f"{path}.weight", live[name].get("weight"), wanted[name].get("weight")))
        if name not in autoscaled:
            found.extend(
                leaves(live[name].get("instanceCount"), wanted[name].get("instanceCount"), f"{path}.instanceCount")
            )
    return tuple(found)


def _shares(variants: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """Each variant's share of the traffic (weights are relative); all zero shares nothing."""
    total = sum(float(v.get("weight") or 0) for v in variants.values())
    return {name: (float(v.get("weight") or 0) / total if total else 0.0) for name, v in variants.items()}


def _live_view(variant: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The fields of a variant that a live endpoint reports."""
    return None if variant is None else {k: variant.get(k) for k in _LIVE_VARIANT_FIELDS}


def _join(path: str, key: str) -> str:
    """`a.b`, or `a[name]` for a key made by `_by_name`."""
    return key if not path else f"{path}{key}" if key.startswith("[") else f"{path}.{key}"


def _named_list(value: Any) -> bool:
    """A non-empty list whose items are all mappings with a `name` (variants): diffed by name, not position."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) and "name" in v for v in value)


def _by_name(value: Any) -> dict[str, Any] | None:
    """A named list as a mapping `[name] -> item`, so the path reads `variants[primary].weight`."""
    if value is None:
        return None
    return {f"[{item['name']}]": item for item in value} if isinstance(value, list) else value


def _same(before: Any, after: Any) -> bool:
    """Equality where 100 == 100.0 but True != 1 and "1" != 1."""
    if isinstance(before, bool) or isinstance(after, bool):
        return type(before) is type(after) and before == after
    if isinstance(before, int | float) and isinstance(after, int | float):
        return math.isclose(before, after, rel_tol=1e-12, abs_tol=0.0)
    return bool(type(before) is type(after) and before == after)


_UNTAGGED = (
    "exists but is not managed by modelctl (no modelctl:managed=true tag); "
    "rename the model or environment, delete that resource, or tag it to adopt it"
)
_RENAME = "AWS names join model, environment, alarm and variant names with '-': rename one so they differ"


def _conflict(resource: Resource, problem: str) -> Conflict:
    return Conflict(resource.ref, resource.model, f"{resource.ref} {problem}")
