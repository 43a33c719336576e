"""EventBridge Scheduler adapter: the retraining schedules (Kind.SCHEDULE).

One ResourceOperations (controller.ports) per kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from controller.aws.batching import run_concurrently, tag_map
from controller.aws.errors import missing_as_none, translate_errors
from controller.aws.session import Adapter
from controller.aws.writes import already_exists, aws_tags, require_managed
from controller.errors import AwsError, NotFoundError, PermanentError
from controller.resources import MANAGED_TAG, Kind, Observed, Ref, Resource, is_managed

DEFAULT_TIMEZONE = "UTC"  # what Scheduler applies when a schedule names no timezone


class Schedules(Adapter):
    """Schedules keyed "<group>/<name>".

    Observed shape: properties {"expression": str, "timezone": str (UTC when unset), "state": "ENABLED" |
    "DISABLED", "target": {"arn": str, "roleArn": str, "input": str | None}}; tags: the schedule group's (Scheduler
    tags groups, not schedules).

    Scheduler has no batch read. Cost for N keys in G groups, F existing: per group one paged ListSchedules (to
    skip missing keys) + one ListTagsForResource on the group, then one GetSchedule per existing key: 2G + F.

    Writes: create ensures the group exists (GetScheduleGroup, else CreateScheduleGroup with the resource's tags;
    ConflictException means a concurrent create made it), then CreateSchedule; a schedule of that name in a managed
    group is adopted with UpdateSchedule, in a foreign group refused. update = UpdateSchedule (the whole
    definition: Scheduler has no partial update). Both send ScheduleExpression, ScheduleExpressionTimezone, State,
    FlexibleTimeWindow OFF and Target {Arn, RoleArn, Input}. delete = DeleteSchedule (the group, shared by the
    environment's models, stays).
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
                for page in scheduler.get_paginator("list_schedules").paginate(
                    GroupName=group, PaginationConfig={"PageSize": 100}
                ):
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

    @translate_errors()
    def create(self, resource: Resource) -> None:
        group, name = _split(resource.ref.key)
        scheduler = self._clients.scheduler
        group_arn = self._ensure_group(group, resource.tags)
        try:
            with translate_errors():
                scheduler.create_schedule(GroupName=group, Name=name, **_definition(resource))
        except AwsError as error:
            if not already_exists(error):
                raise
            if not is_managed(tag_map(scheduler.list_tags_for_resource(ResourceArn=group_arn).get("Tags", []))):
                message = f"refusing to adopt {resource.ref}: its group has no {MANAGED_TAG}=true tag"
                raise PermanentError(message) from error
            scheduler.update_schedule(GroupName=group, Name=name, **_definition(resource))

    def _ensure_group(self, group: str, tags: Mapping[str, str]) -> str:
        """The group's ARN, creating the group with `tags` when it does not exist. Read first: the emulator's
        CreateScheduleGroup replaces an existing group (and its schedules) instead of answering ConflictException."""
        scheduler = self._clients.scheduler
        try:
            with translate_errors():
                return str(scheduler.get_schedule_group(Name=group)["Arn"])
        except NotFoundError:
            pass
        try:
            with translate_errors():
                return str(scheduler.create_schedule_group(Name=group, Tags=aws_tags(tags))["ScheduleGroupArn"])
        except AwsError as error:
            if not already_exists(error):
                raise
        return str(scheduler.get_schedule_group(Name=group)["Arn"])

    @translate_errors()
    def update(self, resource: Resource, observed: Observed) -> None:
        require_managed(observed, "update")
        group, name = _split(resource.ref.key)
        self._clients.scheduler.update_schedule(GroupName=group, Name=name, **_definition(resource))

    @translate_errors()
    def delete(self, observed: Observed) -> None:
        require_managed(observed, "delete")
        group, name = _split(observed.ref.key)
        self._clients.scheduler.delete_schedule(GroupName=group, Name=name)


def _definition(resource: Resource) -> dict[str, Any]:
    """CreateSchedule / UpdateSchedule arguments from the desired properties."""
    properties = resource.properties
    target = properties["target"]
    wanted_target = {"Arn": target["arn"], "RoleArn": target["roleArn"]}
    if target.get("input") is not None:
        wanted_target["Input"] = target["input"]
    return {
        "ScheduleExpression": properties["expression"],
        "ScheduleExpressionTimezone": properties.get("timezone") or DEFAULT_TIMEZONE,
        "State": properties.get("state", "ENABLED"),
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": wanted_target,
    }


def _split(key: str) -> tuple[str, str]:
    """Split a key "<group>/<name>" into (group, name)."""
    group, _, name = key.partition("/")
    return group, name
