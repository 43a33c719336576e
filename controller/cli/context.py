"""What every command that talks to AWS starts from: the validated specs, the environment, the commit, the models
it is narrowed to (`--model`), and the read-only plan computed from them. Nothing here writes to AWS.

Invalid specs or an unknown environment or model are reported on stderr (every problem as file:line) and stop the
command before any AWS call.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from controller.cli.gitinfo import git_sha
from controller.cli.images import resolve_framework_image
from controller.cli.output import error, note
from controller.cli.session import Session
from controller.errors import SpecError
from controller.plan.capacity import PriceTable
from controller.reconcile.result import PlanResult
from controller.spec.catalog import Catalog
from controller.spec.loader import load_catalog

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
AWS_POLL_SECONDS = 60  # how often a pipeline polls a build or a job on AWS
LOCAL_POLL_SECONDS = 1  # ...and on the emulator, where jobs take about a second


@dataclass(frozen=True)
class Context:
    """The specs, the environment, the commit; `models`: the models the command is narrowed to (None: all)."""

    catalog: Catalog
    env: str
    path: str
    git_sha: str
    local: bool
    models: frozenset[str] | None = None

    @property
    def poll_seconds(self) -> int:
        """The pipelines' poll interval: an environment-internal setting (never shown in a plan)."""
        return LOCAL_POLL_SECONDS if self.local else AWS_POLL_SECONDS


def load_or_report(path: str, consequence: str) -> Catalog | None:
    """The validated specs under `path`, or None after printing every problem and then `consequence` (stderr)."""
    try:
        return load_catalog([path])
    except SpecError as exc:
        for diagnostic in exc.diagnostics:
            note(str(diagnostic))
        note(f"invalid: {len(exc.diagnostics)} problem(s); {consequence}")
        return None


def context(args: argparse.Namespace, *, model_must_live: bool = True) -> Context | None:
    """The validated specs, environment and models of a command, or None after saying why not (no AWS call).
    `model_must_live`: the MODEL argument must be a model of the environment (not for `history`, which also
    answers for a model whose spec is gone)."""
    catalog = load_or_report(args.path, "nothing was read from or written to AWS")
    if catalog is None:
        return None
    if args.env not in catalog.environments:
        error(f"environment {args.env!r} is not defined (defined: {', '.join(sorted(catalog.environments))})")
        return None
    narrowed: list[str] = list(getattr(args, "models", None) or ())  # --model, repeatable
    named: str | None = getattr(args, "model", None) if model_must_live else None  # retrain, rollback
    living = {entry.name for entry in catalog.models_in(args.env)}
    unknown = [m for m in [*narrowed, *([named] if named else [])] if m not in living]
    if unknown:
        error(
            f"model(s) {', '.join(repr(m) for m in unknown)} do not live in {args.env} "
            f"(models there: {', '.join(sorted(living)) or 'none'})"
        )
        return None
    models = frozenset(narrowed) if narrowed else None
    return Context(catalog, args.env, args.path, git_sha(args.path), args.local, models)


def planned(ctx: Context, session: Session, prices: PriceTable | None = None) -> PlanResult:
    """The read-only plan of the context's environment (and models), as `modelctl plan` computes it."""
    from controller.reconcile.orchestrate import plan_with_state

    return plan_with_state(
        ctx.catalog,
        ctx.env,
        session.cloud.operations,
        session.store,
        git_sha=ctx.git_sha,
        resolve_image=resolve_framework_image,
        prices=prices,
        poll_seconds=ctx.poll_seconds,
        models=ctx.models,
    )
