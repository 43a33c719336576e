"""Spec edits and git steps that `modelctl rollback` and `modelctl promote` prepare for a person to commit.

- `pin_variants` rewrites one model's overlay for one environment (`spec.environments.<env>`) so that its variants
  name exact versions (`model: <version id>`, and weights when given). Only the overlay's own lines are replaced
  (comments elsewhere in the file stay); lists of variants merge by name, as the loader merges overlays.
- `revert_commits` runs `git revert --no-commit` of the commits after a revision that touched a spec file, when
  each of them touched that file only; it backs out (`git revert --abort`) and says why when that cannot apply.
Writes files and the git index; never talks to AWS.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from controller.errors import ModelctlError
from controller.spec.catalog import ModelEntry


class EditError(ModelctlError):
    """The edit cannot be made by the tool; the message says what to do by hand."""


def pin_variants(entry: ModelEntry, env: str, pins: Mapping[str, Mapping[str, Any]]) -> Path:
    """Set `pins` (variant name -> fields such as {"model": version, "weight": 90}) in entry's overlay for env;
    returns the edited file."""
    document = entry.document
    path = Path(document.file)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    key = ("spec", "environments", env)
    if key not in document.lines:
        raise EditError(f"{path}: {entry.name} has no `environments.{env}` entry to pin")
    start = document.lines[key] - 1
    indent = len(lines[start]) - len(lines[start].lstrip(" "))
    end = _block_end(lines, start, indent)
    overlay = dict(document.data["spec"]["environments"].get(env) or {})
    realtime = dict((overlay.get("deployment") or {}).get("realtime") or {})
    variants = [dict(v) for v in realtime.get("variants") or []]
    for name, fields in pins.items():
        match = next((v for v in variants if v.get("name") == name), None)
        if match is None:
            variants.append({"name": name, **fields})
        else:
            match.update(fields)
    overlay["deployment"] = {**(overlay.get("deployment") or {}), "realtime": {**realtime, "variants": variants}}
    dumped = yaml.safe_dump({env: overlay}, default_flow_style=None, sort_keys=False, width=120)
    block = [" " * indent + line + "\n" for line in dumped.splitlines()]
    path.write_text("".join(lines[:start] + block + lines[end:]), encoding="utf-8")
    return path


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The index after the last line of the mapping entry starting at `start` (trailing comments stay outside)."""
    end = start + 1
    last = start + 1
    while end < len(lines):
        text = lines[end]
        stripped = text.strip()
        if stripped in ("---", "...") or (
            stripped and not stripped.startswith("#") and len(text) - len(text.lstrip(" ")) <= indent
        ):
            break
        end += 1
        if stripped and not stripped.startswith("#"):
            last = end
    return last


def git(where: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in `where`; EditError with git's message when it fails and `check` is set."""
    run = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, timeout=60, check=False)
    if check and run.returncode != 0:
        raise EditError(f"git {' '.join(args)}: {run.stderr.strip() or run.stdout.strip()}")
    return run


def revert_commits(spec_file: Path, revision: str) -> tuple[list[str], str]:
    """`git revert --no-commit` of the commits after `revision` that touched spec_file, newest first.

    Returns (the reverted commits, "") or ([], why the revert was not made); the working tree is left as it was
    when the revert was not made."""
    where = spec_file.parent
    if git(where, "merge-base", "--is-ancestor", revision, "HEAD", check=False).returncode != 0:
        return [], f"{revision} is not an ancestor of HEAD"
    if git(where, "status", "--porcelain", check=False).stdout.strip():
        raise EditError("the working tree has uncommitted changes: commit or stash them first")
    commits = git(where, "rev-list", f"{revision}..HEAD", "--", spec_file.name).stdout.split()
    if not commits:
        return [], f"no commit after {revision[:12]} changed {spec_file.name}"
    top = Path(git(where, "rev-parse", "--show-toplevel").stdout.strip())
    relative = str(spec_file.resolve().relative_to(top.resolve()))
    for commit in commits:
        touched = git(where, "diff-tree", "--no-commit-id", "--name-only", "-r", commit).stdout.split()
        if touched != [relative]:
            return [], f"commit {commit[:12]} also changed {', '.join(t for t in touched if t != relative)}"
    if git(where, "revert", "--no-commit", *commits, check=False).returncode != 0:
        git(where, "revert", "--abort", check=False)
        return [], "the revert does not apply cleanly"
    return commits, ""


def diff(where: Path) -> str:
    """The working tree's changes against HEAD (what the person will commit)."""
    return git(where, "diff", "HEAD", "--", ".").stdout
