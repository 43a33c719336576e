"""EventBridge Scheduler's ListSchedules as AWS answers it: schedule summaries, not whole schedules.

AWS (EventBridge Scheduler API Reference, "ListSchedules",
https://docs.aws.amazon.com/scheduler/latest/APIReference/API_ListSchedules.html): `Schedules` is a list of
ScheduleSummary (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_ScheduleSummary.html): Arn,
CreationDate, GroupName, LastModificationDate, Name, State and Target (a TargetSummary: its Arn). moto 5.2 also
sends each schedule's expression, time zone, flexible time window, dates, description and KMS key, which AWS
does not (a reader relying on them works here and fails on AWS). `install()` (idempotent,
controller.local.emulator) keeps the summary's members only.
"""

from __future__ import annotations

import json
from typing import Any

from moto.scheduler.responses import EventBridgeSchedulerResponse

from controller.local.patching import Patches

SUMMARY_MEMBERS = ("Arn", "CreationDate", "GroupName", "LastModificationDate", "Name", "State", "Target")

_patches = Patches()
original = _patches.original  # moto's implementation of a patched attribute (tests check moto still needs it)


def list_schedules_action(self: EventBridgeSchedulerResponse) -> Any:
    answer = _patches.original(EventBridgeSchedulerResponse, "list_schedules")(self)
    document = json.loads(answer)
    document["Schedules"] = [
        {key: value for key, value in schedule.items() if key in SUMMARY_MEMBERS and value is not None}
        for schedule in document.get("Schedules", [])
    ]
    if not document.get("NextToken"):
        document.pop("NextToken", None)
    return json.dumps(document)


def install() -> None:
    if _patches.installed:
        return
    _patches.replace(EventBridgeSchedulerResponse, "list_schedules", list_schedules_action)
