"""Application Auto Scaling adapters against the in-process emulator: batched target and policy reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from controller.aws.autoscaling import DIMENSION, NAMESPACE, ScalingPolicies, ScalingTargets
from controller.aws.session import AwsClients
from controller.resources import Kind, Ref


def register(autoscaling: Any, resource_id: str) -> None:
    autoscaling.register_scalable_target(
        ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=DIMENSION, MinCapacity=2, MaxCapacity=8
    )


def test_scaling_targets_in_batches_of_fifty(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    autoscaling = raw("application-autoscaling")
    keys = [f"endpoint/m{i:02d}-dev/variant/primary" for i in range(60)]
    for key in keys[:55]:
        register(autoscaling, key)

    observed = ScalingTargets(clients).observe(keys)

    assert sorted(observed) == keys[:55]
    assert observed[keys[0]].ref == Ref(Kind.SCALING_TARGET, keys[0])
    assert observed[keys[0]].properties == {"min": 2, "max": 8}
    assert clients.calls["application-autoscaling.DescribeScalableTargets"] == 2


def test_scaling_policies_read_target_tracking(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    autoscaling = raw("application-autoscaling")
    resource_id = "endpoint/churn-dev/variant/primary"
    register(autoscaling, resource_id)
    autoscaling.put_scaling_policy(
        PolicyName="churn-dev-primary",
        ServiceNamespace=NAMESPACE,
        ResourceId=resource_id,
        ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 1000.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
        },
    )

    observed = ScalingPolicies(clients).observe(["churn-dev-primary", "fraud-dev-primary"])

    assert list(observed) == ["churn-dev-primary"]
    assert observed["churn-dev-primary"].properties == {
        "resourceId": resource_id,
        "targetValue": 1000.0,
        "metric": "SageMakerVariantInvocationsPerInstance",
    }
    assert clients.calls.snapshot() == {"application-autoscaling.DescribeScalingPolicies": 1}
