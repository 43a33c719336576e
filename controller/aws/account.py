"""Who and where the controller is: the caller's account and identity (STS), and the clients' region.

apply refuses to write unless these match the environment's `account` and `region`: a prod spec is never applied to
the wrong account because of a stray AWS_PROFILE.
"""

from __future__ import annotations

from controller.aws.errors import translate_errors
from controller.aws.session import AwsClients
from controller.ports import Caller


@translate_errors()
def caller(clients: AwsClients) -> Caller:
    identity = clients.sts.get_caller_identity()
    return Caller(str(identity["Account"]), str(identity["Arn"]), str(clients.sts.meta.region_name))
