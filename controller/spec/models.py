"""The spec language (SPEC.md) as pydantic v2 models: `Environment` and `ModelSpec` documents.

Every model forbids unknown keys (a typo must never silently do nothing) and is frozen. YAML keys are camelCase,
Python attributes snake_case (an alias generator maps them), so pydantic's error locations and the exported JSON
Schemas speak the user's spelling. Checks that need more than one field, one document, or a library (cron syntax,
credential detection, cross references) live in `controller.spec.checks`, not here.

Used by the loader (`controller.spec.loader`), the schema export (`controller.spec.schema`) and `controller.desired`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from controller.spec.types import (
    AccountId,
    BucketName,
    Duration,
    Email,
    InstanceType,
    Name,
    Region,
    RoleArn,
    S3Uri,
    TagKey,
    TagValue,
    TopicArn,
)

API_VERSION = "modelctl/v1"


class Strict(BaseModel):
    """Base of every spec model: unknown keys rejected, values immutable, camelCase keys in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)


# --- Environment ---------------------------------------------------------------------------------------------


class Promotion(Strict):
    """This environment never trains: it serves versions proven in `from`."""

    from_env: Name = Field(alias="from", description="the environment a version must exist in first")
    require_approval: bool = Field(False, description="the version's model package there must be Approved")


class EnvironmentBody(Strict):
    account: AccountId
    region: Region
    execution_role_arn: RoleArn = Field(description="passed to SageMaker and Step Functions")
    artifact_bucket: BucketName = Field(description="model artifacts, spec bundles, reports")
    notification_topic_arn: TopicArn | None = Field(None, description="default topic for every model here")
    promotion: Promotion | None = None
    protected: bool = Field(False, description="deletes need --allow-delete; plans show them in red")
    tags: dict[TagKey, TagValue] = Field(default_factory=dict, description="added to every resource made here")


class Metadata(Strict):
    name: Name


class Environment(Strict):
    """A `kind: Environment` document: where and how models run."""

    api_version: Literal["modelctl/v1"]
    kind: Literal["Environment"]
    metadata: Metadata
    spec: EnvironmentBody


# --- ModelSpec: source and images ------------------------------------------------------------------------------


class Source(Strict):
    repo: str = Field(min_length=1, description="Git URL of the code that trains and serves the model")
    ref: str = Field(min_length=1, description="a full commit SHA or an immutable tag; never a branch")


class ImageBuild(Strict):
    buildspec: str = Field(min_length=1, description="CodeBuild buildspec path in the source repository")
    context: str = Field(".", min_length=1, description="Docker build context inside the source repository")


class FrameworkImage(Strict):
    name: str = Field(min_length=1, description="a SageMaker framework, e.g. xgboost, pytorch, sklearn")
    version: str = Field(min_length=1)


class Image(Strict):
    """Exactly one of: a pinned `uri`, a CodeBuild `build` from source.ref, or an AWS `framework` image."""

    uri: str | None = Field(None, description="pinned: a tag other than latest, or an @sha256: digest")
    build: ImageBuild | None = None
    framework: FrameworkImage | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Image:
        given = [k for k in ("uri", "build", "framework") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of uri, build, framework (got {', '.join(given) or 'none'})")
        return self


class Images(Strict):
    training: Image
    inference: Image


# --- ModelSpec: training -------------------------------------------------------------------------------------


class Spot(Strict):
    enabled: bool = False
    max_wait: Duration | None = Field(None, description="at least maxRuntime; required when enabled")


class Channel(Strict):
    uri: S3Uri
    content_type: str | None = None


class MetricDefinition(Strict):
    name: str = Field(min_length=1, max_length=255)
    regex: str = Field(min_length=1, max_length=500, description="one capture group: the metric's value")


class QualityGate(Strict):
    metric: str = Field(min_length=1, description="a name from training.metrics")
    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> QualityGate:
        if self.at_least is None and self.at_most is None:
            raise ValueError("give atLeast or atMost")
        return self


class Schedule(Strict):
    expression: str = Field(description="EventBridge Scheduler syntax: cron(m h dom mon dow year) or rate(n unit)")
    timezone: str = "UTC"
    enabled: bool = True


class RetrainOnNewData(Strict):
    channel: str = Field(min_length=1, description="a name from training.inputs")
    debounce: Duration = "6h"


HyperparameterValue = str | int | float | bool


class Training(Strict):
    instance_type: InstanceType
    instance_count: int = Field(1, ge=1, le=100)
    volume_size_gb: int = Field(30, ge=1, le=16384, alias="volumeSizeGB")
    max_runtime: Duration = "1d"
    spot: Spot = Spot()
    hyperparameters: dict[str, HyperparameterValue] = Field(default_factory=dict)
    inputs: dict[str, Channel] = Field(min_length=1)
    data_version: str | None = Field(None, description="label of the data snapshot; part of the model version")
    output_path: S3Uri | None = Field(None, description="default s3://<artifactBucket>/models/<name>/")
    metrics: tuple[MetricDefinition, ...] = ()
    quality_gate: QualityGate | None = None
    schedule: Schedule | None = None
    retrain_on_new_data: RetrainOnNewData | None = None


# --- ModelSpec: deployment ------------------------------------------------------------------------------------


class Variant(Strict):
    name: str = Field(
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        description="SageMaker variant name: letters, digits and '-', at most 63 characters",
    )
    model: str = Field("current", description="`current`, a training config id, or an exact model version id")
    instance_type: InstanceType
    instance_count: int = Field(1, ge=1)
    weight: float = Field(1.0, ge=0, description="relative, like SageMaker's")


class Autoscaling(Strict):
    min: int = Field(ge=1)
    max: int = Field(ge=1)
    target_invocations_per_instance: int = Field(ge=1)


class DataCapture(Strict):
    sampling_percent: int = Field(ge=0, le=100)


class Rollout(Strict):
    strategy: Literal["allAtOnce", "canary", "linear"] = "allAtOnce"
    canary_percent: int | None = Field(None, ge=1, le=50)
    step_percent: int | None = Field(None, ge=10, le=50)
    bake_minutes: int = Field(10, ge=0, le=1440)
    rollback_on_alarms: tuple[str, ...] = ()


class Api(Strict):
    enabled: bool = False
    auth: Literal["iam", "apiKey"] = "iam"


class Realtime(Strict):
    variants: tuple[Variant, ...] = Field(min_length=1, max_length=10)
    autoscaling: Autoscaling | None = None
    data_capture: DataCapture | None = None
    rollout: Rollout = Rollout()
    api: Api = Api()


class Batch(Strict):
    input: S3Uri
    output: S3Uri
    instance_type: InstanceType
    instance_count: int = Field(1, ge=1)


class Deployment(Strict):
    realtime: Realtime | None = None
    batch: Batch | None = None


# --- ModelSpec: monitoring and notifications -----------------------------------------------------------------


class Alarm(Strict):
    name: str = Field(min_length=1, max_length=64)
    metric: Literal[
        "Invocations",
        "Invocation4XXErrors",
        "Invocation5XXErrors",
        "InvocationsPerInstance",
        "ModelLatency",
        "OverheadLatency",
        "ModelSetupTime",
        "CPUUtilization",
        "MemoryUtilization",
        "DiskUtilization",
        "GPUUtilization",
        "GPUMemoryUtilization",
    ]
    statistic: str = Field(
        pattern=r"^(Sum|Average|Minimum|Maximum|SampleCount|p([0-9]{1,2}(\.[0-9]{1,2})?|100))$",
        description="Sum, Average, Minimum, Maximum, SampleCount or a percentile such as p99 or p99.9",
    )
    threshold: float
    period_minutes: int = Field(5, ge=1, le=1440)
    evaluation_periods: int = Field(1, ge=1)
    comparison: Literal["greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual"] = "greaterThan"


class Monitoring(Strict):
    alarms: tuple[Alarm, ...] = ()


NotificationEvent = Literal["pipelineStarted", "pipelineSucceeded", "pipelineFailed", "drift", "rollback", "degraded"]


class Notifications(Strict):
    topic_arn: TopicArn | None = Field(None, description="else the environment's notificationTopicArn")
    on: tuple[NotificationEvent, ...] = ("pipelineFailed", "rollback", "degraded")


# --- ModelSpec documents ----------------------------------------------------------------------------------------


class ModelConfig(Strict):
    """A model's spec for one environment: the document's `spec` with that environment's overlay merged in."""

    source: Source
    images: Images
    training: Training
    deployment: Deployment = Deployment()
    monitoring: Monitoring = Monitoring()
    notifications: Notifications = Notifications()


class ModelSpecBody(ModelConfig):
    environments: dict[Name, dict[str, Any]] = Field(
        min_length=1,
        description="where this model lives; each value is an overlay merged onto `spec` "
        "(maps deep-merge, lists of objects with `name` merge by name, other lists replace)",
    )


class ModelMetadata(Strict):
    name: Name
    owner: Email
    labels: dict[TagKey, TagValue] = Field(default_factory=dict, description="become tags")


class ModelSpec(Strict):
    """A `kind: ModelSpec` document: one model, its training, its serving, per environment."""

    api_version: Literal["modelctl/v1"]
    kind: Literal["ModelSpec"]
    metadata: ModelMetadata
    spec: ModelSpecBody
