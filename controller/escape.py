"""Escaping of strings that come from specs (or from AWS) where they are rendered: a terminal, a markdown comment,
a one-line notification summary. Pure functions, no imports beyond the standard library.

A spec's model names are constrained by validation, but tag values, descriptions, metric names, hyperparameter keys
and values, source repositories and AWS's own messages are free text. Rendered raw they could move a terminal's
cursor or hide text (escape sequences, C1 controls, bidi overrides), close a pull-request comment's code block or
`<details>`, mention people, or inject images and links. Every renderer passes such strings through one of these.

- `terminal(text)`: every control or format character (Unicode Cc: C0, DEL, C1; Cf: bidi overrides and isolates,
  zero-width characters; Zl/Zp line and paragraph separators) becomes a visible escape (`\\x1b`, `\\u202e`); a
  line break too, so one value stays on one line.
- `one_line(text, limit)`: `terminal` plus collapsed runs of whitespace, cut to `limit` characters (`…` marks a cut).
- `markdown(text)`: `terminal`, then markdown's punctuation backslash-escaped, HTML's `& < >` and `"` as entities,
  and `@` as `&#64;` (GitHub links no mention through an entity), so a value reads literally in a table or heading.
- `code(text)`: an inline code span no backtick in `text` can close, its text escaped for the terminal.
- `fence(lines)`: a code fence longer than any run of backticks in `lines`, so no line can close the block early.
Renderers never put escaped text at the start of a markdown line (where `-`, `+`, `1.` would start a list).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# `(` only links after `]`, `~` strikes only doubled, `-` `+` `.` only matter at a line's start
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]#!|]|~(?=~))")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "@": "&#64;"}
_BACKTICKS = re.compile(r"`+")


def _visible(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def is_unsafe(char: str) -> bool:
    """True for a character a terminal or a markdown renderer could act on instead of showing."""
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def terminal(text: str) -> str:
    """`text` with every control and format character as a visible escape (see the module docstring)."""
    if text.isprintable():  # the common case: no character of an unsafe category (nor a space other than " ")
        return text
    return "".join(_visible(c) if is_unsafe(c) else c for c in text)


def one_line(text: str, limit: int = 200) -> str:
    """`terminal(text)` on one line, whitespace runs collapsed, at most `limit` characters."""
    flat = " ".join(terminal(" ".join(text.split())).split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + "…"


def markdown(text: str) -> str:
    """`text` made literal for markdown (GitHub flavoured): no HTML, links, images, emphasis or mentions."""
    safe = _MARKDOWN_SPECIALS.sub(lambda match: "\\" + match.group(0), terminal(text))
    return "".join(_HTML.get(c, c) for c in safe)


def fence(lines: Iterable[str]) -> str:
    """The shortest backtick fence (at least 3) that no line of `lines` can close."""
    longest = max((len(run) for line in lines for run in _BACKTICKS.findall(line)), default=0)
    return "`" * max(3, longest + 1)


def code(text: str) -> str:
    """`text` as an inline code span (see the module docstring)."""
    safe = terminal(text)
    ticks = "`" * (max((len(run) for run in _BACKTICKS.findall(safe)), default=0) + 1)
    pad = " " if safe.startswith("`") or safe.endswith("`") else ""
    return f"{ticks}{pad}{safe}{pad}{ticks}"
