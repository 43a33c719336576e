"""The tag sweep (controller.aws.tagging): many resources' ownership tags in a few GetResources calls, with the
per-resource tag read kept for whatever the sweep does not return (foreign, or not yet visible to the Tagging API).
Runs on the in-process emulator through AwsClients; bench/reconcile_cost.py exercises it on the served one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_kit import ROLE

from controller.aws import tagging
from controller.aws.cloudwatch import Alarms
from controller.aws.sagemaker import ModelPackageGroups
from controller.aws.session import AwsClients
from controller.aws.stepfunctions import StateMachines
from controller.aws.tagging import SWEEP_FROM
from controller.resources import MANAGED_TAG

PASS = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
MANY = SWEEP_FROM + 2


def _machines(sfn: Any, count: int) -> list[str]:
    names = [f"sweep-{i:02d}-dev" for i in range(count)]
    for name in names:
        sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE, tags=[{"key": MANAGED_TAG, "value": "true"}])
    return names


def test_many_machines_cost_one_sweep_not_a_tag_read_each(clients: AwsClients, raw: Any) -> None:
    sfn = raw("stepfunctions")
    names = _machines(sfn, MANY)
    sfn.create_state_machine(
        name="sweep-foreign-dev", definition=PASS, roleArn=ROLE, tags=[{"key": "team", "value": "x"}]
    )

    observed = StateMachines(clients).observe([*names, "sweep-foreign-dev"])

    assert all(observed[name].managed for name in names)
    assert not observed["sweep-foreign-dev"].managed and observed["sweep-foreign-dev"].tags == {"team": "x"}
    calls = clients.calls.snapshot()
    assert calls["resourcegroupstaggingapi.GetResources"] == 1
    assert calls["stepfunctions.ListTagsForResource"] == 1  # only the foreign machine, which the sweep omits


def test_few_machines_read_their_tags_directly(clients: AwsClients, raw: Any) -> None:
    names = _machines(raw("stepfunctions"), 2)
    observed = StateMachines(clients).observe(names)
    assert all(observed[name].managed for name in names)
    calls = clients.calls.snapshot()
    assert "resourcegroupstaggingapi.GetResources" not in calls
    assert calls["stepfunctions.ListTagsForResource"] == 2


def test_a_resource_the_sweep_does_not_list_yet_is_read_directly_and_still_ours(
    clients: AwsClients, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Tagging API is eventually consistent: a group tagged a moment ago may be missing from the sweep."""
    sagemaker = raw("sagemaker")
    groups = [f"sweep-{i:02d}-dev" for i in range(MANY)]
    for name in groups:
        sagemaker.create_model_package_group(ModelPackageGroupName=name, Tags=[{"Key": MANAGED_TAG, "Value": "true"}])
    real = tagging.managed_tags

    def lagging(clients: AwsClients, resource_type: str) -> dict[str, dict[str, str]]:
        return {arn: tags for arn, tags in real(clients, resource_type).items() if not arn.endswith("/sweep-00-dev")}

    monkeypatch.setattr(tagging, "managed_tags", lagging)
    observed = ModelPackageGroups(clients).observe(groups)
    assert all(observed[name].managed for name in groups)
    assert clients.calls["sagemaker.ListTags"] == 1  # the lagging one, read directly


def test_many_alarms_cost_one_sweep_not_a_tag_read_each(clients: AwsClients, raw: Any) -> None:
    """CloudWatch has no batch tag read; the Tagging API lists alarms (resource type cloudwatch:alarm)."""
    cloudwatch = raw("cloudwatch")
    names = [f"modelctl-sweep-{i:02d}-dev-errors" for i in range(MANY)]
    for name in [*names, "team-alarm"]:
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="Invocation5XXErrors",
            Namespace="AWS/SageMaker",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            Tags=[{"Key": MANAGED_TAG, "Value": "true"}] if name != "team-alarm" else [{"Key": "team", "Value": "x"}],
        )

    observed = Alarms(clients).observe([*names, "team-alarm"])

    assert all(observed[name].managed for name in names)
    assert not observed["team-alarm"].managed and observed["team-alarm"].tags == {"team": "x"}
    calls = clients.calls.snapshot()
    assert calls["resourcegroupstaggingapi.GetResources"] == 1
    assert calls["cloudwatch.ListTagsForResource"] == 1  # only the foreign alarm, which the sweep omits
