"""`modelctl validate [PATH...] [--root DIR]`: check specs without AWS; every problem as file:line: field: message.

Editors and pre-commit pass single files: when none of the given files declares an environment (`kind:
Environment`), the environments are found by walking up from the given files' folders, up to the repository's root
(a folder holding `.git`) or `/`, to the first folder with a YAML file that declares one (the specs root), or in
`--root DIR`. Those environment files are validated with the given files.

Output (`-o`): text (the problems and the verdict on stdout, as linters print them); `github` (workflow commands:
`::error file=F,line=L,col=C,title=...::message`, escaped as GitHub's toolkit escapes them); json / yaml:
    {"schemaVersion": 1, "kind": "Validation", "valid": bool, "files": [...], "environments": [...],
     "models": [...], "pairs": n, "problems": [{"file", "line", "column", "field", "message"}]}
Exit 0 when valid, 1 otherwise. Imports neither boto3 nor the sagemaker SDK (tests/unit/test_light_imports.py).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from controller.cli.output import document, emit, note
from controller.errors import Diagnostic, SpecError
from controller.spec.loader import SPEC_SUFFIXES, load_files, spec_files

EXIT_OK, EXIT_ERROR = 0, 1
_ENVIRONMENT = re.compile(rb"^kind:[ \t]*['\"]?Environment['\"]?[ \t]*(#.*)?$", re.MULTILINE)
_INDEX = re.compile(r"\[[^\]]*\]$")


def validate(args: argparse.Namespace) -> int:
    files = spec_files(args.paths)
    if not files:
        note(f"{', '.join(args.paths)}: no *.yaml or *.yml spec files found")
        return EXIT_ERROR
    files += [f for f in _environment_files(files, args.root) if f not in files]
    problems: list[Diagnostic] = []
    summary: dict[str, object] = {}
    try:
        catalog = load_files(files)
        summary = {
            "environments": sorted(catalog.environments),
            "models": sorted(catalog.models),
            "pairs": sum(len(entry.configs) for entry in catalog.models.values()),
        }
    except SpecError as exc:
        problems = list(exc.diagnostics)
    fmt = args.output
    if fmt in ("json", "yaml"):
        body = {"valid": not problems, "files": files, **summary, "problems": [_problem(d) for d in problems]}
        emit(document("Validation", body), fmt)
    elif fmt == "github":
        for diagnostic in problems:
            print(github_annotation(diagnostic))
    else:
        for diagnostic in problems:
            print(diagnostic)
    say = print if fmt == "text" else note  # a linter's findings and verdict are its result; documents stand alone
    if problems:
        bad_files = len({d.file for d in problems})
        say(f"invalid: {len(problems)} problem(s) in {bad_files} of {len(files)} file(s)")
        return EXIT_ERROR
    say(
        f"valid: {len(files)} file(s), {len(catalog.environments)} environment(s), "
        f"{len(catalog.models)} model(s) in {summary['pairs']} model-environment pair(s)"
    )
    return EXIT_OK


def _environment_files(files: list[str], root: str | None) -> list[str]:
    """The files declaring environments that the given files need (see the module docstring); [] when the given
    files declare one themselves."""
    if any(_declares_environment(Path(f)) for f in files):
        return []
    if root is not None:
        return [f for f in spec_files([root]) if _declares_environment(Path(f))]
    for folder in _ancestors(Path(files[0]).resolve().parent):
        found = sorted(
            str(_display(p))
            for p in folder.iterdir()
            if p.is_file() and p.name.endswith(SPEC_SUFFIXES) and _declares_environment(p)
        )
        if found:
            return found
    return []


def _ancestors(start: Path) -> list[Path]:
    """`start` and its parents, up to and including the first one holding `.git` (or the filesystem's root)."""
    chain = []
    for folder in (start, *start.parents):
        chain.append(folder)
        if (folder / ".git").exists():
            break
    return chain


def _display(path: Path) -> Path:
    """`path` relative to the current directory when it is under it (as a user would type it)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _declares_environment(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return bool(_ENVIRONMENT.search(handle.read(1 << 20)))
    except OSError:
        return False


def _problem(diagnostic: Diagnostic) -> dict[str, object]:
    return {
        "file": diagnostic.file,
        "line": diagnostic.line,
        "column": _column(diagnostic),
        "field": diagnostic.path,
        "message": diagnostic.message,
    }


def _column(diagnostic: Diagnostic) -> int:
    """1-based column of the field's key on its line (1 when the key is not found there)."""
    key = _INDEX.sub("", diagnostic.path.rsplit(".", 1)[-1]) if diagnostic.path else ""
    try:
        with open(diagnostic.file, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == diagnostic.line:
                    at = text.find(f"{key}:") if key else -1
                    return at + 1 if at >= 0 else len(text) - len(text.lstrip()) + 1
    except OSError:
        pass
    return 1


def github_annotation(diagnostic: Diagnostic) -> str:
    """A GitHub Actions `::error` workflow command for one problem (GitHub's toolkit escaping: in the message
    % CR LF; in property values also `:` and `,`)."""
    properties = {
        "file": diagnostic.file,
        "line": str(diagnostic.line),
        "col": str(_column(diagnostic)),
        "title": f"modelctl validate: {diagnostic.path or 'document'}",
    }
    head = ",".join(f"{name}={_escape_property(value)}" for name, value in properties.items())
    return f"::error {head}::{_escape_data(diagnostic.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
