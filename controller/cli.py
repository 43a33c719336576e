"""The `modelctl` command: argument parsing, output and exit codes, nothing else.

argparse (standard library) parses arguments: it costs nothing to import, which matters because `validate` must
stay fast and must not import boto3 or the sagemaker SDK; every command imports what it needs inside its handler.
Exit codes: 0 success, 1 error (invalid specs, failed apply), 2 for `plan --detailed-exitcode` with changes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from controller.errors import ModelctlError, SpecError

if TYPE_CHECKING:
    from controller.spec.catalog import Catalog

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
AWS_POLL_SECONDS = 60  # how often a pipeline polls a build or a job on AWS
LOCAL_POLL_SECONDS = 1  # ...and on the emulator, where jobs take about a second


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


def _plan(args: argparse.Namespace) -> int:
    from controller.capacity import load_price_table
    from controller.gitinfo import git_sha
    from controller.images import resolve_framework_image
    from controller.reconcile import plan_environment

    catalog = _catalog_or_report([args.path])
    if catalog is None:
        return EXIT_ERROR
    environment = catalog.environments.get(args.env)
    if environment is None:
        print(f"error: environment {args.env!r} is not defined (defined: {', '.join(sorted(catalog.environments))})")
        return EXIT_ERROR
    prices = load_price_table(args.prices) if args.prices else None
    from controller.aws_context import aws_for

    with aws_for(environment, local=args.local) as operations:
        result = plan_environment(
            catalog,
            args.env,
            operations,
            git_sha=git_sha(args.path),
            resolve_image=resolve_framework_image,
            prices=prices,
            poll_seconds=LOCAL_POLL_SECONDS if args.local else AWS_POLL_SECONDS,
        )
    from controller import render

    plan = result.plan
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(render.as_json(plan))
    if args.format == "json":
        print(render.as_json(plan))
    elif args.format == "markdown":
        print(render.markdown(plan, notes=result.desired.notes))
    else:
        print(render.text(plan, color=sys.stdout.isatty(), notes=result.desired.notes))
    if plan.conflicts:
        return EXIT_ERROR
    if args.detailed_exitcode and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


def _local_serve(args: argparse.Namespace) -> int:
    import os

    from controller.local.emulator import serve_forever

    if args.account:
        os.environ["MOTO_ACCOUNT_ID"] = args.account
    serve_forever(port=args.port)
    return EXIT_OK


def _catalog_or_report(paths: list[str]) -> Catalog | None:
    """The validated specs, or None after printing every problem (validate's output) to stdout."""
    from controller.spec.loader import load_catalog

    try:
        return load_catalog(paths)
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic)
        print(f"invalid: {len(exc.diagnostics)} problem(s); nothing was read from or written to AWS")
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelctl", description="GitOps controller for ML models on AWS.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check specs; every problem as file:line: field.path: message")
    validate.add_argument(
        "paths", nargs="*", default=["specs"], metavar="PATH", help="files or folders (default specs)"
    )
    validate.set_defaults(handler=_validate)

    aws = argparse.ArgumentParser(add_help=False)
    aws.add_argument("--local", action="store_true", help="use the embedded AWS emulator instead of AWS")

    plan = commands.add_parser("plan", parents=[aws], help="what it takes to converge an environment to the specs")
    plan.add_argument("--env", required=True, help="environment name")
    plan.add_argument("path", nargs="?", default="specs", help="specs folder (default specs)")
    plan.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    plan.add_argument("--detailed-exitcode", action="store_true", help="exit 0 no changes, 2 changes, 1 error")
    plan.add_argument("--out", metavar="PLAN.json", help="save the plan for `apply --plan`")
    plan.add_argument("--prices", metavar="FILE", help="instance-hour price table (see controller/capacity.py)")
    plan.set_defaults(handler=_plan)

    local = commands.add_parser("local", help="the embedded AWS emulator")
    local_commands = local.add_subparsers(dest="local_command", required=True, metavar="COMMAND")
    serve = local_commands.add_parser("serve", help="serve the emulator on 127.0.0.1 until Ctrl-C")
    serve.add_argument("--port", type=int, default=4566)
    serve.add_argument("--account", help="the account id the emulator acts as (default: moto's 123456789012)")
    serve.set_defaults(handler=_local_serve)
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
