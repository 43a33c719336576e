"""What AWS refuses, refused by `validate` first: each environment and each model's config in each environment,
held to AWS's limits (controller.spec.aws_limits, generated from botocore) and to safe strings (safe_text).

Per environment: a region where SageMaker is offered (botocore's partition data), the execution role in the
environment's account and partition, the artifact bucket's name (S3 naming rules), its tags.
Per model and environment it lives in:
- hyperparameters: count, key and value lengths (sagemaker HyperParameters / HyperParameterKey /
  HyperParameterValue), and the size of the two SSM parameters the controller writes (hyperparameters, training
  config), each at most a standard parameter's 4 KB;
- tags: the environment's tags and the model's labels together with the controller's own modelctl:* tags within
  the strictest per-resource limit of the services tagged (50); keys and values within every tagging service's
  lengths and characters; the reserved prefixes `aws:` and `modelctl:` refused;
- rollout: bake within SageMaker's WaitIntervalInSeconds, a linear rollout's whole duration within
  MaximumExecutionTimeoutInSeconds, rollback alarms within AlarmList; alarms: Period x EvaluationPeriods within
  CloudWatch's window (PutMetricAlarm);
- instance types by use (TrainingInstanceType, ProductionVariantInstanceType, TransformInstanceType);
- images in Amazon ECR in the environment's region; the source repository an https/ssh Git URL; buildspecs and
  build contexts relative paths inside it; every S3 bucket named by the S3 rules.

Runs once the catalog is built. Pure; no AWS call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from controller.errors import Diagnostic
from controller.spec.aws_limits import (
    ALARM_SHORT_PERIOD_SECONDS,
    ALARM_SHORT_WINDOW_SECONDS,
    ALARM_WINDOW_SECONDS,
    OWN_TAG_COUNT,
    RESERVED_TAG_PREFIXES,
    SSM_STANDARD_VALUE_BYTES,
    Limits,
    limits,
    tag_character_ok,
)
from controller.spec.catalog import Catalog
from controller.spec.identity import hyperparameter_string, training_identity
from controller.spec.models import EnvironmentBody, ModelConfig
from controller.spec.safe_text import bucket_problem, git_url_problem, repo_path_problem, s3_bucket_of
from controller.spec.yamlsource import Document, Path, format_path

Report = Callable[[Path, str], None]

_ROLE_ARN = re.compile(r"arn:(aws[a-z-]*):iam::([0-9]{12}):role/[A-Za-z0-9_+=,.@/-]+", re.ASCII)
_ECR_HOST = re.compile(r"([0-9]{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.([a-z0-9.-]+)", re.ASCII)
_AWS_IMAGE_MAX = 255  # sagemaker AlgorithmImage / ContainerImage
_PLACEHOLDER_IMAGE = "x" * _AWS_IMAGE_MAX  # a framework image is resolved at bundle time: assume the longest


def check_aws(catalog: Catalog, problems: list[Diagnostic]) -> None:
    """Append a Diagnostic for everything in `catalog` AWS would refuse (see the module docstring)."""
    table = limits()
    for name, environment in catalog.environments.items():
        document = catalog.environment_documents[name]
        _check_environment(environment.spec, table, _reporter(problems, document, lambda p: ("spec", *p)))
    for entry in catalog.models.values():
        labels = entry.spec.metadata.labels
        label_report = _reporter(problems, entry.document, lambda p: ("metadata", "labels", *p))
        _check_tags(labels, table, label_report, what="label")
        checked: set[int] = set()  # environments with an empty overlay share one config object: check it once
        for env_name, config in entry.configs.items():
            home = catalog.environments.get(env_name)
            if home is None:
                continue  # reported by check_catalog
            report = _reporter(problems, entry.document, entry.locate(env_name))
            if id(config) not in checked:
                checked.add(id(config))
                _check_config(entry.name, config, table, report)
            for role in ("training", "inference"):
                _check_image_uri(getattr(config.images, role).uri, ("images", role, "uri"), home.spec, table, report)
            tags = {**home.spec.tags, **labels}
            if len(tags) + OWN_TAG_COUNT > table.tag_count.max:
                label_report(
                    (),
                    f"{len(tags)} tags from the environment {env_name!r} and the labels, plus modelctl's own "
                    f"{OWN_TAG_COUNT}, exceed AWS's {table.tag_count.max} tags per resource "
                    f"({table.tag_count.shape}); at most {table.tag_count.max - OWN_TAG_COUNT} are yours",
                )


def _reporter(problems: list[Diagnostic], document: Document, to_document: Callable[[Path], Path]) -> Report:
    def report(path: Path, message: str) -> None:
        where = to_document(path)
        problems.append(Diagnostic(document.file, document.line_of(where), format_path(where), message))

    return report


# --- environments ------------------------------------------------------------------------------------------------


def _check_environment(env: EnvironmentBody, table: Limits, report: Report) -> None:
    partition = table.regions.get(env.region)
    if partition is None:
        report(("region",), f"{env.region!r} is not a region where SageMaker is offered (botocore's endpoints data)")
    role = _ROLE_ARN.fullmatch(env.execution_role_arn)
    if role is not None:
        if role.group(2) != env.account:
            report(
                ("executionRoleArn",),
                f"the role is in account {role.group(2)}, not the environment's account {env.account}",
            )
        if partition is not None and role.group(1) != partition:
            report(("executionRoleArn",), f"the role's partition {role.group(1)!r} is not {env.region}'s {partition!r}")
    problem = bucket_problem(env.artifact_bucket)
    if problem:
        report(("artifactBucket",), problem)
    _check_tags(env.tags, table, lambda path, message: report(("tags", *path), message), what="tag")


def _check_tags(tags: dict[str, str], table: Limits, report: Report, *, what: str) -> None:
    key_bound, value_bound = table.tag_key, table.tag_value
    for key, value in tags.items():
        lowered = key.lower()
        reserved = next((prefix for prefix in RESERVED_TAG_PREFIXES if lowered.startswith(prefix)), None)
        if reserved:
            owner = "AWS" if reserved == "aws:" else "modelctl (its ownership tags)"
            report((key,), f"{what} key prefix {reserved!r} is reserved for {owner}")
        elif len(key) > key_bound.max:
            report((key,), f"{what} key is {len(key)} characters; at most {key_bound.max} ({key_bound.shape})")
        elif not all(tag_character_ok(c) for c in key):
            report((key,), f"{what} key may hold letters, digits, spaces and _ . : / = + - @ only")
        if not key_bound.min <= len(key):
            report((key,), f"{what} key must not be empty")
        if len(value) > value_bound.max:
            report((key,), f"{what} value is {len(value)} characters; at most {value_bound.max} ({value_bound.shape})")
        elif len(value) < value_bound.min:
            report((key,), f"{what} value must not be empty ({value_bound.shape} needs {value_bound.min})")
        elif not all(tag_character_ok(c) for c in value):
            report((key,), f"{what} value may hold letters, digits, spaces and _ . : / = + - @ only")


# --- models -------------------------------------------------------------------------------------------------------


def _check_config(name: str, config: ModelConfig, table: Limits, report: Report) -> None:
    """The checks that depend on the config alone (not on the environment's account or region)."""
    problem = git_url_problem(config.source.repo)
    if problem:
        report(("source", "repo"), problem)
    for role in ("training", "inference"):
        build = getattr(config.images, role).build
        if build is not None:
            for field, what in (("buildspec", "buildspec"), ("context", "build context")):
                problem = repo_path_problem(getattr(build, field), what)
                if problem:
                    report(("images", role, "build", field), problem)
    _check_hyperparameters(name, config, table, report)
    _check_instance_types(config, table, report)
    for path, uri in _s3_uris(config):
        problem = bucket_problem(s3_bucket_of(uri))
        if problem:
            report(path, problem)
    _check_rollout(config, table, report)
    for i, alarm in enumerate(config.monitoring.alarms):
        period = alarm.period_minutes * 60
        window = period * alarm.evaluation_periods
        limit = ALARM_SHORT_WINDOW_SECONDS if period < ALARM_SHORT_PERIOD_SECONDS else ALARM_WINDOW_SECONDS
        if window > limit:
            report(
                ("monitoring", "alarms", i, "evaluationPeriods"),
                f"periodMinutes x evaluationPeriods is {window} s; CloudWatch allows at most {limit} s "
                f"({'one day' if limit == ALARM_SHORT_WINDOW_SECONDS else 'seven days'}"
                f"{' for periods under an hour' if limit == ALARM_SHORT_WINDOW_SECONDS else ''}, PutMetricAlarm)",
            )


def _check_image_uri(uri: str | None, path: Path, env: EnvironmentBody, table: Limits, report: Report) -> None:
    if uri is None:
        return
    if len(uri) > _AWS_IMAGE_MAX:
        report(path, f"is {len(uri)} characters; SageMaker takes image URIs of at most {_AWS_IMAGE_MAX}")
    host = _ECR_HOST.fullmatch(uri.split("/", 1)[0])
    partition = table.regions.get(env.region)
    suffix = table.dns_suffixes.get(partition or "", "amazonaws.com")
    if host is None:
        report(
            path,
            f"SageMaker pulls images from Amazon ECR: give <account>.dkr.ecr.{env.region}.{suffix}/<repository>:<tag>",
        )
    elif host.group(3) != env.region or host.group(4) != suffix:
        report(
            path,
            f"the image is in {host.group(3)}, not the environment's region {env.region} "
            f"(SageMaker pulls from ECR in its own region: {host.group(1)}.dkr.ecr.{env.region}.{suffix})",
        )


def _check_hyperparameters(name: str, config: ModelConfig, table: Limits, report: Report) -> None:
    hyperparameters = config.training.hyperparameters
    path: Path = ("training", "hyperparameters")
    if len(hyperparameters) > table.hyperparameter_count.max:
        report(
            path,
            f"{len(hyperparameters)} hyperparameters; SageMaker takes at most {table.hyperparameter_count.max} "
            f"({table.hyperparameter_count.shape})",
        )
    as_sent = {key: hyperparameter_string(value) for key, value in sorted(hyperparameters.items())}
    for key, text in as_sent.items():
        if not 1 <= len(key) <= table.hyperparameter_key.max:
            report(
                (*path, key),
                f"key must be 1 to {table.hyperparameter_key.max} characters ({table.hyperparameter_key.shape})",
            )
        if len(text) > table.hyperparameter_value.max:
            report(
                (*path, key),
                f"value is {len(text)} characters; SageMaker takes at most {table.hyperparameter_value.max} "
                f"({table.hyperparameter_value.shape})",
            )
    size = len(ssm_text(as_sent).encode("utf-8"))
    if size > SSM_STANDARD_VALUE_BYTES:
        report(
            path,
            f"the hyperparameters as the controller stores them in SSM Parameter Store are {size} bytes; "
            f"a standard parameter holds at most {SSM_STANDARD_VALUE_BYTES}",
        )
        return
    if size + _identity_bound(config) <= SSM_STANDARD_VALUE_BYTES:
        return  # the training config cannot reach the limit either; skip building it (validate's hot path)
    image = config.images.training
    identity_image = (
        f"build:{image.build.buildspec}:{image.build.context}" if image.build else image.uri or _PLACEHOLDER_IMAGE
    )
    identity = {"configId": f"{name}-{'0' * 12}", "identity": training_identity(config, identity_image)}
    size = len(ssm_text(identity).encode("utf-8"))
    if size > SSM_STANDARD_VALUE_BYTES:
        report(
            ("training",),
            f"the training config the controller stores in SSM Parameter Store would be up to {size} bytes; "
            f"a standard parameter holds at most {SSM_STANDARD_VALUE_BYTES} (shorten hyperparameters or metrics)",
        )


def _identity_bound(config: ModelConfig) -> int:
    """An upper bound of what the training config parameter holds besides the hyperparameters: keys and numbers
    (1024 bytes, plus 64 per channel and metric), and each string's characters at 2 JSON bytes each if ASCII (`\\"`),
    else 12 (a surrogate pair as `\\uXXXX\\uXXXX`)."""
    training = config.training
    texts = [config.source.repo, config.source.ref, training.output_path or "", training.data_version or ""]
    texts += [_PLACEHOLDER_IMAGE, training.quality_gate.metric if training.quality_gate else ""]
    texts += [f"{name}{channel.uri}{channel.content_type or ''}" for name, channel in training.inputs.items()]
    texts += [f"{metric.name}{metric.regex}" for metric in training.metrics]
    image = config.images.training
    if image.build is not None:
        texts += [image.build.buildspec, image.build.context]
    strings = sum(len(text) * (2 if text.isascii() else 12) for text in texts)
    return 1024 + 64 * (len(training.inputs) + len(training.metrics)) + strings


def ssm_text(value: Any) -> str:
    """Exactly how the controller serialises an SSM parameter's value (controller.desired `_json`)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _check_instance_types(config: ModelConfig, table: Limits, report: Report) -> None:
    wanted: list[tuple[Path, str, str]] = [(("training", "instanceType"), config.training.instance_type, "training")]
    realtime, batch = config.deployment.realtime, config.deployment.batch
    if realtime is not None:
        for i, variant in enumerate(realtime.variants):
            wanted.append((("deployment", "realtime", "variants", i, "instanceType"), variant.instance_type, "hosting"))
    if batch is not None:
        wanted.append((("deployment", "batch", "instanceType"), batch.instance_type, "transform"))
    for path, instance_type, use in wanted:
        if instance_type not in table.instance_types[use]:
            report(
                path,
                f"{instance_type!r} is not a SageMaker {use} instance type ({table.instance_type_shapes[use]})",
            )


def _s3_uris(config: ModelConfig) -> Iterator[tuple[Path, str]]:
    for channel, spec in config.training.inputs.items():
        yield ("training", "inputs", channel, "uri"), spec.uri
    if config.training.output_path:
        yield ("training", "outputPath"), config.training.output_path
    batch = config.deployment.batch
    if batch is not None:
        yield ("deployment", "batch", "input"), batch.input
        yield ("deployment", "batch", "output"), batch.output


def _check_rollout(config: ModelConfig, table: Limits, report: Report) -> None:
    realtime = config.deployment.realtime
    if realtime is None:
        return
    rollout = realtime.rollout
    path: Path = ("deployment", "realtime", "rollout")
    wait = rollout.bake_minutes * 60
    if wait > table.wait_interval.max:
        report(
            (*path, "bakeMinutes"),
            f"{rollout.bake_minutes} minutes is beyond SageMaker's {table.wait_interval.max // 60}-minute bake "
            f"({table.wait_interval.shape} {table.wait_interval.min}-{table.wait_interval.max} s)",
        )
    elif rollout.strategy == "linear":
        step = rollout.step_percent or 20
        total = -(-100 // step) * wait
        if total > table.maximum_execution_timeout.max:
            report(
                (*path, "bakeMinutes"),
                f"{-(-100 // step)} linear steps of {rollout.bake_minutes} minutes take {total} s; a SageMaker "
                f"deployment lasts at most {table.maximum_execution_timeout.max} s "
                f"({table.maximum_execution_timeout.shape})",
            )
    alarms = len(set(rollout.rollback_on_alarms)) * len(realtime.variants)
    if alarms > table.rollback_alarms.max:
        report(
            (*path, "rollbackOnAlarms"),
            f"{alarms} CloudWatch alarms (one per alarm and variant) to roll back on; SageMaker takes at most "
            f"{table.rollback_alarms.max} ({table.rollback_alarms.shape})",
        )
