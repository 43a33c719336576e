"""controller.plan.fleet_rules: what SageMaker requires of a new fleet, without AWS."""

from __future__ import annotations

from controller.plan import fleet_rules


def test_guardrails_only_with_the_same_variant_names() -> None:
    assert fleet_rules.guardrails_kept(["a", "b"], ["b", "a"])
    assert not fleet_rules.guardrails_kept(["a"], ["a", "canary"])
    assert "all at once, no bake" in fleet_rules.rollout_note(["a"], ["a", "canary"])


def test_autoscaled_variants_removed_or_retyped_are_released() -> None:
    live = {"a": "ml.m5.large", "b": "ml.m5.large", "c": "ml.m5.large"}
    wanted = {"a": "ml.m5.large", "b": "ml.m5.xlarge"}
    assert fleet_rules.autoscaling_released(live, wanted, ["a", "b", "c"]) == ["b", "c"]
    assert fleet_rules.autoscaling_released(live, wanted, ["a"]) == []  # a model change alone is allowed


def test_counts_are_retained_only_for_autoscaled_shared_variants() -> None:
    assert fleet_rules.retain_counts(["a", "b"], ["a"], ["a", "b"])
    assert not fleet_rules.retain_counts([], ["a"], ["a"])
    assert not fleet_rules.retain_counts(["a"], ["a"], ["b"])
