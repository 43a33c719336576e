"""EventBridge Scheduler adapter: the retraining schedules (Kind.SCHEDULE).

Called through the registry by controller.observe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from controller.aws.batching import run_concurrently, tag_map
from controller.aws.errors import missing_as_none, translate_errors
from controller.aws.session import Adapter
from controller.errors import NotFoundError
from controller.resources import Kind, Observed, Ref

DEFAULT_TIMEZONE = "UTC"  # what Scheduler applies when a schedule names no timezone


class Schedules(Adapter):
    """Schedules keyed "<group>/<name>".

    Observed shape: properties {"expression": str, "timezone": str (UTC when unset), "state": "ENABLED" |
    "DISABLED", "target": {"arn": str, "roleArn": str, "input": str | None}}; tags: the schedule group's (Scheduler
    tags groups, not schedules).

    Scheduler has no batch read. Cost for N keys in G groups, F existing: per group one paged ListSchedules (to
    skip missing keys) + one ListTagsForResource on the group, then one GetSchedule per existing key: 2G + F.
    """

    kind = Kind.SCHEDULE

    @translate_errors()
    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        wanted = sorted({key for key in keys if "/" in key})
        groups = sorted({_split(key)[0] for key in wanted})
        listed = dict(zip(groups, run_concurrently(self._group, groups, self._clients.max_workers), strict=True))
        present = [key for key in wanted if _split(key)[1] in listed[_split(key)[0]][0]]
        observed = run_concurrently(missing_as_none(self._get), present, self._clients.max_workers)
        return {
            key: Observed(ref=Ref(self.kind, key), properties=properties, tags=listed[_split(key)[0]][1])
            for key, properties in zip(present, observed, strict=True)
            if properties is not None
        }

    def _group(self, group: str) -> tuple[set[str], dict[str, str]]:
        """The schedule names in `group` and the group's tags (nothing when the group does not exist)."""
        scheduler = self._clients.scheduler
        summaries: list[dict[str, Any]] = []
        try:
            with translate_errors():
                for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group):
                    summaries.extend(page.get("Schedules", []))
        except NotFoundError:
            return set(), {}
        if not summaries:
            return set(), {}
        group_arn = summaries[0]["Arn"].rsplit(":", 1)[0] + f":schedule-group/{group}"
        tags = tag_map(scheduler.list_tags_for_resource(ResourceArn=group_arn).get("Tags", []))
        return {summary["Name"] for summary in summaries}, tags

    def _get(self, key: str) -> dict[str, Any]:
        group, name = _split(key)
        schedule = self._clients.scheduler.get_schedule(GroupName=group, Name=name)
        target = schedule.get("Target", {})
        return {
            "expression": schedule["ScheduleExpression"],
            "timezone": schedule.get("ScheduleExpressionTimezone") or DEFAULT_TIMEZONE,
            "state": schedule.get("State", "ENABLED"),
            "target": {
                "arn": target.get("Arn", ""),
                "roleArn": target.get("RoleArn", ""),
                "input": target.get("Input"),
            },
        }


def _split(key: str) -> tuple[str, str]:
    """Split a key "<group>/<name>" into (group, name)."""
    group, _, name = key.partition("/")
    return group, name
