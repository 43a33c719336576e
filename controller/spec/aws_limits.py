"""AWS's limits as `validate` needs them, read once from the committed `aws_limits.json`.

The JSON is generated from botocore's service models and partition data by `controller.aws.limits_export`
(which imports botocore; this module does not, so `validate` stays light). Each figure here names its source
shape in the JSON. Figures AWS documents but botocore does not carry are constants below, with the document's
title. Used by `controller.spec.aws_checks` and `controller.spec.aws_names`.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# SSM Parameter Store, "Managing parameter tiers": a standard parameter's value is at most 4 KB (4096 bytes). The
# controller writes the hyperparameters as one standard String parameter (controller.desired, naming).
SSM_STANDARD_VALUE_BYTES = 4096
# CloudWatch PutMetricAlarm, "Period": 10, 20, 30 or any multiple of 60; Period x EvaluationPeriods at most 7 days
# (604,800 s), and at most one day (86,400 s) when the period is under one hour.
ALARM_WINDOW_SECONDS = 604_800
ALARM_SHORT_WINDOW_SECONDS = 86_400
ALARM_SHORT_PERIOD_SECONDS = 3_600
# Tag key prefixes nobody may write: AWS's (Tagging best practices, "aws: prefix is reserved") and ours.
RESERVED_TAG_PREFIXES = ("aws:", "modelctl:")
# The modelctl:* tags the controller puts on one resource (controller.resources: managed, model, env, config,
# version, git-sha, spec-digest); user tags share the per-resource tag limit with them.
OWN_TAG_COUNT = 7
# The tag characters of the strictest tagging service: `[\p{L}\p{Z}\p{N}_.:/=+\-@]` (sagemaker/ssm/codebuild).
TAG_PUNCTUATION = frozenset("_.:/=+-@")


@dataclass(frozen=True)
class Bound:
    """A length or value range and the botocore shape it comes from."""

    shape: str
    min: int
    max: int
    pattern: str | None = None  # botocore's (Java) pattern, matched in full; None when the shape has none


@dataclass(frozen=True)
class Limits:
    hyperparameter_count: Bound
    hyperparameter_key: Bound
    hyperparameter_value: Bound
    tag_count: Bound
    tag_key: Bound
    tag_value: Bound
    wait_interval: Bound
    maximum_execution_timeout: Bound
    rollback_alarms: Bound
    names: dict[str, Bound]
    instance_types: dict[str, frozenset[str]]  # training | hosting | transform -> the enum
    instance_type_shapes: dict[str, str]
    regions: dict[str, str]  # region -> partition
    dns_suffixes: dict[str, str]  # partition -> DNS suffix


def _bound(entry: dict[str, Any]) -> Bound:
    return Bound(str(entry["shape"]), int(entry.get("min") or 0), int(entry["max"]), entry.get("pattern"))


def _strictest(entries: list[dict[str, Any]]) -> Bound:
    """The range every service accepts: the largest minimum and smallest maximum, named by the shapes setting them."""
    low = max(entries, key=lambda e: e.get("min") or 0)
    high = min(entries, key=lambda e: e["max"])
    same_min = (low.get("min") or 0) == (high.get("min") or 0)
    shapes = high["shape"] if same_min else f"{high['shape']}, {low['shape']}"
    return Bound(shapes, int(low.get("min") or 0), int(high["max"]))


@cache
def limits() -> Limits:
    """The limits (parsed once per process)."""
    data = json.loads(resources.files(__package__).joinpath("aws_limits.json").read_text(encoding="utf-8"))
    tags, rollout = data["tags"], data["rollout"]
    return Limits(
        hyperparameter_count=_bound(data["hyperparameters"]["count"]),
        hyperparameter_key=_bound(data["hyperparameters"]["key"]),
        hyperparameter_value=_bound(data["hyperparameters"]["value"]),
        tag_count=_strictest(tags["count"]),
        tag_key=_strictest(tags["key"]),
        tag_value=_strictest(tags["value"]),
        wait_interval=_bound(rollout["waitInterval"]),
        maximum_execution_timeout=_bound(rollout["maximumExecutionTimeout"]),
        rollback_alarms=_bound(rollout["rollbackAlarms"]),
        names={name: _bound(entry) for name, entry in data["names"].items()},
        instance_types={use: frozenset(entry["enum"]) for use, entry in data["instanceTypes"].items()},
        instance_type_shapes={use: str(entry["shape"]) for use, entry in data["instanceTypes"].items()},
        regions={
            region: partition for partition, entry in data["partitions"].items() for region in entry["sagemakerRegions"]
        },
        dns_suffixes={partition: str(entry["dnsSuffix"]) for partition, entry in data["partitions"].items()},
    )


def tag_character_ok(char: str) -> bool:
    """`[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]`: a letter, a separator (space), a number, or one of `_.:/=+-@`."""
    return char in TAG_PUNCTUATION or unicodedata.category(char)[0] in "LZN"
