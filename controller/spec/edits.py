"""Spec edits and git steps that `modelctl rollback` and `modelctl promote` prepare for a person to commit.

- `pin_variants` computes the edit of one model's overlay for one environment (`spec.environments.<env>`) so that
  its variants name exact versions (`model: <version id>`, and weights when given); lists of variants merge by name,
  as the loader merges overlays. The file is edited as a YAML round trip (ruamel.yaml): comments, key order, quoting,
  flow or block style and the other documents of the file stay as they are; only the pinned fields change. The
  caller shows `SpecEdit.diff()` (unified) before `write()`.
- `revert_commits` runs `git revert --no-commit` of the commits after a revision that touched a spec file, when
  each of them touched that file only; it backs out (`git revert --abort`) and says why when that cannot apply.
Writes files and the git index; never talks to AWS.
"""

from __future__ import annotations

import difflib
import io
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from controller.errors import ModelctlError
from controller.spec.catalog import ModelEntry


class EditError(ModelctlError):
    """The edit cannot be made by the tool; the message says what to do by hand."""


@dataclass(frozen=True)
class SpecEdit:
    """A prepared change of one spec file: its text before and after."""

    path: Path
    before: str
    after: str

    def diff(self) -> str:
        """The change as a unified diff (empty when nothing changes)."""
        name = str(self.path)
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True), f"a/{name}", f"b/{name}"
        )
        return "".join(lines)

    def write(self) -> None:
        self.path.write_text(self.after, encoding="utf-8")


def _round_trip() -> YAML:
    """A round-trip YAML that writes back what it read: the specs' 2-space maps and `- ` offset lists, `null`."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(
        type(None), lambda representer, _: representer.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def pin_variants(entry: ModelEntry, env: str, pins: Mapping[str, Mapping[str, Any]]) -> SpecEdit:
    """The edit that sets `pins` (variant name -> fields such as {"model": version, "weight": 90}) in entry's
    overlay for env (created when absent)."""
    path = Path(entry.document.file)
    before = path.read_text(encoding="utf-8")
    yaml = _round_trip()
    documents = list(yaml.load_all(before))
    document = next(
        (
            d
            for d in documents
            if isinstance(d, CommentedMap)
            and d.get("kind") == "ModelSpec"
            and (d.get("metadata") or {}).get("name") == entry.name
        ),
        None,
    )
    if document is None:
        raise EditError(f"{path}: no ModelSpec document named {entry.name} to pin")
    overlay = _child(_child(document["spec"], "environments"), env)
    variants = _child(_child(_child(overlay, "deployment"), "realtime"), "variants", CommentedSeq())
    for name, fields in pins.items():
        match = next((v for v in variants if isinstance(v, CommentedMap) and v.get("name") == name), None)
        if match is None:
            item = CommentedMap(name=name)
            item.update(fields)
            item.fa.set_flow_style()
            variants.append(item)
        else:
            match.update(fields)
    out = io.StringIO()
    yaml.dump_all(documents, out)
    return SpecEdit(path, before, out.getvalue())


def _child(parent: Any, key: str, empty: Any = None) -> Any:
    """parent[key], made an empty mapping (or `empty`) when absent or null; an empty `{}` becomes a block, so what
    is added to it reads like the rest of the file."""
    if not isinstance(parent, CommentedMap):
        raise EditError(f"cannot pin: {key!r} is not under a mapping; edit the spec by hand")
    if parent.get(key) is None:
        parent[key] = CommentedMap() if empty is None else empty
    child = parent[key]
    if isinstance(child, CommentedMap | CommentedSeq) and not child:
        child.fa.set_block_style()
    return child


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
