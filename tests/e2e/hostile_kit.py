"""Helpers of tests/e2e/test_hostile_inputs.py: the bad-input corpus as spec folders and as bundles an attacker
who bypassed CI would upload, a tripwire on every way a command reaches AWS, and exact snapshots of resources
modelctl does not own.

The corpus and what each case must report live in tests/unit (corpus/ and EXPECTED in test_validate_corpus.py);
they are read from there, so the three entry points (validate, plan, the Lambda) are held to one expectation.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from botocore.endpoint import Endpoint

from controller.aws import connect as connect_module
from controller.aws.session import AwsClients
from controller.cli import session as aws_context
from controller.desired.bundle import build_bundle
from controller.local import bootstrap, emulator
from controller.spec.identity import digest
from controller.spec.loader import load_files
from controller.spec.yamlsource import load_documents

CORPUS = Path(__file__).resolve().parents[1] / "unit" / "corpus"
ENVIRONMENT = CORPUS / "environment.yaml.txt"
VALID_MODEL = CORPUS / "valid-model.yaml.txt"
# Cases whose mistake exists only in the YAML text (encoding, syntax, aliases, duplicate keys, an unquoted date):
# a bundle carries JSON data, so an attacker's bundle cannot contain them.
YAML_TEXT_ONLY = frozenset(
    {
        "alias-bomb",
        "binary-junk",
        "custom-tag",
        "duplicate-key",
        "not-utf8",
        "recursive-alias",
        "syntax-error",
        "unquoted-date",
        # a hyperparameter YAML 1.1 reads as other than its text (issue 13): the bundle carries the value, valid
        "hp-float-text",
        "hp-hex",
        "hp-octal",
        "hp-sexagesimal",
        "hp-yes",
    }
)

Expectation = tuple[int, str, str]  # line, field path ("" for the whole document), message fragment


def corpus_expectations() -> dict[str, Expectation]:
    """EXPECTED of tests/unit/test_validate_corpus.py (loaded from its file: test folders are not packages)."""
    spec = importlib.util.spec_from_file_location("corpus_expectations", CORPUS.parent / "test_validate_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.EXPECTED)


def corpus_specs(folder: Path, case: str) -> Path:
    """A specs folder holding the corpus environment and the case, as a user's repository would."""
    folder.mkdir()
    shutil.copyfile(ENVIRONMENT, folder / "environment.yaml")
    shutil.copyfile(CORPUS / f"{case}.yaml", folder / f"{case}.yaml")
    return folder


def diagnostic_prefix(file: str, line: int, path: str) -> str:
    """How a Diagnostic starts: `file:line: path: ` (no path part for a whole-document problem)."""
    return f"{file}:{line}: {path}: " if path else f"{file}:{line}: "


@contextmanager
def aws_tripwire() -> Iterator[list[str]]:
    """Record every way out to AWS while active: a Session made (controller.aws.connect, as imported by
    controller.cli.session), a boto3 client made by AwsClients, the emulator looked up or started, its
    prerequisites created, and any HTTP request botocore sends from this thread. Calls pass through, so the
    same tripwire shows that a valid spec does reach AWS."""
    attempts: list[str] = []
    test_thread = threading.get_ident()

    def recording(what: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            attempts.append(what)
            return original(*args, **kwargs)

        return call

    send = Endpoint.make_request

    def make_request(self: Endpoint, operation_model: Any, request_dict: Any) -> Any:
        if threading.get_ident() == test_thread:  # not the emulator's own threads (its Step Functions runs)
            attempts.append(f"http {operation_model.service_model.service_name}.{operation_model.name}")
        return send(self, operation_model, request_dict)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connect_module, "connect", recording("connect", connect_module.connect))
        patch.setattr(aws_context, "connect", recording("connect", aws_context.connect))
        patch.setattr(AwsClients, "_make", recording("client", AwsClients._make))
        patch.setattr(emulator, "ensure_emulator", recording("ensure_emulator", emulator.ensure_emulator))
        patch.setattr(
            bootstrap, "ensure_prerequisites", recording("ensure_prerequisites", bootstrap.ensure_prerequisites)
        )
        patch.setattr(Endpoint, "make_request", make_request)
        yield attempts


def _no_framework_images(*args: Any) -> str:
    raise AssertionError("the corpus uses pinned images only")


def valid_bundle(git_sha: str) -> dict[str, Any]:
    """The bundle `modelctl bundle` makes of the corpus environment and its valid base model (a fresh copy)."""
    return redigested({**json.loads(_valid_bundle_text()), "gitSha": git_sha})


@cache
def _valid_bundle_text() -> str:
    catalog = load_files([str(ENVIRONMENT), str(VALID_MODEL)])
    bundle = build_bundle(
        catalog,
        root=str(CORPUS),
        git_sha="0" * 40,
        author="Mallory <mallory@acme.example>",
        created_at="2026-11-25T12:00:00Z",
        resolve_image=_no_framework_images,
    )
    return json.dumps(bundle)


def redigested(bundle: dict[str, Any]) -> dict[str, Any]:
    """`bundle` with its digest recomputed over its content: what anyone who can write the bucket can do."""
    content = {key: value for key, value in bundle.items() if key != "digest"}
    return {**content, "digest": digest(content)}


def sha_of(case: str) -> str:
    """A 40-hex commit SHA per case, so each case's bundle has its own key."""
    return hashlib.sha1(case.encode()).hexdigest()


def attacker_bundle(case: str) -> dict[str, Any] | None:
    """A correctly digested bundle whose model document is the corpus case's data (the valid base swapped out),
    or None when the case's mistake cannot be carried as JSON data (YAML_TEXT_ONLY)."""
    documents, problems = load_documents((CORPUS / f"{case}.yaml").read_bytes(), f"{case}.yaml")
    if problems or len(documents) != 1:
        return None
    try:
        json.dumps(documents[0].data)
    except TypeError:
        return None
    bundle = valid_bundle(sha_of(case))
    model = next(item for item in bundle["specs"] if item["file"] == VALID_MODEL.name)
    model |= {"file": f"{case}.yaml", "data": documents[0].data}
    return redigested(bundle)


def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def foreign_state(client: Callable[[str], Any], names: dict[str, str]) -> dict[str, Any]:
    """Everything AWS reports about the foreign resources in `names` (hyperparameters, training-config, group,
    model, endpoint-config, endpoint, state-machine (its ARN), schedule (`group/name`), alarm, scaling-target,
    scaling-policy -> name), tags included, so two snapshots are equal only if nothing about them changed
    (parameter versions, modification times and executions included)."""
    ssm, sagemaker, sfn = client("ssm"), client("sagemaker"), client("stepfunctions")
    scheduler, cloudwatch, scaling = client("scheduler"), client("cloudwatch"), client("application-autoscaling")
    state: dict[str, Any] = {}
    for name in (names["hyperparameters"], names["training-config"]):
        history = ssm.get_parameter_history(Name=name)["Parameters"]
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        state[f"ssm {name}"] = {"history": history, "tags": tags}
    group = sagemaker.describe_model_package_group(ModelPackageGroupName=names["group"])
    packages = sagemaker.list_model_packages(ModelPackageGroupName=names["group"])["ModelPackageSummaryList"]
    state["group"] = {"group": without_metadata(group), "packages": packages}
    model = sagemaker.describe_model(ModelName=names["model"])
    config = sagemaker.describe_endpoint_config(EndpointConfigName=names["endpoint-config"])
    endpoint = sagemaker.describe_endpoint(EndpointName=names["endpoint"])
    machine = sfn.describe_state_machine(stateMachineArn=names["state-machine"])
    schedule_group, schedule_name = names["schedule"].split("/")
    schedule = scheduler.get_schedule(GroupName=schedule_group, Name=schedule_name)
    group_arn = scheduler.get_schedule_group(Name=schedule_group)["Arn"]
    alarms = cloudwatch.describe_alarms(AlarmNames=[names["alarm"]])["MetricAlarms"]
    for label, described, arn in [
        ("model", model, model["ModelArn"]),
        ("endpoint-config", config, config["EndpointConfigArn"]),
        ("endpoint", endpoint, endpoint["EndpointArn"]),
        ("group tags", {}, group["ModelPackageGroupArn"]),
    ]:
        state[label] = {**without_metadata(described), "Tags": sagemaker.list_tags(ResourceArn=arn)["Tags"]}
    state["state-machine"] = {
        **without_metadata(machine),
        "tags": sfn.list_tags_for_resource(resourceArn=names["state-machine"])["tags"],
        "executions": sfn.list_executions(stateMachineArn=names["state-machine"])["executions"],
    }
    state["schedule"] = {
        **without_metadata(schedule),
        "groupTags": scheduler.list_tags_for_resource(ResourceArn=group_arn)["Tags"],
    }
    state["alarm"] = {
        "alarms": alarms,
        "tags": [cloudwatch.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"] for a in alarms],
    }
    target_filter = {"ServiceNamespace": "sagemaker", "ResourceIds": [names["scaling-target"]]}
    state["scaling"] = {
        "targets": scaling.describe_scalable_targets(**target_filter)["ScalableTargets"],
        "policies": scaling.describe_scaling_policies(
            ServiceNamespace="sagemaker", PolicyNames=[names["scaling-policy"]]
        )["ScalingPolicies"],
    }
    return state


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object the reconciler's logger reads."""

    function_name: str = "modelctl-reconciler-dev"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:111122223333:function:modelctl-reconciler-dev"
    aws_request_id: str = "6f1a2b3c-0000-4000-8000-00000000bad1"


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    """The S3 notification the bucket sends when a bundle is uploaded."""
    record = {
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C811"},
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 2048}},
    }
    return {"Records": [record]}
