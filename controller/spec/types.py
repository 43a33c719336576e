"""Constrained scalar types shared by the spec models: names, durations, S3 URIs, instance types, ARNs.

Each type is an `Annotated` string whose JSON Schema carries the same pattern, so editors flag the same mistakes
the validator does. Used by `controller.spec.models`.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

NAME_PATTERN = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"
DURATION_PATTERN = r"^[1-9][0-9]*(s|m|h|d)$"
S3_URI_PATTERN = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$"
INSTANCE_TYPE_PATTERN = r"^ml\.[a-z][a-z0-9-]*\.[0-9]*[a-z][a-z0-9]*$"

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(value: str) -> int:
    """`90m` -> 5400. The value must already match DURATION_PATTERN (the models guarantee it)."""
    return int(value[:-1]) * _DURATION_UNITS[value[-1]]


Name = Annotated[
    str,
    StringConstraints(pattern=NAME_PATTERN),
    Field(description="3-32 chars: lowercase letters, digits and '-', starting with a letter"),
]
Duration = Annotated[
    str,
    StringConstraints(pattern=DURATION_PATTERN),
    Field(description="a positive whole number followed by s, m, h or d, e.g. 90m, 2h, 1d"),
]
S3Uri = Annotated[
    str,
    StringConstraints(pattern=S3_URI_PATTERN),
    Field(description="s3://bucket/prefix"),
]
InstanceType = Annotated[
    str,
    StringConstraints(pattern=INSTANCE_TYPE_PATTERN),
    Field(description="a SageMaker instance type, ml.<family>.<size>, e.g. ml.m5.xlarge"),
]
AccountId = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$"), Field(description="12 digits, quoted")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$")]
RoleArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$")]
TopicArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$")]
BucketName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w .:/=+\-@]+$")]
TagValue = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\w .:/=+\-@]*$")]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _check_email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("must be an e-mail address (used in notifications)")
    return value


Email = Annotated[str, AfterValidator(_check_email), Field(json_schema_extra={"format": "email"})]
