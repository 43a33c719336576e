"""Where and how the CLI writes: results on stdout, diagnostics and errors on stderr; text, JSON or YAML; colour.

Every command that reports something (validate, plan, status, history, apply, trace) takes `-o/--output` (`--format`
is the same option, kept because CI scripts spell it so). Machine formats are versioned documents: a top-level
`"schemaVersion": 1` (a saved plan keeps its own `"planVersion": 1`); a field is only ever added within a version.
Colour (ANSI) only when stdout is a terminal, `NO_COLOR` is unset or empty (no-color.org) and `--no-color` is not
given. Strings from specs are escaped where text is rendered (controller.escape); JSON and YAML carry them as data.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

SCHEMA_VERSION = 1


def color_wanted(no_color: bool, stream: TextIO | None = None) -> bool:
    """True when ANSI colour may be written to `stream` (default stdout); see the module docstring."""
    if no_color or os.environ.get("NO_COLOR", ""):
        return False
    return (stream or sys.stdout).isatty()


def error(message: str) -> None:
    """An error line on stderr: `error: <message>`."""
    print(f"error: {message}", file=sys.stderr, flush=True)


def note(message: str) -> None:
    """A diagnostic line on stderr (progress, warnings, hints): never part of a command's result."""
    print(message, file=sys.stderr, flush=True)


def document(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A versioned machine-readable result: {"schemaVersion": 1, "kind": kind, ...body}."""
    return {"schemaVersion": SCHEMA_VERSION, "kind": kind, **body}


def dumps(data: Any, fmt: str) -> str:
    """`data` as JSON (indented, sorted keys) or YAML (block style, key order kept)."""
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)).rstrip("\n")
    return json.dumps(data, indent=2, sort_keys=True)


def emit(data: Any, fmt: str) -> None:
    """Print a machine-readable result on stdout."""
    print(dumps(data, fmt), flush=True)
