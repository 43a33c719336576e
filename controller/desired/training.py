"""How one model's training in one environment maps onto images, CodeBuild projects and the pipeline's parameters.

`TrainingSide` is the part of desired state that speaks the pipeline's language (controller.pipeline): which
image each step uses (a pinned URI, a framework image resolved per region, or one CodeBuild builds from the
model's source), what the training config id sees of the training image, the CodeBuild project properties, and the
PipelineParams the state machine is built from. Pure; used by controller.desired.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from controller import naming
from controller.pipeline.definition import ALL_EVENTS as PIPELINE_EVENTS
from controller.pipeline.definition import (
    BatchTransform,
    BuiltImage,
    Channel,
    MetricDefinition,
    PinnedImage,
    PipelineParams,
    QualityGate,
    Spot,
    Training,
)
from controller.spec.identity import normalise_repo
from controller.spec.models import EnvironmentBody, FrameworkImage, Image, ModelConfig
from controller.spec.types import duration_seconds

ImageResolver = Callable[[FrameworkImage, str, str, str], str]  # (framework, region, role, instance type) -> URI

BUILD_IMAGE = "aws/codebuild/standard:7.0"  # CodeBuild's managed Ubuntu image with Docker
BUILD_COMPUTE = "BUILD_GENERAL1_MEDIUM"
_SOURCE_TYPES = (
    ("github.com", "GITHUB"),
    ("bitbucket.org", "BITBUCKET"),
    ("gitlab.com", "GITLAB"),
    ("git-codecommit.", "CODECOMMIT"),
)


@dataclass(frozen=True)
class TrainingSide:
    """name / env: the model and environment; config: the model's merged spec there; environment: the
    environment's spec; resolve_image: resolves `framework` images (controller.cli.images on a workstation, the
    bundle's table in the Lambda)."""

    name: str
    env: str
    config: ModelConfig
    environment: EnvironmentBody
    resolve_image: ImageResolver

    def image_identity(self, image: Image, role: str) -> str:
        """What the training config id sees of an image (identity.py): a URI, or the build recipe."""
        if image.build is not None:
            return f"build:{image.build.buildspec}:{image.build.context}"
        pinned = self.pipeline_image(image, role)
        assert isinstance(pinned, PinnedImage)
        return pinned.uri

    def pipeline_image(self, image: Image, role: str) -> PinnedImage | BuiltImage:
        if image.build is not None:
            spec = self.environment
            repository = f"{spec.account}.dkr.ecr.{spec.region}.amazonaws.com/modelctl/{self.name}"
            return BuiltImage(naming.image_build_project(self.env, self.name, role), self.config.source.ref, repository)
        if image.framework is not None:
            return PinnedImage(
                self.resolve_image(image.framework, self.environment.region, role, self.instance_type(role))
            )
        assert image.uri is not None
        return PinnedImage(image.uri)

    def instance_type(self, role: str) -> str:
        """The instance type an image runs on: training's, else the first variant's or the batch job's."""
        deployment = self.config.deployment
        if role == "inference" and deployment.realtime is not None:
            return deployment.realtime.variants[0].instance_type
        if role == "inference" and deployment.batch is not None:
            return deployment.batch.instance_type
        return self.config.training.instance_type

    def image_builds(self) -> dict[str, dict[str, Any]]:
        """CodeBuild project name -> its properties, for each image the pipeline builds from the model's source."""
        images = self.config.images
        return {
            naming.image_build_project(self.env, self.name, role): {
                "source": {
                    "type": source_type(self.config.source.repo),
                    "location": self.config.source.repo,
                    "buildspec": image.build.buildspec,
                },
                "environment": {
                    "image": BUILD_IMAGE,
                    "computeType": BUILD_COMPUTE,
                    "privilegedMode": True,  # the build runs `docker build`
                    "variables": {"BUILD_CONTEXT": image.build.context, "MODEL_NAME": self.name},
                },
                "serviceRole": self.environment.execution_role_arn,
            }
            for role, image in (("training", images.training), ("inference", images.inference))
            if image.build is not None
        }

    def pipeline_params(
        self, *, machine_name: str, config_id: str, group: str, approval_required: bool, tags: Mapping[str, str]
    ) -> PipelineParams:
        """The pipeline's parameters; `approval_required`: versions wait for a person's approval (a downstream
        environment promotes from here and requires it); `tags`: what the pipeline tags its jobs, packages and
        models with (the run adds its version and git SHA)."""
        training = self.config.training
        output = training.output_path or f"s3://{self.environment.artifact_bucket}/models/{self.name}/"
        batch = self.config.deployment.batch
        notifications = self.config.notifications
        return PipelineParams(
            model=self.name,
            env=self.env,
            config_id=config_id,
            state_machine_name=machine_name,
            role_arn=self.environment.execution_role_arn,
            topic_arn=notifications.topic_arn or self.environment.notification_topic_arn,
            source_ref=self.config.source.ref,
            training=Training(
                image=self.pipeline_image(self.config.images.training, "training"),
                instance_type=training.instance_type,
                instance_count=training.instance_count,
                volume_gb=training.volume_size_gb,
                max_runtime_seconds=duration_seconds(training.max_runtime),
                channels=tuple(Channel(n, c.uri, c.content_type) for n, c in sorted(training.inputs.items())),
                output_s3_path=output,
                hyperparameters_parameter=naming.hyperparameter_parameter(self.env, self.name),
                metrics=tuple(MetricDefinition(m.name, m.regex) for m in training.metrics),
                quality_gate=QualityGate(g.metric, g.at_least, g.at_most) if (g := training.quality_gate) else None,
                spot=Spot(
                    training.spot.enabled, duration_seconds(training.spot.max_wait) if training.spot.max_wait else None
                ),
            ),
            model_package_group=group,
            approval_status="PendingManualApproval" if approval_required else "Approved",
            inference_image=self.pipeline_image(self.config.images.inference, "inference"),
            data_version=training.data_version,
            batch=BatchTransform(batch.input, batch.output, batch.instance_type, batch.instance_count)
            if batch
            else None,
            tags=tags,
            notify=frozenset(event for event in notifications.on if event in PIPELINE_EVENTS),
        )


def source_type(repo: str) -> str:
    """CodeBuild's source type for a Git URL, by host; any other host is taken as a GitHub Enterprise server."""
    host = normalise_repo(repo).split("/", 1)[0]
    for marker, kind in _SOURCE_TYPES:
        if marker in host:
            return kind
    return "GITHUB_ENTERPRISE"


def image_key(framework: FrameworkImage, region: str, role: str, instance_type: str) -> str:
    """What a resolved URI is filed under, in the cache and in a bundle's image table."""
    return "|".join((framework.name, framework.version, region, role, instance_type))
