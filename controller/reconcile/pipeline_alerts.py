"""Pipeline endings that announce nothing themselves: executions stopped (ABORTED) or timed out (TIMED_OUT).

The pipeline notifies its own failures from a Catch (controller.pipeline.states), but Step Functions runs no Catch
when an execution is stopped (StopExecution) or exceeds its TimeoutSeconds: the execution just ends (AWS "Handling
errors in Step Functions workflows"; controller.pipeline.timeout). The reconciler sees those endings: the reconciler
Lambda is invoked by the EventBridge rule on "Step Functions Execution Status Change" for ABORTED and TIMED_OUT
(reconciler_lambda/template.yaml, PipelineStatus), and every apply observes each pipeline's newest executions. So
each apply, before anything else, sends `pipelineFailed` (to the models that ask for it) for every such ending not
notified yet, and the model's status shows it (health Degraded, PipelineFailed).

Exactly once: the state store keeps, per state machine, the stop time of the newest ending notified; a run
advances it with a conditional write before publishing (a run that loses the race publishes nothing), and puts it
back if the publish fails, so the next run retries. Cost: nothing for a pipeline whose observed executions hold no
such ending; one state-table read per reconcile for one that does, and one write plus one publish per new ending.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from controller.ports import Cloud
from controller.reconcile.result import PlanResult
from controller.reconcile.store import StateStore
from controller.resources import Kind

ENDED_WITHOUT_CATCH: Mapping[str, str] = {"ABORTED": "was stopped", "TIMED_OUT": "timed out"}


@dataclass(frozen=True)
class Ending:
    """One execution that ended without running the pipeline's Catch. model / machine: whose pipeline; execution:
    the observed execution ({"name", "status", "start", "stop", "error", "cause"}); stopped: its stop time (epoch)."""

    model: str
    machine: str
    execution: Mapping[str, Any]
    stopped: float


def endings(planned: PlanResult) -> dict[str, list[Ending]]:
    """Per state machine, its observed executions that were stopped or timed out, oldest first, for the models
    whose owners want `pipelineFailed`."""
    found: dict[str, list[Ending]] = {}
    for resource in planned.desired.resources:
        seen = planned.observed.get(resource.ref) if resource.ref.kind is Kind.STATE_MACHINE else None
        notify = planned.desired.notify.get(resource.model)
        if seen is None or notify is None or not notify.wants("pipelineFailed"):
            continue
        ended = [
            Ending(resource.model, resource.ref.key, run, _epoch(run["stop"]))
            for run in seen.extra.get("executions", ())
            if run.get("status") in ENDED_WITHOUT_CATCH and run.get("stop")
        ]
        if ended:
            found[resource.ref.key] = sorted(ended, key=lambda ending: ending.stopped)
    return found


def notify_endings(env: str, planned: PlanResult, store: StateStore, cloud: Cloud) -> int:
    """Notify every ending not notified yet (see the module docstring); returns how many were sent."""
    sent = 0
    for machine, ended in endings(planned).items():
        until = store.endings_notified(env, machine)
        new = [ending for ending in ended if until is None or ending.stopped > until]
        if not new or not store.advance_endings(env, machine, new[-1].stopped):
            continue
        try:
            for ending in new:
                _publish(env, planned, ending, cloud)
                sent += 1
        except Exception:
            store.reset_endings(env, machine, until)
            raise
    return sent


def _publish(env: str, planned: PlanResult, ending: Ending, cloud: Cloud) -> None:
    notify = planned.desired.notify[ending.model]
    assert notify.topic is not None
    run = ending.execution
    status = str(run["status"])
    why = ": ".join(str(part) for part in (run.get("error"), run.get("cause")) if part)
    summary = f"{ending.model} in {env}: pipeline run {run['name']} {ENDED_WITHOUT_CATCH[status]} ({status})"
    cloud.notify(
        notify.topic,
        f"modelctl {ending.model}/{env}: pipeline failed",
        {
            "event": "pipelineFailed",
            "model": ending.model,
            "env": env,
            "configId": planned.desired.config_ids.get(ending.model),
            "stateMachine": ending.machine,
            "execution": run["name"],
            "status": status,
            "error": run.get("error"),
            "cause": run.get("cause"),
            "stopped": run["stop"],
            "summary": summary + (f": {why}" if why else ""),
        },
    )


def _epoch(moment: str) -> float:
    return datetime.fromisoformat(moment).timestamp()
