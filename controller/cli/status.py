"""`modelctl status`, `history` and `retrain`: what serves and how healthy each model is, the applied revisions of
one model, and a new run of a model's current training config. `status` and `history` only read.

Documents (`-o json|yaml`, "schemaVersion": 1):
    status:  {"kind": "Status", "env", "gitSha", "models": [{"model", "health", "reason", "message",
              "serving": [{"variant", "version", "share", "instances"}], "pipeline": {...} | null, "drift": [...]}]}
    history: {"kind": "History", "env", "model", "revisions": [{"applied", "gitSha", "configId", "who",
              "serving": [{"variant", "version", "weight"}], "outcomes": {"applied": n, ...}}]}
Exit codes: status 0 when every model is Ready, else 1; history 1 when the model has no applied revision.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from controller import escape
from controller.cli.context import EXIT_ERROR, EXIT_OK, Context, context, planned
from controller.cli.images import resolve_framework_image
from controller.cli.output import document, emit, error
from controller.cli.session import Session, aws_for
from controller.reconcile.health import Health, ModelStatus, model_status
from controller.reconcile.orchestrate import retrain_model
from controller.reconcile.result import PlanResult
from controller.reconcile.store import HistoryEntry


def status(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
        return EXIT_ERROR
    with aws_for(ctx.catalog.environments[ctx.env], local=ctx.local) as session:
        found = statuses(ctx, session, planned(ctx, session))
    if args.output in ("json", "yaml"):
        emit(
            document("Status", {"env": ctx.env, "gitSha": ctx.git_sha, "models": [as_dict(s) for s in found]}),
            args.output,
        )
    else:
        print(f"environment {ctx.env} at {ctx.git_sha}")
        for s in found:
            print(status_line(s))
            for line in s.drift:
                print(f"    drift: {escape.terminal(line)}")
    return EXIT_OK if all(s.health is Health.READY for s in found) else EXIT_ERROR


def history(args: argparse.Namespace) -> int:
    ctx = context(args, model_must_live=False)
    if ctx is None:
        return EXIT_ERROR
    with aws_for(ctx.catalog.environments[ctx.env], local=ctx.local) as session:
        entries = session.store.history(ctx.env, args.model)
    if not entries:
        known = args.model in {entry.name for entry in ctx.catalog.models_in(ctx.env)}
        why = "it has not been applied yet" if known else f"no model of that name lives in {ctx.env}'s specs"
        error(f"no applied revisions of {args.model!r} in {ctx.env}: {why}")
        return EXIT_ERROR
    if args.output in ("json", "yaml"):
        body = {"env": ctx.env, "model": args.model, "revisions": [_revision(e) for e in entries]}
        emit(document("History", body), args.output)
        return EXIT_OK
    print(f"{'applied (UTC)':<21} {'git sha':<12} {'config id':<30} serving")
    for entry in entries:
        serving = ", ".join(f"{s.variant}={s.version}@{s.weight:g}" for s in entry.record.serving) or "-"
        print(
            f"{_when(entry.revision.finished):<21} {entry.revision.git_sha[:12]:<12} "
            f"{entry.record.config_id:<30} {escape.terminal(serving)}"
        )
        outcomes = ", ".join(f"{n} {k}" for k, n in entry.record.outcomes)
        print(f"{'':<21} by {escape.terminal(entry.revision.who)}; {outcomes}")
    return EXIT_OK


def retrain(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
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


def statuses(ctx: Context, session: Session, plan: PlanResult) -> list[ModelStatus]:
    """The status of every model the context covers, from a plan of the environment."""
    marks = {
        endpoint: mark.reason
        for endpoint, mark in session.store.rolled_back(ctx.env).items()
        if endpoint in plan.rolled_back  # a mark stands only while the specs want the rolled-back config
    }
    by_model = plan.plan.by_model()
    return [
        model_status(entry.name, plan.desired, plan.observed, by_model.get(entry.name, ()), marks)
        for entry in ctx.catalog.models_in(ctx.env)
        if ctx.models is None or entry.name in ctx.models
    ]


def status_line(s: ModelStatus) -> str:
    """One model's status on one line, spec and AWS strings escaped for the terminal."""
    serving = ", ".join(f"{v.variant}={v.version} {v.share:g}% x{v.instances}" for v in s.serving) or "not serving"
    run = f"; pipeline {s.pipeline['name']} {s.pipeline['status']}" if s.pipeline else ""
    return escape.terminal(f"  {s.model:<24} {s.health.value:<11} {s.reason:<15} {serving}{run} — {s.message}")


def as_dict(s: ModelStatus) -> dict[str, Any]:
    """One model's status in the `Status` document."""
    return {
        "model": s.model,
        "health": s.health.value,
        "reason": s.reason,
        "message": s.message,
        "serving": [v.__dict__ for v in s.serving],
        "pipeline": dict(s.pipeline) if s.pipeline else None,
        "drift": list(s.drift),
    }


def in_flight(found: Sequence[ModelStatus]) -> str:
    """What an `apply --wait` pass with nothing to change is waiting for ("" when nothing): `waiting for training
    (churn-xgb), deployment (fraud-lgbm)`."""
    waits: dict[str, list[str]] = {}
    for s in found:
        if s.health is Health.PROGRESSING:
            what = {"Training": "training", "Deploying": "deployment", "Waiting": "a version"}.get(s.reason, s.reason)
            waits.setdefault(what, []).append(s.model)
    return ", ".join(f"{what} ({', '.join(models)})" for what, models in waits.items())


def _revision(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "applied": _when(entry.revision.finished, iso=True),
        "gitSha": entry.revision.git_sha,
        "configId": entry.record.config_id,
        "who": entry.revision.who,
        "serving": [{"variant": s.variant, "version": s.version, "weight": s.weight} for s in entry.record.serving],
        "outcomes": dict(entry.record.outcomes),
    }


def _when(seconds: float, *, iso: bool = False) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ" if iso else "%Y-%m-%d %H:%M:%S", time.gmtime(seconds))
