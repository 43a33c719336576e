"""botocore's `pattern` constraints, which are Java regular expressions, compiled to match as AWS matches them.

AWS's service front ends check a member's `pattern` with java.util.regex against the whole value (the messages
quote the pattern as "Member must satisfy regular expression pattern: ..."). Python's `re` differs on the
constructs service models use, so patterns are compiled with the `regex` module (Unicode property classes such as
`\\p{L}`) after translating what Java spells differently:

- `\\p{Alnum}`, `\\p{Alpha}`, `\\p{Digit}`, `\\p{Print}`, `\\p{ASCII}`, ... are Java's POSIX classes, ASCII-only
  (java.util.regex.Pattern, "POSIX character classes (US-ASCII only)"): written out as ASCII ranges;
- `\\uD800\\uDC00`-style surrogate pairs name one supplementary code point in Java; Python strings hold code
  points, so a pair becomes that code point (`\\U00010000`);
- `\\z` (end of input) is Python's `\\Z`;
- `\\d`, `\\w`, `\\s` (and their negations) are ASCII-only in Java: they become `(?a:\\d)` and so on, and
  inside a class `\\d`, `\\w`, `\\s` become ASCII ranges (a negated one inside a class stays Unicode: no
  service model we call uses one).

A pattern that still does not compile (Java accepts `$` with a quantifier, e.g. `(...)${1,128}`) is skipped:
`compiled()` answers None and `skipped()` lists it with the reason, so the emulator's strictness says what it
could not check instead of guessing.
"""

from __future__ import annotations

import re
import threading
from functools import cache

import regex

# Java's POSIX classes (US-ASCII), as the ranges that go inside a character class
POSIX_RANGES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1F\\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0B\\f\\r",
}
# a Java POSIX class, or an ASCII-only shorthand class (\\d \\w \\s \\D \\W \\S), after an even run of backslashes
_ASCII_CLASS = re.compile(r"(?<!\\)((?:\\\\)*)\\(?:p\{(" + "|".join(POSIX_RANGES) + r")\}|([dwsDWS]))")
SHORTHAND_RANGES = {"d": "0-9", "w": "a-zA-Z0-9_", "s": " \\t\\n\\x0B\\f\\r"}
_SURROGATE_PAIR = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", re.IGNORECASE)

_lock = threading.Lock()
_skipped: dict[str, str] = {}  # pattern -> why it is not checked


def _code_point(pair: re.Match[str]) -> str:
    high, low = int(pair[1], 16), int(pair[2], 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"


def _inside_class(pattern: str, position: int) -> bool:
    """Whether `position` lies inside a [...] character class (escapes skipped; Java nests classes)."""
    depth, index = 0, 0
    while index < position:
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        index += 1
    return depth > 0


def translate(pattern: str) -> str:
    """The Python (`regex` module) spelling of Java pattern `pattern`."""
    translated = _SURROGATE_PAIR.sub(_code_point, pattern)
    translated = translated.replace("\\z", "\\Z")
    pieces, last = [], 0
    for found in _ASCII_CLASS.finditer(translated):
        start = found.start() + len(found[1])
        inside = _inside_class(translated, start)
        shorthand = found[3]
        if found[2]:
            ranges = POSIX_RANGES[found[2]]
            spelled = ranges if inside else f"[{ranges}]"
        elif inside:
            spelled = SHORTHAND_RANGES.get(shorthand, "\\" + shorthand)
        else:
            spelled = f"(?a:\\{shorthand})"
        pieces += [translated[last:start], spelled]
        last = found.end()
    return "".join([*pieces, translated[last:]])


@cache
def compiled(pattern: str) -> regex.Pattern[str] | None:
    """Java pattern `pattern` compiled for a whole-value match, or None when it cannot be (see skipped())."""
    try:
        return regex.compile(translate(pattern), regex.VERSION0)
    except regex.error as error:
        with _lock:
            _skipped[pattern] = str(error)
        return None


def matches(pattern: regex.Pattern[str], value: str) -> bool:
    """Java's Matcher.matches(): the pattern matches the whole value."""
    return pattern.fullmatch(value) is not None


def skipped() -> dict[str, str]:
    """The patterns met so far that could not be compiled, and why."""
    with _lock:
        return dict(_skipped)
