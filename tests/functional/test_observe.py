"""controller.reconcile.observe through the real registry on the in-process emulator, and at its own seam with fakes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from controller.aws.registry import build_registry
from controller.aws.session import AwsClients
from controller.errors import PlanError, TemporaryError
from controller.ports import ResourceOperations
from controller.reconcile.observe import observe
from controller.resources import Kind, Observed, Ref


def test_observe_reads_every_kind_through_the_registry(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    raw("ssm").put_parameter(Name="/modelctl/churn/dev/eta", Value="0.2", Type="String")
    raw("sagemaker").create_model_package_group(ModelPackageGroupName="churn-dev")
    registry = build_registry(clients)
    assert set(registry) == set(Kind)
    refs = [
        Ref(Kind.PARAMETER, "/modelctl/churn/dev/eta"),
        Ref(Kind.PARAMETER, "/modelctl/churn/dev/eta"),
        Ref(Kind.MODEL_PACKAGE_GROUP, "churn-dev"),
        Ref(Kind.ENDPOINT, "churn-dev"),
        Ref(Kind.ALARM, "churn-dev-errors"),
    ]

    observed = observe(registry, refs)

    assert set(observed) == {Ref(Kind.PARAMETER, "/modelctl/churn/dev/eta"), Ref(Kind.MODEL_PACKAGE_GROUP, "churn-dev")}
    assert observed[refs[0]].properties == {"value": "0.2", "type": "String"}
    assert clients.calls.writes == 0


class Fake:
    """A ResourceOperations that records the keys it was asked for and waits for its peers (concurrency check)."""

    def __init__(self, kind: Kind, barrier: threading.Barrier | None = None, error: Exception | None = None) -> None:
        self.kind, self.barrier, self.error = kind, barrier, error
        self.asked: list[Sequence[str]] = []

    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        self.asked.append(keys)
        if self.barrier:
            self.barrier.wait(timeout=5)
        if self.error:
            raise self.error
        return {key: Observed(ref=Ref(self.kind, key), properties={}) for key in keys if key != "missing"}


def test_kinds_run_concurrently_with_their_keys_grouped() -> None:
    barrier = threading.Barrier(2)
    models, alarms = Fake(Kind.MODEL, barrier), Fake(Kind.ALARM, barrier)
    registry: dict[Kind, ResourceOperations] = {Kind.MODEL: models, Kind.ALARM: alarms}
    refs = [Ref(Kind.MODEL, "b"), Ref(Kind.ALARM, "x"), Ref(Kind.MODEL, "a"), Ref(Kind.MODEL, "missing")]

    observed = observe(registry, refs)

    assert models.asked == [["a", "b", "missing"]] and alarms.asked == [["x"]]
    assert set(observed) == {Ref(Kind.MODEL, "a"), Ref(Kind.MODEL, "b"), Ref(Kind.ALARM, "x")}


def test_an_adapter_error_propagates() -> None:
    registry: dict[Kind, ResourceOperations] = {
        Kind.MODEL: Fake(Kind.MODEL, error=TemporaryError("slow down", delay=2)),
        Kind.ALARM: Fake(Kind.ALARM),
    }
    with pytest.raises(TemporaryError):
        observe(registry, [Ref(Kind.MODEL, "a"), Ref(Kind.ALARM, "x")])


def test_a_kind_without_adapter_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match=r"sagemaker\.promotedVersion"):
        observe({}, [Ref(Kind.PROMOTED_VERSION, "churn-aaaa-1")])
    assert observe({}, []) == {}


def test_observe_on_the_served_emulator_via_aws_endpoint_url(emulator_url: str) -> None:
    import boto3

    seed = boto3.client("ssm", region_name="us-east-1")
    seed.put_parameter(Name="/modelctl/churn/dev/eta", Value="0.2", Type="String")
    clients = AwsClients(boto3.session.Session(region_name="us-east-1"))

    observed = observe(build_registry(clients), [Ref(Kind.PARAMETER, "/modelctl/churn/dev/eta")])

    assert clients.ssm.meta.endpoint_url == emulator_url
    assert observed[Ref(Kind.PARAMETER, "/modelctl/churn/dev/eta")].extra == {"version": 1}
