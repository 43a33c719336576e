"""Application Auto Scaling adapters: endpoint variant scalable targets and their target-tracking policies.

One ResourceOperations (controller.ports) per kind. Both read in batches of
50 names per call, for all keys. Neither kind is tagged (the emulator's Application Auto Scaling keeps no tags, and
policies take none): ownership follows the endpoint they belong to, whose managed tag the diff checks. So both
report the managed tag, and a second plan after apply is a no-op rather than a conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from controller import naming
from controller.aws.batching import chunks
from controller.aws.errors import translate_errors
from controller.aws.session import Adapter
from controller.aws.writes import require_managed
from controller.errors import PermanentError, TemporaryError
from controller.resources import MANAGED, Kind, Observed, Ref, Resource

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
OWNED_BY_ENDPOINT = MANAGED  # the tags both kinds report: see the module docstring
UPDATING = frozenset({"Updating", "SystemUpdating", "RollingBack"})  # statuses a fleet change passes through
BUSY_DELAY = 30.0  # seconds before registering auto scaling on an endpoint that is updating
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

    Writes: create and update = RegisterScalableTarget (an upsert) with MinCapacity / MaxCapacity, once the endpoint
    is not updating (DescribeEndpoint; else TemporaryError "EndpointBusy": the next run registers it); delete =
    DeregisterScalableTarget.
    """

    kind = Kind.SCALING_TARGET
    _describe = ("describe_scalable_targets", "ResourceIds", "ScalableTargets", "ResourceId")
    _filters: ClassVar[Mapping[str, str]] = {"ScalableDimension": DIMENSION}

    def _properties(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"min": int(item["MinCapacity"]), "max": int(item["MaxCapacity"])}

    @translate_errors()
    def create(self, resource: Resource) -> None:
        """RegisterScalableTarget, once the endpoint is no longer updating: a target deregistered for a fleet change
        is registered again after UpdateEndpoint completes (controller.plan.fleet_rules), by this run or the next."""
        endpoint = resource.ref.key.split("/")[1]
        status = self._clients.sagemaker.describe_endpoint(EndpointName=endpoint).get("EndpointStatus", "")
        if status in UPDATING:
            raise TemporaryError(
                f"{resource.ref}: endpoint {endpoint} is {status}; auto scaling is registered once it is InService",
                delay=BUSY_DELAY,
                operation="RegisterScalableTarget",
                code="EndpointBusy",
            )
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


def release_autoscaling(
    clients: Any, endpoint: str, variants: Sequence[str], released: Callable[[list[str]], list[str]]
) -> None:
    """Deregister from Application Auto Scaling the variants of `endpoint` (among `variants`) that `released`
    picks from those registered: each one's scaling policies are deleted, then its scalable target ("Update
    endpoints that use auto scaling", SageMaker developer guide). Idempotent: what is gone already is skipped."""
    scaling = clients.autoscaling
    ids = [naming.scaling_target(endpoint, variant) for variant in variants]
    registered = [
        target["ResourceId"].rsplit("/", 1)[1]
        for batch in chunks(ids, BATCH)
        for target in scaling.describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ResourceIds=list(batch), ScalableDimension=DIMENSION
        ).get("ScalableTargets", [])
    ]
    for variant in released(registered):
        resource_id = naming.scaling_target(endpoint, variant)
        where = {"ServiceNamespace": NAMESPACE, "ResourceId": resource_id, "ScalableDimension": DIMENSION}
        for policy in scaling.describe_scaling_policies(**where).get("ScalingPolicies", []):
            scaling.delete_scaling_policy(PolicyName=policy["PolicyName"], **where)
        scaling.deregister_scalable_target(**where)


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
