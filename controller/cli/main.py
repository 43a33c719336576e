"""The `modelctl` command: argument parsing, where output goes, errors and exit codes, nothing else.

argparse (standard library) parses arguments: it costs nothing to import, which matters because `validate` must
stay fast and must not import boto3 or the sagemaker SDK; every command imports what it needs inside its handler.

One grammar (README "Commands"): the specs folder is the last positional argument of every command that reads
specs (default `specs`), `-C DIR` runs as if started in DIR; `--env` (default $MODELCTL_ENV) names the environment a
command acts on; `--model` (repeatable) narrows plan/apply/status; `-o/--output` picks text or a versioned document.
Results go to stdout, diagnostics and errors to stderr; an error is one line (`error: ...`), never a traceback:
AWS configuration problems (profile, credentials, endpoint, access) say what to do (controller.aws.errors.explain).
Exit codes: 0 success, 1 error (invalid specs, failed apply, not Ready), 2 for `plan --detailed-exitcode` with
changes, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from controller import escape
from controller.cli.output import error, note
from controller.errors import ModelctlError
from controller.spec.types import DURATION_PATTERN

EXIT_OK = 0
EXIT_ERROR = 1
SHELLS = ("bash", "zsh", "tcsh")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"modelctl {version('modelctl')}"
    except PackageNotFoundError:
        return "modelctl (not installed)"


def _duration(text: str) -> str:
    """argparse type: a duration like 90s, 30m, 2h (the spec language's syntax)."""
    if not re.fullmatch(DURATION_PATTERN, text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90s, 30m or 2h")
    return text


def _lazy(name: str, module: str) -> Callable[[argparse.Namespace], int]:
    """A handler from controller.cli.<module>, imported only when that command runs (most pull in boto3)."""

    def run(args: argparse.Namespace) -> int:
        handler: Any = getattr(importlib.import_module(f"controller.cli.{module}"), name)
        return int(handler(args))

    run.target = f"controller.cli.{module}:{name}"  # type: ignore[attr-defined]  # checked by the unit tests
    return run


def _parents() -> dict[str, argparse.ArgumentParser]:
    """Option groups shared by the commands (argparse parents)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--no-color", action="store_true", default=argparse.SUPPRESS, help="no ANSI colour")
    aws = argparse.ArgumentParser(add_help=False, parents=[common])
    aws.add_argument("--local", action="store_true", help="use the embedded AWS emulator instead of AWS")
    env = argparse.ArgumentParser(add_help=False, parents=[aws])
    env.add_argument(
        "--env", default=os.environ.get("MODELCTL_ENV") or None, help="environment (default $MODELCTL_ENV)"
    )
    specs = argparse.ArgumentParser(add_help=False)
    specs.add_argument("path", nargs="?", default="specs", metavar="PATH", help="specs folder (default specs)")
    old_path = argparse.ArgumentParser(add_help=False)
    old_path.add_argument("--path", dest="path_option", help=argparse.SUPPRESS)  # deprecated: the positional PATH
    models = argparse.ArgumentParser(add_help=False)
    models.add_argument("--model", dest="models", action="append", metavar="MODEL", help="only this model; repeatable")
    return {"common": common, "aws": aws, "env": env, "specs": specs, "old_path": old_path, "models": models}


def _output(parser: argparse.ArgumentParser, *formats: str) -> None:
    parser.add_argument(
        "-o", "--output", "--format", dest="output", choices=formats, default="text", help="default text"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelctl", description="GitOps controller for ML models on AWS.")
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument("-C", "--chdir", metavar="DIR", help="run as if modelctl was started in DIR")
    parser.add_argument("--no-color", action="store_true", help="no ANSI colour (also: NO_COLOR=1)")
    p = _parents()
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate", parents=[p["common"]], help="check specs; every problem as file:line: field.path: message"
    )
    validate.add_argument(
        "paths", nargs="*", default=["specs"], metavar="PATH", help="files or folders (default specs)"
    )
    validate.add_argument("--root", metavar="DIR", help="where the environments are (default: found walking up)")
    _output(validate, "text", "json", "yaml", "github")
    validate.set_defaults(handler=_lazy("validate", "validate"))

    plan = commands.add_parser(
        "plan", parents=[p["env"], p["specs"], p["models"]], help="what it takes to converge an environment"
    )
    _output(plan, "text", "markdown", "json", "yaml")
    plan.add_argument("--detailed-exitcode", action="store_true", help="exit 0 no changes, 2 changes, 1 error")
    plan.add_argument("--out", metavar="PLAN.json", help="save the plan for `apply --plan`")
    plan.add_argument("--prices", metavar="FILE", help="instance-hour price table (see controller/plan/capacity.py)")
    plan.set_defaults(handler=_lazy("plan", "plan"))

    apply = commands.add_parser(
        "apply", parents=[p["env"], p["specs"], p["models"]], help="converge an environment to the specs"
    )
    _output(apply, "text", "json", "yaml")
    apply.add_argument("--plan", metavar="PLAN.json", help="apply a saved plan; refused if AWS moved on since")
    apply.add_argument("--wait", action="store_true", help="repeat until converged, failed or timed out")
    apply.add_argument("--timeout", default="30m", type=_duration, help="with --wait: give up after (default 30m)")
    apply.add_argument("--allow-delete", action="store_true", help="allow deletes in a protected environment")
    apply.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    apply.add_argument("--lock-lease", type=float, default=300, help="seconds a crashed run's lock survives")
    apply.add_argument("--lock-wait", type=float, default=0, help="seconds to wait for another run's lock")
    apply.set_defaults(handler=_lazy("apply", "apply"))

    status = commands.add_parser(
        "status", parents=[p["env"], p["specs"], p["models"]], help="per model: version serving, pipeline, health"
    )
    _output(status, "text", "json", "yaml")
    status.set_defaults(handler=_lazy("status", "status"))

    history = commands.add_parser("history", parents=[p["env"]], help="the applied revisions of one model")
    history.add_argument("model", metavar="MODEL")
    _add(history, p["specs"], p["old_path"])
    _output(history, "text", "json", "yaml")
    history.set_defaults(handler=_lazy("history", "status"))

    retrain = commands.add_parser("retrain", parents=[p["env"]], help="a new run of a model's current training")
    retrain.add_argument("model", metavar="MODEL")
    _add(retrain, p["specs"], p["old_path"])
    retrain.set_defaults(handler=_lazy("retrain", "status"))

    rollback = commands.add_parser(
        "rollback", parents=[p["env"]], help="prepare the git revert that returns a model to a revision"
    )
    rollback.add_argument("model", metavar="MODEL")
    _add(rollback, p["specs"], p["old_path"])
    rollback.add_argument(
        "--revision", metavar="REV", help="a git SHA (prefix) from `modelctl history`; default: the one before"
    )
    rollback.add_argument("--to", dest="to_revision", help=argparse.SUPPRESS)  # deprecated: --revision
    rollback.add_argument("--dry-run", action="store_true", help="show the diff and the plan, write nothing")
    rollback.set_defaults(handler=_lazy("rollback", "gitops"))

    promote = commands.add_parser(
        "promote", parents=[p["env"]], help="pin ENV to the version proven in the environment it promotes from"
    )
    promote.add_argument("model", metavar="MODEL")
    _add(promote, p["specs"], p["old_path"])
    promote.add_argument("--to", dest="to_env", help=argparse.SUPPRESS)  # deprecated: --env
    promote.add_argument("--dry-run", action="store_true", help="show the diff and the plan, write nothing")
    promote.set_defaults(handler=_lazy("promote", "gitops"))

    trace = commands.add_parser(
        "trace", parents=[p["aws"]], help="version -> training job -> source ref, data version, git SHA"
    )
    trace.add_argument("endpoint", metavar="ENDPOINT")
    trace.add_argument("--variant", help="only this variant")
    trace.add_argument("--region", help="default: AWS_REGION")
    _output(trace, "text", "json", "yaml")
    trace.set_defaults(handler=_lazy("trace", "gitops"))

    bundle = commands.add_parser("bundle", parents=[p["aws"], p["specs"]], help="render the specs into a bundle")
    bundle.add_argument("--out", metavar="FILE", help="write the bundle to FILE")
    bundle.add_argument(
        "--upload",
        metavar="ENV",
        action="append",
        default=[],
        help="also upload it to ENV's artifact bucket (bundles/<sha>.json, then bundles/latest.json); repeatable",
    )
    bundle.set_defaults(handler=_lazy("bundle", "bundle"))

    demo = commands.add_parser("demo", parents=[p["common"]], help="the whole story on the embedded emulator")
    demo.set_defaults(handler=_demo)

    local = commands.add_parser("local", help="the embedded AWS emulator")
    local_commands = local.add_subparsers(dest="local_command", required=True, metavar="COMMAND")
    serve = local_commands.add_parser(
        "serve", parents=[p["common"], p["specs"]], help="serve the emulator on 127.0.0.1 until Ctrl-C"
    )
    serve.add_argument("--port", type=int, default=4566)
    serve.add_argument("--account", help="the account the emulator acts as (default: the specs' account)")
    serve.set_defaults(handler=_lazy("serve", "local"))

    completion = commands.add_parser("completion", help="print a shell completion script (bash, zsh, tcsh)")
    completion.add_argument("shell", choices=SHELLS)
    completion.set_defaults(handler=_completion)
    return parser


def _add(parser: argparse.ArgumentParser, *groups: argparse.ArgumentParser) -> None:
    """Add the arguments of `groups` after the command's own positional ones (argparse parents come first)."""
    for group in groups:
        for action in group._actions:
            parser._add_action(action)


def _demo(args: argparse.Namespace) -> int:
    from controller.cli.demo import run_demo

    return run_demo(main)


def _completion(args: argparse.Namespace) -> int:
    import shtab

    print(shtab.complete(build_parser(), shell=args.shell))
    return EXIT_OK


def _deprecated(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Old spellings still accepted, with a warning on stderr; then what every command needs (an environment)."""
    renames = (
        ("path_option", "path", "--path DIR", "the positional PATH"),
        ("to_revision", "revision", "--to", "--revision"),
        ("to_env", "env", "--to ENV", "--env ENV"),
    )
    for old, new, spelled, instead in renames:
        value = getattr(args, old, None)
        if value is not None:
            note(f"warning: {spelled} is deprecated; use {instead}")
            setattr(args, new, value)
    if hasattr(args, "env") and args.env is None and args.command not in ("trace", "bundle"):
        parser.error(f"{args.command}: --env ENV is required (or set MODELCTL_ENV)")
    args.no_color = bool(getattr(args, "no_color", False))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _deprecated(parser, args)
    try:
        if args.chdir:
            os.chdir(args.chdir)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except KeyboardInterrupt:
        note("interrupted")
        return 130
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`modelctl plan | head`): nothing left to say
        return EXIT_ERROR
    except Exception as exc:  # only errors with a one-line explanation end here; anything else is a bug: re-raised
        message = _one_line(exc)
        if message is None:
            raise
        error(escape.one_line(message, limit=2000))
        return EXIT_ERROR


def _one_line(exc: BaseException) -> str | None:
    """The one-line message for an error the user can act on; None for a bug (the traceback is then wanted)."""
    if "botocore" in sys.modules:
        from controller.aws.errors import explain

        hint = explain(exc)
        if hint is not None:
            return hint
    if isinstance(exc, ModelctlError):
        return str(exc)
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return None


if __name__ == "__main__":
    sys.exit(main())
