"""`modelctl apply`: converge an environment (or `--model` some of its models) to the specs, once or, with `--wait`,
pass after pass until every model is Ready, one is Degraded, a change fails or `--timeout` passes.

A pass with nothing to change while a model trains or deploys says what it waits for ("waiting for training
(churn-xgb)"), never "No changes". An `apply --wait` is one apply: it stores one history row for all its passes
(each outcome once, the last pass's serving state). Progress: a live view on a terminal, one line per state change
elsewhere (CI logs), on stderr when `-o json|yaml` asks for a document, which is printed last on stdout:

    {"schemaVersion": 1, "kind": "ApplyResult", "env", "gitSha", "result": "applied" | "noChanges" | "converged"
     | "failed" | "degraded" | "timedOut" | "cancelled", "summary": {"applied": n, "failed": n, "skipped": n},
     "outcomes": [{"action", "kind", "key", "model", "classification", "status", "message", "attempts"}],
     "models": [<status, as in `modelctl status`>]}
Exit codes: 0 when every change applied (and, with --wait, every model is Ready), else 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from controller import escape
from controller.cli import render
from controller.cli.context import EXIT_ERROR, EXIT_OK, Context, context, planned
from controller.cli.images import resolve_framework_image
from controller.cli.output import color_wanted, document, emit, error
from controller.cli.progress import Progress
from controller.cli.session import Session, aws_for
from controller.cli.status import as_dict, in_flight, statuses
from controller.plan.plan import Plan
from controller.reconcile import records
from controller.reconcile.executor import ApplyResult, Outcome, Status
from controller.reconcile.health import Health, ModelStatus
from controller.reconcile.orchestrate import ApplyOptions, ApplyRun, apply_environment
from controller.resources import Ref
from controller.spec.types import duration_seconds

WAIT_INTERVAL_SECONDS = {True: 1.0, False: 30.0}  # apply --wait: between two passes, locally / on AWS


@dataclass
class _Apply:
    """One apply's accumulated outcomes (the last per resource) and what it ended with."""

    outcomes: dict[tuple[str, Ref], Outcome] = field(default_factory=dict)
    result: str = "noChanges"
    models: list[ModelStatus] = field(default_factory=list)

    def add(self, run: ApplyResult | None) -> None:
        for outcome in run.outcomes if run else ():
            self.outcomes[(outcome.change.action.value, outcome.change.ref)] = outcome

    @property
    def combined(self) -> ApplyResult:
        return ApplyResult(tuple(self.outcomes.values()))


def apply(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
        return EXIT_ERROR
    saved = Plan.from_json(Path(args.plan).read_text(encoding="utf-8")) if args.plan else None
    if saved is not None and (saved.env, saved.git_sha) != (ctx.env, ctx.git_sha):
        error(f"{args.plan} is for {saved.env} at {saved.git_sha}, not {ctx.env} at {ctx.git_sha}")
        return EXIT_ERROR
    if not args.yes and not sys.stdin.isatty():
        error("no terminal to confirm on: pass --yes to apply without a prompt")
        return EXIT_ERROR
    machine = args.output in ("json", "yaml")
    progress = Progress(stream=sys.stderr if machine else sys.stdout, color=color_wanted(args.no_color))
    done = _Apply()
    wall_started = time.time()
    with aws_for(ctx.catalog.environments[ctx.env], local=ctx.local) as session:
        options = ApplyOptions(
            allow_delete=args.allow_delete,
            lease_seconds=args.lock_lease,
            wait_seconds=args.lock_wait,
            poll_seconds=ctx.poll_seconds,
            saved_plan=saved,
            confirm=_confirm(args.no_color, machine) if not args.yes else (lambda _: True),
            models=ctx.models,
            record_history=not args.wait,
        )
        last: ApplyRun | None = None
        try:
            with progress:
                last = _passes(ctx, session, options, args, progress, done)
        finally:
            if args.wait and last is not None and done.outcomes:
                session.store.record_apply(
                    records.apply_record(ctx.env, last.planned, done.combined, wall_started, session.store.who)
                )
    if machine:
        emit(_document(ctx, done), args.output)
    return EXIT_OK if done.result in ("applied", "noChanges", "converged") else EXIT_ERROR


def _passes(
    ctx: Context, session: Session, options: ApplyOptions, args: argparse.Namespace, progress: Progress, done: _Apply
) -> ApplyRun | None:
    """Apply once, or pass after pass with --wait; sets done.result and returns the last pass."""
    deadline = time.monotonic() + duration_seconds(args.timeout)
    run: ApplyRun | None = None
    while True:
        run = apply_environment(
            ctx.catalog,
            ctx.env,
            session.cloud,
            session.store,
            git_sha=ctx.git_sha,
            resolve_image=resolve_framework_image,
            options=options,
        )
        if not run.confirmed:
            progress.say("Apply cancelled; nothing was changed.")
            done.result = "cancelled"
            return run
        done.add(run.result)
        for outcome in run.result.outcomes if run.result else ():
            progress.say(_outcome_line(outcome))
        if run.result is not None:
            progress.say(run.result.summary())
        if run.result is not None and run.result.count(Status.FAILED):
            done.result = "failed"
            return run
        if not args.wait:
            if run.result is None:
                progress.say(render.NO_CHANGES)
            done.result = "noChanges" if run.result is None else "applied" if run.result.ok else "failed"
            return run
        done.models = statuses(ctx, session, planned(ctx, session))
        waiting = in_flight(done.models)
        if run.result is None and waiting:
            progress.waiting(f"waiting for {waiting}")
        progress.update(done.models)
        if all(s.health is Health.READY for s in done.models):
            progress.say("Converged: every model is Ready.")
            done.result = "converged"
            return run
        if any(s.health is Health.DEGRADED for s in done.models):
            progress.say("Stopped: a model is Degraded (see above); fix the spec or run `modelctl retrain`.")
            done.result = "degraded"
            return run
        if time.monotonic() > deadline:
            progress.say(f"Timed out after {args.timeout}; the next apply continues from here.")
            done.result = "timedOut"
            return run
        time.sleep(WAIT_INTERVAL_SECONDS[ctx.local])
        options = replace(options, saved_plan=None, confirm=lambda _: True)  # the first pass was confirmed


def _confirm(no_color: bool, machine: bool) -> Any:
    def ask(the_plan: Plan) -> bool:
        stream = sys.stderr if machine else sys.stdout
        print(render.text(the_plan, color=color_wanted(no_color, stream)), file=stream)
        print(
            f"\nApply these {len(the_plan.changes)} change(s) to {the_plan.env}? Only 'yes' is accepted: ",
            end="",
            file=stream,
            flush=True,
        )
        return input().strip() == "yes"

    return ask


def _outcome_line(outcome: Outcome) -> str:
    change = outcome.change
    note = f" — {outcome.message}" if outcome.message else ""
    return escape.terminal(
        f"  {outcome.status.value:<8} {change.action.value} {change.ref} [{change.classification}]{note}"
    )


def _document(ctx: Context, done: _Apply) -> dict[str, Any]:
    result = done.combined
    return document(
        "ApplyResult",
        {
            "env": ctx.env,
            "gitSha": ctx.git_sha,
            "result": done.result,
            "summary": {s.value: result.count(s) for s in Status},
            "outcomes": [
                {
                    "action": o.change.action.name.lower(),
                    "kind": str(o.change.ref.kind),
                    "key": o.change.ref.key,
                    "model": o.change.model,
                    "classification": str(o.change.classification),
                    "status": o.status.value,
                    "message": o.message,
                    "attempts": o.attempts,
                }
                for o in result.outcomes
            ],
            "models": [as_dict(s) for s in done.models],
        },
    )
