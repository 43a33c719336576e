"""What the reconciler Lambda does with one event: find the bundle, verify it, reconcile the function's environment
from it, and return a summary. reconciler_lambda.handler adds logging and caches the clients.

Events (the function serves one environment, MODELCTL_ENV; its bundles are in MODELCTL_BUCKET):

    S3 object created (a notification's `Records`, or EventBridge "Object Created") under bundles/
        -> apply that bundle, observing only the models whose specs differ from the bundle last applied here
           (controller.desired.bundle.changed_models; all of them when the environment changed or a model left).
           Idempotent per (bundle SHA, environment): a bundle already applied here is skipped without a write.
           The pointer bundles/latest.json is ignored: the bundle's own event applies it.
    EventBridge "Step Functions Execution Status Change" of one of this environment's pipelines
        (`modelctl-<model>-<env>`) reaching an end state -> reconcile from the newest bundle, so a finished
        training deploys at once
    EventBridge "Scheduled Event" (every 10 minutes) -> the drift sweep: reconcile every model from the newest
        bundle (and prune what a removed spec left)

A bundle of an unknown version, or one that does not match its digest, is refused before any AWS write and
reported to MODELCTL_TOPIC_ARN; so is one the plan refuses (another account or region, a conflict), before its
first write. Drift, guardrail rollbacks and failed changes are notified by the reconcile itself
(controller.reconcile.records), to the topics the models ask for. When a pass finds nothing left to write, the bundle is
marked applied in the state store (status "converged", or "waiting" while something waits on a training run or an
approval, which a later pipeline event or sweep deploys). The sagemaker SDK is never imported: images come from the
bundle.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from controller.aws import s3, sns
from controller.aws.cloud import AwsCloud
from controller.aws.session import AwsClients
from controller.aws.statetable import StateTable
from controller.desired.bundle import BUNDLE_PREFIX, LATEST_KEY, Bundle, bundle_key, changed_models, load_bundle
from controller.errors import NotFoundError, PlanError, SpecError
from controller.reconcile.executor import Status
from controller.reconcile.orchestrate import ApplyOptions, apply_environment
from controller.reconcile.store import StateStore

PIPELINE_END_STATES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
LOCK_WAIT_SECONDS = 60  # a reconcile started by another event finishes well within this, usually


@dataclass(frozen=True)
class Settings:
    """The function's configuration (its environment variables; one stack per environment).

    env: MODELCTL_ENV; bucket: MODELCTL_BUCKET, the artifact bucket holding bundles/; topic_arn:
    MODELCTL_TOPIC_ARN, where refused bundles and failed reconciles are reported (None: not reported);
    poll_seconds: MODELCTL_POLL_SECONDS, the pipelines' poll interval (default 60)"""

    env: str
    bucket: str
    topic_arn: str | None = None
    poll_seconds: int = 60

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            env=environ["MODELCTL_ENV"],
            bucket=environ["MODELCTL_BUCKET"],
            topic_arn=environ.get("MODELCTL_TOPIC_ARN") or None,
            poll_seconds=int(environ.get("MODELCTL_POLL_SECONDS", "60")),
        )


@dataclass(frozen=True)
class Trigger:
    """What an event asks for. kind: "bundle" | "pipeline" | "schedule"; key: the bundle object to read
    (LATEST_KEY: the newest); detail: the event in a few words, for the summary."""

    kind: str
    key: str
    detail: str


def parse_event(event: Mapping[str, Any], settings: Settings) -> Trigger | str:
    """The Trigger for `event`, or why it is ignored."""
    records = event.get("Records")
    if isinstance(records, list) and records:
        s3_part = records[0].get("s3", {})
        return _bundle_trigger(s3_part.get("bucket", {}).get("name"), s3_part.get("object", {}).get("key"), settings)
    detail_type, detail = event.get("detail-type"), event.get("detail") or {}
    if detail_type == "Object Created":
        return _bundle_trigger(detail.get("bucket", {}).get("name"), detail.get("object", {}).get("key"), settings)
    if detail_type == "Step Functions Execution Status Change":
        machine = str(detail.get("stateMachineArn", "")).rsplit(":", 1)[-1]
        status = str(detail.get("status"))
        if not (machine.startswith("modelctl-") and machine.endswith(f"-{settings.env}")):
            return f"state machine {machine!r} is not a pipeline of {settings.env}"
        if status not in PIPELINE_END_STATES:
            return f"{machine} is {status}; only an ended execution changes what to deploy"
        return Trigger("pipeline", LATEST_KEY, f"{machine} {detail.get('name', '')} {status}")
    if detail_type == "Scheduled Event":
        return Trigger("schedule", LATEST_KEY, "drift sweep")
    return f"unrecognised event (detail-type {detail_type!r})"


def _bundle_trigger(bucket: Any, key: Any, settings: Settings) -> Trigger | str:
    name = unquote_plus(str(key))
    if bucket != settings.bucket or not name.startswith(BUNDLE_PREFIX) or not name.endswith(".json"):
        return f"s3://{bucket}/{name} is not a bundle of {settings.env}"
    if name == LATEST_KEY:
        return "the latest-bundle pointer; the bundle's own event applies it"
    return Trigger("bundle", name, f"new bundle s3://{bucket}/{name}")


def correlation_id(event: Mapping[str, Any]) -> str | None:
    """The id that ties the logs of one event together: EventBridge's event id, or S3's request id."""
    records = event.get("Records")
    if isinstance(records, list) and records:
        found = records[0].get("responseElements", {}).get("x-amz-request-id")
    else:
        found = event.get("id")
    return str(found) if found is not None else None


def handle(event: Mapping[str, Any], settings: Settings, clients: AwsClients) -> dict[str, Any]:
    """Reconcile settings.env as `event` asks; the summary says what happened (see the module docstring)."""
    clients.calls.reset()
    trigger = parse_event(event, settings)
    if isinstance(trigger, str):
        return {"env": settings.env, "status": "ignored", "reason": trigger}
    summary: dict[str, Any] = {"env": settings.env, "trigger": trigger.kind, "event": trigger.detail}
    # 1. Read the bundle and verify it (version, digest, specs) before anything else touches AWS.
    try:
        bundle = _read_bundle(clients, settings, trigger.key)
        if settings.env not in bundle.catalog.environments:
            raise PlanError(f"bundle {bundle.git_sha} has no environment {settings.env!r}")
    except (PlanError, SpecError, NotFoundError) as exc:
        return _report(clients, settings, {**summary, "status": "refused", "reason": _reason(exc)})
    summary |= {"gitSha": bundle.git_sha, "author": bundle.author}
    store = StateStore(StateTable(clients), who=f"{bundle.author} via reconciler ({trigger.kind})")
    # 2. Idempotence per (bundle, environment): a bundle event for a bundle already applied here changes nothing.
    applied = store.bundle_applied(settings.env, bundle.git_sha)
    if trigger.kind == "bundle" and applied:
        return {**summary, "status": "unchanged", "reason": "bundle already applied", **_calls(clients)}
    # 3. On a new bundle, look only at the models whose specs changed since the bundle last applied here.
    models = _changed_since_last(clients, settings, store, bundle) if trigger.kind == "bundle" else None
    summary["observed"] = "all" if models is None else sorted(models)
    # 4. Observe, plan and apply, under the environment's lock; no one is asked to confirm.
    # A PlanError (the bundle's account or region is not this function's, a conflict with what the specs say) is
    # refused and reported like a bad bundle: retrying the event cannot change the answer.
    options = ApplyOptions(wait_seconds=LOCK_WAIT_SECONDS, poll_seconds=settings.poll_seconds, models=models)
    try:
        run = apply_environment(
            bundle.catalog,
            settings.env,
            AwsCloud(clients),
            store,
            git_sha=bundle.git_sha,
            resolve_image=bundle.resolve_image,
            options=options,
        )
    except PlanError as exc:
        return _report(clients, settings, {**summary, "status": "refused", "reason": str(exc)})
    summary |= {"changes": len(run.planned.plan.changes), "notes": dict(run.planned.desired.notes)}
    if run.result is None:
        # 5. Nothing left to write: this bundle is applied here (remember it once).
        if not applied:
            store.mark_bundle_applied(settings.env, bundle.git_sha)
        return {**summary, "status": "waiting" if run.planned.desired.notes else "converged", **_calls(clients)}
    counts = {status.value: run.result.count(status) for status in Status}
    status = "applied" if run.result.ok else "failed"
    return {**summary, "status": status, "outcomes": counts, **_calls(clients)}


def _read_bundle(clients: AwsClients, settings: Settings, key: str) -> Bundle:
    if key == LATEST_KEY:
        try:
            key = bundle_key(str(json.loads(s3.get_text(clients, settings.bucket, LATEST_KEY))["gitSha"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise PlanError(f"{LATEST_KEY} is not a bundle pointer: {exc!r}") from exc
    return load_bundle(s3.get_text(clients, settings.bucket, key))


def _changed_since_last(
    clients: AwsClients, settings: Settings, store: StateStore, bundle: Bundle
) -> frozenset[str] | None:
    """The models whose specs differ from the last bundle applied to this environment; None (all) when there is
    no such bundle or it cannot be read."""
    previous = store.last_applied_bundle(settings.env)
    if previous is None or previous == bundle.git_sha:
        return None
    try:
        before = _read_bundle(clients, settings, bundle_key(previous))
    except (PlanError, SpecError, NotFoundError):
        return None
    return changed_models(before.catalog, bundle.catalog, settings.env)


def _reason(exc: PlanError | SpecError | NotFoundError) -> str:
    if isinstance(exc, SpecError):
        return f"invalid specs in the bundle: {'; '.join(str(d) for d in exc.diagnostics)}"
    return str(exc)


def _report(clients: AwsClients, settings: Settings, summary: dict[str, Any]) -> dict[str, Any]:
    """Tell the operators (MODELCTL_TOPIC_ARN) about a bundle that cannot be applied."""
    if settings.topic_arn:
        subject = f"modelctl {settings.env}: bundle {summary['status']}"
        sns.publish(clients, settings.topic_arn, subject, {**summary, "summary": summary["reason"]})
    return {**summary, **_calls(clients)}


def _calls(clients: AwsClients) -> dict[str, int]:
    return {"reads": clients.calls.reads, "writes": clients.calls.writes}
