"""Desired state of a promoted environment's batch transforms: its pipeline, and a run per promoted version.

A promoted environment never trains, so the training pipeline's batch transform (`deployment.batch`, after each
successful training) never ran there. Here, in an environment with `promotion.from` whose spec declares
`deployment.batch`, the model gets the state machine of controller.pipeline.promoted (`modelctl-<model>-<env>`, the
name a training pipeline would have, so the reconciler Lambda's pipeline-status rule and `modelctl status` see it)
and a pipeline run named after the version the environment serves for the current config: the newest one in its
registry, or the one promoted in this same pass (the run then depends on the promotion). The run is wanted as long
as that version is the newest, and a run that exists is history (controller.plan.diff): one transform per promoted
version, never repeated, and an interrupted apply starts it on the next pass. Cost: one DescribeExecution per
reconcile per such model. Pure; used by controller.desired.state.
"""

from __future__ import annotations

from collections.abc import Mapping

from controller import naming
from controller.desired.training import TrainingSide
from controller.pipeline.definition import ALL_EVENTS as PIPELINE_EVENTS
from controller.pipeline.definition import BatchTransform
from controller.pipeline.promoted import PromotedParams, build_promoted_definition, promoted_input
from controller.pipeline.timeout import training_seconds
from controller.resources import GIT_SHA_TAG, SPEC_DIGEST_TAG, Kind, Ref, Resource
from controller.spec.identity import digest
from controller.spec.types import duration_seconds


def promoted_batch(
    side: TrainingSide,
    config_id: str,
    tags: Mapping[str, str],
    version: str | None,
    promotion: Ref | None,
    poll_seconds: int,
) -> list[Resource]:
    """The batch pipeline and, when `version` is known, its run (see the module docstring). `promotion`: the
    PROMOTED_VERSION resource that registers `version` in this pass, if any."""
    batch = side.config.deployment.batch
    if batch is None:
        return []
    training = side.config.training
    notifications = side.config.notifications
    spot_wait = duration_seconds(training.spot.max_wait) if training.spot.enabled and training.spot.max_wait else None
    definition = build_promoted_definition(
        PromotedParams(
            model=side.name,
            env=side.env,
            config_id=config_id,
            batch=BatchTransform(batch.input, batch.output, batch.instance_type, batch.instance_count),
            training_seconds=training_seconds(duration_seconds(training.max_runtime), spot_wait),
            topic_arn=notifications.topic_arn or side.environment.notification_topic_arn,
            notify=frozenset(event for event in notifications.on if event in PIPELINE_EVENTS),
            tags={k: v for k, v in tags.items() if k not in (GIT_SHA_TAG, SPEC_DIGEST_TAG)},
        )
    )
    machine_name = naming.state_machine(side.env, side.name)
    group = Ref(Kind.MODEL_PACKAGE_GROUP, naming.model_package_group(side.env, side.name))
    machine = Resource(
        Ref(Kind.STATE_MACHINE, machine_name),
        side.name,
        {"definitionDigest": digest(definition), "roleArn": side.environment.execution_role_arn},
        dict(tags),
        (group,),
        {"definition": definition},
    )
    if version is None:
        return [machine]
    job = naming.promoted_transform_job(side.env, version)
    run = Resource(
        Ref(Kind.PIPELINE_RUN, naming.pipeline_run(side.env, side.name, version)),
        side.name,
        {"configId": config_id, "stateMachine": machine_name},
        dict(tags),
        (machine.ref, *((promotion,) if promotion else ())),
        {"input": promoted_input(version, config_id, job, tags[GIT_SHA_TAG], poll_seconds)},
    )
    return [machine, run]
