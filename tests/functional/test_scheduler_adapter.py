"""The Scheduler adapter against the in-process emulator: list per group, get per key, group tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_kit import ROLE

from controller.aws.scheduler import Schedules
from controller.aws.session import AwsClients
from controller.resources import MANAGED_TAG, Kind, Ref

TARGET = {"Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:churn-dev", "RoleArn": ROLE, "Input": "{}"}


def make_schedule(scheduler: Any, group: str, name: str, **extra: Any) -> None:
    scheduler.create_schedule(
        GroupName=group,
        Name=name,
        ScheduleExpression="cron(0 3 ? * MON *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=TARGET,
        **extra,
    )


def test_schedules_read_expression_state_target_and_group_tags(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    scheduler = raw("scheduler")
    scheduler.create_schedule_group(Name="modelctl-dev", Tags=[{"Key": MANAGED_TAG, "Value": "true"}])
    make_schedule(scheduler, "modelctl-dev", "churn-dev", ScheduleExpressionTimezone="Europe/Paris")
    make_schedule(scheduler, "modelctl-dev", "fraud-dev", State="DISABLED")

    observed = Schedules(clients).observe(
        ["modelctl-dev/churn-dev", "modelctl-dev/fraud-dev", "modelctl-dev/absent", "no-group/x", "malformed"]
    )

    assert sorted(observed) == ["modelctl-dev/churn-dev", "modelctl-dev/fraud-dev"]
    churn = observed["modelctl-dev/churn-dev"]
    assert churn.ref == Ref(Kind.SCHEDULE, "modelctl-dev/churn-dev")
    assert churn.properties == {
        "expression": "cron(0 3 ? * MON *)",
        "timezone": "Europe/Paris",
        "state": "ENABLED",
        "target": {"arn": TARGET["Arn"], "roleArn": ROLE, "input": "{}"},
    }
    assert churn.managed
    fraud = observed["modelctl-dev/fraud-dev"].properties
    assert (fraud["state"], fraud["timezone"]) == ("DISABLED", "UTC")
    calls = clients.calls.snapshot()
    assert calls["scheduler.GetSchedule"] == 2
    assert calls["scheduler.ListTagsForResource"] == 1
    assert calls["scheduler.ListSchedules"] == 2  # one per group asked about
