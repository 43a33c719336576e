"""The `modelctl` command: argument parsing, output and exit codes, nothing else.

argparse (standard library) parses arguments: it costs nothing to import, which matters because `validate` must
stay fast and must not import boto3 or the sagemaker SDK; every command imports what it needs inside its handler.
Exit codes: 0 success, 1 error (invalid specs, failed apply), 2 for `plan --detailed-exitcode` with changes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from controller.errors import ModelctlError, SpecError

EXIT_OK = 0
EXIT_ERROR = 1


def _validate(args: argparse.Namespace) -> int:
    from controller.spec.loader import load_files, spec_files

    files = spec_files(args.paths)
    if not files:
        print(f"{', '.join(args.paths)}: no *.yaml or *.yml spec files found")
        return EXIT_ERROR
    try:
        catalog = load_files(files)
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic)
        bad_files = len({d.file for d in exc.diagnostics})
        print(f"invalid: {len(exc.diagnostics)} problem(s) in {bad_files} of {len(files)} file(s)")
        return EXIT_ERROR
    pairs = sum(len(entry.configs) for entry in catalog.models.values())
    print(
        f"valid: {len(files)} file(s), {len(catalog.environments)} environment(s), "
        f"{len(catalog.models)} model(s) in {pairs} model-environment pair(s)"
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelctl", description="GitOps controller for ML models on AWS.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check specs; every problem as file:line: field.path: message")
    validate.add_argument(
        "paths", nargs="*", default=["specs"], metavar="PATH", help="files or folders (default specs)"
    )
    validate.set_defaults(handler=_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ModelctlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
