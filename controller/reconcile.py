"""The reconcile orchestrator: load -> desired -> observe -> diff -> plan (apply comes next). No boto3 import.

Reads as a checklist (flux's reconcilers): each step is one call with one comment. The AWS side is reached only
through the adapter registry (`controller.aws.registry`), which the caller builds from injected clients, so the
same function serves the CLI, the reconciler Lambda and tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from controller import naming
from controller.aws.registry import ResourceOperations
from controller.capacity import PriceTable
from controller.desired import DesiredState, ImageResolver, ModelVersion, Registry, desired_state
from controller.observe import observe
from controller.plan import Plan, build_plan
from controller.resources import Kind, Observed, Ref
from controller.spec.catalog import Catalog

# Kinds the desired state only declares when they are known to be absent, so there is nothing to observe:
# a promoted version is wanted only when the environment's registry (already read) lacks it.
_DECLARED_ABSENT = frozenset({Kind.PROMOTED_VERSION})


@dataclass(frozen=True)
class PlanResult:
    """A plan and what it was computed from: the desired state (notes, held resources) and the observed state."""

    plan: Plan
    desired: DesiredState
    observed: Mapping[Ref, Observed]


def plan_environment(
    catalog: Catalog,
    env: str,
    operations: Mapping[Kind, ResourceOperations],
    *,
    git_sha: str,
    resolve_image: ImageResolver,
    prices: PriceTable | None = None,
    now: datetime | None = None,
    poll_seconds: int = 60,
) -> PlanResult:
    """What it takes to converge `env` to the specs. Reads AWS, writes nothing."""
    # 1. Read the model registry: `model: current` and "is a run needed" depend on the versions that exist.
    group_refs = _registry_refs(catalog, env)
    registry_state = observe(operations, group_refs)
    registry = _registry(registry_state)
    # 2. Compute the desired state for this environment.
    desired = desired_state(
        catalog, env, git_sha=git_sha, registry=registry, resolve_image=resolve_image, poll_seconds=poll_seconds
    )
    # 3. Observe every desired resource (the registry groups were read in step 1).
    wanted = [r.ref for r in desired.resources if r.ref.kind not in _DECLARED_ABSENT and r.ref not in registry_state]
    observed = {**registry_state, **observe(operations, wanted)}
    # 4. Diff and plan.
    environment = catalog.environments[env].spec
    plan = build_plan(
        env, desired.resources, observed, git_sha=git_sha, protected=environment.protected, prices=prices, now=now
    )
    return PlanResult(plan, desired, observed)


def _registry_refs(catalog: Catalog, env: str) -> list[Ref]:
    """The model package groups of this environment and of its promotion source, for every model here."""
    promotion = catalog.environments[env].spec.promotion
    envs = [env] + ([promotion.from_env] if promotion else [])
    return [
        Ref(Kind.MODEL_PACKAGE_GROUP, naming.model_package_group(e, entry.name))
        for entry in catalog.models_in(env)
        for e in envs
    ]


def _registry(observed: Mapping[Ref, Observed]) -> Registry:
    return {
        ref.key: tuple(ModelVersion(v["version"], v["approval"]) for v in seen.extra.get("versions", ()))
        for ref, seen in observed.items()
    }
