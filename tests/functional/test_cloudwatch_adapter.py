"""The CloudWatch adapter against the in-process emulator: alarm shapes, batches of 100, tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from controller.aws.cloudwatch import Alarms
from controller.aws.session import AwsClients
from controller.resources import MANAGED_TAG, Kind, Ref

TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
DIMENSIONS = [{"Name": "EndpointName", "Value": "churn-dev"}, {"Name": "VariantName", "Value": "primary"}]


def make_alarm(cloudwatch: Any, name: str, **statistic: str) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        MetricName="ModelLatency",
        Namespace="AWS/SageMaker",
        Period=300,
        EvaluationPeriods=1,
        Threshold=250000.0,
        ComparisonOperator="GreaterThanThreshold",
        Dimensions=DIMENSIONS,
        AlarmActions=[TOPIC],
        Tags=[{"Key": MANAGED_TAG, "Value": "true"}],
        **statistic,
    )


def test_alarms_read_metric_statistic_dimensions_and_tags(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    cloudwatch = raw("cloudwatch")
    make_alarm(cloudwatch, "churn-dev-latency-p99", ExtendedStatistic="p99")
    make_alarm(cloudwatch, "churn-dev-errors-5xx", Statistic="Sum")

    observed = Alarms(clients).observe(["churn-dev-latency-p99", "churn-dev-errors-5xx", "churn-dev-absent"])

    assert sorted(observed) == ["churn-dev-errors-5xx", "churn-dev-latency-p99"]
    latency = observed["churn-dev-latency-p99"]
    assert latency.ref == Ref(Kind.ALARM, "churn-dev-latency-p99")
    assert latency.properties == {
        "metric": "ModelLatency",
        "namespace": "AWS/SageMaker",
        "extendedStatistic": "p99",
        "threshold": 250000.0,
        "periodSeconds": 300,
        "evaluationPeriods": 1,
        "comparison": "GreaterThanThreshold",
        "dimensions": {"EndpointName": "churn-dev", "VariantName": "primary"},
        "alarmActions": [TOPIC],
    }
    assert latency.managed
    assert observed["churn-dev-errors-5xx"].properties["statistic"] == "Sum"


def test_alarm_names_go_a_hundred_per_call(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    cloudwatch = raw("cloudwatch")
    names = [f"m{i:03d}-dev-errors" for i in range(120)]
    for name in names[:3]:
        make_alarm(cloudwatch, name, Statistic="Sum")

    observed = Alarms(clients).observe(names)

    assert sorted(observed) == names[:3]
    assert clients.calls.snapshot() == {"cloudwatch.DescribeAlarms": 2, "cloudwatch.ListTagsForResource": 3}
