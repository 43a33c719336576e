"""The commands that talk to AWS (`plan`, `apply`, `status`, `history`): load specs, open a session, call the
orchestrator (controller.reconcile), print. Output and exit codes only; the parser lives in controller.cli.

Heavy modules (boto3, moto, the sagemaker SDK) are imported here, never by `validate`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from controller.cli import render
from controller.cli.gitinfo import git_sha
from controller.cli.images import resolve_framework_image
from controller.cli.session import Session, aws_for
from controller.errors import SpecError
from controller.plan.capacity import PriceTable, load_price_table
from controller.plan.plan import Plan
from controller.reconcile.executor import ApplyResult, Status
from controller.reconcile.health import Health, ModelStatus, model_status
from controller.reconcile.orchestrate import ApplyOptions, apply_environment, plan_with_state, retrain_model
from controller.reconcile.result import PlanResult
from controller.spec.catalog import Catalog
from controller.spec.loader import load_catalog
from controller.spec.types import duration_seconds

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
AWS_POLL_SECONDS = 60  # how often a pipeline polls a build or a job on AWS
LOCAL_POLL_SECONDS = 1  # ...and on the emulator, where jobs take about a second
WAIT_INTERVAL_SECONDS = {True: 1.0, False: 30.0}  # apply --wait: between two passes, locally / on AWS


@dataclass(frozen=True)
class Context:
    """What every AWS command starts from: the specs, the environment, the commit."""

    catalog: Catalog
    env: str
    path: str
    git_sha: str
    local: bool

    @property
    def poll_seconds(self) -> int:
        return LOCAL_POLL_SECONDS if self.local else AWS_POLL_SECONDS


def load_or_report(path: str, consequence: str) -> Catalog | None:
    """The validated specs under `path`, or None after printing every problem and then `consequence`."""
    try:
        return load_catalog([path])
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic)
        print(f"invalid: {len(exc.diagnostics)} problem(s); {consequence}")
        return None


def context(args: argparse.Namespace) -> Context | None:
    """The validated specs and environment, or None after printing why not (nothing touched AWS)."""
    catalog = load_or_report(args.path, "nothing was read from or written to AWS")
    if catalog is None:
        return None
    if args.env not in catalog.environments:
        print(f"error: environment {args.env!r} is not defined (defined: {', '.join(sorted(catalog.environments))})")
        return None
    return Context(catalog, args.env, args.path, git_sha(args.path), args.local)


def _planned(ctx: Context, session: Session, prices: PriceTable | None = None) -> PlanResult:
    return plan_with_state(
        ctx.catalog,
        ctx.env,
        session.cloud.operations,
        session.store,
        git_sha=ctx.git_sha,
        resolve_image=resolve_framework_image,
        prices=prices,
        poll_seconds=ctx.poll_seconds,
    )


def plan(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
        return EXIT_ERROR
    prices = load_price_table(args.prices) if args.prices else None
    with aws_for(ctx.catalog.environments[ctx.env], local=ctx.local) as session:
        result = _planned(ctx, session, prices)
    planned = result.plan
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(render.as_json(planned))
    if args.format == "json":
        print(render.as_json(planned))
    elif args.format == "markdown":
        print(render.markdown(planned, notes=result.desired.notes))
    else:
        print(render.text(planned, color=sys.stdout.isatty(), notes=result.desired.notes))
    if planned.conflicts:
        return EXIT_ERROR
    return EXIT_CHANGES if args.detailed_exitcode and planned.has_changes else EXIT_OK


def apply(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
        return EXIT_ERROR
    saved = Plan.from_json(Path(args.plan).read_text(encoding="utf-8")) if args.plan else None
    if saved is not None and (saved.env, saved.git_sha) != (ctx.env, ctx.git_sha):
        print(f"error: {args.plan} is for {saved.env} at {saved.git_sha}, not {ctx.env} at {ctx.git_sha}")
        return EXIT_ERROR
    if not args.yes and not sys.stdin.isatty():
        print("error: no terminal to confirm on: pass --yes to apply without a prompt")
        return EXIT_ERROR
    deadline = time.monotonic() + duration_seconds(args.timeout)
    started = time.monotonic()
    with aws_for(ctx.catalog.environments[ctx.env], local=ctx.local) as session:
        options = ApplyOptions(
            allow_delete=args.allow_delete,
            lease_seconds=args.lock_lease,
            wait_seconds=args.lock_wait,
            poll_seconds=ctx.poll_seconds,
            saved_plan=saved,
            confirm=_confirm if not args.yes else (lambda _: True),
        )
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
                print("Apply cancelled; nothing was changed.")
                return EXIT_ERROR
            _print_run(run.planned, run.result)
            if run.result is not None and any(o.status is Status.FAILED for o in run.result.outcomes):
                return EXIT_ERROR
            if not args.wait:  # exit 0 only when every change applied; skipped ones are for the next run
                return EXIT_OK if run.result is None or run.result.ok else EXIT_ERROR
            statuses = _statuses(ctx, session, _planned(ctx, session))
            _print_progress(statuses, time.monotonic() - started)
            if all(s.health is Health.READY for s in statuses):
                print("Converged: every model is Ready.")
                return EXIT_OK
            if any(s.health is Health.DEGRADED for s in statuses):
                print("Stopped: a model is Degraded (see above); fix the spec or run `modelctl retrain`.")
                return EXIT_ERROR
            if time.monotonic() > deadline:
                print(f"Timed out after {args.timeout}; the next apply continues from here.")
                return EXIT_ERROR
            time.sleep(WAIT_INTERVAL_SECONDS[ctx.local])
            options = replace(options, saved_plan=None, confirm=lambda _: True)  # the first pass was confirmed


def status(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
        return EXIT_ERROR
    with aws_for(ctx.catalog.environments[ctx.env], local=ctx.local) as session:
        statuses = _statuses(ctx, session, _planned(ctx, session))
    if args.format == "json":
        print(json.dumps([_status_json(s) for s in statuses], indent=2, sort_keys=True))
    else:
        print(f"environment {ctx.env} at {ctx.git_sha}")
        for s in statuses:
            print(_status_line(s))
            for line in s.drift:
                print(f"    drift: {line}")
    return EXIT_OK if all(s.health is Health.READY for s in statuses) else EXIT_ERROR


def history(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
        return EXIT_ERROR
    with aws_for(ctx.catalog.environments[ctx.env], local=ctx.local) as session:
        entries = session.store.history(ctx.env, args.model)
    if not entries:
        print(f"no applied revisions of {args.model} in {ctx.env}")
        return EXIT_OK
    print(f"{'applied (UTC)':<21} {'git sha':<12} {'config id':<30} serving")
    for entry in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(entry.revision.finished))
        serving = ", ".join(f"{s.variant}={s.version}@{s.weight:g}" for s in entry.record.serving) or "-"
        print(f"{when:<21} {entry.revision.git_sha[:12]:<12} {entry.record.config_id:<30} {serving}")
        print(f"{'':<21} by {entry.revision.who}; " + ", ".join(f"{n} {k}" for k, n in entry.record.outcomes))
    return EXIT_OK


def retrain(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
        return EXIT_ERROR
    if args.model not in ctx.catalog.models or ctx.env not in ctx.catalog.models[args.model].configs:
        print(f"error: model {args.model!r} does not live in {ctx.env}")
        return EXIT_ERROR
    with aws_for(ctx.catalog.environments[ctx.env], local=ctx.local) as session:
        execution = retrain_model(
            ctx.catalog,
            ctx.env,
            args.model,
            session.cloud,
            session.store,
            git_sha=ctx.git_sha,
            resolve_image=resolve_framework_image,
            poll_seconds=ctx.poll_seconds,
        )
    print(f"started {execution}: a new run of {args.model}'s current training config in {ctx.env}")
    print(f"`modelctl apply --env {ctx.env} --wait` deploys its version once it passes the quality gate")
    return EXIT_OK


def _statuses(ctx: Context, session: Session, planned: PlanResult) -> list[ModelStatus]:
    marks = {
        endpoint: mark.reason
        for endpoint, mark in session.store.rolled_back(ctx.env).items()
        if endpoint in planned.rolled_back  # a mark stands only while the specs want the rolled-back config
    }
    by_model = planned.plan.by_model()
    return [
        model_status(entry.name, planned.desired, planned.observed, by_model.get(entry.name, ()), marks)
        for entry in ctx.catalog.models_in(ctx.env)
    ]


def _confirm(planned: Plan) -> bool:
    print(render.text(planned, color=sys.stdout.isatty()))
    answer = input(f"\nApply these {len(planned.changes)} change(s) to {planned.env}? Only 'yes' is accepted: ")
    return answer.strip() == "yes"


def _print_run(planned: PlanResult, result: ApplyResult | None) -> None:
    if result is None:
        print(render.NO_CHANGES)
        return
    for outcome in result.outcomes:
        change = outcome.change
        note = f" — {outcome.message}" if outcome.message else ""
        print(f"  {outcome.status.value:<8} {change.action.value} {change.ref} [{change.classification}]{note}")
    print(result.summary())


def _print_progress(statuses: Sequence[ModelStatus], elapsed: float) -> None:
    for s in statuses:
        print(f"[{int(elapsed) // 60:02d}:{int(elapsed) % 60:02d}] {_status_line(s)}")


def _status_line(s: ModelStatus) -> str:
    serving = ", ".join(f"{v.variant}={v.version} {v.share:g}% x{v.instances}" for v in s.serving) or "not serving"
    run = f"; pipeline {s.pipeline['name']} {s.pipeline['status']}" if s.pipeline else ""
    return f"  {s.model:<24} {s.health.value:<11} {s.reason:<15} {serving}{run} — {s.message}"


def _status_json(s: ModelStatus) -> dict[str, Any]:
    return {
        "model": s.model,
        "health": s.health.value,
        "reason": s.reason,
        "message": s.message,
        "serving": [v.__dict__ for v in s.serving],
        "pipeline": dict(s.pipeline) if s.pipeline else None,
        "drift": list(s.drift),
    }
