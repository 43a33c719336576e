"""`AwsCloud`: the controller.ports.Cloud over real (or emulated) AWS clients: the adapter registry, the caller's
identity (STS) and notifications (SNS).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.aws import account, sns
from controller.aws.registry import build_registry
from controller.aws.session import AwsClients
from controller.ports import Caller, ResourceOperations
from controller.resources import Kind


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
