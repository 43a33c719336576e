"""CloudWatch adapter: the alarms on each endpoint (Kind.ALARM).

One ResourceOperations (controller.ports) per kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from controller.aws.batching import chunks, run_concurrently, tag_map
from controller.aws.errors import missing_as_none, translate_errors
from controller.aws.session import Adapter
from controller.aws.tagging import ownership_tags
from controller.aws.writes import aws_tags, require_managed
from controller.errors import PermanentError
from controller.resources import MANAGED_TAG, Kind, Observed, Ref, Resource, is_managed

BATCH = 100  # DescribeAlarms accepts at most 100 AlarmNames and returns at most 100 per page


class Alarms(Adapter):
    """Metric alarms by name.

    Observed shape: properties {"metric": str, "namespace": str, "statistic": str (Sum, Average, ...) or
    "extendedStatistic": str (a percentile such as p99), as desired names them, "threshold": float,
    "periodSeconds": int, "evaluationPeriods": int, "comparison": ComparisonOperator, "dimensions": {name: value},
    "alarmActions": [arn, ...] sorted}; status the alarm state (OK | ALARM | INSUFFICIENT_DATA); tags.

    Cost for N names, F existing: ceil(N/100) DescribeAlarms, then the tags: F ListTagsForResource (concurrent)
    below tagging.SWEEP_FROM alarms, else ceil(F/100) Tagging API GetResources plus a ListTagsForResource for any
    alarm the sweep did not return (CloudWatch itself has no batch tag read).

    Writes: create = PutMetricAlarm from the properties with the resource's tags, after a DescribeAlarms check
    (PutMetricAlarm silently overwrites: a managed alarm of that name is adopted, a foreign one refused with
    PermanentError); update = PutMetricAlarm without Tags (the whole alarm is replaced); delete = DeleteAlarms.
    """

    kind = Kind.ALARM

    @translate_errors()
    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        cloudwatch = self._clients.cloudwatch
        alarms: list[dict[str, Any]] = []
        pages = cloudwatch.get_paginator("describe_alarms")
        for batch in chunks(sorted(set(keys)), BATCH):
            for page in pages.paginate(
                AlarmNames=list(batch), AlarmTypes=["MetricAlarm"], PaginationConfig={"PageSize": BATCH}
            ):
                alarms.extend(page.get("MetricAlarms", []))
        with ownership_tags(self._clients, "cloudwatch:alarm", len(alarms), self._tags) as tags_of:
            tags = run_concurrently(
                missing_as_none(tags_of), [alarm["AlarmArn"] for alarm in alarms], self._clients.max_workers
            )
        return {
            alarm["AlarmName"]: Observed(
                ref=Ref(self.kind, alarm["AlarmName"]),
                properties=_properties(alarm),
                tags=alarm_tags,
                status=alarm.get("StateValue", ""),
            )
            for alarm, alarm_tags in zip(alarms, tags, strict=True)
            if alarm_tags is not None  # deleted since DescribeAlarms
        }

    @translate_errors()
    def create(self, resource: Resource) -> None:
        existing = self._clients.cloudwatch.describe_alarms(AlarmNames=[resource.ref.key], AlarmTypes=["MetricAlarm"])
        for alarm in existing.get("MetricAlarms", []):
            if not is_managed(self._tags(alarm["AlarmArn"])):
                raise PermanentError(f"refusing to adopt {resource.ref}: it has no {MANAGED_TAG}=true tag")
        self._clients.cloudwatch.put_metric_alarm(**_alarm(resource), Tags=aws_tags(resource.tags))

    @translate_errors()
    def update(self, resource: Resource, observed: Observed) -> None:
        require_managed(observed, "update")
        self._clients.cloudwatch.put_metric_alarm(**_alarm(resource))

    @translate_errors()
    def delete(self, observed: Observed) -> None:
        require_managed(observed, "delete")
        self._clients.cloudwatch.delete_alarms(AlarmNames=[observed.ref.key])

    def _tags(self, arn: str) -> dict[str, str]:
        return tag_map(self._clients.cloudwatch.list_tags_for_resource(ResourceARN=arn).get("Tags", []))


def _alarm(resource: Resource) -> dict[str, Any]:
    """PutMetricAlarm arguments (without Tags) from the desired properties."""
    properties = resource.properties
    statistic = (
        {"ExtendedStatistic": properties["extendedStatistic"]}
        if properties.get("extendedStatistic")
        else {"Statistic": properties["statistic"]}
    )
    return {
        "AlarmName": resource.ref.key,
        "MetricName": properties["metric"],
        "Namespace": properties["namespace"],
        **statistic,
        "Period": int(properties["periodSeconds"]),
        "EvaluationPeriods": int(properties["evaluationPeriods"]),
        "Threshold": float(properties["threshold"]),
        "ComparisonOperator": properties["comparison"],
        "Dimensions": [{"Name": name, "Value": value} for name, value in sorted(properties["dimensions"].items())],
        "AlarmActions": list(properties.get("alarmActions") or []),
    }


def _properties(alarm: dict[str, Any]) -> dict[str, Any]:
    statistic = (
        {"extendedStatistic": alarm["ExtendedStatistic"]}
        if alarm.get("ExtendedStatistic")
        else {"statistic": alarm.get("Statistic", "")}
    )
    return {
        "metric": alarm.get("MetricName", ""),
        "namespace": alarm.get("Namespace", ""),
        **statistic,
        "threshold": float(alarm.get("Threshold", 0.0)),
        "periodSeconds": int(alarm.get("Period", 0)),
        "evaluationPeriods": int(alarm.get("EvaluationPeriods", 0)),
        "comparison": alarm.get("ComparisonOperator", ""),
        "dimensions": {dimension["Name"]: dimension["Value"] for dimension in alarm.get("Dimensions", [])},
        "alarmActions": sorted(alarm.get("AlarmActions", [])),
    }
