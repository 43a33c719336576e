"""The reconciler Lambda's entry point: structured JSON logs with a correlation id, then one call.

`handler(event, context)` reconciles the function's environment (MODELCTL_ENV) from the newest bundle on a new
bundle in S3, on a pipeline's Step Functions status change, and on the 10-minute schedule; the logic is in
reconciler_lambda.reconcile. Importing this module makes no AWS client and never imports the sagemaker SDK (see
bench/lambda_import.py): clients are made on the first invocation and kept for the warm ones.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from controller.aws.connect import connect
from controller.aws.session import AwsClients
from reconciler_lambda import reconcile as lambda_reconcile

logger = Logger(service="modelctl-reconciler")
_clients: list[AwsClients] = []  # made on first use, kept across warm invocations


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Reconcile as `event` asks; returns (and logs) the summary."""
    logger.set_correlation_id(lambda_reconcile.correlation_id(event))
    settings = lambda_reconcile.Settings.from_environ(os.environ)
    logger.append_keys(env=settings.env)
    try:
        summary = lambda_reconcile.handle(event, settings, _aws())
    except Exception:
        logger.exception("reconcile failed")
        raise  # the Lambda service retries the event, then sends it to the dead-letter destination
    logger.info("reconcile finished", extra={"summary": summary})
    return summary


def _aws() -> AwsClients:
    if not _clients:
        _clients.append(connect(os.environ.get("AWS_REGION") or os.environ["AWS_DEFAULT_REGION"]))
    return _clients[0]
