"""The GitOps commands `rollback`, `promote` and `trace`: the first two prepare a spec change for a person to review
and commit, and print the plan it would produce; `trace` reads lineage. None of them writes to AWS.

- rollback MODEL [PATH] --env ENV [--revision REV]: REV is a git SHA (prefix) from `modelctl history`, by default
  the revision applied before the newest. Prepared as `git revert --no-commit` of the later commits that changed
  the model's spec file, or, when those commits also changed other files or do not revert cleanly, as a pin of the
  model's variants (in its ENV overlay) to the versions and weights serving at REV.
- promote MODEL [PATH] --env ENV: pins ENV's variants to the version proven in ENV's `promotion.from` environment:
  the one serving there (the heaviest variant), else the newest Approved version of the current config there.
- trace ENDPOINT [--variant V]: version -> training job -> source ref, data version and git SHAs.
A pin is a round-trip edit (controller.spec.edits: comments and layout stay), shown as a unified diff before it is
written (`--dry-run`: shown only). The parser lines live in controller.cli.main.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from controller import escape, naming
from controller.aws import lineage
from controller.aws.connect import connect
from controller.aws.errors import translate_errors
from controller.aws.session import AwsClients
from controller.cli import render
from controller.cli.context import EXIT_ERROR, EXIT_OK, Context, context
from controller.cli.context import planned as planned_for
from controller.cli.gitinfo import git_sha
from controller.cli.output import document, emit, error
from controller.cli.session import Session, aws_for
from controller.errors import NotFoundError
from controller.reconcile.result import PlanResult
from controller.reconcile.store import HistoryEntry
from controller.resources import Kind, Ref, config_id_of
from controller.spec.catalog import Catalog
from controller.spec.edits import EditError, SpecEdit, diff, pin_variants, revert_commits
from controller.spec.loader import load_catalog


def rollback(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
        return EXIT_ERROR
    entry = ctx.catalog.models[args.model]
    with aws_for(ctx.catalog.environments[ctx.env], local=ctx.local) as session:
        target = _target(session.store.history(ctx.env, args.model), args.revision)
        if target is None:
            error(f"no applied revision {args.revision or 'before the newest'} of {args.model} in {ctx.env}")
            return EXIT_ERROR
        revision = target.revision.git_sha.removesuffix("-dirty")
        spec_file = Path(entry.document.file)
        shared = [m for m in ctx.catalog.models.values() if m.document.file == entry.document.file and m is not entry]
        reverted: list[str] = []
        why = f"{spec_file.name} also holds {', '.join(m.name for m in shared)}"
        if not shared:
            reverted, why = revert_commits(spec_file, revision)
        serving = ", ".join(f"{s.variant}={s.version}@{s.weight:g}" for s in target.record.serving)
        print(f"rolling {args.model} in {ctx.env} back to {revision[:12]}: {serving}")
        if reverted:
            print(f"prepared `git revert --no-commit {' '.join(c[:12] for c in reverted)}`")
            print(diff(Path(ctx.path).resolve()) or "(no change to the specs)")
        else:
            print(f"not a revert ({why}): pinning the versions serving at {revision[:12]}")
            _write(_pin_rollback(ctx.catalog, args.model, ctx.env, target))
        return _show(Path(ctx.path), args.model, ctx.env, session, ctx.local, f"rollback {args.model} in {ctx.env}")


def promote(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
        return EXIT_ERROR
    catalog, target = ctx.catalog, ctx.env
    promotion = catalog.environments[target].spec.promotion
    entry = catalog.models[args.model]
    if promotion is None or promotion.from_env not in entry.configs:
        error(f"{target} promotes from no environment {args.model} lives in (spec.promotion.from)")
        return EXIT_ERROR
    source = promotion.from_env
    with aws_for(catalog.environments[source], local=ctx.local) as session:
        planned = _plan(catalog, source, session, ctx.git_sha, ctx.local)
        version = _proven(planned, args.model, source, promotion.require_approval)
    if version is None:
        wanted = "an Approved version" if promotion.require_approval else "a version"
        error(f"{source} has no {wanted} of {args.model} to promote: nothing was written")
        return EXIT_ERROR
    print(f"promoting {args.model} to {target}: pinning {version}, proven in {source}")
    variants = entry.configs[target].deployment.realtime
    _write(pin_variants(entry, target, {v.name: {"model": version} for v in (variants.variants if variants else ())}))
    with aws_for(catalog.environments[target], local=ctx.local) as session:
        return _show(Path(ctx.path), args.model, target, session, ctx.local, f"promote {args.model} to {target}")


def trace(args: argparse.Namespace) -> int:
    with _clients(args) as clients:
        try:
            with translate_errors():
                traces = lineage.trace(clients, args.endpoint, args.variant)
        except NotFoundError as missing:
            error(
                f"endpoint {args.endpoint!r} not found in {clients.session.region_name} ({missing}): check the name "
                "(`modelctl status` lists each model's endpoint) and --region / AWS_REGION"
            )
            return EXIT_ERROR
    if not traces:
        error(f"{args.endpoint} has no variant {args.variant!r}")
        return EXIT_ERROR
    if args.output in ("json", "yaml"):
        emit(document("Trace", {"endpoint": args.endpoint, "variants": [asdict(t) for t in traces]}), args.output)
        return EXIT_OK
    for t in traces:
        served = t.served
        lines = [
            f"{args.endpoint} / {served.variant} (weight {served.weight:g}): version {served.version}",
            f"  deployed by spec commit  {served.spec_git_sha or '-'}",
            f"  training job             {t.training_job} ({t.training_status})",
            f"  source ref               {t.source_ref or '-'}",
            f"  data version             {t.data_version or '-'}",
            f"  trained for spec commit  {t.run_git_sha or '-'}",
            f"  model package            {t.package_arn or '-'}",
        ]
        print("\n".join(escape.terminal(line) for line in lines))
    return EXIT_OK


def _write(edit: SpecEdit) -> None:
    """Show the edit as a unified diff, then write it."""
    print(edit.diff() or "(no change to the specs: the model is already there)")
    edit.write()


def _target(entries: list[HistoryEntry], to: str | None) -> HistoryEntry | None:
    """The newest history entry, with a serving record, of revision `to` (a SHA prefix) or, by default, of the
    revision applied before the newest one."""
    shas = list(dict.fromkeys(e.revision.git_sha for e in entries))
    wanted = [s for s in shas if s.startswith(to)] if to else shas[1:2]
    return next((e for e in entries if wanted and e.revision.git_sha == wanted[0] and e.record.serving), None)


def _pin_rollback(catalog: Catalog, model: str, env: str, target: HistoryEntry) -> SpecEdit:
    realtime = catalog.models[model].configs[env].deployment.realtime
    now = sorted(v.name for v in realtime.variants) if realtime else []
    then = sorted(s.variant for s in target.record.serving)
    if now != then:
        raise EditError(f"the variants differ (then {then}, now {now}): edit the spec by hand or revert by hand")
    pins = {s.variant: {"model": s.version, "weight": _number(s.weight)} for s in target.record.serving}
    return pin_variants(catalog.models[model], env, pins)


def _proven(planned: PlanResult, model: str, source: str, require_approval: bool) -> str | None:
    """The version serving in source's endpoint (heaviest variant), else the newest of the current config."""
    group = planned.observed.get(Ref(Kind.MODEL_PACKAGE_GROUP, naming.model_package_group(source, model)))
    versions = {v["version"]: v["approval"] for v in (group.extra.get("versions", ()) if group else ())}
    usable = [v for v, approval in versions.items() if approval == "Approved" or not require_approval]
    endpoint = planned.observed.get(Ref(Kind.ENDPOINT, naming.endpoint(source, model)))
    variants = sorted(endpoint.properties.get("variants", ()) if endpoint else (), key=lambda v: -float(v["weight"]))
    serving = [str(v["model"]) for v in variants if str(v["model"]) in usable]
    config_id = planned.desired.config_ids.get(model, "")
    current = [v for v in usable if config_id_of(v) == config_id]
    return (serving or current or [None])[0]


def _show(folder: Path, model: str, env: str, session: Session, local: bool, what: str) -> int:
    """Print the plan the prepared change produces (read-only), and what to do next."""
    catalog = load_catalog([str(folder)])
    planned = _plan(catalog, env, session, git_sha(str(folder)), local)
    print(render.text(planned.plan, color=False, notes=planned.desired.notes))
    trains = [c for c in planned.plan.changes if c.model == model and c.ref.kind is Kind.PIPELINE_RUN]
    print(
        f"warning: this plan trains {model} ({', '.join(str(c.ref) for c in trains)})"
        if trains
        else f"no training: {model}'s versions are retained in the registry"
    )
    print(f"Review the change, then commit it (e.g. git commit -am '{what}'); the reconciler applies it.")
    return EXIT_OK


def _plan(catalog: Catalog, env: str, session: Session, sha: str, local: bool) -> PlanResult:
    """The read-only plan of env for these specs, as `modelctl plan` computes it."""
    return planned_for(Context(catalog, env, "", sha, local), session)


@contextmanager
def _clients(args: argparse.Namespace) -> Iterator[AwsClients]:
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    if not args.local:
        yield connect(region)
        return
    from controller.local.emulator import ensure_emulator

    url, started = ensure_emulator()
    try:
        yield connect(region, local_url=url)
    finally:
        if started is not None:
            started.stop()


def _number(value: float) -> Any:
    return int(value) if value == int(value) else value
