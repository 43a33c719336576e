"""The AWS names the controller composes (controller.naming), checked before anything is sent.

For every model in every environment it lives in, the names the controller would send are computed with the same
functions the controller uses: state machine, endpoint, endpoint config, model package group, training job /
model / transform job (the version id, `<config id>-<run>`), CodeBuild projects, schedule, CloudWatch alarms (one
per alarm and variant), scaling policies, SSM parameters. Each is held to its botocore shape's length and pattern
(fullmatch, ASCII), and every name must be unique per kind within an account and region: the `-` that joins model,
environment, alarm and variant names makes `churn` in `prod-eu` and `churn-prod` in `eu` the same endpoint, and
alarm `errors-5xx` on variant `a` the same alarm as `errors` on variant `5xx-a`.

Called by `controller.spec.loader`; pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from controller import naming
from controller.errors import Diagnostic
from controller.spec.aws_limits import Bound, limits
from controller.spec.catalog import Catalog, ModelEntry
from controller.spec.models import ModelConfig
from controller.spec.yamlsource import Path, format_path

_RUN_ID = "20261125T030007Z"  # the run id's shape (controller.pipeline): ISO 8601 basic, 16 characters
_DIGEST = "0" * 64


@dataclass(frozen=True)
class Composed:
    """One AWS name: its kind (a key of aws_limits' names), the name, and who it belongs to."""

    kind: str
    name: str
    owner: str  # "model m in environment e", "alarm a on variant v of model m in environment e"
    path: Path  # where in the model's merged config (relative to spec) the owner is declared
    within: str = ""  # the container the name is unique in, besides the account and region (a schedule group)


def composed_names(model: str, env: str, config: ModelConfig) -> Iterator[Composed]:
    """Every name the controller sends for `model` in `env` (see the module docstring)."""
    owner = f"model {model} in environment {env}"
    meta: Path = ()
    endpoint = naming.endpoint(env, model)
    yield Composed("stateMachine", naming.state_machine(env, model), owner, meta)
    yield Composed("modelPackageGroup", naming.model_package_group(env, model), owner, meta)
    yield Composed("trainingJob", f"{model}-{'0' * 12}-{_RUN_ID}", owner, meta)
    yield Composed("model", f"{model}-{'0' * 12}-{_RUN_ID}", owner, meta)
    group, schedule = naming.schedule(env, model).split("/", 1)
    yield Composed("schedule", schedule, owner, meta, within=group)
    yield Composed("scheduleGroup", naming.schedule_group(env), owner, meta)
    yield Composed("ssmParameter", naming.hyperparameter_parameter(env, model), owner, meta)
    yield Composed("ssmParameter", naming.training_config_parameter(env, model), owner, meta)
    for role in ("training", "inference"):
        if getattr(config.images, role).build is not None:
            project = naming.image_build_project(env, model, role)
            yield Composed("codebuildProject", project, owner, ("images", role, "build"))
    if config.deployment.batch is not None:
        yield Composed("transformJob", f"{model}-{'0' * 12}-{_RUN_ID}", owner, ("deployment", "batch"))
    realtime = config.deployment.realtime
    if realtime is None:
        return
    yield Composed("endpoint", endpoint, owner, ("deployment", "realtime"))
    yield Composed("endpointConfig", naming.endpoint_config(env, model, _DIGEST), owner, ("deployment", "realtime"))
    for i, variant in enumerate(realtime.variants):
        variant_owner = f"variant {variant.name} of {owner}"
        where: Path = ("deployment", "realtime", "variants", i, "name")
        yield Composed("variant", variant.name, variant_owner, where)
        if realtime.autoscaling is not None:
            yield Composed("scalingPolicy", naming.scaling_policy(endpoint, variant.name), variant_owner, where)
        for j, alarm in enumerate(config.monitoring.alarms):
            alarm_owner = f"alarm {alarm.name} on variant {variant.name} of {owner}"
            name = naming.alarm(endpoint, f"{alarm.name}-{variant.name}")
            yield Composed("alarm", name, alarm_owner, ("monitoring", "alarms", j, "name"))


@cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    if "\\p" in pattern:
        return None  # a Unicode property class: Python's re has none; the names composed here are ASCII anyway
    return re.compile(pattern, re.ASCII)


def name_problem(composed: Composed, bound: Bound) -> str | None:
    name = composed.name
    if not bound.min <= len(name) <= bound.max:
        return (
            f"the {composed.kind} name {name!r} of {composed.owner} is {len(name)} characters; AWS allows "
            f"{bound.min}-{bound.max} ({bound.shape})"
        )
    compiled = _pattern(bound.pattern) if bound.pattern else None
    if compiled is not None and not compiled.fullmatch(name):
        return f"the {composed.kind} name {name!r} of {composed.owner} does not match {bound.pattern!r} ({bound.shape})"
    return None


# Names shared on purpose (one schedule group per environment) or made unique by what validate cannot know yet
# (the training config's digest, the run's time): held to their length and pattern only.
_NOT_UNIQUE = frozenset({"variant", "scheduleGroup", "trainingJob", "model", "transformJob", "endpointConfig"})


def check_names(catalog: Catalog, problems: list[Diagnostic]) -> None:
    """Append a Diagnostic per composed name AWS would refuse, and per name two owners would both claim."""
    table = limits()
    claimed: dict[tuple[str, str, str, str, str], tuple[Composed, ModelEntry, str]] = {}
    for entry in sorted(catalog.models.values(), key=lambda e: (e.document.file, e.document.line)):
        for env_name, config in sorted(entry.configs.items()):
            environment = catalog.environments.get(env_name)
            if environment is None:
                continue
            scope = (environment.spec.account, environment.spec.region)
            to_document = entry.locate(env_name)
            for composed in composed_names(entry.name, env_name, config):
                bound = table.names[composed.kind]
                here = to_document(composed.path) if composed.path else ("metadata", "name")
                problem = name_problem(composed, bound)
                if problem:
                    problems.append(_at(entry, here, problem))
                if composed.kind in _NOT_UNIQUE:
                    continue
                key = (*scope, composed.kind, composed.within, composed.name)
                first = claimed.setdefault(key, (composed, entry, env_name))
                if first[0] is not composed and first[0].owner != composed.owner:
                    other, other_entry, other_env = first
                    where = other_entry.locate(other_env)(other.path) if other.path else ("metadata", "name")
                    problems.append(
                        _at(
                            entry,
                            here,
                            f"the {composed.kind} name {composed.name!r} of {composed.owner} is also the name of "
                            f"{other.owner} ({other_entry.document.file}:{other_entry.document.line_of(where)}); "
                            "rename one of them",
                        )
                    )


def _at(entry: ModelEntry, path: Path, message: str) -> Diagnostic:
    return Diagnostic(entry.document.file, entry.document.line_of(path), format_path(path), message)
