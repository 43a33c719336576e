"""Application Auto Scaling adapters: endpoint variant scalable targets and their target-tracking policies.

Called through the registry by controller.observe. Both read in batches of 50 names per call, for all keys.
Neither kind is tagged here: ownership follows the endpoint they belong to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from controller.aws.batching import chunks
from controller.aws.errors import translate_errors
from controller.aws.session import Adapter
from controller.resources import Kind, Observed, Ref

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
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
                    observed[key] = Observed(ref=Ref(self.kind, key), properties=self._properties(item))
        return observed

    def _properties(self, item: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class ScalingTargets(_Batched):
    """Scalable targets keyed by resource id "endpoint/<endpoint>/variant/<variant>".

    Observed shape: properties {"min": int, "max": int}. Cost for N keys: ceil(N/50) DescribeScalableTargets.
    """

    kind = Kind.SCALING_TARGET
    _describe = ("describe_scalable_targets", "ResourceIds", "ScalableTargets", "ResourceId")
    _filters: ClassVar[Mapping[str, str]] = {"ScalableDimension": DIMENSION}

    def _properties(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"min": int(item["MinCapacity"]), "max": int(item["MaxCapacity"])}


class ScalingPolicies(_Batched):
    """Target-tracking scaling policies keyed by policy name.

    Observed shape: properties {"resourceId": str, "targetValue": float, "metric": the predefined metric type
    (e.g. SageMakerVariantInvocationsPerInstance), or "custom:<MetricName>" for a customized metric}.
    Cost for N keys: ceil(N/50) DescribeScalingPolicies.
    """

    kind = Kind.SCALING_POLICY
    _describe = ("describe_scaling_policies", "PolicyNames", "ScalingPolicies", "PolicyName")

    def _properties(self, item: dict[str, Any]) -> dict[str, Any]:
        return _policy_properties(item)


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
