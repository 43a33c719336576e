"""The git commit the specs come from (and its author), for lineage tags, plan records and bundles.

`MODELCTL_GIT_SHA` wins (CI systems export the commit; the Lambda reads it from the bundle); otherwise
`git rev-parse HEAD` in the specs folder, with `-dirty` appended when the specs have uncommitted changes, so a plan
made from a working tree is never mistaken for one made from a commit. "unknown" outside a git repository.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git_sha(folder: str) -> str:
    """The commit of `folder` (see the module docstring)."""
    given = os.environ.get("MODELCTL_GIT_SHA")
    if given:
        return given
    where = _folder(folder)
    head = _git(where, "rev-parse", "HEAD")
    if head is None:
        return "unknown"
    dirty = _git(where, "status", "--porcelain", "--", ".")
    return f"{head}-dirty" if dirty else head


def git_author(folder: str) -> str:
    """`Name <email>` of the author of the commit `folder` is at (`MODELCTL_GIT_AUTHOR` wins); "unknown" if none."""
    given = os.environ.get("MODELCTL_GIT_AUTHOR")
    if given:
        return given
    return _git(_folder(folder), "log", "-1", "--format=%an <%ae>") or "unknown"


def _folder(folder: str) -> Path:
    return Path(folder) if Path(folder).is_dir() else Path(folder).parent


def _git(where: Path, *args: str) -> str | None:
    try:
        run = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return run.stdout.strip() if run.returncode == 0 else None
