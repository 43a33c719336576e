"""The pipeline of a promoted environment: the batch transform of a version copied from upstream, never a training.

A promoted environment (`promotion.from`) never trains: the reconciler copies the upstream version into its registry
with its SageMaker model (controller.aws.sagemaker_promotion). Where the spec declares `deployment.batch`, the
training pipeline of a training environment runs a batch transform after registering each version; in a promoted
environment this state machine does the same for each promoted version, started by the reconciler with the version
in its input (controller.desired.promoted_batch):

    NotifyStarted -> StartBatchTransform -> poll DescribeBatchTransform -> Summarize -> NotifySucceeded -> Succeeded

with the same failure handling (NotifyFailure, then Fail `Failed` named `<state>.<error>`), notifications and
tags as the training pipeline (controller.pipeline.definition). Its input (`promoted_input`): `run` {id, version}
of the promoted version, `transformJobName`, `gitSha`, `pollSeconds`, `trigger` ("promotion"). The transform job
is named apart from the upstream one (`transform_job_name`): SageMaker job names are unique per account and
region, and both environments may share an account. TimeoutSeconds: the batch budget plus the margin
(controller.pipeline.timeout). Pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.pipeline.definition import ALL_EVENTS, BatchTransform, NotifyEvent, batch_transform, run_tags
from controller.pipeline.states import Flow
from controller.pipeline.timeout import Budget

START = "NotifyStarted"


@dataclass(frozen=True)
class PromotedParams:
    """model / env / config_id: whose pipeline; batch: the transform; training_seconds: the spec's training budget
    (the transform's, controller.pipeline.timeout); topic_arn / notify: where and which events are published;
    tags: what the transform job is tagged with (the run adds its version and git SHA)."""

    model: str
    env: str
    config_id: str
    batch: BatchTransform
    training_seconds: int
    topic_arn: str | None
    notify: frozenset[NotifyEvent] = ALL_EVENTS
    tags: Mapping[str, str] = field(default_factory=dict)


def build_promoted_definition(p: PromotedParams) -> dict[str, Any]:
    """The ASL definition (see the module docstring)."""
    flow = Flow()

    def topic(event: NotifyEvent) -> str | None:
        return p.topic_arn if event in p.notify else None

    def subject(event: NotifyEvent) -> str:
        return f"modelctl {p.model}/{p.env}: pipeline {event.removeprefix('pipeline').lower()}"

    identity = {"model": p.model, "env": p.env, "configId": p.config_id, "version.$": "$.run.version"}
    started = {"event": "pipelineStarted", **identity, "trigger.$": "$.trigger", "gitSha.$": "$.gitSha"}
    start_batch = "StartBatchTransform"
    flow.notify(START, topic("pipelineStarted"), subject("pipelineStarted"), "pipelineStarted", started, start_batch)
    batch_transform(flow, run_tags(p.tags), p.batch, "Summarize", job_name_path="$.transformJobName")
    summary = {
        "event": "pipelineSucceeded",
        **identity,
        "transformJobName.$": "$.transformJobName",
        "gitSha.$": "$.gitSha",
        "trigger.$": "$.trigger",
    }
    flow.add("Summarize", {"Type": "Pass", "Parameters": summary, "ResultPath": "$.result", "Next": "NotifySucceeded"})
    notify = topic("pipelineSucceeded")
    flow.notify("NotifySucceeded", notify, subject("pipelineSucceeded"), "pipelineSucceeded", "$.result", "Succeeded")
    flow.add("Succeeded", {"Type": "Succeed", "OutputPath": "$.result"})
    failed = {"event": "pipelineFailed", **identity, "state.$": "$.failure.state"}
    failed |= {"error.$": "$.failure.error", "cause.$": "$.failure.cause", "execution.$": "$$.Execution.Id"}
    flow.finish(topic("pipelineFailed"), subject("pipelineFailed"), failed)
    budget = Budget(p.training_seconds, batch=True, trains=False)
    return {
        "Comment": f"modelctl batch transform of versions promoted to {p.env} for {p.model} (config {p.config_id})",
        "StartAt": START,
        "TimeoutSeconds": budget.timeout_seconds(),
        "States": flow.states,
    }


def promoted_input(version: str, config_id: str, transform_job: str, git_sha: str, poll_seconds: int) -> str:
    """The execution input for `version` (canonical JSON, so a resent StartExecution is the same request)."""
    run = {"id": version.removeprefix(config_id + "-"), "version": version}
    value = {
        "run": run,
        "transformJobName": transform_job,
        "gitSha": git_sha,
        "pollSeconds": poll_seconds,
        "trigger": "promotion",
    }
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
