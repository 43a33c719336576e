"""The reconcile orchestrator: load -> desired -> observe -> diff -> plan (apply comes next). No boto3 import.

Reads as a checklist (flux's reconcilers): each step is one call with one comment. The AWS side is reached only
through the adapter registry (`controller.aws.registry`), which the caller builds from injected clients, so the
same function serves the CLI, the reconciler Lambda and tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from controller import naming
from controller.desired.state import DesiredState, ImageResolver, ModelVersion, Registry, desired_state
from controller.errors import PlanError
from controller.pipeline.definition import encode_input, execution_input
from controller.plan.capacity import PriceTable
from controller.plan.diff import scaled_endpoint
from controller.plan.plan import Change, Plan, build_plan
from controller.ports import Cloud, ResourceOperations
from controller.reconcile import pipeline_alerts, records, rollbacks
from controller.reconcile.executor import ApplyResult, Executor
from controller.reconcile.notifications import notify_outcomes
from controller.reconcile.observe import observe
from controller.reconcile.result import PlanResult
from controller.reconcile.store import StateStore
from controller.resources import Kind, Observed, Ref, Resource
from controller.spec.catalog import Catalog

RETAINED_CONFIGS = 5  # endpoint configs kept per endpoint (SPEC.md: the last 5 versions roll back without retraining)

# Kinds an apply may delete when their spec is gone. Never the model registry (history) nor pipeline runs.
_PRUNABLE = frozenset(Kind) - {Kind.MODEL_PACKAGE_GROUP, Kind.PIPELINE_RUN, Kind.PROMOTED_VERSION}

# Kinds the desired state only declares when they are known to be absent, so there is nothing to observe:
# a promoted version is wanted only when the environment's registry (already read) lacks it.
_DECLARED_ABSENT = frozenset({Kind.PROMOTED_VERSION})


def plan_environment(
    catalog: Catalog,
    env: str,
    operations: Mapping[Kind, ResourceOperations],
    *,
    git_sha: str,
    resolve_image: ImageResolver,
    prices: PriceTable | None = None,
    now: datetime | None = None,
    poll_seconds: int = 60,
    inventory: Mapping[Ref, float] | None = None,
    rolled_back: Mapping[str, str] | None = None,
    models: Collection[str] | None = None,
) -> PlanResult:
    """What it takes to converge `env` to the specs. Reads AWS, writes nothing.

    inventory: what earlier applies made here and when (the state store's), so resources whose spec is gone are
    deleted, and endpoint configs beyond the newest RETAINED_CONFIGS of an endpoint too;
    rolled_back: endpoint -> the endpoint config a guardrail rolled back, which is not retried (held) while the
    specs still ask for exactly that config;
    models: observe and plan only these models (plus the environment's own resources), skip the others and prune
    nothing (the reconciler Lambda on a bundle that changed only these); None: every model (CLI, drift sweep)."""
    # 1. Read the model registry: `model: current` and "is a run needed" depend on the versions that exist.
    group_refs = _registry_refs(catalog, env, models)
    registry_state = observe(operations, group_refs)
    registry = _registry(registry_state)
    # 2. Compute the desired state for this environment.
    desired = desired_state(
        catalog, env, git_sha=git_sha, registry=registry, resolve_image=resolve_image, poll_seconds=poll_seconds
    )
    # 3. Hold endpoints whose wanted config a guardrail already rolled back: the same config is not retried.
    held_back = rollbacks.standing(desired, rolled_back or {})
    desired = rollbacks.hold_rolled_back(desired, rolled_back or {})
    if models is not None:
        desired = _only(desired, catalog, models)
    # 4. Observe every desired resource, and what the inventory says we made that is no longer desired.
    wanted = {r.ref for r in desired.resources}
    made = (inventory or {}) if models is None else {}
    prunable = {ref for ref in made if ref not in wanted and ref not in desired.held and ref.kind in _PRUNABLE}
    prunable -= _retained_configs(made, wanted | desired.held)
    claimed = {r.ref for r in desired.claimed}  # names wanted later: read now, so a foreign holder is a conflict
    reads = wanted | prunable | claimed
    to_read = [ref for ref in reads if ref.kind not in _DECLARED_ABSENT and ref not in registry_state]
    observed = {**registry_state, **observe(operations, to_read)}
    # 5. Read the endpoints prunable scalable targets and policies scale: those are untagged, and are theirs.
    scaled = {scaled_endpoint(observed[ref]) for ref in prunable if ref in observed}
    observed |= observe(operations, [ref for ref in scaled if ref is not None and ref not in observed])
    # 6. Read the endpoint configs endpoints serve now, when other than the wanted ones (status: who serves what).
    serving = {
        Ref(Kind.ENDPOINT_CONFIG, str(seen.properties.get("endpointConfigName")))
        for seen in observed.values()
        if seen.ref.kind is Kind.ENDPOINT
    }
    observed |= observe(operations, [ref for ref in serving if ref not in observed])
    # 7. Diff and plan.
    environment = catalog.environments[env].spec
    plan = build_plan(
        env,
        desired.resources,
        observed,
        git_sha=git_sha,
        inventory=prunable,
        claimed=desired.claimed,
        protected=environment.protected,
        prices=prices,
        now=now,
    )
    return PlanResult(plan, desired, observed, held_back)


def _retained_configs(made: Mapping[Ref, float], wanted: Collection[Ref]) -> set[Ref]:
    """The newest RETAINED_CONFIGS endpoint configs of every endpoint the specs still have: a rollback (a revert)
    finds its config, and the model it names, without retraining. Older ones are pruned (the diff still never
    deletes a config a live endpoint uses); all of them go when the endpoint's spec goes."""
    kept: set[Ref] = set()
    for endpoint in (ref.key for ref in wanted if ref.kind is Kind.ENDPOINT):
        configs = [ref for ref in made if ref.kind is Kind.ENDPOINT_CONFIG and ref.key.startswith(f"{endpoint}-")]
        kept.update(sorted(configs, key=lambda ref: made[ref], reverse=True)[:RETAINED_CONFIGS])
    return kept


def _only(desired: DesiredState, catalog: Catalog, models: Collection[str]) -> DesiredState:
    """`desired` without the resources and notes of the models not in `models` (environment-wide ones stay).
    `held` stays whole: it only keeps resources from being pruned, and nothing is pruned here."""
    skipped = set(catalog.models) - set(models)
    return replace(
        desired,
        resources=tuple(r for r in desired.resources if r.model not in skipped),
        claimed=tuple(r for r in desired.claimed if r.model not in skipped),
        notes={model: notes for model, notes in desired.notes.items() if model not in skipped},
    )


def _registry_refs(catalog: Catalog, env: str, models: Collection[str] | None) -> list[Ref]:
    """The model package groups of this environment and of its promotion source, for every model here (or for
    `models` only)."""
    promotion = catalog.environments[env].spec.promotion
    envs = [env] + ([promotion.from_env] if promotion else [])
    return [
        Ref(Kind.MODEL_PACKAGE_GROUP, naming.model_package_group(e, entry.name))
        for entry in catalog.models_in(env)
        if models is None or entry.name in models
        for e in envs
    ]


def _registry(observed: Mapping[Ref, Observed]) -> Registry:
    return {
        ref.key: tuple(ModelVersion(v["version"], v["approval"]) for v in seen.extra.get("versions", ()))
        for ref, seen in observed.items()
    }


@dataclass(frozen=True)
class ApplyOptions:
    """How one apply behaves.

    allow_delete: deletes in a protected environment go ahead; lease_seconds / wait_seconds: the environment lock's
    lease and how long to wait for another run's lock; poll_seconds: the pipelines' poll interval (execution input);
    saved_plan: a plan from `plan --out` that must still describe AWS, else apply refuses; confirm: asked with the
    plan before any write, False stops (the CLI's prompt; `--yes` and the Lambda pass one that says yes);
    after_write: called after every successful write (tests use it to crash an apply midway); models: plan only
    these models, prune nothing (see plan_environment); None: every model; record_history: store this pass's
    history row (`apply --wait` stores one row for all its passes itself, with records.apply_record)
    """

    allow_delete: bool = False
    lease_seconds: float = 300
    wait_seconds: float = 0
    poll_seconds: int = 60
    saved_plan: Plan | None = None
    confirm: Callable[[Plan], bool] = lambda plan: True
    after_write: Callable[[Change], None] | None = None
    models: Collection[str] | None = None
    record_history: bool = True


@dataclass(frozen=True)
class ApplyRun:
    """planned: the plan computed under the lock; result: the executor's outcomes (None when nothing was applied:
    no changes, or not confirmed); confirmed: False when `confirm` declined"""

    planned: PlanResult
    result: ApplyResult | None
    confirmed: bool = True


def plan_with_state(
    catalog: Catalog,
    env: str,
    operations: Mapping[Kind, ResourceOperations],
    store: StateStore,
    *,
    git_sha: str,
    resolve_image: ImageResolver,
    poll_seconds: int = 60,
    prices: PriceTable | None = None,
    models: Collection[str] | None = None,
) -> PlanResult:
    """`plan_environment` with what the state store knows: the inventory (so removed specs are pruned) and the
    guardrail rollbacks to honour. What `plan`, `status` and every apply pass compute."""
    marks = store.rolled_back(env)
    return plan_environment(
        catalog,
        env,
        operations,
        git_sha=git_sha,
        resolve_image=resolve_image,
        prices=prices,
        poll_seconds=poll_seconds,
        inventory={Ref(Kind(kind), key): when for (kind, key), when in store.created(env).items()},
        rolled_back={endpoint: mark.config_name for endpoint, mark in marks.items()},
        models=models,
    )


def apply_environment(
    catalog: Catalog,
    env: str,
    cloud: Cloud,
    store: StateStore,
    *,
    git_sha: str,
    resolve_image: ImageResolver,
    options: ApplyOptions = ApplyOptions(),
) -> ApplyRun:
    """Converge `env` to the specs: one pass of plan and apply under the environment's lock."""
    environment = catalog.environments[env].spec
    # 1. Refuse to write into the wrong account or region, whatever the credentials say.
    caller = cloud.caller()
    if (caller.account, caller.region) != (environment.account, environment.region):
        raise PlanError(
            f"{env} is account {environment.account} in {environment.region}, but the credentials are "
            f"{caller.account} in {caller.region} ({caller.arn}); nothing was changed"
        )

    # 2. Plan without the lock first: a converged environment costs reads only, not even a lock write.
    def plan_now() -> PlanResult:
        return plan_with_state(
            catalog,
            env,
            cloud.operations,
            store,
            git_sha=git_sha,
            resolve_image=resolve_image,
            poll_seconds=options.poll_seconds,
            models=options.models,
        )

    planned = plan_now()
    # 3. Announce pipeline runs that ended without their own notification (stopped, timed out), each once.
    pipeline_alerts.notify_endings(env, planned, store, cloud)
    if not planned.plan.has_changes and options.saved_plan is None and not rollbacks.new_rollbacks(planned, store, env):
        return ApplyRun(planned, None)
    # 4. One reconcile per environment at a time: take the lock, then plan again under it.
    with store.lock(env, lease_seconds=options.lease_seconds, wait_seconds=options.wait_seconds) as lock:
        planned = plan_now()
        # 5. Record guardrail rollbacks seen since the last run (and tell the owners); the endpoint is then held.
        if rollbacks.new_rollbacks(planned, store, env):
            rollbacks.note_rollbacks(env, planned, store, cloud)
            planned = plan_now()
        # 6. A saved plan must still describe AWS: applying it after AWS moved on is refused.
        if options.saved_plan is not None:
            options.saved_plan.check_fresh(planned.observed)
        if not planned.plan.has_changes:
            return ApplyRun(planned, None)
        if planned.plan.conflicts:
            problems = "; ".join(conflict.message for conflict in planned.plan.conflicts)
            raise PlanError(
                f"{len(planned.plan.conflicts)} conflict(s) with resources modelctl does not own, nothing was "
                f"changed: {problems}"
            )
        # 7. Ask before writing (the CLI prompts unless --yes).
        if not options.confirm(planned.plan):
            return ApplyRun(planned, None, confirmed=False)
        # 8. Apply wave by wave; every write first checks the lock is still ours and inventories what it creates.
        started = time.time()

        def before_write(change: Change) -> None:
            lock.check()
            records.remember_before_create(env, change, store)

        marked = set(store.rolled_back(env))
        executor = Executor(
            cloud.operations,
            before_write=before_write,
            after_write=lambda change: records.bookkeep(env, change, store, options.after_write, marked),
        )
        desired = {r.ref: r for r in planned.desired.resources}
        result = executor.apply(planned.plan, desired, planned.observed, allow_delete=options.allow_delete)
        # 9. Tell owners what only the reconciler sees: drift it undid, changes that failed.
        notify_outcomes(env, planned, result, store, cloud)
        # 10. Record what was applied (history) for `modelctl history` and rollbacks.
        if options.record_history:
            store.record_apply(records.apply_record(env, planned, result, started, store.who))
    return ApplyRun(planned, result)


def retrain_model(
    catalog: Catalog,
    env: str,
    model: str,
    cloud: Cloud,
    store: StateStore,
    *,
    git_sha: str,
    resolve_image: ImageResolver,
    poll_seconds: int = 60,
) -> str:
    """Start a new run of `model`'s current training config in `env` (after a failure, or on demand); returns its
    execution name, `<config id>-a<attempt>`, so two retrains never collide and each is visible in history."""
    promotion = catalog.environments[env].spec.promotion
    if promotion is not None:
        raise PlanError(f"{env} never trains: it serves versions promoted from {promotion.from_env}")
    with store.lock(env):
        planned = plan_environment(
            catalog, env, cloud.operations, git_sha=git_sha, resolve_image=resolve_image, poll_seconds=poll_seconds
        )
        machine = Ref(Kind.STATE_MACHINE, naming.state_machine(env, model))
        pending = [c for c in planned.plan.changes if c.model == model and c.ref.kind is not Kind.PIPELINE_RUN]
        if machine not in planned.observed or any(c.ref == machine for c in pending):
            raise PlanError(f"{model}'s pipeline in {env} is not up to date with the specs: apply first")
        config_id = planned.desired.config_ids[model]
        runs = [str(run["name"]) for run in planned.observed[machine].extra.get("executions", ())]
        if any(run["status"] == "RUNNING" for run in planned.observed[machine].extra.get("executions", ())):
            raise PlanError(f"a run of {model} is in progress in {env}; retrain after it ends")
        attempt = 1 + sum(1 for run in runs if run == config_id or run.startswith(f"{config_id}-a"))
        execution = f"{config_id}-a{attempt}"
        resource = next(r for r in planned.desired.resources if r.ref == machine)
        parameter = Ref(Kind.PARAMETER, naming.hyperparameter_parameter(env, model))
        hyperparameters = next(r for r in planned.desired.resources if r.ref == parameter).payload
        run_resource = Resource(
            Ref(Kind.PIPELINE_RUN, naming.pipeline_run(env, model, execution)),
            model,
            {"configId": config_id, "stateMachine": machine.key},
            resource.tags,
            payload={
                "input": encode_input(execution_input(config_id, git_sha, "retrain", poll_seconds)),
                "hyperparameters": {"name": parameter.key, "label": config_id, "text": hyperparameters["text"]},
            },
        )
        cloud.operations[Kind.PIPELINE_RUN].create(run_resource)
    return execution
