"""The values the pipeline definition is built from, and the input every execution takes.

`PipelineParams` (mapped from the specs by controller.desired) -> controller.pipeline.build_definition;
`execution_input` / `encode_input` are used by whoever starts a run (the reconciler, `modelctl retrain`, the
EventBridge schedule's fixed input). Re-exported by controller.pipeline; pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, NotRequired, TypedDict

from controller.resources import GIT_SHA_TAG, VERSION_TAG, version_id

ApprovalStatus = Literal["Approved", "PendingManualApproval"]
Trigger = Literal["reconcile", "retrain", "schedule", "new-data", "promotion"]
NotifyEvent = Literal["pipelineStarted", "pipelineSucceeded", "pipelineFailed"]
ALL_EVENTS: frozenset[NotifyEvent] = frozenset({"pipelineStarted", "pipelineSucceeded", "pipelineFailed"})

RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"  # what the pipeline computes from $$.Execution.StartTime
RUN_ID_LENGTH = len(datetime(2000, 1, 1).strftime(RUN_ID_FORMAT))  # 16
MAX_SAGEMAKER_NAME = 63
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")  # SageMaker resource names (length checked apart)
_SSM_LABEL = re.compile(r"^(?!aws|ssm)[a-zA-Z][a-zA-Z0-9_.-]{0,99}$", re.IGNORECASE)
_GATE_METRIC_FORBIDDEN = ("'", "\\")  # the gate metric is quoted inside a JSONPath filter


@dataclass(frozen=True)
class PinnedImage:
    """An image used as is: a registry URI pinned by tag or digest."""

    uri: str


@dataclass(frozen=True)
class BuiltImage:
    """An image the pipeline builds with CodeBuild before using it (see the module docstring)."""

    project: str  # CodeBuild project name
    source_version: str  # commit SHA or tag the build checks out
    repository_uri: str  # ECR repository the build pushes to, without tag


Image = PinnedImage | BuiltImage


@dataclass(frozen=True)
class Channel:
    """One training input channel."""

    name: str
    s3_uri: str
    content_type: str | None = None


@dataclass(frozen=True)
class MetricDefinition:
    """A metric SageMaker extracts from the training logs (first capture group of `regex`)."""

    name: str
    regex: str


@dataclass(frozen=True)
class QualityGate:
    """The training job's final value of `metric` must be >= at_least and/or <= at_most."""

    metric: str
    at_least: float | None = None
    at_most: float | None = None


@dataclass(frozen=True)
class Spot:
    """Managed spot training; max_wait_seconds (>= the max runtime) is required when enabled."""

    enabled: bool = False
    max_wait_seconds: int | None = None


@dataclass(frozen=True)
class BatchTransform:
    """A batch transform after each successful training; output goes to `<output_s3_uri>/<version>/`."""

    input_s3_uri: str
    output_s3_uri: str
    instance_type: str
    instance_count: int = 1
    content_type: str | None = None


@dataclass(frozen=True)
class Training:
    """The training job's configuration."""

    image: Image
    instance_type: str
    instance_count: int
    volume_gb: int
    max_runtime_seconds: int
    channels: tuple[Channel, ...]
    output_s3_path: str
    hyperparameters_parameter: str  # SSM parameter name; its value is a JSON object of strings
    metrics: tuple[MetricDefinition, ...] = ()
    quality_gate: QualityGate | None = None
    spot: Spot = Spot()


@dataclass(frozen=True)
class PipelineParams:
    """Everything the definition of one model+environment pipeline depends on (mapped from the specs by
    controller.desired). `tags` go on everything the pipeline creates (training job, model package, model,
    transform job), next to VERSION_TAG and GIT_SHA_TAG which the pipeline sets per run."""

    model: str
    env: str
    config_id: str
    state_machine_name: str
    role_arn: str  # SageMaker execution role (the state machine's own role is set on the state machine)
    topic_arn: str | None  # None: no notifications
    source_ref: str  # lineage: the model source's commit or tag
    training: Training
    model_package_group: str
    approval_status: ApprovalStatus
    inference_image: Image
    data_version: str | None = None  # lineage: the data snapshot label
    batch: BatchTransform | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    notify: frozenset[NotifyEvent] = ALL_EVENTS  # which events are published to topic_arn

    def __post_init__(self) -> None:
        if not _NAME.match(self.config_id) or len(self.config_id) + 1 + RUN_ID_LENGTH > MAX_SAGEMAKER_NAME:
            raise ValueError(f"config id {self.config_id!r} cannot prefix a SageMaker name of <= 63 chars")
        if self.approval_status not in ("Approved", "PendingManualApproval"):
            raise ValueError(f"approval status {self.approval_status!r} is not Approved/PendingManualApproval")
        if not self.training.channels:
            raise ValueError("training needs at least one input channel")
        if self.training.spot.enabled and not self.training.spot.max_wait_seconds:
            raise ValueError("spot training needs max_wait_seconds")
        gate = self.training.quality_gate
        if gate is not None:
            if gate.metric not in {m.name for m in self.training.metrics}:
                raise ValueError(f"quality gate metric {gate.metric!r} is not among the metric definitions")
            if gate.at_least is None and gate.at_most is None:
                raise ValueError("a quality gate needs at_least or at_most")
            if any(char in gate.metric for char in _GATE_METRIC_FORBIDDEN):
                raise ValueError(f"quality gate metric {gate.metric!r} must not contain ' or \\")
        if VERSION_TAG in self.tags or GIT_SHA_TAG in self.tags:
            raise ValueError(f"tags {VERSION_TAG} and {GIT_SHA_TAG} are set by the pipeline itself")


class ExecutionInput(TypedDict):
    """The input of every execution (EventBridge Scheduler sends a fixed one without runId)."""

    hyperparameterVersion: int | str  # SSM parameter version, or label of one, holding the hyperparameters
    gitSha: str  # the specs commit that started the run (lineage)
    pollSeconds: int  # Wait between two polls of a build or job: 60 on AWS, 0-1 on the emulator
    trigger: Trigger  # why the run started
    runId: NotRequired[str]  # overrides the run id computed from the start time


def run_id_for(moment: datetime) -> str:
    """The run id the pipeline computes for an execution started at `moment` (made UTC)."""
    return moment.astimezone(UTC).strftime(RUN_ID_FORMAT)


model_version = version_id  # `<config id>-<run id>` (controller.resources): the run's training job, model, ...


def execution_input(
    hyperparameter_version: int | str,
    git_sha: str,
    trigger: Trigger,
    poll_seconds: int = 60,
    run_id: str | None = None,
) -> ExecutionInput:
    """A valid execution input; raises ValueError for values the pipeline would fail on."""
    if isinstance(hyperparameter_version, int) and hyperparameter_version < 1:
        raise ValueError("SSM parameter versions start at 1")
    if isinstance(hyperparameter_version, str) and not _SSM_LABEL.match(hyperparameter_version):
        raise ValueError(f"{hyperparameter_version!r} is not an SSM parameter label")
    if poll_seconds < 0:
        raise ValueError("pollSeconds must be >= 0")
    if not git_sha:
        raise ValueError("gitSha is required")
    result: ExecutionInput = {
        "hyperparameterVersion": hyperparameter_version,
        "gitSha": git_sha,
        "pollSeconds": poll_seconds,
        "trigger": trigger,
    }
    if run_id is not None:
        if not _NAME.match(run_id) or len(run_id) > RUN_ID_LENGTH:
            raise ValueError(f"run id {run_id!r} must be 1-{RUN_ID_LENGTH} letters, digits or inner hyphens")
        result["runId"] = run_id
    return result


def encode_input(value: ExecutionInput) -> str:
    """Canonical JSON of an execution input: StartExecution with the same name is idempotent only for the
    same input string, so every caller must encode it the same way."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
