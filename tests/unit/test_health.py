"""Health per model, as a pure function of desired state, observed state and the plan (flux-style reasons)."""

from __future__ import annotations

from typing import Any

from controller.desired.state import DesiredState
from controller.plan.plan import Action, Change, Classification
from controller.reconcile.health import (
    DEPLOYING,
    ENDPOINT_FAILED,
    ENDPOINT_MISSING,
    IN_SYNC,
    OUT_OF_SYNC,
    PIPELINE_FAILED,
    ROLLED_BACK,
    TRAINING,
    WAITING,
    Health,
    model_status,
)
from controller.resources import MANAGED_TAG, Kind, Observed, Ref, Resource

MACHINE = Ref(Kind.STATE_MACHINE, "modelctl-m-dev")
ENDPOINT = Ref(Kind.ENDPOINT, "m-dev")
CONFIG = Ref(Kind.ENDPOINT_CONFIG, "m-dev-0123456789ab")
TAGS = {MANAGED_TAG: "true"}


def _desired(notes: tuple[str, ...] = ()) -> DesiredState:
    resources = (
        Resource(MACHINE, "m", {}, TAGS),
        Resource(ENDPOINT, "m", {"endpointConfigName": CONFIG.key}, TAGS),
    )
    return DesiredState("dev", resources, {"m": "m-0123456789ab"}, {"m": notes} if notes else {}, frozenset())


def _observed(runs: list[dict[str, Any]], endpoint_status: str | None = "InService") -> dict[Ref, Observed]:
    observed = {MACHINE: Observed(MACHINE, {}, TAGS, extra={"executions": runs})}
    if endpoint_status is not None:
        observed[ENDPOINT] = Observed(
            ENDPOINT,
            {"endpointConfigName": CONFIG.key},
            TAGS,
            endpoint_status,
            {"variants": [{"name": "primary", "weight": 3, "instanceCount": 2}], "failureReason": "capacity"},
        )
        observed[CONFIG] = Observed(CONFIG, {"variants": [{"name": "primary", "model": "m-0123456789ab-1"}]}, TAGS)
    return observed


def _status(
    observed: dict[Ref, Observed],
    *,
    changes: tuple[Change, ...] = (),
    marks: dict[str, str] | None = None,
    notes: tuple[str, ...] = (),
) -> tuple[Health, str]:
    status = model_status("m", _desired(notes), observed, changes, marks or {})
    return status.health, status.reason


SUCCEEDED = {"name": "m-0123456789ab", "status": "SUCCEEDED"}


def test_ready_when_in_sync_and_serving_is_reported_with_shares() -> None:
    status = model_status("m", _desired(), _observed([SUCCEEDED]), (), {})
    assert (status.health, status.reason) == (Health.READY, IN_SYNC)
    assert [(s.variant, s.version, s.share, s.instances) for s in status.serving] == [
        ("primary", "m-0123456789ab-1", 100.0, 2)
    ]


def test_each_condition_has_its_reason() -> None:
    failed = {"name": "m-0123456789ab", "status": "FAILED", "error": "QualityGate.QualityGateFailed"}
    running = {"name": "m-0123456789ab-a2", "status": "RUNNING"}
    drift = Change(Action.UPDATE, ENDPOINT, "m", {}, {}, "weights", Classification.WEIGHTS_ONLY)
    assert _status(_observed([failed])) == (Health.DEGRADED, PIPELINE_FAILED)
    assert _status(_observed([SUCCEEDED]), marks={"m-dev": "alarm fired"}) == (Health.DEGRADED, ROLLED_BACK)
    assert _status(_observed([SUCCEEDED], "Failed")) == (Health.DEGRADED, ENDPOINT_FAILED)
    assert _status(_observed([running, SUCCEEDED])) == (Health.PROGRESSING, TRAINING)
    assert _status(_observed([SUCCEEDED], "Updating")) == (Health.PROGRESSING, DEPLOYING)
    assert _status(_observed([SUCCEEDED], None)) == (Health.MISSING, ENDPOINT_MISSING)
    assert _status(_observed([SUCCEEDED], None), notes=("waiting",)) == (Health.PROGRESSING, WAITING)
    assert _status(_observed([SUCCEEDED]), changes=(drift,)) == (Health.PROGRESSING, OUT_OF_SYNC)
