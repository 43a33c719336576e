"""Helpers for the emulator's own tests (tests/emulator/): polling, DeploymentConfigs, a SageMaker kit."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

ROLE = "arn:aws:iam::123456789012:role/modelctl-sagemaker"
# Lifecycle delays for these tests: endpoints provision (and roll back) in 0.2 s, a 300 s bake lasts 0.3 s
FAST = {"delays": {"endpoint": 0.2, "training": 0.2, "bakeScale": 0.001}}
# ...and for tests that watch every status an endpoint passes through: 1 s each, a 300 s bake 1.5 s
WATCHED = {"delays": {"endpoint": 1.0, "training": 0.2, "bakeScale": 0.005}}


def wait_until(probe: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll `probe` until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while not (result := probe()):
        assert time.monotonic() < deadline, "timed out waiting for the emulator"
        time.sleep(0.02)
    return result


def canary(wait_seconds: int = 300, alarms: tuple[str, ...] = (), **policy: Any) -> dict[str, Any]:
    """A DeploymentConfig: blue/green canary of 10%, `wait_seconds` per baking period."""
    config: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                "WaitIntervalInSeconds": wait_seconds,
            },
            **policy,
        }
    }
    if alarms:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": name} for name in alarms]}
    return config


class SageMakerKit:
    """Boto3 SageMaker and CloudWatch clients on the emulator, and the few resources tests need."""

    def __init__(self, aws: Any) -> None:
        self.sm = aws.client("sagemaker")
        self.cloudwatch = aws.client("cloudwatch")

    def model(self, name: str) -> None:
        self.sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:1"})

    def config(self, name: str, *variants: tuple[str, str, int, float]) -> None:
        """An endpoint config of (variant name, model, instance count, weight) variants (default: one)."""
        self.sm.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": variant,
                    "ModelName": model,
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": count,
                    "InitialVariantWeight": weight,
                }
                for variant, model, count, weight in variants or [("primary", "m1", 2, 1.0)]
            ],
        )

    def endpoint(self, name: str, config: str, **kwargs: Any) -> dict[str, Any]:
        """Create an endpoint and wait until it is InService; its description."""
        self.sm.create_endpoint(EndpointName=name, EndpointConfigName=config, **kwargs)
        return self.settle(name)[-1]

    def describe(self, name: str) -> dict[str, Any]:
        description: dict[str, Any] = self.sm.describe_endpoint(EndpointName=name)
        return description

    def settle(self, name: str) -> list[dict[str, Any]]:
        """Poll the endpoint until it is InService or Failed; one description per status seen, in order."""
        seen: list[dict[str, Any]] = []

        def settled() -> bool:
            description = self.describe(name)
            if not seen or seen[-1]["EndpointStatus"] != description["EndpointStatus"]:
                seen.append(description)
            return description["EndpointStatus"] in ("InService", "Failed")

        wait_until(settled)
        return seen

    def alarm(self, name: str, state: str | None = None) -> None:
        """Create the alarm (state OK), or set its state."""
        if state is None:
            self.cloudwatch.put_metric_alarm(
                AlarmName=name,
                Namespace="AWS/SageMaker",
                MetricName="Invocation5XXErrors",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=5,
                ComparisonOperator="GreaterThanThreshold",
            )
        else:
            self.cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="set by a test")


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    """The (code, message) of the botocore ClientError that `call` raises."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]
