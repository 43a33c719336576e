"""SNS adapter: the controller's own notifications (drift, rollback, degraded, apply failures).

Pipeline notifications (started / succeeded / failed) are published by the pipeline itself; these are the ones only
the reconciler can see. Messages are JSON with the model, environment, version and git SHA, plus a one-line
`summary` that reads well in e-mail and chat.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from controller.aws.errors import translate_errors
from controller.aws.session import AwsClients

MAX_SUBJECT = 100  # SNS subjects are at most 100 characters


@translate_errors()
def publish(clients: AwsClients, topic_arn: str, subject: str, message: Mapping[str, Any]) -> None:
    clients.sns.publish(
        TopicArn=topic_arn, Subject=subject[:MAX_SUBJECT], Message=json.dumps(message, sort_keys=True, default=str)
    )
