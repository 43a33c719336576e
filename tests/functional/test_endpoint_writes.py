"""Endpoint and endpoint-config writes on the emulator through real boto3: create, the weights-only path, the
UpdateEndpoint path with a canary DeploymentConfig, a busy endpoint, and rollback_of after an alarm rollback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import boto3
import pytest
from aws_kit import REGION
from writes_kit import FAST, MANAGED, not_converged, settle

from controller.aws.registry import build_registry
from controller.aws.session import AwsClients
from controller.errors import TemporaryError
from controller.local import control
from controller.reconcile.rollbacks import rollback_of
from controller.resources import MANAGED_TAG, Kind, Observed, Ref, Resource

TAGS = {MANAGED_TAG: "true"}
ALARM = "modelctl-e-errors-primary"
CANARY = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
            "WaitIntervalInSeconds": 300,
        }
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": ALARM}]},
}


def _variants(primary_model: str, weights: tuple[int, int] = (90, 10), count: int = 2) -> list[dict[str, Any]]:
    return [
        {"name": "canary", "model": "m2", "instanceType": "ml.m5.large", "instanceCount": 1, "weight": weights[1]},
        {"name": "primary", "model": primary_model, "instanceType": "ml.m5.large", "instanceCount": count,
         "weight": weights[0]},
    ]  # fmt: skip


def _config(name: str, primary_model: str) -> Resource:
    capture = {"samplingPercent": 10, "destination": "s3://bucket/capture/e/"}
    properties = {"variants": _variants(primary_model), "dataCapture": capture}
    return Resource(Ref(Kind.ENDPOINT_CONFIG, name), "e", properties, TAGS)


def _endpoint(config: str, variants: list[dict[str, Any]], *, autoscaled: tuple[str, ...] = ()) -> Resource:
    properties = {"endpointConfigName": config, "variants": variants, "autoscaled": list(autoscaled)}
    return Resource(Ref(Kind.ENDPOINT, "e"), "e", properties, TAGS, payload={"deploymentConfig": CANARY})


def _alarm() -> Resource:
    properties = {
        "metric": "Invocation5XXErrors", "namespace": "AWS/SageMaker", "statistic": "Sum", "threshold": 5,
        "periodSeconds": 60, "evaluationPeriods": 1, "comparison": "GreaterThanThreshold",
        "dimensions": {"EndpointName": "e", "VariantName": "primary"}, "alarmActions": [],
    }  # fmt: skip
    return Resource(Ref(Kind.ALARM, ALARM), "e", properties, TAGS)


class Fleet:
    """Two models, configs c1 (primary on m1) and c2 (primary on m3), the alarm, and endpoint e on c1, InService."""

    def __init__(self, clients: AwsClients, sagemaker: Any) -> None:
        self.clients = clients
        self.registry = build_registry(clients)
        for model in ("m1", "m2", "m3"):
            sagemaker.create_model(
                ModelName=model,
                PrimaryContainer={"Image": "img:1"},
                ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
                Tags=MANAGED,
            )
        self.c1, self.c2 = _config("e-c1", "m1"), _config("e-c2", "m3")
        self.endpoint = _endpoint("e-c1", _variants("m1"))
        for resource in (self.c1, self.c2, _alarm(), self.endpoint):
            self.registry[resource.ref.kind].create(resource)
        self.settle()

    def settle(self) -> Observed:
        return settle(self.registry, ["e"])["e"]

    def update(self, resource: Resource) -> None:
        self.registry[Kind.ENDPOINT].update(resource, self.settle())

    def converged(self, *resources: Resource) -> list[str]:
        return not_converged(self.registry, [self.c1, self.c2, _alarm(), *resources])


@pytest.fixture
def fleet(clients: AwsClients, raw: Callable[[str], Any]) -> Fleet:
    control.configure(None, FAST)
    return Fleet(clients, raw("sagemaker"))


def test_created_endpoint_and_configs_need_no_second_change(fleet: Fleet) -> None:
    assert fleet.converged(fleet.endpoint) == []
    capture = fleet.registry[Kind.ENDPOINT_CONFIG].observe(["e-c1"])["e-c1"].properties["dataCapture"]
    assert capture == {"samplingPercent": 10, "destination": "s3://bucket/capture/e/"}


def test_weights_only_change_keeps_the_endpoint_config(fleet: Fleet) -> None:
    wanted = _endpoint("e-c1", _variants("m1", weights=(50, 50), count=3))
    fleet.clients.calls.reset()

    fleet.update(wanted)

    calls = fleet.clients.calls.snapshot()
    assert calls.get("sagemaker.UpdateEndpointWeightsAndCapacities") == 1 and "sagemaker.UpdateEndpoint" not in calls
    final = fleet.settle()
    assert final.properties["endpointConfigName"] == "e-c1"
    assert fleet.converged(wanted) == []


def test_autoscaled_instance_counts_are_left_to_autoscaling(fleet: Fleet) -> None:
    wanted = _endpoint("e-c1", _variants("m1", weights=(80, 20), count=7), autoscaled=("primary",))

    fleet.update(wanted)

    live = {v["name"]: v for v in fleet.settle().extra["variants"]}
    assert live["primary"]["instanceCount"] == 2 and live["primary"]["weight"] == 80
    assert fleet.converged(wanted) == []


def test_a_new_config_goes_through_update_endpoint_with_the_canary(fleet: Fleet) -> None:
    wanted = _endpoint("e-c2", _variants("m3"))

    fleet.update(wanted)

    assert fleet.registry[Kind.ENDPOINT].observe(["e"])["e"].status == "Updating"
    final = fleet.settle()
    assert final.properties["endpointConfigName"] == "e-c2"
    assert final.extra["lastDeploymentConfig"] == CANARY
    assert rollback_of(final) is None
    assert fleet.converged(wanted) == []


def test_a_busy_endpoint_is_a_temporary_error_without_any_call(fleet: Fleet) -> None:
    fleet.update(_endpoint("e-c2", _variants("m3")))
    updating = fleet.registry[Kind.ENDPOINT].observe(["e"])["e"]
    fleet.clients.calls.reset()

    with pytest.raises(TemporaryError) as raised:
        fleet.registry[Kind.ENDPOINT].update(_endpoint("e-c1", _variants("m1")), updating)

    assert (raised.value.code, raised.value.delay) == ("EndpointBusy", 30.0)
    assert fleet.clients.calls.snapshot() == {}


def test_rollback_of_reports_an_alarm_triggered_rollback(aws: Any) -> None:
    aws.configure(FAST)
    clients = AwsClients(boto3.session.Session(region_name=REGION))
    fleet = Fleet(clients, aws.client("sagemaker"))
    assert rollback_of(fleet.settle()) is None

    fleet.update(_endpoint("e-c2", _variants("m3")))
    aws.client("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx burst")

    final = fleet.settle()
    assert final.properties["endpointConfigName"] == "e-c1"
    reason = rollback_of(final)
    assert reason is not None and ALARM in reason
    assert rollback_of(replace(final, status="Updating")) is None
