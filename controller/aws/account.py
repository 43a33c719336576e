"""Who and where the controller is: the caller's account and identity (STS), and the clients' region.

apply refuses to write unless these match the environment's `account` and `region`: a prod spec is never applied to
the wrong account because of a stray AWS_PROFILE. Called by controller.reconcile.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.aws.errors import translate_errors
from controller.aws.session import AwsClients


@dataclass(frozen=True)
class Caller:
    """account: the 12-digit account id; arn: the caller's identity (user or assumed role); region: the clients'."""

    account: str
    arn: str
    region: str


@translate_errors()
def caller(clients: AwsClients) -> Caller:
    identity = clients.sts.get_caller_identity()
    return Caller(str(identity["Account"]), str(identity["Arn"]), str(clients.sts.meta.region_name))
