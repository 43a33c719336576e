"""Semantic checks on one model's merged spec for one environment: what a schema alone cannot say.

Each check reports `(path, message)` through a callback, with `path` relative to the model's `spec` (the loader
turns it into file:line and the document's field path, overlay-aware). Checks never raise and never stop early:
users get every problem in one run. Cross-document checks (names, environment references, promotion chains) live
in `controller.spec.catalog`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from zoneinfo import ZoneInfo

from controller.spec.models import Image, ModelConfig, Realtime, Training
from controller.spec.schedule import schedule_problem
from controller.spec.types import duration_seconds
from controller.spec.yamlsource import Path

Report = Callable[[Path, str], None]

_FULL_SHA = re.compile(r"[0-9a-f]{40}", re.ASCII)
_TAG = re.compile(r"v?[0-9]+(\.[0-9]+){0,3}([-+][0-9A-Za-z.-]+)?|[A-Za-z0-9._-]*[0-9][A-Za-z0-9._-]*", re.ASCII)
_BRANCHY = re.compile(r"main|master|develop|dev|trunk|head|release|staging|production|prod|latest", re.I | re.ASCII)
_PINNED_URI = re.compile(r"[^\s@]+(@sha256:[0-9a-f]{64}|:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})", re.ASCII)
_PINNED_SUFFIX = re.compile(r"[0-9a-f]{12}(-[A-Za-z0-9]+)?", re.ASCII)  # after `<model>-`: a config id, or a version id

_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"), "an AWS access key id"),
    (re.compile(r"(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9])[A-Za-z0-9/+]{40}\Z", re.ASCII), "an AWS secret access key"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b"), "a GitHub token"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\."), "a JSON web token"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"), "an API secret key"),
)
_SECRET_NAME = re.compile(r"(^|[_.-])(password|passwd|secret|token|api[_-]?key|access[_-]?key|credentials?)([_.-]|$)")


def check_model(name: str, config: ModelConfig, report: Report) -> None:
    """Run every per-model check; `name` is the model's metadata.name."""
    _check_ref(config.source.ref, report)
    _check_image(config.images.training, ("images", "training"), report)
    _check_image(config.images.inference, ("images", "inference"), report)
    _check_training(config.training, report)
    alarms = [alarm.name for alarm in config.monitoring.alarms]
    for duplicate in _duplicates(alarms):
        report(("monitoring", "alarms"), f"alarm name {duplicate!r} is declared more than once")
    if config.deployment.realtime is not None:
        _check_realtime(name, config.deployment.realtime, set(alarms), report)


def _check_ref(ref: str, report: Report) -> None:
    path = ("source", "ref")
    if _FULL_SHA.fullmatch(ref):
        return
    if re.fullmatch(r"[0-9a-fA-F]{7,39}", ref, re.ASCII):
        report(path, f"{ref!r} looks like an abbreviated commit SHA; give all 40 hex characters")
    elif "/" in ref or _BRANCHY.fullmatch(ref) or not _TAG.fullmatch(ref):
        report(path, f"{ref!r} looks like a branch name (it can move); use a full commit SHA or an immutable tag")


def _check_image(image: Image, path: Path, report: Report) -> None:
    uri = image.uri
    if uri is None:
        return
    if not _PINNED_URI.fullmatch(uri) or uri.endswith(":latest"):
        report((*path, "uri"), f"{uri!r} is not pinned; give a version tag other than latest, or an @sha256 digest")


def _check_training(training: Training, report: Report) -> None:
    if training.spot.enabled:
        if training.spot.max_wait is None:
            report(("training", "spot", "maxWait"), "required when spot is enabled (SageMaker's MaxWaitTime)")
        elif duration_seconds(training.spot.max_wait) < duration_seconds(training.max_runtime):
            report(("training", "spot", "maxWait"), f"must be at least maxRuntime ({training.max_runtime})")
    _check_hyperparameters(training, report)
    metric_names = [metric.name for metric in training.metrics]
    for duplicate in _duplicates(metric_names):
        report(("training", "metrics"), f"metric {duplicate!r} is declared more than once")
    for i, metric in enumerate(training.metrics):
        try:
            groups = re.compile(metric.regex).groups
        except re.error as exc:
            report(("training", "metrics", i, "regex"), f"not a valid regular expression: {exc}")
            continue
        if groups < 1:
            report(("training", "metrics", i, "regex"), "needs a capture group around the metric's value")
    gate = training.quality_gate
    if gate is not None and gate.metric not in metric_names:
        report(("training", "qualityGate", "metric"), f"{gate.metric!r} is not declared in training.metrics")
    schedule = training.schedule
    if schedule is not None:
        problem = schedule_problem(schedule.expression)
        if problem:
            report(("training", "schedule", "expression"), problem)
        if not _valid_timezone(schedule.timezone):
            report(("training", "schedule", "timezone"), f"{schedule.timezone!r} is not an IANA time zone")
    retrain = training.retrain_on_new_data
    if retrain is not None and retrain.channel not in training.inputs:
        report(("training", "retrainOnNewData", "channel"), f"{retrain.channel!r} is not a channel in inputs")


def _check_hyperparameters(training: Training, report: Report) -> None:
    for key, value in training.hyperparameters.items():
        text = str(value)
        what = next((label for pattern, label in _SECRETS if pattern.search(text)), None)
        if what is None and isinstance(value, str) and len(text) >= 8 and _SECRET_NAME.search(key.lower()):
            what = "a secret (by its name)"
        if what is not None:
            report(
                ("training", "hyperparameters", key),
                f"looks like {what}: committed secrets are refused; store it in SSM Parameter Store as a "
                "SecureString and have the training code read it",
            )


def _check_realtime(model: str, realtime: Realtime, alarms: set[str], report: Report) -> None:
    variants = realtime.variants
    for duplicate in _duplicates([v.name for v in variants]):
        report(("deployment", "realtime", "variants"), f"variant name {duplicate!r} is used more than once")
    if all(v.weight == 0 for v in variants):
        report(("deployment", "realtime", "variants"), "weights are all zero: no variant would receive traffic")
    for i, variant in enumerate(variants):
        pinned = variant.model.startswith(f"{model}-") and _PINNED_SUFFIX.fullmatch(variant.model[len(model) + 1 :])
        if variant.model != "current" and not pinned:
            report(
                ("deployment", "realtime", "variants", i, "model"),
                f"must be `current`, a training config id ({model}-<12 hex>) or a model version id "
                f"({model}-<12 hex>-<run>), as `modelctl history` prints",
            )
    scaling = realtime.autoscaling
    if scaling is not None:
        if scaling.min > scaling.max:
            report(("deployment", "realtime", "autoscaling", "min"), f"min {scaling.min} is above max {scaling.max}")
        for i, variant in enumerate(variants):
            if not scaling.min <= variant.instance_count <= scaling.max:
                report(
                    ("deployment", "realtime", "variants", i, "instanceCount"),
                    f"{variant.instance_count} is outside the autoscaling bounds {scaling.min}..{scaling.max}",
                )
    rollout = realtime.rollout
    if rollout.canary_percent is not None and rollout.strategy != "canary":
        report(("deployment", "realtime", "rollout", "canaryPercent"), "only applies to strategy: canary")
    if rollout.step_percent is not None and rollout.strategy != "linear":
        report(("deployment", "realtime", "rollout", "stepPercent"), "only applies to strategy: linear")
    for i, alarm in enumerate(rollout.rollback_on_alarms):
        if alarm not in alarms:
            report(
                ("deployment", "realtime", "rollout", "rollbackOnAlarms", i),
                f"alarm {alarm!r} is not declared in monitoring.alarms",
            )


def _valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, LookupError):
        return False
    return True


def _duplicates(names: list[str]) -> list[str]:
    return sorted(name for name, count in Counter(names).items() if count > 1)
