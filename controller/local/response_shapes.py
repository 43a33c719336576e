"""Is this HTTP response one AWS could have sent? The emulator's answers judged by botocore's service model.

`violations(operation, protocol, response)` parses a response with botocore's own parser for the protocol the
client spoke (botocore.parsers, subclassed only to watch the raw wire values), then walks the parsed value along
the operation's OUTPUT shape (botocore.model) and lists every way it departs from what AWS promises:

- a required member absent or null, at any depth, so an empty structure whose members are required
  (`"DataCaptureConfig": {}`) is refused as AWS never sends one;
- a value of the wrong type (string, integer/long, float/double, boolean, timestamp, blob, list, map,
  structure), a string outside its enum, a union with other than one member set;
- a JSON member the shape does not have (json / rest-json; botocore drops it silently, which hides misspelt
  and miscased members);
- a timestamp not in the form the protocol sends it: epoch seconds (a number) in json / rest-json bodies,
  ISO 8601 in query / rest-xml bodies, unless the member names another `timestampFormat`;
- an error response from which botocore cannot read an error code.

Nothing here knows moto: controller.local.response_check routes requests to operations and installs the check.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel, Shape
from botocore.parsers import PROTOCOL_PARSERS

_ISO8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
_JSON_PROTOCOLS = ("json", "rest-json")
_XML_PROTOCOLS = ("query", "rest-xml", "ec2")
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "timestamp": (datetime.datetime,),
    "blob": (bytes, bytearray, str),  # a streaming payload parses to str
    "list": (list,),
    "map": (dict,),
    "structure": (dict,),
}


@dataclass(frozen=True)
class Response:
    """An HTTP response as the client receives it (headers lower-cased or not: matched case-insensitively)."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def _wire_format(shape: Shape, protocol: str, in_header: bool) -> str:
    explicit = shape.serialization.get("timestampFormat")
    if isinstance(explicit, str):
        return explicit
    if in_header:
        return "rfc822"
    return "unixTimestamp" if protocol in _JSON_PROTOCOLS else "iso8601"


def _timestamp_problem(raw: Any, expected: str) -> str | None:
    if expected == "unixTimestamp":
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return f"timestamp {raw!r} is not epoch seconds (a JSON number), as AWS sends it in this protocol"
    elif expected == "iso8601" and (not isinstance(raw, str) or not _ISO8601.match(raw.strip())):
        return f"timestamp {raw!r} is not ISO 8601, as AWS sends it in this protocol"
    return None


def _watching_parser(protocol: str, problems: list[str]) -> Any:
    """botocore's parser for `protocol`, noting raw timestamps in the wrong form and unknown JSON members."""
    base: Any = PROTOCOL_PARSERS[protocol]

    class Watching(base):  # type: ignore[misc]
        def _handle_timestamp(self, shape: Shape, value: Any) -> Any:
            if protocol in _JSON_PROTOCOLS or protocol in _XML_PROTOCOLS:
                in_header = shape.serialization.get("location") == "header"
                raw = getattr(value, "text", value)  # an XML element: its text
                problem = _timestamp_problem(raw, _wire_format(shape, protocol, in_header))
                if problem:
                    problems.append(f"{shape.name}: {problem}")
            return super()._handle_timestamp(shape, value)

        def _handle_structure(self, shape: Shape, value: Any) -> Any:
            if protocol in _JSON_PROTOCOLS and not shape.is_document_type:
                if value is not None and not isinstance(value, dict):
                    problems.append(f"{shape.name}: expected a JSON object, got {type(value).__name__}")
                    return None
                if isinstance(value, dict):
                    known = {member.serialization.get("name", name) for name, member in shape.members.items()}
                    unknown = sorted(set(value) - known - {"__type"})
                    if unknown:
                        problems.append(f"{shape.name}: members the shape does not have: {', '.join(unknown)}")
            return super()._handle_structure(shape, value)

        def _handle_list(self, shape: Shape, value: Any) -> Any:
            if protocol in _JSON_PROTOCOLS and not isinstance(value, list):
                problems.append(f"{shape.name}: expected a JSON array, got {type(value).__name__}")
                return None
            return super()._handle_list(shape, value)

        def _handle_map(self, shape: Shape, value: Any) -> Any:
            if protocol in _JSON_PROTOCOLS and not isinstance(value, dict):
                problems.append(f"{shape.name}: expected a JSON object, got {type(value).__name__}")
                return None
            return super()._handle_map(shape, value)

    return Watching()


def _walk(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    """Check a parsed `value` against `shape`: types, required members, enums, unions (module docstring)."""
    kind = shape.type_name
    expected = _TYPES.get(kind)
    if expected is not None and (not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool))):
        problems.append(f"{path}: expected {kind} ({shape.name}), got {type(value).__name__} {value!r:.80}")
        return
    if kind == "string" and shape.enum and value not in shape.enum:
        problems.append(f"{path}: {value!r} is not one of {shape.name}'s values {sorted(shape.enum)}")
    elif kind == "list":
        for index, item in enumerate(value):
            _walk(shape.member, item, f"{path}[{index}]", problems)
    elif kind == "map":
        for key, item in value.items():
            _walk(shape.key, key, f"{path}.<key>", problems)
            _walk(shape.value, item, f"{path}[{key!r}]", problems)
    elif kind == "structure" and not shape.is_document_type:
        _walk_structure(shape, value, path, problems)


def _walk_structure(shape: Shape, value: dict[str, Any], path: str, problems: list[str]) -> None:
    prefix = f"{path}." if path else ""
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(f"{prefix}{name}: required member of {shape.name} is missing")
    if shape.is_tagged_union and len([item for item in value.values() if item is not None]) != 1:
        problems.append(f"{path or shape.name}: a union ({shape.name}) must have exactly one member set")
    for name, item in value.items():
        member = shape.members.get(name)
        if member is not None and item is not None:
            _walk(member, item, f"{prefix}{name}", problems)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def violations(operation: OperationModel, protocol: str, response: Response, *, method: str = "POST") -> list[str]:
    """Every way `response` to `operation` (spoken in `protocol`) departs from what AWS sends (module docstring);
    empty when AWS could have sent it."""
    problems: list[str] = []
    parser = _watching_parser(protocol, problems)
    wire = {"status_code": response.status, "headers": _lower(response.headers), "body": response.body}
    if response.status >= 300:
        try:
            parsed = parser.parse(wire, None)
        except Exception as error:  # botocore's parsers raise many types on malformed input
            return [f"error response botocore cannot parse: {type(error).__name__}: {error}"]
        code = parsed.get("Error", {}).get("Code")
        if not code or (code == str(response.status) and method != "HEAD"):
            problems.append(f"error response without an error code botocore can read: {response.body[:200]!r}")
        return problems
    shape = operation.output_shape
    if shape is None:
        return problems
    try:
        parsed = parser.parse(wire, shape)
    except Exception as error:  # botocore's parsers raise many types on malformed input
        return [f"response botocore cannot parse as {shape.name}: {type(error).__name__}: {error}"]
    if isinstance(parsed, dict):
        parsed.pop("ResponseMetadata", None)
    _walk(shape, parsed, "", problems)
    return problems
