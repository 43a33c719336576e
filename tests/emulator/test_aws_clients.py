"""AWS's own clients read what the controller made, on the served emulator, after `apply --wait` converged the
example specs (specs/, environment dev: churn-xgb realtime, demand-forecast batch, fraud-lgbm) — as a user who
points a notebook, a script or the AWS CLI at `modelctl local serve` would (README, "The embedded emulator").

- The SageMaker Python SDK (sagemaker-core's `sagemaker.core.resources`, which validates every response with
  pydantic models generated from the SageMaker API) `get`s every resource of every kind the controller makes and
  lists each kind with `get_all`: endpoints, endpoint configs, models, training jobs, transform jobs, model
  packages and model package groups. The answers it once refused (issue 19): DescribeEndpoint's
  `"DataCaptureConfig": {}` and DescribeModel's `"VpcConfig": {}` (see controller.local.sagemaker_shapes).
- The AWS CLI's waiters `aws sagemaker wait endpoint-in-service` and `training-job-completed-or-stopped` (the
  venv's `aws` console script, in a subprocess, through AWS_ENDPOINT_URL) end as they do on AWS, and
  `describe-*` answers parse.

Every response of these runs is also judged by the emulator's response-shape check (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from emulator_kit import FAST

from controller.cli.main import main
from controller.local import control

ACCOUNT, REGION, ENV = "111122223333", "us-east-1", "dev"
EXAMPLES = Path(__file__).resolve().parents[2] / "specs"
resources = pytest.importorskip("sagemaker.core.resources")


@dataclass(frozen=True)
class Made:
    """What `apply --wait` of the examples made in dev, by kind (names; model packages by ARN)."""

    url: str
    endpoints: list[str]
    endpoint_configs: list[str]
    models: list[str]
    training_jobs: list[str]
    transform_jobs: list[str]
    model_packages: list[str]
    model_package_groups: list[str]


def _names(pages: Any, key: str, field: str) -> list[str]:
    return sorted(item[field] for page in pages for item in page[key])


@pytest.fixture(scope="module")
def made(emulator_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Made]:
    url = emulator_server.url
    specs = tmp_path_factory.mktemp("examples") / "specs"
    shutil.copytree(EXAMPLES, specs)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ENDPOINT_URL": url,
            "MODELCTL_LOCAL_URL": url,
            "MOTO_ACCOUNT_ID": ACCOUNT,
            "MODELCTL_GIT_SHA": "c11e0000000000000000000000000000000000aa",
        }.items():
            patch.setenv(name, value)
        control.reset(url)
        control.configure(url, FAST)
        assert main(["apply", "--env", ENV, "--local", "--yes", "--wait", "--timeout", "5m", str(specs)]) == 0
        sm = boto3.client("sagemaker", endpoint_url=url, region_name=REGION)
        groups = _names([sm.list_model_package_groups()], "ModelPackageGroupSummaryList", "ModelPackageGroupName")
        yield Made(
            url=url,
            endpoints=_names([sm.list_endpoints()], "Endpoints", "EndpointName"),
            endpoint_configs=_names([sm.list_endpoint_configs()], "EndpointConfigs", "EndpointConfigName"),
            models=_names([sm.list_models()], "Models", "ModelName"),
            training_jobs=_names([sm.list_training_jobs()], "TrainingJobSummaries", "TrainingJobName"),
            transform_jobs=_names([sm.list_transform_jobs()], "TransformJobSummaries", "TransformJobName"),
            model_packages=[
                arn
                for group in groups
                for arn in _names(
                    [sm.list_model_packages(ModelPackageGroupName=group)],
                    "ModelPackageSummaryList",
                    "ModelPackageArn",
                )
            ],
            model_package_groups=groups,
        )


def test_the_examples_made_every_kind_the_sdk_is_asked_to_read(made: Made) -> None:
    assert made.endpoints == ["churn-xgb-dev"]
    for kind in ("endpoint_configs", "models", "training_jobs", "model_packages", "model_package_groups"):
        assert getattr(made, kind), f"apply --wait of the examples made no {kind}"
    assert made.transform_jobs, "demand-forecast is batch: its pipeline runs a transform job"


@pytest.mark.parametrize(
    ("kind", "cls", "argument"),
    [
        ("endpoints", "Endpoint", "endpoint_name"),
        ("endpoint_configs", "EndpointConfig", "endpoint_config_name"),
        ("models", "Model", "model_name"),
        ("training_jobs", "TrainingJob", "training_job_name"),
        ("transform_jobs", "TransformJob", "transform_job_name"),
        ("model_packages", "ModelPackage", "model_package_name"),
        ("model_package_groups", "ModelPackageGroup", "model_package_group_name"),
    ],
)
def test_the_sagemaker_sdk_reads_every_resource_the_controller_made(
    made: Made, kind: str, cls: str, argument: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sagemaker-core's `<Resource>.get(...)` and `<Resource>.get_all()` (SageMaker API Reference, e.g.
    "DescribeEndpoint" https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html: the
    members of DataCaptureConfigSummary are required, so AWS omits the structure rather than send it empty)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", made.url)
    resource = getattr(resources, cls)
    names = getattr(made, kind)
    for name in names:
        got = resource.get(**{argument: name}, region=REGION)
        assert got is not None
    if cls == "ModelPackage":  # ListModelPackages lists versioned packages (in a group) only of a group it names
        listed = [p for group in made.model_package_groups for p in resource.get_all(model_package_group_name=group)]
    else:
        listed = list(resource.get_all(region=REGION))
    assert len(listed) >= len(names)


def _aws(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("the AWS CLI (awscli, a dev dependency) is not installed in this environment")
    environment = {**os.environ, "AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": REGION}
    environment |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_PAGER": ""}
    return subprocess.run([str(aws), *args], capture_output=True, text=True, env=environment, timeout=120)


def test_the_aws_cli_waits_for_an_endpoint_in_service(made: Made) -> None:
    waited = _aws(made.url, "sagemaker", "wait", "endpoint-in-service", "--endpoint-name", made.endpoints[0])
    assert waited.returncode == 0, waited.stderr
    described = _aws(made.url, "sagemaker", "describe-endpoint", "--endpoint-name", made.endpoints[0])
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["EndpointStatus"] == "InService"


def test_the_aws_cli_waits_for_a_training_job_completed_or_stopped(made: Made) -> None:
    for job in made.training_jobs:
        waited = _aws(made.url, "sagemaker", "wait", "training-job-completed-or-stopped", "--training-job-name", job)
        assert waited.returncode == 0, waited.stderr
    described = _aws(made.url, "sagemaker", "describe-training-job", "--training-job-name", made.training_jobs[0])
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["TrainingJobStatus"] == "Completed"
