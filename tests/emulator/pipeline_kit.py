"""Helpers for running the shipped pipeline definition on the emulator (tests/emulator/test_pipeline_*.py).

`sample_params(...)` is a churn-xgb/dev pipeline; `PipelineKit` creates what the pipeline reads (hyperparameter
parameter, topic, model package group, CodeBuild projects), creates the state machine, starts executions and
waits for them, and reads what the pipeline published to SNS (moto keeps it in its backend).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3

from controller.local import codebuild_ext, control
from controller.pipeline.definition import (
    BatchTransform,
    BuiltImage,
    Channel,
    ExecutionInput,
    Image,
    MetricDefinition,
    PinnedImage,
    PipelineParams,
    QualityGate,
    Training,
    build_definition,
    encode_input,
    execution_input,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/modelctl-sagemaker"
TOPIC = "modelctl-alerts"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:{TOPIC}"
CONFIG_ID = "churn-xgb-3a4b5c6d7e8f"
HYPERPARAMETERS = "/modelctl/dev/churn-xgb/hyperparameters"
PINNED = PinnedImage(f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.7-1")
TRAIN_REPO = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn-train"
SERVE_REPO = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn-serve"
TRAINING_BUILD = BuiltImage("churn-train-image", "9f1c2e7d", TRAIN_REPO)
INFERENCE_BUILD = BuiltImage("churn-serve-image", "9f1c2e7d", SERVE_REPO)
TAGS = {"modelctl:managed": "true", "modelctl:model": "churn-xgb", "modelctl:env": "dev", "modelctl:config": CONFIG_ID}
GATE = QualityGate("validation:auc", at_least=0.8)
# Fast knobs: training jobs run 0.3 s
FAST = {"delays": {"training": 0.3}}


def sample_params(
    training_image: Image = PINNED,
    inference_image: Image = PINNED,
    gate: QualityGate | None = GATE,
    batch: bool = False,
) -> PipelineParams:
    """The churn-xgb pipeline in dev, with the given images, gate and optional batch transform."""
    return PipelineParams(
        model="churn-xgb",
        env="dev",
        config_id=CONFIG_ID,
        state_machine_name="modelctl-churn-xgb-dev",
        role_arn=ROLE,
        topic_arn=TOPIC_ARN,
        source_ref="9f1c2e7d",
        data_version="2026-11-01",
        training=Training(
            image=training_image,
            instance_type="ml.m5.xlarge",
            instance_count=1,
            volume_gb=30,
            max_runtime_seconds=7200,
            channels=(
                Channel("train", "s3://acme-ml-data/churn/train/", "text/csv"),
                Channel("validation", "s3://acme-ml-data/churn/validation/", "text/csv"),
            ),
            output_s3_path="s3://acme-ml-artifacts/churn/",
            hyperparameters_parameter=HYPERPARAMETERS,
            metrics=(MetricDefinition("validation:auc", "validation-auc:([0-9\\.]+)"),),
            quality_gate=gate,
        ),
        model_package_group="churn-xgb-dev",
        approval_status="Approved",
        inference_image=inference_image,
        batch=BatchTransform("s3://acme-ml-data/churn/score/", "s3://acme-ml-artifacts/churn/scores/", "ml.m5.xlarge")
        if batch
        else None,
        tags=TAGS,
    )


class PipelineKit:
    """Clients on the emulator at `url` (None: in-process; served: AWS_ENDPOINT_URL already points at it),
    its knobs, and the pipeline's prerequisites."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        control.configure(url, FAST)
        codebuild_ext.reset()
        codebuild_ext.configure(seconds=0.2)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.ssm = boto3.client("ssm", region_name=REGION)
        self.codebuild = boto3.client("codebuild", region_name=REGION)
        self.ssm.put_parameter(Name=HYPERPARAMETERS, Type="String", Value=json.dumps({"eta": "0.2", "max_depth": "6"}))
        boto3.client("sns", region_name=REGION).create_topic(Name=TOPIC)
        self.sagemaker.create_model_package_group(ModelPackageGroupName="churn-xgb-dev")
        for image in (TRAINING_BUILD, INFERENCE_BUILD):
            self.codebuild.create_project(
                name=image.project,
                source={"type": "GITHUB", "location": "https://github.com/acme/churn-model.git"},
                artifacts={"type": "NO_ARTIFACTS"},
                environment={
                    "type": "LINUX_CONTAINER",
                    "image": "aws/codebuild/standard:7.0",
                    "computeType": "BUILD_GENERAL1_SMALL",
                },
                serviceRole=ROLE,
            )

    def configure(self, document: dict[str, Any]) -> None:
        """Set emulator knobs (controller.local.control)."""
        control.configure(self.url, document)

    def state_machine(self, params: PipelineParams) -> str:
        """Create the pipeline's state machine (a unique name per call); its ARN."""
        name = f"{params.state_machine_name}-{uuid.uuid4().hex[:8]}"
        definition = json.dumps(build_definition(params))
        arn: str = self.sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)["stateMachineArn"]
        return arn

    def start(self, machine: str, value: ExecutionInput | None = None, name: str | None = None) -> str:
        """Start an execution (default input: a reconcile run polling every 0 s); its ARN."""
        value = value or execution_input(1, "c0ffee", "reconcile", poll_seconds=0, run_id="20261125T030000Z")
        kwargs = {"name": name} if name else {}
        arn: str = self.sfn.start_execution(stateMachineArn=machine, input=encode_input(value), **kwargs)[
            "executionArn"
        ]
        return arn

    def finish(self, execution: str, timeout: float = 20.0) -> dict[str, Any]:
        """Wait until the execution is no longer RUNNING; its description."""
        deadline = time.monotonic() + timeout
        while (description := self.sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
            assert time.monotonic() < deadline, f"execution still RUNNING after {timeout} s"
            time.sleep(0.05)
        result: dict[str, Any] = description
        return result

    def run(self, params: PipelineParams, value: ExecutionInput | None = None) -> dict[str, Any]:
        """Create the state machine, run one execution to its end; its description."""
        return self.finish(self.start(self.state_machine(params), value))

    def states_entered(self, execution: str) -> list[str]:
        """Names of the states the execution entered, in order."""
        events = self.sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        return [event["stateEnteredEventDetails"]["name"] for event in events if "stateEnteredEventDetails" in event]


def notifications() -> list[dict[str, Any]]:
    """The messages published to the pipeline's topic (JSON bodies, plus their Subject and event attribute)."""
    from moto.sns import sns_backends

    topic = sns_backends[ACCOUNT][REGION].topics[TOPIC_ARN]
    published = []
    for _, message, subject, attributes, _ in topic.sent_notifications:
        event = (attributes or {}).get("event", {}).get("Value") or (attributes or {}).get("event", {}).get(
            "StringValue"
        )
        published.append({**json.loads(message), "_subject": subject, "_event": event})
    return published
