"""Lineage reads and the inference call: which version a variant serves, the spec commit that deployed it, and
the training job, source ref and data version behind it; the API allow-list; InvokeEndpoint.

For `modelctl trace` and the inference Lambda.
Everything is a read except `invoke`. Where lineage lives (SPEC.md "Ownership", controller.pipeline):
- the endpoint's config names a SageMaker model per variant; the model is named after the version id and tagged
  modelctl:version / modelctl:git-sha (the commit whose reconcile started the training run);
- the endpoint config is tagged modelctl:git-sha by the apply that made it: the spec commit that deployed it;
- the model package (group `<model>-<env>`, description = version) holds CustomerMetadataProperties
  modelctl:source-ref, modelctl:data-version, modelctl:training-job, modelctl:git-sha; the training job is named
  after the version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from controller import naming
from controller.aws.session import AwsClients
from controller.resources import (
    DATA_VERSION_TAG,
    ENV_TAG,
    GIT_SHA_TAG,
    MODEL_TAG,
    SOURCE_REF_TAG,
    TRAINING_JOB_TAG,
    VERSION_TAG,
)


@dataclass(frozen=True)
class VariantLineage:
    """One variant of a live endpoint: variant name, version (the SageMaker model's name), its traffic weight,
    and spec_git_sha, the commit of the spec that deployed the endpoint config ("" when untagged)."""

    variant: str
    version: str
    weight: float
    spec_git_sha: str


@dataclass(frozen=True)
class Trace:
    """A variant's version traced back to its training: `served` (see VariantLineage); training_job and its
    status; source_ref, data_version and run_git_sha (the commit that started the run) from the model package's
    metadata, else the model's tags ("" when unknown); package_arn ("" when no package was found)."""

    served: VariantLineage
    training_job: str
    training_status: str
    source_ref: str
    data_version: str
    run_git_sha: str
    package_arn: str


def endpoint_lineage(clients: AwsClients, endpoint: str) -> dict[str, VariantLineage]:
    """The endpoint's variants by name (DescribeEndpoint, DescribeEndpointConfig, ListTags: 3 calls)."""
    sagemaker = clients.sagemaker
    config_name = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    git_sha = _tags(clients, config["EndpointConfigArn"]).get(GIT_SHA_TAG, "")
    return {
        v["VariantName"]: VariantLineage(
            v["VariantName"], v["ModelName"], float(v.get("InitialVariantWeight", 1.0)), git_sha
        )
        for v in config["ProductionVariants"]
    }


def trace(clients: AwsClients, endpoint: str, variant: str | None = None) -> list[Trace]:
    """Every variant of the endpoint (or only `variant`) traced to its training job and source. A variant name
    the endpoint lacks gives an empty list."""
    served = endpoint_lineage(clients, endpoint)
    wanted = [served[variant]] if variant in served else [] if variant else list(served.values())
    return [_trace_one(clients, lineage) for lineage in wanted]


def allowed_models(clients: AwsClients, parameter: str) -> dict[str, dict[str, str]]:
    """The API allow-list (model -> {"endpoint", "auth"}) from the SSM parameter; {} when it does not exist."""
    ssm = clients.ssm
    try:
        text = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


class Unavailable(Exception):
    """InvokeEndpoint refused: the endpoint is missing or not serving, or the model container failed."""


@dataclass(frozen=True)
class Answer:
    """What InvokeEndpoint answered: the body, its content type and the variant that served the request."""

    body: bytes
    content_type: str
    variant: str


def invoke(clients: AwsClients, endpoint: str, body: bytes, content_type: str, accept: str) -> Answer:
    """One InvokeEndpoint call on `endpoint`; Unavailable when SageMaker refuses it."""
    runtime = clients.runtime
    try:
        answer = runtime.invoke_endpoint(EndpointName=endpoint, Body=body, ContentType=content_type, Accept=accept)
    except (runtime.exceptions.ValidationError, runtime.exceptions.ModelError) as error:
        raise Unavailable(str(error)) from error
    return Answer(
        answer["Body"].read(),
        str(answer.get("ContentType", "application/octet-stream")),
        str(answer.get("InvokedProductionVariant", "")),
    )


def _trace_one(clients: AwsClients, served: VariantLineage) -> Trace:
    sagemaker = clients.sagemaker
    model = sagemaker.describe_model(ModelName=served.version)
    tags = _tags(clients, model["ModelArn"])
    version = tags.get(VERSION_TAG, served.version)
    package = _package(clients, tags, version)
    metadata: dict[str, str] = package.get("CustomerMetadataProperties", {})
    job_name = metadata.get(TRAINING_JOB_TAG, version)
    try:
        job_status = str(sagemaker.describe_training_job(TrainingJobName=job_name)["TrainingJobStatus"])
    except sagemaker.exceptions.ResourceNotFound:
        job_status = "not found"
    return Trace(
        served=served,
        training_job=job_name,
        training_status=job_status,
        source_ref=metadata.get(SOURCE_REF_TAG, ""),
        data_version=metadata.get(DATA_VERSION_TAG, ""),
        run_git_sha=metadata.get(GIT_SHA_TAG, tags.get(GIT_SHA_TAG, "")),
        package_arn=str(package.get("ModelPackageArn", "")),
    )


def _package(clients: AwsClients, model_tags: dict[str, str], version: str) -> dict[str, Any]:
    """The model package registering `version` in the model's group `<model>-<env>` (from the model's tags)."""
    if MODEL_TAG not in model_tags or ENV_TAG not in model_tags:
        return {}
    group = naming.model_package_group(model_tags[ENV_TAG], model_tags[MODEL_TAG])
    pages = clients.sagemaker.get_paginator("list_model_packages").paginate(ModelPackageGroupName=group)
    for page in pages:
        for summary in page.get("ModelPackageSummaryList", []):
            if summary.get("ModelPackageDescription") == version:
                described: dict[str, Any] = clients.sagemaker.describe_model_package(
                    ModelPackageName=summary["ModelPackageArn"]
                )
                return described
    return {}


def _tags(clients: AwsClients, arn: str) -> dict[str, str]:
    pages = clients.sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn)
    return {tag["Key"]: tag["Value"] for page in pages for tag in page.get("Tags", [])}
