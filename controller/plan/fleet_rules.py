"""What SageMaker requires of a new fleet on a live endpoint, decided once for the plan and for the write.

- "Deployment guardrails: Exclusions" (SageMaker developer guide): "When doing a blue/green or rolling deployment,
  your new endpoint configuration must have the same variant name as the old endpoint configuration." A canary
  or linear rollout (a DeploymentConfig) is only sent when the variant names stay; otherwise the update goes all
  at once with no bake, and the plan says so (`guardrails_kept`, `rollout_note`).
- "Update endpoints that use auto scaling" (SageMaker developer guide): UpdateEndpoint fails when it changes the
  instance type of, or removes, a variant registered with Application Auto Scaling. Such variants are deregistered
  first (their scaling policy deleted, then the scalable target), the endpoint updated, and the spec's targets
  registered again once the endpoint is InService (`autoscaling_released`, `scaling_note`); a run interrupted in
  between leaves the desired targets missing, so the next run registers them.
- Counts autoscaling set survive an update when it sends RetainAllVariantProperties (API_UpdateEndpoint: "the
  latest DesiredInstanceCount") with the weights excluded from what is retained, so a promotion's weights apply:
  `retain_counts`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping


def guardrails_kept(live_variants: Collection[str], wanted_variants: Collection[str]) -> bool:
    """Whether a blue/green DeploymentConfig may be sent: the new config names exactly the live variants."""
    return sorted(live_variants) == sorted(wanted_variants)


def autoscaling_released(
    live_types: Mapping[str, str], wanted_types: Mapping[str, str], registered: Collection[str]
) -> list[str]:
    """The registered variants an update would remove or move to another instance type (by variant name: instance
    type), sorted: each is deregistered from Application Auto Scaling before UpdateEndpoint."""
    return sorted(
        name
        for name in registered
        if name not in wanted_types or (name in live_types and live_types[name] != wanted_types[name])
    )


def retain_counts(
    autoscaled: Collection[str], live_variants: Collection[str], wanted_variants: Collection[str]
) -> bool:
    """Whether UpdateEndpoint keeps the live instance counts (RetainAllVariantProperties): when every variant the
    new fleet shares with the live one is autoscaled (the spec gives no count of its own for those)."""
    shared = set(live_variants) & set(wanted_variants)
    return bool(shared) and shared <= set(autoscaled)


def rollout_note(live_variants: Collection[str], wanted_variants: Collection[str]) -> str:
    """Why a guardrail rollout falls back to all at once."""
    before, after = ", ".join(sorted(live_variants)), ", ".join(sorted(wanted_variants))
    return (
        f"rollout: all at once, no bake: the variants change ({before} -> {after}), and SageMaker's deployment "
        "guardrails need the old variant names"
    )


def scaling_note(released: Collection[str]) -> str:
    """What the plan says about variants deregistered around the update."""
    return (
        f"auto scaling of variant(s) {', '.join(released)} is deregistered for the update (it removes them or "
        "changes their instance type) and registered again once the endpoint is InService"
    )
