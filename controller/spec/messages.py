"""Turn pydantic's validation errors into Diagnostics people can act on.

pydantic reports `loc` (the field path, in YAML's camelCase thanks to aliases), a type and a terse message. We keep
the path, add the line, and rewrite the messages users trip over most: an unknown key gets a "did you mean", an
unquoted account id or date gets "quote it", a pattern mismatch shows the field's description instead of a regex.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from controller.spec.yamlsource import Path


def explain(error: Any, model: type[BaseModel]) -> tuple[Path, str]:
    """(path, message) for one entry of `ValidationError.errors()` raised by `model`."""
    loc: Path = tuple(error["loc"])
    kind = error["type"]
    if loc and loc[-1] == "[key]":  # a map key failed its constraint, e.g. an environment name
        loc = loc[:-1]
        return loc, f"key {loc[-1]!r}: {_plain(error['msg'])}" if loc else _plain(error["msg"])
    value = error.get("input")
    rewrite = _REWRITES.get(kind)
    message = rewrite(loc, value, model) if rewrite else None
    return loc, message or _plain(error["msg"])


def errors_of(exc: ValidationError) -> list[Any]:
    """pydantic's errors, without a collection's "too short" when its items failed (that is only a consequence)."""
    errors = exc.errors(include_url=False)
    item_failures = {tuple(e["loc"][:-2]) for e in errors if len(e["loc"]) >= 2 and isinstance(e["loc"][-2], int)}
    return [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in item_failures)]


def _plain(message: str) -> str:
    return message.removeprefix("Value error, ")


def _unknown_key(loc: Path, value: Any, model: type[BaseModel]) -> str:
    allowed = sorted(_schema_node(model, loc[:-1]).get("properties", {}))
    key = str(loc[-1]) if loc else ""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return "unknown key" + (f" (allowed: {', '.join(allowed)})" if allowed else "")


def _missing(loc: Path, value: Any, model: type[BaseModel]) -> str:
    return "required field is missing"


def _string_type(loc: Path, value: Any, model: type[BaseModel]) -> str | None:
    # the text as written is not known here (a bundle's JSON); the loader says it when it is (coercions.quote_it)
    if isinstance(value, datetime.date):
        return "must be a string; got a date; quote it"
    if isinstance(value, bool):
        return "must be a string; got a boolean; quote it"
    if isinstance(value, int | float):
        return "must be a string; got a number; quote it"
    return None


def _pattern(loc: Path, value: Any, model: type[BaseModel]) -> str | None:
    description = _schema_node(model, loc).get("description")
    return f"{value!r} is not valid: {description}" if description else None


_REWRITES: dict[str, Callable[[Path, Any, type[BaseModel]], str | None]] = {
    "extra_forbidden": _unknown_key,
    "missing": _missing,
    "string_type": _string_type,
    "string_pattern_mismatch": _pattern,
}


@cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def _schema_node(model: type[BaseModel], loc: Path) -> dict[str, Any]:
    """The JSON Schema node describing `loc` (best effort; {} when the path leaves the schema)."""
    root = _schema(model)
    definitions = root.get("$defs", {})
    node: dict[str, Any] = root
    for part in loc:
        node = _resolve(node, definitions)
        if isinstance(part, int):
            node = node.get("items", {})
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        else:
            node = node.get("additionalProperties") or {}
        if not isinstance(node, dict):
            return {}
    return _resolve(node, definitions)


def _resolve(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    for _ in range(8):
        if "$ref" in node:
            node = {**definitions[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
        elif "anyOf" in node:
            node = next((option for option in node["anyOf"] if option.get("type") != "null"), {})
        else:
            break
    return node
