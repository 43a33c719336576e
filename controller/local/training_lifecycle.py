"""Time-based lifecycle of SageMaker training jobs in the embedded emulator.

moto makes every training job Completed at once, and it can never fail. Here CreateTrainingJob records a
small run (`start_training`) and the moto job is brought up to date whenever something reads it
(`advance_training`, called by controller.local.sagemaker_ext before moto answers): InProgress (SecondaryStatus
Starting, Downloading, Training, Uploading) for delays.training, then Completed with a FinalMetricDataList for
the job's MetricDefinitions, or Failed with FailureReason (API_DescribeTrainingJob). Outcome and metric values
are fixed by the knobs (controller.local.control) in force when the job was created.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from controller.local.control import Knobs, failure_for

MotoTrainingJob = Any  # moto's FakeTrainingJob, mutated in place (its attributes are its DescribeTrainingJob)

LOCK = threading.RLock()  # moto's server answers requests from several threads


def _dt(seconds: float) -> datetime:
    """Epoch seconds as moto's naive-UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class _TrainingRun:
    started: float
    done: float
    failure_reason: str | None
    metrics: tuple[tuple[str, float], ...]


_training_runs: weakref.WeakKeyDictionary[Any, _TrainingRun] = weakref.WeakKeyDictionary()

# SecondaryStatus phases of a run, with the fraction of the run at which each starts (API_SecondaryStatusTransition)
_PHASES = (
    (0.0, "Starting", "Preparing the instances for training"),
    (0.2, "Downloading", "Downloading input data"),
    (0.4, "Training", "Training image download completed. Training in progress."),
    (0.8, "Uploading", "Uploading generated training model"),
)


# Metrics that are better when low (losses and errors): a plausible trained model scores them low.
_LOWER_IS_BETTER = ("loss", "error", "mape", "mae", "mse", "rmse", "wape", "logloss")


def metric_value(job_name: str, metric: str) -> float:
    """A stable, plausible value for one metric of one job: in [0.85, 0.95) for scores such as AUC or accuracy,
    in [0.05, 0.15) for losses and errors (names containing loss, error, mape, mae, mse, ...)."""
    digest = hashlib.sha256(f"{job_name}/{metric}".encode()).digest()
    low = 0.05 if any(word in metric.lower() for word in _LOWER_IS_BETTER) else 0.85
    return round(low + 0.1 * int.from_bytes(digest[:4], "big") / 2**32, 4)


def start_training(job: MotoTrainingJob, metric_names: list[str], knobs: Knobs) -> None:
    """CreateTrainingJob: InProgress for delays.training, outcome fixed by the knobs in force now."""
    with LOCK:
        started = time.time()
        overrides = knobs.training_jobs.metrics
        metrics = tuple((name, overrides.get(name, metric_value(job.training_job_name, name))) for name in metric_names)
        failure = failure_for(knobs.training_jobs.fail, job.training_job_name)
        _training_runs[job] = _TrainingRun(started, started + knobs.delays.training, failure, metrics)
        job.training_job_status = "InProgress"
        job.training_start_time = job.training_end_time = job.final_metric_data_list = None
        advance_training(job)


def advance_training(job: MotoTrainingJob) -> None:
    """Bring the job's status, secondary status transitions and metrics to what they are now."""
    with LOCK:
        run = _training_runs.get(job)
        if run is None:
            return
        now = time.time()
        starts = [run.started + fraction * (run.done - run.started) for fraction, _, _ in _PHASES]
        transitions = [
            {"Status": status, "StartTime": _dt(start), "StatusMessage": message}
            for start, (_, status, message) in zip(starts, _PHASES, strict=True)
            if start <= now
        ]
        for transition, end in zip(transitions, starts[1:], strict=False):
            if end <= now:
                transition["EndTime"] = _dt(end)
        job.training_start_time = _dt(starts[1]) if now >= starts[1] else None
        job.secondary_status = transitions[-1]["Status"]
        if now >= run.done:
            del _training_runs[job]
            ended = _dt(run.done)
            transitions[-1]["EndTime"] = ended
            outcome = "Failed" if run.failure_reason else "Completed"
            message = run.failure_reason or "Training job completed"
            transitions.append({"Status": outcome, "StartTime": ended, "EndTime": ended, "StatusMessage": message})
            job.training_job_status = job.secondary_status = outcome
            job.failure_reason = run.failure_reason
            job.training_end_time = job.last_modified_time = ended
            job.final_metric_data_list = (
                None
                if run.failure_reason
                else [{"MetricName": name, "Value": value, "Timestamp": ended} for name, value in run.metrics]
            )
        job.secondary_status_transitions = transitions
