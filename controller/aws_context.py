"""Where a command's AWS calls go: the real account (standard boto3 configuration) or the embedded emulator.

`aws_for(environment, local=...)` is a context manager yielding the adapter registry for the environment's region.
With `local`, it uses the emulator at MODELCTL_LOCAL_URL (default http://127.0.0.1:4566) or starts one in-process
for the duration of the command (and says so on stderr), makes the emulator act as the environment's account
(moto's MOTO_ACCOUNT_ID, so ARNs in the specs resolve), and creates the prerequisites a real deployment's stack
provides (artifact bucket, execution role, SNS topic, state table). Called by the CLI.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from controller.aws.connect import connect
from controller.aws.registry import ResourceOperations, build_registry
from controller.resources import Kind
from controller.spec.models import Environment

STATE_TABLE = "modelctl-state"


@contextmanager
def aws_for(environment: Environment, *, local: bool) -> Iterator[Mapping[Kind, ResourceOperations]]:
    """The adapter registry for `environment` (see the module docstring)."""
    spec = environment.spec
    if not local:
        yield build_registry(connect(spec.region))
        return
    from controller.local.bootstrap import ensure_prerequisites
    from controller.local.emulator import ensure_emulator

    os.environ.setdefault("MOTO_ACCOUNT_ID", spec.account)  # an in-process emulator acts as the spec's account
    url, started = ensure_emulator()
    if started is not None:
        print(f"no emulator answered; started one in-process at {url} for this command", file=sys.stderr)
    try:
        topic = (
            spec.notification_topic_arn
            or f"arn:aws:sns:{spec.region}:{spec.account}:modelctl-{environment.metadata.name}"
        )
        ensure_prerequisites(
            url,
            spec.region,
            bucket=spec.artifact_bucket,
            role_arn=spec.execution_role_arn,
            topic_arn=topic,
            table_name=STATE_TABLE,
        )
        yield build_registry(connect(spec.region, local_url=url))
    finally:
        if started is not None:
            started.stop()
