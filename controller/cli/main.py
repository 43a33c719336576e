"""The `modelctl` command: argument parsing, output and exit codes, nothing else.

argparse (standard library) parses arguments: it costs nothing to import, which matters because `validate` must
stay fast and must not import boto3 or the sagemaker SDK; every command imports what it needs inside its handler.
Exit codes: 0 success, 1 error (invalid specs, failed apply), 2 for `plan --detailed-exitcode` with changes.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from controller.errors import ModelctlError, SpecError
from controller.spec.types import DURATION_PATTERN

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


def _local_serve(args: argparse.Namespace) -> int:
    import os

    from controller.local.emulator import serve_forever

    if args.account:
        os.environ["MOTO_ACCOUNT_ID"] = args.account
    serve_forever(port=args.port)
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from controller.cli.demo import run_demo

    return run_demo(main)


def _duration(text: str) -> str:
    """argparse type: a duration like 90s, 30m, 2h (the spec language's syntax)."""
    if not re.fullmatch(DURATION_PATTERN, text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90s, 30m or 2h")
    return text


def _lazy(name: str, module: str = "deploy") -> Callable[[argparse.Namespace], int]:
    """A handler from controller.cli.<module>, imported only when that command runs (it pulls in boto3)."""

    def run(args: argparse.Namespace) -> int:
        handler: Any = getattr(importlib.import_module(f"controller.cli.{module}"), name)
        return int(handler(args))

    run.target = f"controller.cli.{module}:{name}"  # type: ignore[attr-defined]  # checked by the unit tests
    return run


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

    env_only = argparse.ArgumentParser(add_help=False, parents=[aws])
    env_only.add_argument("--env", required=True, help="environment name")
    env = argparse.ArgumentParser(add_help=False, parents=[env_only])
    env.add_argument("path", nargs="?", default="specs", help="specs folder (default specs)")

    plan = commands.add_parser("plan", parents=[env], help="what it takes to converge an environment to the specs")
    plan.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    plan.add_argument("--detailed-exitcode", action="store_true", help="exit 0 no changes, 2 changes, 1 error")
    plan.add_argument("--out", metavar="PLAN.json", help="save the plan for `apply --plan`")
    plan.add_argument("--prices", metavar="FILE", help="instance-hour price table (see controller/plan/capacity.py)")
    plan.set_defaults(handler=_lazy("plan"))

    apply = commands.add_parser("apply", parents=[env], help="converge an environment to the specs")
    apply.add_argument("--plan", metavar="PLAN.json", help="apply a saved plan; refused if AWS moved on since")
    apply.add_argument("--wait", action="store_true", help="repeat until converged, failed or timed out")
    apply.add_argument(
        "--timeout", default="30m", type=_duration, help="with --wait: give up after this long (default 30m)"
    )
    apply.add_argument("--allow-delete", action="store_true", help="allow deletes in a protected environment")
    apply.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    apply.add_argument("--lock-lease", type=float, default=300, help="seconds a crashed run's lock survives")
    apply.add_argument("--lock-wait", type=float, default=0, help="seconds to wait for another run's lock")
    apply.set_defaults(handler=_lazy("apply"))

    status = commands.add_parser("status", parents=[env], help="per model: version serving, pipeline, health")
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.set_defaults(handler=_lazy("status"))

    history = commands.add_parser("history", parents=[env_only], help="the applied revisions of one model")
    history.add_argument("model")
    history.add_argument("--path", default="specs", help="specs folder (default specs)")
    history.set_defaults(handler=_lazy("history"))

    retrain = commands.add_parser("retrain", parents=[env_only], help="a new run of a model's current training")
    retrain.add_argument("model")
    retrain.add_argument("--path", default="specs", help="specs folder (default specs)")
    retrain.set_defaults(handler=_lazy("retrain"))

    rollback = commands.add_parser(
        "rollback", parents=[env_only], help="prepare the git revert that returns a model to a revision"
    )
    rollback.add_argument("model")
    rollback.add_argument(
        "--to", metavar="REV", help="a git SHA (prefix) from `modelctl history`; default: the one before the newest"
    )
    rollback.add_argument("--path", default="specs", help="specs folder (default specs)")
    rollback.set_defaults(handler=_lazy("rollback", "gitops"))

    promote = commands.add_parser("promote", parents=[aws], help="pin an environment to the version proven upstream")
    promote.add_argument("model")
    promote.add_argument("--to", required=True, metavar="ENV", help="the environment to promote to")
    promote.add_argument("--path", default="specs", help="specs folder (default specs)")
    promote.set_defaults(handler=_lazy("promote", "gitops"))

    trace = commands.add_parser(
        "trace", parents=[aws], help="version -> training job -> source ref, data version, git SHA"
    )
    trace.add_argument("endpoint")
    trace.add_argument("--variant", help="only this variant")
    trace.add_argument("--region", help="default: AWS_REGION")
    trace.add_argument("--format", choices=("text", "json"), default="text")
    trace.set_defaults(handler=_lazy("trace", "gitops"))

    bundle = commands.add_parser("bundle", parents=[aws], help="render the specs into a desired-state bundle")
    bundle.add_argument("path", nargs="?", default="specs", help="specs folder (default specs)")
    bundle.add_argument("--out", metavar="FILE", help="write the bundle to FILE")
    bundle.add_argument(
        "--upload",
        metavar="ENV",
        action="append",
        default=[],
        help="also upload it to ENV's artifact bucket (bundles/<sha>.json, then bundles/latest.json); repeatable",
    )
    bundle.set_defaults(handler=_lazy("bundle", "bundle"))

    demo = commands.add_parser("demo", help="the whole story on the embedded emulator, in one command")
    demo.set_defaults(handler=_demo)

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
