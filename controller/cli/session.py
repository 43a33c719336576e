"""Where a command's AWS calls go: the real account (standard boto3 configuration) or the embedded emulator.

`aws_for(environment, local=...)` is a context manager yielding a `Session` for the environment's region: the Cloud
(adapters, caller identity, notifications) and the StateStore (lock, history, inventory on DynamoDB). With `local`,
it uses the emulator at MODELCTL_LOCAL_URL (an error when set and no emulator answers there) or at
http://127.0.0.1:4566, or starts one in-process for the duration of the command (and says so on stderr), makes an
in-process emulator act as the environment's account (moto's MOTO_ACCOUNT_ID, so ARNs in the specs resolve), refuses
a running emulator that acts as another account with the exact command that fixes it, and creates the
prerequisites a real deployment's stack provides (artifact bucket, execution role, SNS topic, state table).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from controller.aws.cloud import AwsCloud
from controller.aws.connect import connect
from controller.aws.session import AwsClients
from controller.aws.statetable import TABLE_NAME, StateTable
from controller.errors import ModelctlError
from controller.reconcile.store import StateStore
from controller.spec.models import Environment


@dataclass(frozen=True)
class Session:
    """What a command works with: `cloud` for AWS resources, `store` for the controller's own state."""

    cloud: AwsCloud
    store: StateStore


@contextmanager
def aws_for(environment: Environment, *, local: bool) -> Iterator[Session]:
    """A Session for `environment` (see the module docstring)."""
    spec = environment.spec
    if not local:
        yield _session(connect(spec.region))
        return
    from controller.local.bootstrap import ensure_prerequisites
    from controller.local.emulator import ensure_emulator

    os.environ.setdefault("MOTO_ACCOUNT_ID", spec.account)  # an in-process emulator acts as the spec's account
    url, started = ensure_emulator()
    if started is not None:
        print(f"no emulator answered; started one in-process at {url} for this command", file=sys.stderr)
    try:
        session = _session(connect(spec.region, local_url=url))
        acting = session.cloud.caller().account
        if acting != spec.account:
            raise ModelctlError(
                f"the emulator at {url} acts as account {acting}, but environment {environment.metadata.name} is "
                f"account {spec.account}: restart it with `modelctl local serve --account {spec.account}` (without "
                "--account it takes the specs' account), or unset MODELCTL_LOCAL_URL to run one in-process"
            )
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
            table_name=TABLE_NAME,
        )
        yield session
    finally:
        if started is not None:
            started.stop()


def _session(clients: AwsClients) -> Session:
    cloud = AwsCloud(clients)
    return Session(cloud, StateStore(StateTable(clients), who=_who(cloud)))


def _who(cloud: AwsCloud) -> str:
    """The caller's ARN, plus the local user when known: history says who applied."""
    user = os.environ.get("USER") or os.environ.get("GITHUB_ACTOR") or ""
    arn = cloud.caller().arn
    return f"{arn} ({user})" if user else arn
