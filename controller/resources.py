"""The vocabulary shared by desired state, observed state, diff, plan and apply: resource kinds and values.

A `Resource` is one thing the controller wants to exist in AWS for one model in one environment, described by
the properties it compares (JSON-able, normalised) and the tags it sets. An `Observed` is what the adapters read
back for the same kind and key. Both are treated as immutable values; `properties` dicts are never mutated after
construction. `Kind` names one AWS resource type; observe/apply reach the right adapter through the registry in
`controller.aws.registry`, keyed by kind (gitops-engine's ResourceOperations idea).

Also the one home of the words every layer shares: the modelctl:* tags, the ownership check (`is_managed`) and
model version ids (`version_id` / `config_id_of`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# The modelctl:* tags, the one place they are spelled (SPEC.md "Ownership").
TAG_PREFIX = "modelctl:"
MANAGED_TAG = TAG_PREFIX + "managed"  # "true" on everything modelctl made: the ownership mark
MODEL_TAG = TAG_PREFIX + "model"
ENV_TAG = TAG_PREFIX + "env"
CONFIG_TAG = TAG_PREFIX + "config"  # the training config id
VERSION_TAG = TAG_PREFIX + "version"  # added by the pipeline to everything it creates, with the run's version
GIT_SHA_TAG = TAG_PREFIX + "git-sha"  # the spec commit (for pipeline outputs: the one whose reconcile started it)
SPEC_DIGEST_TAG = TAG_PREFIX + "spec-digest"
SOURCE_REF_TAG = TAG_PREFIX + "source-ref"  # lineage of a registered version: the source commit trained
DATA_VERSION_TAG = TAG_PREFIX + "data-version"  # ... the training data's version, when the spec names one
TRAINING_JOB_TAG = TAG_PREFIX + "training-job"  # ... the training job's name
TRIGGER_TAG = TAG_PREFIX + "trigger"  # ... why the pipeline ran

MANAGED = {MANAGED_TAG: "true"}  # the ownership mark as a tag mapping (copy it before adding to it)


def is_managed(tags: Mapping[str, str]) -> bool:
    """The ownership check: True when modelctl made the resource (modelctl:managed=true); anything else is never
    modified or deleted."""
    return tags.get(MANAGED_TAG) == "true"


def version_id(config_id: str, run_id: str) -> str:
    """A model version id, `<config id>-<run id>`: the name of the training job, model and transform job of a run."""
    return f"{config_id}-{run_id}"


def config_id_of(version: str) -> str:
    """The training config id a version id was trained from (the inverse of `version_id`)."""
    return version.rsplit("-", 1)[0]


class Kind(StrEnum):
    """Every kind of resource the controller manages, in the order a fresh environment creates them."""

    PARAMETER = "ssm.parameter"  # hyperparameters and the training config, by name
    MODEL_PACKAGE_GROUP = "sagemaker.modelPackageGroup"  # the registry of a model's versions in one env
    IMAGE_BUILD = "codebuild.project"  # builds a model's training or inference image from its source
    STATE_MACHINE = "stepfunctions.stateMachine"  # the train-and-deploy pipeline
    SCHEDULE = "scheduler.schedule"  # the retraining cadence
    PIPELINE_RUN = "pipeline.run"  # "no version of this training config exists yet: run the pipeline"
    PROMOTED_VERSION = "sagemaker.promotedVersion"  # a version copied from the promotion source, never retrained
    MODEL = "sagemaker.model"  # one per model version; made by the pipeline (or promotion), read by the plan
    ENDPOINT_CONFIG = "sagemaker.endpointConfig"  # content-named; a new one means a new fleet
    ENDPOINT = "sagemaker.endpoint"  # <model>-<env>
    SCALING_TARGET = "autoscaling.scalableTarget"  # one per endpoint variant
    SCALING_POLICY = "autoscaling.scalingPolicy"
    ALARM = "cloudwatch.alarm"


@dataclass(frozen=True)
class Ref:
    """Names one resource: its kind and its key (the AWS name, unique per kind within an account and region)."""

    kind: Kind
    key: str

    def __str__(self) -> str:
        """`kind/key` for people; a key's own leading slash (SSM's `/modelctl/...`) is not doubled, as in ARNs."""
        return f"{self.kind}/{self.key.removeprefix('/')}"


@dataclass(frozen=True)
class Resource:
    """A desired resource.

    ref: kind and AWS name; model: the owning model's name; properties: what is compared with AWS (normalised,
    JSON-able); tags: the tags it carries (ownership and lineage, see SPEC.md "Ownership"); depends_on: resources
    that must exist first; payload: what apply needs to create or update it but that is not compared field by
    field (a state machine's full definition, whose digest is in `properties`; an endpoint's DeploymentConfig).
    """

    ref: Ref
    model: str
    properties: Mapping[str, Any]
    tags: Mapping[str, str] = field(default_factory=dict)
    depends_on: tuple[Ref, ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Observed:
    """A resource as read from AWS.

    ref: kind and name; properties: the same shape as the desired resource's, normalised by the adapter (fields AWS
    fills in removed); tags: as read; status: the AWS lifecycle status where the kind has one (e.g. an endpoint's
    InService / Updating), else ""; extra: kind-specific facts the diff needs but does not compare (live variant
    weights, instance counts owned by autoscaling, ...).
    """

    ref: Ref
    properties: Mapping[str, Any]
    tags: Mapping[str, str] = field(default_factory=dict)
    status: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def managed(self) -> bool:
        """True when modelctl made it (tag modelctl:managed=true); anything else is never modified."""
        return is_managed(self.tags)
