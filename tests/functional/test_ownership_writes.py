"""Writes never touch what modelctl does not own: a create finding a foreign resource of its name, and an update
or delete of an Observed without the managed tag, raise PermanentError (on the in-process emulator)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from writes_kit import of_kind, stage

from controller.aws.registry import build_registry
from controller.aws.session import AwsClients
from controller.errors import PermanentError
from controller.resources import Kind, Observed


def _foreign(raw: Callable[[str], Any], kind: Kind, key: str, properties: Any) -> None:
    """Make the resource named `key` without any tag, as someone else would."""
    if kind is Kind.PARAMETER:
        raw("ssm").put_parameter(Name=key, Value="theirs", Type="String")
    elif kind is Kind.STATE_MACHINE:
        definition = '{"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}'
        raw("stepfunctions").create_state_machine(name=key, definition=definition, roleArn=properties["roleArn"])
    elif kind is Kind.SCHEDULE:
        group, name = key.split("/")
        raw("scheduler").create_schedule_group(Name=group)
        target = {"Arn": properties["target"]["arn"], "RoleArn": properties["target"]["roleArn"]}
        raw("scheduler").create_schedule(
            GroupName=group, Name=name, ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"},
            Target=target,
        )  # fmt: skip
    elif kind is Kind.ALARM:
        raw("cloudwatch").put_metric_alarm(
            AlarmName=key, MetricName="theirs", Namespace="Theirs", Statistic="Sum", Period=60, EvaluationPeriods=1,
            Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    elif kind is Kind.MODEL_PACKAGE_GROUP:
        raw("sagemaker").create_model_package_group(ModelPackageGroupName=key)


FOREIGN_CREATE = (Kind.PARAMETER, Kind.STATE_MACHINE, Kind.SCHEDULE, Kind.ALARM, Kind.MODEL_PACKAGE_GROUP)


@pytest.mark.parametrize("kind", FOREIGN_CREATE, ids=str)
def test_create_refuses_a_foreign_resource_of_the_same_name(
    kind: Kind, clients: AwsClients, raw: Callable[[str], Any]
) -> None:
    resource = of_kind(stage(), kind)[0]
    _foreign(raw, kind, resource.ref.key, resource.properties)
    registry = build_registry(clients)
    before = registry[kind].observe([resource.ref.key])[resource.ref.key]
    assert not before.managed

    with pytest.raises(PermanentError, match="refusing to adopt"):
        registry[kind].create(resource)

    assert registry[kind].observe([resource.ref.key])[resource.ref.key].properties == before.properties


def test_endpoint_config_create_refuses_a_foreign_config(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    resource = of_kind(stage(), Kind.ENDPOINT_CONFIG)[0]
    sagemaker = raw("sagemaker")
    model = resource.properties["variants"][0]["model"]
    role = "arn:aws:iam::123456789012:role/r"
    sagemaker.create_model(ModelName=model, PrimaryContainer={"Image": "img:1"}, ExecutionRoleArn=role)
    variant = {"VariantName": "theirs", "ModelName": model, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    sagemaker.create_endpoint_config(EndpointConfigName=resource.ref.key, ProductionVariants=[variant])

    with pytest.raises(PermanentError, match="refusing to adopt"):
        build_registry(clients)[Kind.ENDPOINT_CONFIG].create(resource)


WRITABLE = sorted(set(Kind) - {Kind.PIPELINE_RUN, Kind.PROMOTED_VERSION, Kind.IMAGE_BUILD}, key=str)


@pytest.mark.parametrize("kind", WRITABLE, ids=str)
def test_update_and_delete_refuse_an_unmanaged_observed_without_calling_aws(kind: Kind, offline: AwsClients) -> None:
    resources = of_kind(stage(), kind) or of_kind(stage(), Kind.ENDPOINT)
    resource = resources[0]
    unmanaged = Observed(resource.ref, resource.properties, tags={}, status="InService")
    adapter = build_registry(offline)[kind]

    with pytest.raises(PermanentError):
        adapter.update(resource, unmanaged)
    with pytest.raises(PermanentError):
        adapter.delete(unmanaged)
    assert offline.calls.writes == 0
