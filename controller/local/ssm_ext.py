"""SSM DescribeParameters paging, as AWS pages it, in the embedded emulator.

AWS (SSM API Reference, "DescribeParameters"): `MaxResults` is "the maximum number of items to return for this
call", valid range 1-50, and the call returns a `NextToken` when more items remain (omitting MaxResults gives
pages of 10); a value outside 1-50 is a ValidationException. moto 5.2 ignores MaxResults and always answers pages
of 10, so a reader asking for 50 a page (controller.aws.ssm, one call per 50 names) pays five calls instead of
one against the emulator. `install()` (called by controller.local.emulator, idempotent) replaces moto's
DescribeParameters action with one that honours MaxResults; filtering stays moto's, and NextToken stays moto's
offset into the filtered list, so tokens from either implementation mean the same thing.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ssm.exceptions import ValidationException
from moto.ssm.responses import SimpleSystemManagerResponse

from controller.local.patching import Patches

DEFAULT_PAGE = 10  # what AWS returns when MaxResults is omitted
MAX_PAGE = 50  # the largest MaxResults AWS accepts

_patches = Patches()
original = _patches.original  # moto's implementation of a patched attribute (tests check moto still needs it)


def describe_parameters_action(self: SimpleSystemManagerResponse) -> ActionResult:
    """The DescribeParameters action, paged by MaxResults (1-50, default 10) with moto's offset NextToken."""
    page_size = self._get_int_param("MaxResults")
    if page_size is None:
        page_size = DEFAULT_PAGE
    if not 1 <= page_size <= MAX_PAGE:
        bound = f"less than or equal to {MAX_PAGE}" if page_size > MAX_PAGE else "greater than or equal to 1"
        raise ValidationException(
            f"1 validation error detected: Value '{page_size}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value {bound}"
        )
    token = self._get_param("NextToken")
    start = int(token.strip()) if isinstance(token, str) and token.strip() else 0
    found = self.ssm_backend.describe_parameters(self._get_param("Filters"), self._get_param("ParameterFilters"))
    page = found[start : start + page_size]
    response: dict[str, Any] = {"Parameters": [parameter.describe_response_object(False) for parameter in page]}
    if start + page_size < len(found):
        response["NextToken"] = str(start + page_size)
    return ActionResult(response)


def install() -> None:
    if _patches.installed:
        return
    _patches.replace(SimpleSystemManagerResponse, "describe_parameters", describe_parameters_action)
