"""The SAM stack's IAM in the served emulator: its roles with exactly the template's policies, their credentials,
the specs pointed at the stack's resources, what the controller could have changed (as comparable data), and
requests that only need to reach authorization (probes).

deploy, assume, client and aws_state use the emulator's admin: anyone, while IAM enforcement is off, so they run
before `moto.core.authorization.enable_iam_authentication()` switches it on or after it switches it off.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.model import Shape
from cfn_template import Stack

from controller.aws.statetable import TABLE_NAME
from controller.local.bootstrap import ensure_prerequisites

ACCOUNT, REGION, ENV = "111122223333", "us-east-1", "dev"
SMALL_SPECS = Path(__file__).resolve().parents[2] / "e2e" / "specs_small"
# the stack as deployed for the e2e specs' dev: their training data bucket is its TrainingDataBucketNames
STACK = Stack(
    {
        "EnvironmentName": ENV,
        "SpecsRepositoryUrl": "https://github.com/acme/specs.git",
        "TrainingDataBucketNames": "e2e-data",
    },
    ACCOUNT,
    REGION,
)
ROLES = ("ReconcilerRole", "PlanRole", "PipelineRole")
DENIED_CODES = ("AccessDenied", "AccessDeniedException")
PROBE_NAME = "modelctl-dev-probe"  # every name in a probe request (example_input)
# probes: one attempt, and no client-side validation (example_input fills the required members, no more)
PROBE_CONFIG = Config(retries={"mode": "standard", "max_attempts": 1}, parameter_validation=False)


@cache
def _admin() -> boto3.Session:
    """One Session for the admin clients (a new Session loads the service models again), with dummy credentials:
    the emulator's admin is anyone while enforcement is off."""
    return boto3.Session(aws_access_key_id="admin", aws_secret_access_key="admin", region_name=REGION)


def client(url: str, service: str) -> Any:
    """An admin client of the emulator at `url`."""
    return _admin().client(service, endpoint_url=url)


def deploy(url: str, policies: dict[str, dict[str, dict[str, Any]]] | None = None) -> None:
    """Create the stack's roles (each with its trust policy and exactly its inline policies, or those given in
    `policies` by role) and the resources the controller expects (ensure_prerequisites: bucket, topic, table)."""
    iam = client(url, "iam")
    for role in ROLES:
        name = STACK.physical_name(role)
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(STACK.trust_policy(role)))
        for policy_name, document in (policies or {}).get(role, STACK.policies(role)).items():
            iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
    ensure_prerequisites(
        _admin(),
        REGION,
        bucket=STACK.physical_name("ArtifactBucket"),
        role_arn=STACK.arn("PipelineRole"),
        topic_arn=STACK.physical_name("NotificationTopic"),
        table_name=TABLE_NAME,
    )


def without_action(role: str, action: str) -> dict[str, dict[str, Any]]:
    """The inline policies of the template's `role` with `action` taken out of every statement granting it."""
    policies = STACK.policies(role)
    for document in policies.values():
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            statement["Action"] = [a for a in actions if a != action]
        document["Statement"] = [s for s in document["Statement"] if s["Action"]]
    return policies


@dataclass(frozen=True)
class RoleCredentials:
    """A session of one of the stack's roles, from the emulator's STS."""

    access_key_id: str
    secret_access_key: str
    session_token: str

    @property
    def environment(self) -> dict[str, str]:
        """What a process (the CLI without --local) reads them from: standard boto3 configuration."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
            "AWS_SECURITY_TOKEN": self.session_token,
        }

    def client(self, url: str, service: str) -> Any:
        """A client as this session (one attempt, no client-side validation: PROBE_CONFIG)."""
        return _admin().client(
            service,
            endpoint_url=url,
            config=PROBE_CONFIG,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            aws_session_token=self.session_token,
        )


def assume(url: str, role: str) -> RoleCredentials:
    """Credentials of a session of the template's `role` (assumed while enforcement is off: moto then checks no
    trust policy, which names AWS services and the PR build's role, not this test)."""
    granted = client(url, "sts").assume_role(RoleArn=STACK.arn(role), RoleSessionName=f"iam-test-{role}")
    credentials = granted["Credentials"]
    return RoleCredentials(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])


# Edits of tests/e2e/specs_small, by file: dev points at the stack (its pipeline role as the execution role, its
# artifact bucket, its topic), and the model uses every service the reconciler's and the pipeline's policies cover:
# a CodeBuild image build, an EventBridge Scheduler schedule, autoscaling, the API allow-list, pipeline notifications.
SPEC_EDITS = {
    "environments.yaml": (
        (f"arn:aws:iam::{ACCOUNT}:role/modelctl-sagemaker", STACK.arn("PipelineRole")),
        ("e2e-dev-artifacts", STACK.physical_name("ArtifactBucket")),
        (f"arn:aws:sns:{REGION}:{ACCOUNT}:e2e-alerts", STACK.physical_name("NotificationTopic")),
    ),
    "scorer.yaml": (
        (
            'training: {uri: "111122223333.dkr.ecr.us-east-1.amazonaws.com/scorer-train:v1.0.0"}',
            "training: {build: {buildspec: buildspecs/train-image.yml, context: docker/train}}",
        ),
        (
            'qualityGate: {metric: "validation:auc", atLeast: 0.8}',
            'qualityGate: {metric: "validation:auc", atLeast: 0.8}\n'
            '    schedule: {expression: "cron(0 3 ? * MON *)", timezone: UTC, enabled: true}',
        ),
        (
            "      rollout:",
            "      autoscaling: {min: 1, max: 2, targetInvocationsPerInstance: 1000}\n"
            "      api: {enabled: true, auth: iam}\n"
            "      rollout:",
        ),
        ("on: [pipelineFailed,", "on: [pipelineStarted, pipelineSucceeded, pipelineFailed,"),
    ),
}


def stack_specs(destination: Path) -> Path:
    """tests/e2e/specs_small copied to `destination`, with SPEC_EDITS."""
    specs = Path(shutil.copytree(SMALL_SPECS, destination))
    for name, edits in SPEC_EDITS.items():
        text = (specs / name).read_text()
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new)
        (specs / name).write_text(text)
    return specs


def aws_state(url: str) -> dict[str, Any]:
    """Everything the controller writes in the environment, as comparable data (admin reads)."""
    sagemaker, ssm = client(url, "sagemaker"), client(url, "ssm")
    parameters = ssm.get_parameters_by_path(Path="/modelctl/", Recursive=True)["Parameters"]
    return {
        "parameters": sorted((p["Name"], p["Version"], p["Value"]) for p in parameters),
        "stateMachines": sorted(m["name"] for m in client(url, "stepfunctions").list_state_machines()["stateMachines"]),
        "trainingJobs": sorted(j["TrainingJobName"] for j in sagemaker.list_training_jobs()["TrainingJobSummaries"]),
        "packageGroups": sorted(
            g["ModelPackageGroupName"] for g in sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
        ),
        "models": sorted(m["ModelName"] for m in sagemaker.list_models()["Models"]),
        "endpointConfigs": sorted(
            c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
        ),
        "endpoints": sorted(e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]),
        "alarms": sorted(a["AlarmName"] for a in client(url, "cloudwatch").describe_alarms()["MetricAlarms"]),
        "stateTable": sorted(
            json.dumps(i, sort_keys=True) for i in client(url, "dynamodb").scan(TableName=TABLE_NAME)["Items"]
        ),
    }


def example_input(service_client: Any, operation: str) -> dict[str, Any]:
    """Parameters of `operation` with every required member, and no other, filled with a placeholder of its type:
    enough for the request to reach the emulator's authorization."""
    example: dict[str, Any] = _example(service_client.meta.service_model.operation_model(operation).input_shape)
    return example


def _example(shape: Shape | None) -> Any:
    if shape is None:
        return {}
    kind = shape.type_name
    if kind == "structure":
        return {name: _example(member) for name, member in shape.members.items() if name in shape.required_members}
    if kind == "list":
        return [_example(shape.member)]
    if kind == "string":
        return shape.enum[0] if shape.enum else PROBE_NAME
    scalars = {"map": {}, "integer": 1, "long": 1, "float": 1.0, "double": 1.0, "boolean": False, "blob": b"{}"}
    return datetime.now(UTC) if kind == "timestamp" else scalars[kind]
