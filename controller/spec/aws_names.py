"""The AWS names the controller composes (controller.naming), checked before anything is sent.

For every model in every environment it lives in, the names the controller would send are computed with the same
functions the controller uses: state machine, endpoint, endpoint config, model package group, training job /
model / transform job (the version id, `<config id>-<run>`), CodeBuild projects, schedule, CloudWatch alarms (one
per alarm and variant), scaling policies, SSM parameters. Each is held to its botocore shape's length and pattern
(fullmatch, ASCII), and every name must be unique per kind within an account and region: the `-` that joins model,
environment, alarm and variant names makes `churn` in `prod-eu` and `churn-prod` in `eu` the same endpoint, and
alarm `errors-5xx` on variant `a` the same alarm as `errors` on variant `5xx-a`.

Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache

from controller import naming
from controller.errors import Diagnostic
from controller.spec.aws_limits import Bound, limits
from controller.spec.catalog import Catalog, ModelEntry
from controller.spec.models import ModelConfig
from controller.spec.yamlsource import Path, format_path

_RUN_ID = "20261125T030007Z"  # the run id's shape (controller.pipeline): ISO 8601 basic, 16 characters
_DIGEST = "0" * 64


# One AWS name: (kind (a key of aws_limits' names), the name, its owner (see `owner_text`), where in the model's
# merged config the owner is declared, the container the name is unique in besides the account and region (a
# schedule group) or ""). Plain tuples: validate makes ~50 per model.
Composed = tuple[str, str, tuple[str, ...], Path, str]


def owner_text(owner: tuple[str, ...]) -> str:
    """("m", "e", "v", "a") -> "alarm a on variant v of model m in environment e"."""
    text = f"model {owner[0]} in environment {owner[1]}"
    if len(owner) > 2:
        text = f"variant {owner[2]} of {text}"
    if len(owner) > 3:
        text = f"alarm {owner[3]} on {text}"
    return text


def composed_names(model: str, env: str, config: ModelConfig) -> Iterator[Composed]:
    """Every name the controller sends for `model` in `env` (see the module docstring)."""
    owner = (model, env)
    meta: Path = ()
    endpoint = naming.endpoint(env, model)
    yield ("stateMachine", naming.state_machine(env, model), owner, meta, "")
    yield ("modelPackageGroup", naming.model_package_group(env, model), owner, meta, "")
    yield ("trainingJob", f"{model}-{'0' * 12}-{_RUN_ID}", owner, meta, "")
    yield ("model", f"{model}-{'0' * 12}-{_RUN_ID}", owner, meta, "")
    group, schedule = naming.schedule(env, model).split("/", 1)
    yield ("schedule", schedule, owner, meta, group)
    yield ("scheduleGroup", naming.schedule_group(env), owner, meta, "")
    yield ("ssmParameter", naming.hyperparameter_parameter(env, model), owner, meta, "")
    yield ("ssmParameter", naming.training_config_parameter(env, model), owner, meta, "")
    for role in ("training", "inference"):
        if getattr(config.images, role).build is not None:
            project = naming.image_build_project(env, model, role)
            yield ("codebuildProject", project, owner, ("images", role, "build"), "")
    if config.deployment.batch is not None:
        yield ("transformJob", f"{model}-{'0' * 12}-{_RUN_ID}", owner, ("deployment", "batch"), "")
    realtime = config.deployment.realtime
    if realtime is None:
        return
    yield ("endpoint", endpoint, owner, ("deployment", "realtime"), "")
    yield ("endpointConfig", naming.endpoint_config(env, model, _DIGEST), owner, ("deployment", "realtime"), "")
    for i, variant in enumerate(realtime.variants):
        variant_owner = (model, env, variant.name)
        where: Path = ("deployment", "realtime", "variants", i, "name")
        yield ("variant", variant.name, variant_owner, where, "")
        if realtime.autoscaling is not None:
            yield ("scalingPolicy", naming.scaling_policy(endpoint, variant.name), variant_owner, where, "")
        for j, alarm in enumerate(config.monitoring.alarms):
            alarm_owner = (model, env, variant.name, alarm.name)
            name = naming.alarm(endpoint, f"{alarm.name}-{variant.name}")
            yield ("alarm", name, alarm_owner, ("monitoring", "alarms", j, "name"), "")


@cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    if "\\p" in pattern:
        return None  # a Unicode property class: Python's re has none; the names composed here are ASCII anyway
    return re.compile(pattern, re.ASCII)


def name_problem(composed: Composed, bound: Bound) -> str | None:
    kind, name, owner_parts = composed[0], composed[1], composed[2]
    if not bound.min <= len(name) <= bound.max:
        return (
            f"the {kind} name {name!r} of {owner_text(owner_parts)} is {len(name)} characters; AWS allows "
            f"{bound.min}-{bound.max} ({bound.shape})"
        )
    compiled = _pattern(bound.pattern) if bound.pattern else None
    if compiled is not None and not compiled.fullmatch(name):
        owner = owner_text(owner_parts)
        return f"the {kind} name {name!r} of {owner} does not match {bound.pattern!r} ({bound.shape})"
    return None


# Names shared on purpose (one schedule group per environment) or made unique by what validate cannot know yet
# (the training config's digest, the run's time): held to their length and pattern only.
_NOT_UNIQUE = frozenset({"variant", "scheduleGroup", "trainingJob", "model", "transformJob", "endpointConfig"})


@cache
def _rules() -> dict[str, tuple[int, int, re.Pattern[str] | None]]:
    """kind -> (min length, max length, compiled pattern), built once."""
    return {
        kind: (bound.min, bound.max, _pattern(bound.pattern) if bound.pattern else None)
        for kind, bound in limits().names.items()
    }


def check_names(catalog: Catalog, problems: list[Diagnostic]) -> None:
    """Append a Diagnostic per composed name AWS would refuse, and per name two owners would both claim."""
    table, rules = limits(), _rules()
    claimed: dict[tuple[str, str, str, str, str], tuple[Composed, ModelEntry, str]] = {}
    for entry in sorted(catalog.models.values(), key=lambda e: (e.document.file, e.document.line)):
        for env_name, config in sorted(entry.configs.items()):
            environment = catalog.environments.get(env_name)
            if environment is None:
                continue
            scope = (environment.spec.account, environment.spec.region)
            to_document = entry.locate(env_name)
            for composed in composed_names(entry.name, env_name, config):
                kind, name, owner, path, within = composed
                low, high, pattern = rules[kind]
                if not low <= len(name) <= high or (pattern is not None and not pattern.fullmatch(name)):
                    problem = name_problem(composed, table.names[kind]) or "not a valid AWS name"
                    problems.append(_at(entry, _where(to_document, path), problem))
                if kind in _NOT_UNIQUE:
                    continue
                first = claimed.setdefault((*scope, kind, within, name), (composed, entry, env_name))
                if first[0] is not composed and first[0][2] != owner:
                    other, other_entry, other_env = first
                    line = other_entry.document.line_of(_where(other_entry.locate(other_env), other[3]))
                    problems.append(
                        _at(
                            entry,
                            _where(to_document, path),
                            f"the {kind} name {name!r} of {owner_text(owner)} is also the name of "
                            f"{owner_text(other[2])} ({other_entry.document.file}:{line}); rename one of them",
                        )
                    )


def _where(to_document: Callable[[Path], Path], path: Path) -> Path:
    """The document path of a composed name's owner; the model's name for names owned by the model as a whole."""
    return to_document(path) if path else ("metadata", "name")


def _at(entry: ModelEntry, path: Path, message: str) -> Diagnostic:
    return Diagnostic(entry.document.file, entry.document.line_of(path), format_path(path), message)
