"""The notifications only the reconciler can send after an apply: `drift` (AWS changed under a model whose spec
is the one last applied; the apply put it back) and `degraded` (a change of the model failed). The pipeline sends
its own (started / succeeded / failed); the guardrail rollback's is in controller.reconcile.rollbacks.

Not drift: an endpoint sent to other model versions than the last apply left it serving. With the spec unchanged,
that is a roll-forward (a scheduled or on-demand run registered a newer version of the current config, or a
version was approved upstream of a promoted environment): the desired state moved, AWS did not.
"""

from __future__ import annotations

from controller.plan.plan import Action, Change
from controller.ports import Cloud
from controller.reconcile.executor import ApplyResult, Status
from controller.reconcile.records import by_model
from controller.reconcile.result import PlanResult
from controller.reconcile.store import ModelRecord, StateStore
from controller.resources import SPEC_DIGEST_TAG, Kind


def notify_outcomes(env: str, planned: PlanResult, result: ApplyResult, store: StateStore, cloud: Cloud) -> None:
    """`drift`: a model whose spec is the one last applied had AWS changed under it (the apply put it back);
    `degraded`: a change of the model failed. Each model's owners choose the events (notifications.on)."""
    digests = {r.model: r.tags.get(SPEC_DIGEST_TAG, "") for r in planned.desired.resources}
    for model, outcomes in by_model(result.outcomes).items():
        notify = planned.desired.notify.get(model)
        if notify is None or notify.topic is None:
            continue
        failed = [o for o in outcomes if o.status is Status.FAILED]
        updates = [o for o in outcomes if o.change.action is not Action.CREATE and o.status is Status.APPLIED]
        base = {
            "model": model,
            "env": env,
            "gitSha": planned.plan.git_sha,
            "configId": planned.desired.config_ids.get(model),
        }
        if failed and notify.wants("degraded"):
            lines = [f"{o.change.ref}: {o.message}" for o in failed]
            cloud.notify(
                notify.topic,
                f"modelctl: {model} in {env} degraded",
                {
                    **base,
                    "event": "degraded",
                    "failures": lines,
                    "summary": f"{model} in {env}: {len(failed)} change(s) failed; first: {lines[0]}",
                },
            )
        if updates and notify.wants("drift"):
            last = store.history(env, model, limit=1)
            if last and last[0].record.spec_digest == digests.get(model):
                changed = [str(o.change.ref) for o in updates if not _rolls_forward(o.change, last[0].record)]
            else:
                changed = []
            if changed:
                cloud.notify(
                    notify.topic,
                    f"modelctl: drift undone on {model} in {env}",
                    {
                        **base,
                        "event": "drift",
                        "resources": changed,
                        "summary": f"{model} in {env}: {len(changed)} resource(s) had drifted from the applied spec "
                        "and were put back",
                    },
                )


def _rolls_forward(change: Change, last: ModelRecord) -> bool:
    """An endpoint change that serves other versions than the last apply left (see the module docstring)."""
    if change.ref.kind is not Kind.ENDPOINT or change.after is None:
        return False
    wanted = {(str(v["name"]), str(v["model"])) for v in change.after.get("variants", ())}
    return wanted != {(serving.variant, serving.version) for serving in last.serving}
