"""Small helpers the adapters' write methods (create / update / delete) share.

require_managed: the defence-in-depth ownership check before any modify or delete (the diff already refuses
foreign resources; an adapter refuses again, with PermanentError). aws_tags: a tag mapping as the list each
service wants. already_exists: whether a translated error says the name is taken, so a create can adopt its own
resource instead of failing; create_or_adopt: that create-then-adopt step for adapters that look the name up only
when AWS says it is taken.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from controller.aws.errors import translate_errors
from controller.errors import AwsError, PermanentError
from controller.resources import MANAGED_TAG, TAG_PREFIX, Observed

MAX_TAGS = 50  # SSM, SageMaker, Step Functions, Scheduler and CloudWatch accept at most 50 tags per resource
ALREADY_EXISTS_CODES = frozenset(
    {
        "ParameterAlreadyExists",
        "StateMachineAlreadyExists",
        "ExecutionAlreadyExists",
        "ConflictException",
        "ResourceInUse",
    }
)


def require_managed(observed: Observed, verb: str) -> None:
    """Raise PermanentError unless `observed` carries modelctl:managed=true; `verb` names the refused write."""
    if not observed.managed:
        raise PermanentError(f"refusing to {verb} {observed.ref}: it has no {MANAGED_TAG}=true tag")


def aws_tags(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    """Tags as AWS's [{Key, Value}] list (Step Functions: key="key", value="value"), at most MAX_TAGS with the
    managed tag and then the other modelctl: tags first, so a spec with many labels still gets its ownership tags."""
    ordered = sorted(tags.items(), key=lambda item: (item[0] != MANAGED_TAG, not item[0].startswith(TAG_PREFIX), item))
    return [{key: name, value: text} for name, text in ordered[:MAX_TAGS]]


def already_exists(error: AwsError) -> bool:
    """True when `error` answers a create whose name is already taken (SageMaker says so in a ValidationException)."""
    text = str(error)
    return error.code in ALREADY_EXISTS_CODES or "already exist" in text


def create_or_adopt(
    create: Callable[[], object], existing: Callable[[], Observed | None], adopt: Callable[[Observed], None]
) -> None:
    """Run `create` (errors translated). When AWS answers that the name is taken (a create resent after its first
    answer was lost, or a name someone else holds), hand what `existing` reads to `adopt`, which refuses a foreign
    resource; when nothing holds the name any more (deleted since), re-raise: the next apply creates it."""
    try:
        with translate_errors():
            create()
    except AwsError as error:
        if not already_exists(error):
            raise
        found = existing()
        if found is None:
            raise
        adopt(found)
