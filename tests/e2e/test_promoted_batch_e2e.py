"""Batch transform in a promoted environment, end to end on the served emulator: stage trains (its pipeline runs
the batch transform after registering the version); once the version is Approved, prod copies it (never retrains)
and its promoted-environment pipeline (controller.pipeline.promoted) runs the same batch transform for it, once.
Specs: tests/e2e/specs_small with a `deployment.batch` block, copied per test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import boto3
import pytest

from controller.cli.main import main

ACCOUNT, REGION = "111122223333", "us-east-1"
BATCH = '    batch: {input: "s3://e2e-data/score/", output: "s3://e2e-data/scores/", instanceType: ml.m5.large}\n'


@pytest.fixture
def specs(emulator_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MODELCTL_LOCAL_URL", emulator_url)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("MODELCTL_GIT_SHA", "e2e0000000000000000000000000000000000003")
    shutil.copytree(Path(__file__).parent / "specs_small", tmp_path / "specs")
    path = tmp_path / "specs" / "scorer.yaml"
    path.write_text(path.read_text().replace("  monitoring:\n", BATCH + "  monitoring:\n", 1))
    return tmp_path / "specs"


def _apply(specs: Path, env: str) -> int:
    return main(["apply", "--env", env, "--local", "--yes", "--wait", "--timeout", "2m", str(specs)])


def test_prod_runs_the_batch_transform_of_the_version_it_promotes_once(emulator_url: str, specs: Path) -> None:
    sagemaker = boto3.client("sagemaker", endpoint_url=emulator_url, region_name=REGION)
    sfn = boto3.client("stepfunctions", endpoint_url=emulator_url, region_name=REGION)
    _apply(specs, "stage")  # trains, transforms, and registers the version PendingManualApproval (prod needs it)
    (package,) = sagemaker.list_model_packages(ModelPackageGroupName="scorer-stage")["ModelPackageSummaryList"]
    version = package["ModelPackageDescription"]
    assert sagemaker.describe_transform_job(TransformJobName=version)["TransformJobStatus"] == "Completed"
    sagemaker.update_model_package(ModelPackageArn=package["ModelPackageArn"], ModelApprovalStatus="Approved")

    assert _apply(specs, "prod") == 0
    job = sagemaker.describe_transform_job(TransformJobName=f"{version}-prod")
    assert job["TransformJobStatus"] == "Completed" and job["ModelName"] == version
    assert job["TransformOutput"]["S3OutputPath"] == f"s3://e2e-data/scores/{version}/"
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=job["TransformJobArn"])["Tags"]}
    assert (tags["modelctl:env"], tags["modelctl:version"]) == ("prod", version)
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:modelctl-scorer-prod"
    runs = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [(run["name"], run["status"]) for run in runs] == [(version, "SUCCEEDED")]
    assert len(sagemaker.list_training_jobs()["TrainingJobSummaries"]) == 1  # promoted, never retrained

    assert _apply(specs, "prod") == 0  # converged: the transform is not repeated
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1
    jobs = sagemaker.list_transform_jobs()["TransformJobSummaries"]
    assert sorted(j["TransformJobName"] for j in jobs) == sorted([version, f"{version}-prod"])
