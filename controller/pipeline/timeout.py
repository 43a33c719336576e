"""How long a pipeline execution may run: the state machine's `TimeoutSeconds`, derived from the spec.

Step Functions ends an execution that runs longer than its definition's top-level `TimeoutSeconds` with status
TIMED_OUT (AWS "Amazon States Language: state machine structure"); without one a Standard workflow may run for a
year, so a stuck build or job would hold a run RUNNING (health Progressing/Training) long after anyone expects it.
A timed-out or stopped (ABORTED) execution runs no Catch, so the pipeline's own NotifyFailure cannot announce it:
the reconciler does (controller.reconcile.pipeline_alerts).

The budget is the sum of what each step may take, each bounded by AWS itself:

    training       the training job's StoppingCondition: MaxWaitTimeInSeconds with managed spot (it includes the
                   wait for spot capacity), else MaxRuntimeInSeconds (`training.maxRuntime`)
    image builds   BUILD_SECONDS per image the pipeline builds with CodeBuild: CodeBuild's default build timeout
                   (60 minutes), which the image projects keep (controller.desired.training)
    batch          the training budget again for the batch transform when `deployment.batch` is declared: SageMaker
                   puts no limit on a transform job, and a transform over the scoring input is taken to need no
                   longer than the training that produced the model
    margin         MARGIN_SECONDS for everything else: instances starting before a job's clock runs, poll intervals,
                   registration, model creation and notifications

So a pipeline with a 2 h training, one built image and no batch times out after 2 h + 1 h + 1 h = 4 h. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

BUILD_SECONDS = 60 * 60  # CodeBuild's default TimeoutInMinutes (60), per image built
MARGIN_SECONDS = 60 * 60  # job start-up, polls, registration, notifications
MAX_TIMEOUT_SECONDS = 99_999_999  # the largest TimeoutSeconds Step Functions accepts


@dataclass(frozen=True)
class Budget:
    """What a pipeline's steps may take. training_seconds: the training job's own limit (spot: its max wait);
    built_images: how many images it builds; batch: whether it runs a batch transform; trains: False for a
    pipeline that only transforms (a promoted environment's, controller.pipeline.promoted)."""

    training_seconds: int
    built_images: int = 0
    batch: bool = False
    trains: bool = True

    def timeout_seconds(self) -> int:
        """The state machine's TimeoutSeconds (see the module docstring)."""
        total = MARGIN_SECONDS + self.built_images * BUILD_SECONDS
        total += self.training_seconds if self.trains else 0
        total += self.training_seconds if self.batch else 0
        return min(total, MAX_TIMEOUT_SECONDS)


def training_seconds(max_runtime_seconds: int, spot_max_wait_seconds: int | None) -> int:
    """The longest a training job may take: its max wait with managed spot, else its max runtime."""
    return spot_max_wait_seconds or max_runtime_seconds
