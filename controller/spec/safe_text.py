"""Safe strings and numbers: what a spec may contain before any of it is used as a name, a URL, a path or a number.

- `scan_data`: one walk over a document's plain data (YAML or a bundle's JSON): every key and string free of control
  characters (C0, DEL, C1, format characters such as the bidi overrides U+202A-U+202E / U+2066-U+2069 and the
  zero-width ones, surrogates, line and paragraph separators), every number finite (YAML's `.inf` / `.nan`).
- `bucket_problem`: S3's general purpose bucket naming rules (Amazon S3 user guide, "General purpose bucket
  naming rules").
- `git_url_problem`: source repositories only as https:// or ssh Git URLs (`ssh://` or scp-like `git@host:path`),
  never file://, local paths, ext:: transports or option-looking text.
- `repo_path_problem`: buildspecs and build contexts only as relative paths inside the repository; never absolute,
  never `..` out of it, never inline buildspec YAML (CodeBuild runs an inline buildspec as code with the role).

Every pattern is matched in full (`fullmatch`) with ASCII classes. Pure; used by `controller.spec.loader` and
`controller.spec.aws_checks`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any

from controller.spec.yamlsource import Path

Report = Callable[[Path, str], None]

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def unsafe_character(text: str) -> str | None:
    """`U+202E RIGHT-TO-LEFT OVERRIDE` for the first control/format character in `text`, else None."""
    if text.isprintable():  # C speed: no Other (C*) nor Separator (Z*) other than the ASCII space
        return None
    for char in text:
        if unicodedata.category(char) in _UNSAFE_CATEGORIES:
            return f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"
    return None


def scan_data(data: Any, report: Report, path: Path = ()) -> None:
    """Report every unsafe key or string and every non-finite number in `data` (see the module docstring)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                found = unsafe_character(key)
                if found:
                    report(path, f"key {key!a} contains {found}: control and format characters are refused")
                    continue
            scan_data(value, report, (*path, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            scan_data(item, report, (*path, index))
    elif isinstance(data, str):
        found = unsafe_character(data)
        if found:
            report(path, f"contains {found}: control and format characters are refused (the text: {data!a})")
    elif isinstance(data, float) and not math.isfinite(data):
        report(path, "must be a finite number (YAML's .inf and .nan are refused)")


# --- S3 ------------------------------------------------------------------------------------------------------------

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
_IP_ADDRESS = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", re.ASCII)
BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


@cache  # a handful of buckets, repositories and paths recur across a repository's specs
def bucket_problem(name: str) -> str | None:
    """Why `name` is not a valid general purpose bucket name, or None."""
    if not 3 <= len(name) <= 63:
        return f"bucket name {name!r} must be 3 to 63 characters long"
    if not _BUCKET.fullmatch(name):
        return (
            f"bucket name {name!r} may hold only lowercase letters, digits, dots and hyphens, "
            "and must begin and end with a letter or digit"
        )
    if ".." in name:
        return f"bucket name {name!r} must not contain two adjacent periods"
    if _IP_ADDRESS.fullmatch(name):
        return f"bucket name {name!r} must not be formatted as an IP address"
    for prefix in BUCKET_PREFIXES:
        if name.startswith(prefix):
            return f"bucket name {name!r} must not start with {prefix!r} (reserved by S3)"
    for suffix in BUCKET_SUFFIXES:
        if name.endswith(suffix):
            return f"bucket name {name!r} must not end with {suffix!r} (reserved by S3)"
    return None


def s3_bucket_of(uri: str) -> str:
    """`s3://bucket/key` -> `bucket` (the models guarantee the s3:// scheme)."""
    return uri[len("s3://") :].split("/", 1)[0]


# --- Git URLs and repository paths -------------------------------------------------------------------------------

_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
_REPO_PATH = r"[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*"
_HTTPS = re.compile(rf"https://{_HOST}(?::[0-9]{{1,5}})?/{_REPO_PATH}/?", re.ASCII)
_SSH = re.compile(rf"ssh://(?:[A-Za-z0-9._-]+@)?{_HOST}(?::[0-9]{{1,5}})?/{_REPO_PATH}/?", re.ASCII)
_SCP = re.compile(rf"[A-Za-z0-9._-]+@{_HOST}:{_REPO_PATH}/?", re.ASCII)


@cache  # a handful of buckets, repositories and paths recur across a repository's specs
def git_url_problem(url: str) -> str | None:
    """None for an https:// or ssh Git URL without credentials; else why not."""
    if _HTTPS.fullmatch(url) or _SSH.fullmatch(url) or _SCP.fullmatch(url):
        if any(part == ".." for part in re.split(r"[/:]", url)):
            return f"{url!r}: a Git URL must not contain '..'"
        return None
    if re.match(r"https://[^/@]*@", url, re.ASCII):
        return f"{url!r} carries credentials: give the URL without user or token (CodeBuild uses its own)"
    return (
        f"{url!r} is not an https:// or ssh Git URL (https://host/owner/repo.git, ssh://git@host/owner/repo.git "
        "or git@host:owner/repo.git)"
    )


_SEGMENT = re.compile(r"[A-Za-z0-9._@+-][A-Za-z0-9._@+ -]*", re.ASCII)


@cache  # a handful of buckets, repositories and paths recur across a repository's specs
def repo_path_problem(path: str, what: str) -> str | None:
    """None for a relative path inside the repository (`.` is the repository itself); else why not."""
    if "\n" in path or path.lstrip().startswith(("version:", "{", "phases:")):
        return (
            f"an inline {what} is refused: CodeBuild would run it as code with the execution role; "
            "give a path in the source repository"
        )
    if path.startswith(("/", "\\", "~")) or re.match(r"[A-Za-z]:", path, re.ASCII) or "://" in path:
        return f"{path!r}: the {what} must be a relative path inside the source repository"
    if "\\" in path:
        return f"{path!r}: use '/' between the parts of the {what} path"
    parts = path.split("/")
    if ".." in parts:
        return f"{path!r}: the {what} must stay inside the source repository (no '..')"
    if any(part and not _SEGMENT.fullmatch(part) for part in parts) or path.startswith("-"):
        return f"{path!r}: the {what} path may hold letters, digits and . _ @ + - / only"
    return None
