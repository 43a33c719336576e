"""SNS adapter: the controller's own notifications (drift, rollback, degraded, apply failures).

Pipeline notifications (started / succeeded / failed) are published by the pipeline itself; these are the ones only
the reconciler can see. Messages are JSON with the model, environment, version and git SHA, plus a one-line
`summary` that reads well in e-mail and chat. Strings from specs or AWS may be anywhere in them: the message is
JSON-encoded (every string escaped as JSON escapes it), and the `summary` and the subject are made one line free of
control and format characters (controller.escape.one_line); SNS accepts a subject of at most 100 characters,
"with no line breaks or control characters" (SNS API Reference, Publish).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from controller.aws.errors import translate_errors
from controller.aws.session import AwsClients
from controller.escape import one_line

MAX_SUBJECT = 100  # SNS subjects are at most 100 characters
MAX_SUMMARY = 500  # a summary is one line of a chat message or an e-mail


@translate_errors()
def publish(clients: AwsClients, topic_arn: str, subject: str, message: Mapping[str, Any]) -> None:
    clients.sns.publish(TopicArn=topic_arn, Subject=one_line(subject, MAX_SUBJECT), Message=encode(message))


def encode(message: Mapping[str, Any]) -> str:
    """The message as JSON, its `summary` on one line without control or format characters."""
    safe = dict(message)
    if isinstance(safe.get("summary"), str):
        safe["summary"] = one_line(safe["summary"], MAX_SUMMARY)
    return json.dumps(safe, sort_keys=True, default=str)
