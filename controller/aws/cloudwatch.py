"""CloudWatch adapter: the alarms on each endpoint (Kind.ALARM).

Called through the registry by controller.observe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from controller.aws.batching import chunks, run_concurrently, tag_map
from controller.aws.errors import missing_as_none, translate_errors
from controller.aws.session import Adapter
from controller.resources import Kind, Observed, Ref

BATCH = 100  # DescribeAlarms accepts at most 100 AlarmNames and returns at most 100 per page


class Alarms(Adapter):
    """Metric alarms by name.

    Observed shape: properties {"metric": str, "namespace": str, "statistic": str (Sum, Average, ... or an
    extended statistic such as p99), "threshold": float, "periodSeconds": int, "evaluationPeriods": int,
    "comparison": ComparisonOperator, "dimensions": {name: value}, "alarmActions": [arn, ...] sorted}; status the
    alarm state (OK | ALARM | INSUFFICIENT_DATA); tags.

    Cost for N names, F existing: ceil(N/100) DescribeAlarms + F ListTagsForResource (CloudWatch has no batch
    tag read), the tag reads concurrent.
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
        tags = run_concurrently(
            missing_as_none(self._tags), [alarm["AlarmArn"] for alarm in alarms], self._clients.max_workers
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

    def _tags(self, arn: str) -> dict[str, str]:
        return tag_map(self._clients.cloudwatch.list_tags_for_resource(ResourceARN=arn).get("Tags", []))


def _properties(alarm: dict[str, Any]) -> dict[str, Any]:
    return {
        "metric": alarm.get("MetricName", ""),
        "namespace": alarm.get("Namespace", ""),
        "statistic": alarm.get("Statistic") or alarm.get("ExtendedStatistic", ""),
        "threshold": float(alarm.get("Threshold", 0.0)),
        "periodSeconds": int(alarm.get("Period", 0)),
        "evaluationPeriods": int(alarm.get("EvaluationPeriods", 0)),
        "comparison": alarm.get("ComparisonOperator", ""),
        "dimensions": {dimension["Name"]: dimension["Value"] for dimension in alarm.get("Dimensions", [])},
        "alarmActions": sorted(alarm.get("AlarmActions", [])),
    }
