"""Application Auto Scaling adapters: endpoint variant scalable targets and their target-tracking policies.

One ResourceOperations (controller.ports) per kind. Both read in batches of
50 names per call, for all keys. Neither kind is tagged (the emulator's Application Auto Scaling keeps no tags, and
policies take none): ownership follows the endpoint they belong to, whose managed tag the diff checks. So both
report the managed tag, and a second plan after apply is a no-op rather than a conflict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from controller.aws.batching import chunks
from controller.aws.errors import translate_errors
from controller.aws.session import Adapter
from controller.aws.writes import require_managed
from controller.errors import PermanentError
from controller.resources import MANAGED, Kind, Observed, Ref, Resource

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
OWNED_BY_ENDPOINT = MANAGED  # the tags both kinds report: see the module docstring
BATCH = 50  # ResourceIds / PolicyNames accept at most 50 values; pages hold at most 50


class _Batched(Adapter):
    """Shared reading loop: one Describe* call per 50 names, (operation, names parameter, result list, name field)."""

    kind: Kind
    _describe: tuple[str, str, str, str]
    _filters: ClassVar[Mapping[str, str]] = {}

    @translate_errors()
    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        operation, names_parameter, result, name_field = self._describe
        pages = self._clients.autoscaling.get_paginator(operation)
        observed: dict[str, Observed] = {}
        for batch in chunks(sorted(set(keys)), BATCH):
            parameters = {"ServiceNamespace": NAMESPACE, names_parameter: list(batch), **self._filters}
            for page in pages.paginate(**parameters, PaginationConfig={"PageSize": BATCH}):
                for item in page.get(result, []):
                    key = item[name_field]
                    observed[key] = Observed(
                        ref=Ref(self.kind, key), properties=self._properties(item), tags=OWNED_BY_ENDPOINT
                    )
        return observed

    def _properties(self, item: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def create(self, resource: Resource) -> None:
        raise NotImplementedError

    def update(self, resource: Resource, observed: Observed) -> None:
        """Both kinds are written by upserts (RegisterScalableTarget, PutScalingPolicy): update is create."""
        require_managed(observed, "update")
        self.create(resource)


class ScalingTargets(_Batched):
    """Scalable targets keyed by resource id "endpoint/<endpoint>/variant/<variant>".

    Observed shape: properties {"min": int, "max": int}. Cost for N keys: ceil(N/50) DescribeScalableTargets.

    Writes: create and update = RegisterScalableTarget (an upsert) with MinCapacity / MaxCapacity; delete =
    DeregisterScalableTarget.
    """

    kind = Kind.SCALING_TARGET
    _describe = ("describe_scalable_targets", "ResourceIds", "ScalableTargets", "ResourceId")
    _filters: ClassVar[Mapping[str, str]] = {"ScalableDimension": DIMENSION}

    def _properties(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"min": int(item["MinCapacity"]), "max": int(item["MaxCapacity"])}

    @translate_errors()
    def create(self, resource: Resource) -> None:
        self._clients.autoscaling.register_scalable_target(
            ServiceNamespace=NAMESPACE,
            ResourceId=resource.ref.key,
            ScalableDimension=DIMENSION,
            MinCapacity=int(resource.properties["min"]),
            MaxCapacity=int(resource.properties["max"]),
        )

    @translate_errors()
    def delete(self, observed: Observed) -> None:
        require_managed(observed, "delete")
        self._clients.autoscaling.deregister_scalable_target(
            ServiceNamespace=NAMESPACE, ResourceId=observed.ref.key, ScalableDimension=DIMENSION
        )


class ScalingPolicies(_Batched):
    """Target-tracking scaling policies keyed by policy name.

    Observed shape: properties {"resourceId": str, "targetValue": float, "metric": the predefined metric type
    (e.g. SageMakerVariantInvocationsPerInstance), or "custom:<MetricName>" for a customized metric}.
    Cost for N keys: ceil(N/50) DescribeScalingPolicies.

    Writes: create and update = PutScalingPolicy (an upsert) of type TargetTrackingScaling on
    properties["resourceId"], with TargetValue and the predefined metric (a "custom:" metric is refused with
    PermanentError: the controller never asks for one); delete = DeleteScalingPolicy.
    """

    kind = Kind.SCALING_POLICY
    _describe = ("describe_scaling_policies", "PolicyNames", "ScalingPolicies", "PolicyName")

    def _properties(self, item: dict[str, Any]) -> dict[str, Any]:
        return _policy_properties(item)

    @translate_errors()
    def create(self, resource: Resource) -> None:
        metric = str(resource.properties["metric"])
        if metric.startswith("custom:"):
            raise PermanentError(f"{resource.ref}: only predefined metrics are supported, not {metric}")
        self._clients.autoscaling.put_scaling_policy(
            PolicyName=resource.ref.key,
            ServiceNamespace=NAMESPACE,
            ResourceId=resource.properties["resourceId"],
            ScalableDimension=DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": float(resource.properties["targetValue"]),
                "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
            },
        )

    @translate_errors()
    def delete(self, observed: Observed) -> None:
        require_managed(observed, "delete")
        self._clients.autoscaling.delete_scaling_policy(
            PolicyName=observed.ref.key,
            ServiceNamespace=NAMESPACE,
            ResourceId=observed.properties["resourceId"],
            ScalableDimension=DIMENSION,
        )


def _policy_properties(policy: dict[str, Any]) -> dict[str, Any]:
    tracking = policy.get("TargetTrackingScalingPolicyConfiguration", {})
    predefined = tracking.get("PredefinedMetricSpecification")
    custom = tracking.get("CustomizedMetricSpecification")
    metric = predefined["PredefinedMetricType"] if predefined else f"custom:{(custom or {}).get('MetricName', '')}"
    return {
        "resourceId": policy["ResourceId"],
        "targetValue": float(tracking.get("TargetValue", 0.0)),
        "metric": metric,
    }
