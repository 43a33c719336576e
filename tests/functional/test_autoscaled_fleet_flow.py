"""A canary on an autoscaled endpoint, through the controller's adapters on the strict emulator: the canary added
(variant names change: all at once, "Deployment guardrails: Exclusions"), promoted, the old variant removed and the
instance type changed (autoscaled variants deregistered first and registered again once InService, "Update
endpoints that use auto scaling"); and the SSM labels of a parameter put more than 100 times."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from writes_kit import FAST, MANAGED, settle

from controller.aws.registry import build_registry
from controller.aws.session import AwsClients
from controller.errors import TemporaryError
from controller.local import control
from controller.resources import MANAGED_TAG, Kind, Observed, Ref, Resource

TAGS = {MANAGED_TAG: "true"}
CANARY = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
            "WaitIntervalInSeconds": 60,
        }
    }
}


def _variant(name: str, model: str, weight: int, instance_type: str = "ml.m5.large") -> dict[str, Any]:
    return {"name": name, "model": model, "instanceType": instance_type, "instanceCount": 1, "weight": weight}


class AutoscaledEndpoint:
    """Endpoint "e" with the controller's adapters; every variant autoscaled (1-4 instances, a target policy)."""

    def __init__(self, clients: AwsClients, sagemaker: Any) -> None:
        self.clients, self.registry = clients, build_registry(clients)
        for model in ("m1", "m2"):
            sagemaker.create_model(
                ModelName=model,
                PrimaryContainer={"Image": "img:1"},
                ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
                Tags=MANAGED,
            )

    def fleet(self, config: str, *variants: dict[str, Any]) -> Resource:
        """Create endpoint config `config` of `variants`; the endpoint resource that points at it."""
        properties = {"variants": list(variants), "dataCapture": None}
        self.registry[Kind.ENDPOINT_CONFIG].create(Resource(Ref(Kind.ENDPOINT_CONFIG, config), "e", properties, TAGS))
        endpoint = {
            "endpointConfigName": config,
            "variants": list(variants),
            "autoscaled": [v["name"] for v in variants],
        }
        return Resource(Ref(Kind.ENDPOINT, "e"), "e", endpoint, TAGS, payload={"deploymentConfig": CANARY})

    def scaling(self, endpoint: Resource) -> list[Resource]:
        """The scalable targets and policies the desired state declares for `endpoint`'s variants."""
        resources = []
        for variant in endpoint.properties["variants"]:
            target = f"endpoint/e/variant/{variant['name']}"
            resources.append(Resource(Ref(Kind.SCALING_TARGET, target), "e", {"min": 1, "max": 4}, TAGS))
            policy = {"resourceId": target, "targetValue": 70.0, "metric": "SageMakerVariantInvocationsPerInstance"}
            resources.append(Resource(Ref(Kind.SCALING_POLICY, f"e-{variant['name']}"), "e", policy, TAGS))
        return resources

    def settle(self) -> Observed:
        return settle(self.registry, ["e"])["e"]

    def converge(self, endpoint: Resource) -> Observed:
        """One reconcile of the endpoint then, once InService, of its auto scaling (as the executor orders them)."""
        self.registry[Kind.ENDPOINT].update(endpoint, self.settle())
        live = self.settle()
        for resource in self.scaling(endpoint):
            self.registry[resource.ref.kind].create(resource)
        return live

    def registered(self) -> list[str]:
        targets = self.clients.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        return sorted(t["ResourceId"].rsplit("/", 1)[1] for t in targets)


@pytest.fixture
def endpoint(clients: AwsClients, raw: Callable[[str], Any]) -> AutoscaledEndpoint:
    control.configure(None, FAST)
    return AutoscaledEndpoint(clients, raw("sagemaker"))


def test_a_canary_on_an_autoscaled_endpoint_is_added_promoted_and_retyped(endpoint: AutoscaledEndpoint) -> None:
    first = endpoint.fleet("e-c1", _variant("primary", "m1", 1))
    endpoint.registry[Kind.ENDPOINT].create(first)
    endpoint.settle()
    for resource in endpoint.scaling(first):
        endpoint.registry[resource.ref.kind].create(resource)
    endpoint.clients.calls.reset()

    # 1. the canary is added: new variant names, so no guardrail (AWS refuses one), all at once
    canary = endpoint.fleet("e-c2", _variant("canary", "m2", 10), _variant("primary", "m1", 90))
    live = endpoint.converge(canary)
    assert [v["name"] for v in live.extra["variants"]] == ["canary", "primary"]
    assert live.extra["lastDeploymentConfig"] is None
    assert endpoint.registered() == ["canary", "primary"]

    # 2. promoted: the same variants, new weights and a new model: the guardrail is sent and counts retained
    promoted = endpoint.fleet("e-c3", _variant("canary", "m2", 100), _variant("primary", "m2", 0))
    live = endpoint.converge(promoted)
    assert live.extra["lastDeploymentConfig"] == CANARY
    assert {v["name"]: v["weight"] for v in live.extra["variants"]} == {"canary": 100, "primary": 0}

    # 3. the old variant removed: its auto scaling is deregistered first (policy, then target)
    alone = endpoint.fleet("e-c4", _variant("canary", "m2", 1))
    live = endpoint.converge(alone)
    assert [v["name"] for v in live.extra["variants"]] == ["canary"]
    assert endpoint.registered() == ["canary"]
    calls = endpoint.clients.calls.snapshot()
    assert calls.get("application-autoscaling.DeregisterScalableTarget") == 1

    # 4. the instance type changes: deregistered, updated, registered again once InService
    bigger = endpoint.fleet("e-c5", _variant("canary", "m2", 1, "ml.m5.xlarge"))
    endpoint.registry[Kind.ENDPOINT].update(bigger, endpoint.settle())
    assert endpoint.registered() == []  # a run killed here leaves the desired target missing...
    target = endpoint.scaling(bigger)[0]
    with pytest.raises(TemporaryError) as busy:  # ...and it is not registered while the endpoint updates
        endpoint.registry[Kind.SCALING_TARGET].create(target)
    assert busy.value.code == "EndpointBusy"
    endpoint.settle()
    for resource in endpoint.scaling(bigger):  # the next run, once InService
        endpoint.registry[resource.ref.kind].create(resource)
    assert endpoint.registered() == ["canary"]
    assert endpoint.settle().properties["endpointConfigName"] == "e-c5"


def test_a_parameter_put_more_than_100_times_keeps_converging(clients: AwsClients, in_process_aws: None) -> None:
    """SSM keeps 100 versions and refuses a new one while the oldest is labelled (PutParameter,
    ParameterMaxVersionLimitExceeded): the labels beyond the retained configs are unlabelled as they go."""
    parameters = build_registry(clients)[Kind.PARAMETER]
    ref = Ref(Kind.PARAMETER, "/modelctl/dev/m/hyperparameters")
    for put in range(1, 131):
        resource = Resource(
            ref, "m", {"type": "String"}, TAGS, payload={"text": f'{{"n": {put}}}', "label": f"m-{put}"}
        )
        if put == 1:
            parameters.create(resource)
        else:
            parameters.update(resource, parameters.observe([ref.key])[ref.key])
    history = clients.ssm.get_paginator("get_parameter_history").paginate(Name=ref.key).build_full_result()
    labelled = {p["Version"]: p["Labels"] for p in history["Parameters"] if p.get("Labels")}
    assert labelled == {version: [f"m-{version}"] for version in range(126, 131)}
    assert clients.ssm.get_parameter(Name=f"{ref.key}:m-130")["Parameter"]["Value"] == '{"n": 130}'
