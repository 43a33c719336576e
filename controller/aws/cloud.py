"""The one object through which the orchestrator reaches AWS: adapters, the caller's identity, notifications.

`Cloud` is a Protocol so controller.reconcile stays free of boto3 and tests can hand it a fake; `AwsCloud` is the
implementation over AwsClients, made by controller.aws_context for the CLI and by the reconciler Lambda.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from controller.aws import account, sns
from controller.aws.account import Caller
from controller.aws.registry import ResourceOperations, build_registry
from controller.aws.session import AwsClients
from controller.resources import Kind


class Cloud(Protocol):
    """operations: the adapters by kind; caller(): who we are and where; notify(): publish one notification."""

    @property
    def operations(self) -> Mapping[Kind, ResourceOperations]: ...

    def caller(self) -> Caller: ...

    def notify(self, topic_arn: str, subject: str, message: Mapping[str, Any]) -> None: ...


@dataclass
class AwsCloud:
    """Cloud over real (or emulated) AWS clients."""

    clients: AwsClients
    registry: Mapping[Kind, ResourceOperations] = field(init=False)
    _caller: list[Caller] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.registry = build_registry(self.clients)

    @property
    def operations(self) -> Mapping[Kind, ResourceOperations]:
        return self.registry

    def caller(self) -> Caller:
        """Asked once per Cloud: the identity behind a set of clients does not change."""
        if not self._caller:
            self._caller.append(account.caller(self.clients))
        return self._caller[0]

    def notify(self, topic_arn: str, subject: str, message: Mapping[str, Any]) -> None:
        sns.publish(self.clients, topic_arn, subject, message)
