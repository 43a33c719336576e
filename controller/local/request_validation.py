"""AWS's input constraints on every request the embedded emulator serves, from botocore's service models.

AWS's front end refuses a request whose parameters break a constraint of the operation's input shape: a string's
or list's `min`/`max` length, a string's `pattern` (a Java regular expression, see controller.local.java_patterns)
or `enum`, a number's `min`/`max` value. boto3 checks only required members and types client-side, and moto checks
almost none of these, so without this module a request AWS would refuse (an endpoint name with `_`, 51 results a
page, a 257-character tag value) succeeds in the emulator and the suite never sees it.

`install()` (called by controller.local.emulator.install_all after iam_ext, idempotent) hooks moto's
BaseResponse.call_action, the one dispatch point of every service it serves (in-process and served, and the Step
Functions interpreter's task calls): right after its authorization step (so a denied caller is denied whatever it
sent), the request is parsed by its botocore operation model (as controller.local.iam_ext parses it) and checked
member by member. Problems are answered as AWS answers them, before the action runs:

    1 validation error detected: Value 'my_endpoint' at 'endpointName' failed to satisfy constraint:
    Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}

with several joined by "; " ("2 validation errors detected: ..."), member paths as AWS spells them
(`productionVariants.1.member.variantName`), a sensitive member's value left out ("Value at 'value' ..."), and the
error code of the service's convention (ERROR_SHAPE): ValidationException for JSON services, which the query
services serialize under their own code (CloudWatch: ValidationError), SNS's InvalidParameter.

Not checked: required members and types (boto3 checks them before sending), constraints between members, and
values of a `document` or timestamp type. `lenient()` turns the checks off for tests that study the emulator's
leniency itself; `stats()` counts the requests checked and refused, and the patterns that could not be compiled.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore.model import OperationNotFoundError, Shape
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import ServiceException
from moto.core.parse import RequestParserError
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_service_model

from controller.local import java_patterns
from controller.local.iam_ext import request_parameters
from controller.local.patching import Patches

NUMBERS = ("integer", "long", "float", "double")
# the error shape a service answers a constraint failure with, where it is not ValidationException
ERROR_SHAPE = {"sns": "InvalidParameterException", "sagemaker-runtime": "ValidationError"}

_patches = Patches()
original = _patches.original  # moto's implementation of a patched attribute (tests check moto still needs it)
_lock = threading.Lock()
_counts = {"checked": 0, "refused": 0}
_strict = [True]


class RequestValidationError(ServiceException):
    """AWS's answer to a request that breaks its input constraints (code: the service's, see ERROR_SHAPE)."""


@contextmanager
def lenient() -> Iterator[None]:
    """Serve requests without these checks inside the block (tests of the emulator's leniency only)."""
    previous, _strict[0] = _strict[0], False
    try:
        yield
    finally:
        _strict[0] = previous


def stats() -> dict[str, int]:
    """Requests checked and refused in this process so far, and botocore patterns that could not be compiled."""
    with _lock:
        return {**_counts, "patternsSkipped": len(java_patterns.skipped())}


# --- the constraints of one value ------------------------------------------------------------------------------


def _java(value: Any) -> str:
    """`value` as AWS's messages print it (Java's toString)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_java(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_java(k)}={_java(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return "java.nio.HeapByteBuffer"
    return str(value)


def _bound(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _size(shape: Shape, value: Any, what: str) -> list[str]:
    """The length (or value, for numbers) constraints `value` breaks."""
    broken = []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    measure = value if what == "value" else len(value)
    if high is not None and measure > high:
        broken.append(f"Member must have {what} less than or equal to {_bound(high)}")
    if low is not None and measure < low:
        broken.append(f"Member must have {what} greater than or equal to {_bound(low)}")
    return broken


def _scalar(shape: Shape, value: Any) -> list[str]:
    """The constraints scalar `value` of `shape` breaks, as AWS words them."""
    kind = shape.type_name
    if kind in NUMBERS and isinstance(value, int | float) and not isinstance(value, bool):
        return _size(shape, value, "value")
    if kind == "blob" and isinstance(value, bytes | str):
        return _size(shape, value, "length")
    if kind != "string" or not isinstance(value, str):
        return []
    broken = _size(shape, value, "length")
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        broken.append(f"Member must satisfy enum value set: [{', '.join(enum)}]")
    pattern = shape.metadata.get("pattern")
    compiled = java_patterns.compiled(pattern) if pattern else None
    if compiled is not None and not java_patterns.matches(compiled, value):
        broken.append(f"Member must satisfy regular expression pattern: {pattern}")
    return broken


def _problem(shape: Shape, value: Any, path: str, constraint: str) -> str:
    shown = "" if shape.metadata.get("sensitive") else f" '{_java(value)}'"
    return f"Value{shown} at '{path}' failed to satisfy constraint: {constraint}"


def _member_path(path: str, name: str) -> str:
    spelled = name[:1].lower() + name[1:]
    return f"{path}.{spelled}" if path else spelled


def check(shape: Shape, value: Any, path: str = "") -> list[str]:
    """Every constraint of `shape` (and its members, items, keys and values) that `value` breaks, as messages."""
    if value is None:
        return []
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        return [
            problem
            for name, member in shape.members.items()
            if name in value
            for problem in check(member, value[name], _member_path(path, name))
        ]
    if kind == "list" and isinstance(value, list):
        problems = [_problem(shape, value, path, each) for each in _size(shape, value, "length")]
        for index, item in enumerate(value, 1):
            problems += check(shape.member, item, f"{path}.{index}.member")
        return problems
    if kind == "map" and isinstance(value, Mapping):
        return _map(shape, value, path)
    return [_problem(shape, value, path, each) for each in _scalar(shape, value)]


def _map(shape: Shape, value: Mapping[str, Any], path: str) -> list[str]:
    problems = [_problem(shape, value, path, each) for each in _size(shape, value, "length")]
    for key, item in value.items():
        for part, part_shape, part_value in (("keys", shape.key, key), ("value", shape.value, item)):
            if part_shape.type_name in ("structure", "list", "map"):
                problems += check(part_shape, part_value, f"{path}.{key}")
                continue
            broken = _scalar(part_shape, part_value)
            if broken:
                label = "Map keys must" if part == "keys" else "Map value must"
                problems.append(_problem(shape, value, path, f"{label} satisfy constraint: [{', '.join(broken)}]"))
    return list(dict.fromkeys(problems))


# --- the dispatch point ----------------------------------------------------------------------------------------


def refusal(problems: list[str]) -> str:
    """AWS's message for `problems` (at least one)."""
    count = len(problems)
    return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems)


def _problems(response: BaseResponse) -> list[str]:
    """What AWS would refuse in the request `response` serves ([] for an operation no model names)."""
    try:
        operation = get_service_model(response.boto3_service_name).operation_model(response._get_action())
    except (OperationNotFoundError, KeyError, ValueError):
        return []
    if operation.input_shape is None:
        return []
    try:
        parameters = request_parameters(response)
    except RequestParserError:  # moto answers a request it cannot parse itself
        return []
    return check(operation.input_shape, parameters)


class _Refused(Exception):
    """Raised from the authorization step to leave moto's call_action before the action runs."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(refusal(problems))
        self.problems = problems


def _authorize_then_check(self: BaseResponse, resource: str = "*") -> None:
    """moto's authorization step (iam_ext's when installed), then the constraints: an unauthorized caller is
    denied whatever it sent, as IAM answers first."""
    original(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action")(self, resource)
    if not _strict[0] or not self._get_action():
        return
    problems = _problems(self)
    with _lock:
        _counts["checked"] += 1
        _counts["refused"] += bool(problems)
    if problems:
        raise _Refused(problems)


def _call_action(self: BaseResponse) -> Any:
    """moto's call_action, answering a _Refused request with the service's validation error."""
    try:
        return original(BaseResponse, "call_action")(self)
    except _Refused as refused:
        code = ERROR_SHAPE.get(self.boto3_service_name, "ValidationException")
        status, headers, body = self.serialized(ActionResult(RequestValidationError(code, str(refused))))
        return status, {**headers, "status": str(status)}, body


def install() -> None:
    """Check every request moto serves in this process against its operation's input constraints (idempotent)."""
    if _patches.installed:
        return
    _patches.replace(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action", _authorize_then_check)
    _patches.replace(BaseResponse, "call_action", _call_action)
