"""Endpoint config retention: the newest five per endpoint stay (rollback without retraining), older ones go."""

from __future__ import annotations

from controller.reconcile.orchestrate import RETAINED_CONFIGS, _retained_configs
from controller.resources import Kind, Ref


def test_the_newest_configs_of_a_live_endpoint_are_kept_and_older_ones_released() -> None:
    configs = {Ref(Kind.ENDPOINT_CONFIG, f"scorer-dev-{i:012x}"): float(i) for i in range(8)}
    other = {Ref(Kind.ENDPOINT_CONFIG, "gone-dev-000000000001"): 99.0}
    kept = _retained_configs({**configs, **other}, [Ref(Kind.ENDPOINT, "scorer-dev")])
    assert kept == {ref for ref, created in configs.items() if created >= 8 - RETAINED_CONFIGS}
    assert not kept & set(other)  # its endpoint's spec is gone: nothing of it is retained
