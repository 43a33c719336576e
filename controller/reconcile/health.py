"""Health and status per model: pure functions of the plan, the desired state and the observed state.

Like flux's status conditions, health is one of READY / PROGRESSING / DEGRADED / MISSING with machine-readable
reason constants (tests and the Lambda's summaries assert them, people read the message). Evaluated in this order,
first match wins:

  DEGRADED     PIPELINE_FAILED (the newest pipeline run failed, timed out or was stopped; it is not retried
               until the spec changes or `modelctl retrain`), ROLLED_BACK (a guardrail rolled the endpoint back;
               the same config is not retried), ENDPOINT_FAILED
  MISSING      ENDPOINT_MISSING (a realtime model has no endpoint and none is being made)
  PROGRESSING  TRAINING (a pipeline run is in progress), DEPLOYING (the endpoint is Creating/Updating/RollingBack),
               WAITING (a version this model needs does not exist yet: training or promotion pending),
               OUT_OF_SYNC (the plan still has changes for the model: drift, or specs not applied yet)
  READY        IN_SYNC

No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from controller.desired.state import DesiredState
from controller.plan.plan import Change, Classification
from controller.resources import Kind, Observed, Ref

PIPELINE_FAILED = "PipelineFailed"
ROLLED_BACK = "RolledBack"
ENDPOINT_FAILED = "EndpointFailed"
ENDPOINT_MISSING = "EndpointMissing"
TRAINING = "Training"
DEPLOYING = "Deploying"
WAITING = "Waiting"
OUT_OF_SYNC = "OutOfSync"
IN_SYNC = "InSync"


class Health(StrEnum):
    READY = "Ready"
    PROGRESSING = "Progressing"
    DEGRADED = "Degraded"
    MISSING = "Missing"


@dataclass(frozen=True)
class Serving:
    """One live variant: name, the model version it serves, its traffic share in percent, its instance count."""

    variant: str
    version: str
    share: float
    instances: int


@dataclass(frozen=True)
class ModelStatus:
    """model: name; health and reason (constants above) and message (for people); serving: live variants;
    pipeline: the newest run of the model's pipeline as observed ({"name","status","start","error",...}) or None;
    drift: the plan's pending changes for this model, as `<action> <ref>` lines"""

    model: str
    health: Health
    reason: str
    message: str
    serving: tuple[Serving, ...]
    pipeline: Mapping[str, Any] | None
    drift: tuple[str, ...]


def model_status(
    model: str,
    desired: DesiredState,
    observed: Mapping[Ref, Observed],
    changes: Sequence[Change],
    rolled_back: Mapping[str, str],
) -> ModelStatus:
    """The status of `model`; `rolled_back` maps endpoint name -> the reason a guardrail rolled it back."""
    resources = [r for r in desired.resources if r.model == model]
    machine = next((observed.get(r.ref) for r in resources if r.ref.kind is Kind.STATE_MACHINE), None)
    runs = list(machine.extra.get("executions", ())) if machine else []
    endpoint_ref = next((r.ref for r in resources if r.ref.kind is Kind.ENDPOINT), None)
    endpoint_ref = endpoint_ref or next(
        (ref for ref in desired.held if ref.kind is Kind.ENDPOINT and ref.key.startswith(f"{model}-")), None
    )
    endpoint = observed.get(endpoint_ref) if endpoint_ref else None
    serving = _serving(endpoint, observed)
    drift = tuple(f"{c.action.value} {c.ref}" for c in changes if c.classification is not Classification.RETRAIN)
    health, reason, message = _evaluate(
        runs, endpoint_ref, endpoint, rolled_back, desired.notes.get(model, ()), changes
    )
    return ModelStatus(model, health, reason, message, serving, runs[0] if runs else None, drift)


def _evaluate(
    runs: Sequence[Mapping[str, Any]],
    endpoint_ref: Ref | None,
    endpoint: Observed | None,
    rolled_back: Mapping[str, str],
    notes: Sequence[str],
    changes: Sequence[Change],
) -> tuple[Health, str, str]:
    newest = runs[0] if runs else None  # newest first; the newest run stands for the model's training now
    if newest and newest.get("status") in ("FAILED", "TIMED_OUT", "ABORTED"):
        cause = ": ".join(str(part) for part in (newest.get("error"), newest.get("cause")) if part)
        ended = _ENDINGS[newest["status"]]
        return Health.DEGRADED, PIPELINE_FAILED, f"run {newest.get('name')} {ended}" + (f": {cause}" if cause else "")
    if endpoint_ref is not None and endpoint_ref.key in rolled_back:
        return Health.DEGRADED, ROLLED_BACK, rolled_back[endpoint_ref.key]
    if endpoint is not None and endpoint.status == "Failed":
        return Health.DEGRADED, ENDPOINT_FAILED, str(endpoint.extra.get("failureReason") or "endpoint Failed")
    if any(run.get("status") == "RUNNING" for run in runs):
        running = next(run for run in runs if run.get("status") == "RUNNING")
        return Health.PROGRESSING, TRAINING, f"pipeline run {running.get('name')} is running"
    if endpoint is not None and endpoint.status in ("Creating", "Updating", "SystemUpdating", "RollingBack"):
        return Health.PROGRESSING, DEPLOYING, f"endpoint {endpoint.ref.key} is {endpoint.status}"
    if endpoint_ref is not None and endpoint is None and not notes:
        return Health.MISSING, ENDPOINT_MISSING, f"endpoint {endpoint_ref.key} does not exist"
    if notes:
        return Health.PROGRESSING, WAITING, "; ".join(notes)
    if changes:
        return Health.PROGRESSING, OUT_OF_SYNC, f"{len(changes)} change(s) pending"
    return Health.READY, IN_SYNC, "AWS matches the specs"


_ENDINGS = {"FAILED": "failed", "TIMED_OUT": "timed out (TIMED_OUT)", "ABORTED": "was stopped (ABORTED)"}


def _serving(endpoint: Observed | None, observed: Mapping[Ref, Observed]) -> tuple[Serving, ...]:
    if endpoint is None:
        return ()
    config = observed.get(Ref(Kind.ENDPOINT_CONFIG, str(endpoint.properties.get("endpointConfigName"))))
    models = {v["name"]: v["model"] for v in (config.properties.get("variants", ()) if config else ())}
    live = list(endpoint.extra.get("variants", ()))
    total = sum(float(v.get("weight") or 0) for v in live) or 1.0
    return tuple(
        Serving(
            v["name"],
            str(models.get(v["name"], "?")),
            round(100 * float(v.get("weight") or 0) / total, 1),
            int(v.get("instanceCount") or 0),
        )
        for v in live
    )
