"""YAML 1.1 coercions: an unquoted `1.10`, `no`, `on`, `012`, `0x1F`, `1:30`, `2026-11-01` is not what it looks like.

PyYAML follows YAML 1.1: `ref: 1.10` is the float 1.1, `name: no` the boolean False, `012` the octal 10, `1:30`
the sexagesimal 90, `2026-11-01` a date. In a string field that is an error, and the message quotes the text as
written (from `Document.written`), never the value YAML made of it. Hyperparameters accept numbers and booleans,
but SageMaker receives strings: a plain scalar whose string as sent differs from the text as written (`1.10`,
`True`, `1_000`, `012`) is refused the same way.

Used by `controller.spec.yamlsource` (hyperparameters: a mistake of the YAML text alone, found while reading it)
and `controller.spec.loader` (string fields, once the schema says which fields are strings).
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from controller.spec.identity import hyperparameter_string

Path = tuple[str | int, ...]

_HYPERPARAMETERS = ("training", "hyperparameters")


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime.date):
        return "a date"
    if value is None:
        return "null"
    return "a non-string value"


def quote_it(written: str, value: Any) -> str:
    """The message for a string field given the plain scalar `written`, which YAML 1.1 read as `value`."""
    return f'must be a string; YAML 1.1 reads the unquoted {written} as {kind_of(value)}; quote it: "{written}"'


def hyperparameter_coercions(data: Any, written: dict[Path, str]) -> list[tuple[Path, str]]:
    """(document path, message) for every hyperparameter (base and overlays) whose string as sent to SageMaker
    differs from the text as written."""
    found = []
    for path, text in written.items():
        if not _is_hyperparameter(path):
            continue
        value = _value_at(data, path)
        if isinstance(value, float) and not math.isfinite(value):
            continue  # refused as a non-finite number (safe_text)
        if isinstance(value, str | int | float | bool) and hyperparameter_string(value) != text:
            found.append((path, f'YAML 1.1 reads the unquoted {text} as {kind_of(value)}; quote it: "{text}"'))
    return found


def _is_hyperparameter(path: Path) -> bool:
    if len(path) == 4 and path[:1] == ("spec",):
        return path[1:3] == _HYPERPARAMETERS
    return len(path) == 6 and path[:2] == ("spec", "environments") and path[3:5] == _HYPERPARAMETERS


def _value_at(data: Any, path: Path) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data
