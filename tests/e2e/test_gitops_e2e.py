"""The GitOps workflows end to end on the served emulator, in a real temporary git repository: rollback by revert,
a canary and its weights-only promotion, `modelctl promote` to a promoted environment, and `modelctl trace`.

The specs are tests/e2e/specs_small committed to a fresh repository per test; every spec change is a commit, so
the lineage tags carry real git SHAs. Commands run through the CLI (controller.cli.main).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from controller.aws.session import CallCounter, is_read
from controller.cli.main import main

REGION = "us-east-1"
SMALL_SPECS = Path(__file__).parent / "specs_small"
GIT_ENV = {"GIT_AUTHOR_NAME": "e2e", "GIT_AUTHOR_EMAIL": "e2e@x.invalid", "GIT_COMMITTER_NAME": "e2e"}


@pytest.fixture
def repo(emulator_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MODELCTL_LOCAL_URL", emulator_url)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")
    monkeypatch.delenv("MODELCTL_GIT_SHA", raising=False)
    for name, value in {**GIT_ENV, "GIT_COMMITTER_EMAIL": "e2e@x.invalid"}.items():
        monkeypatch.setenv(name, value)
    shutil.copytree(SMALL_SPECS, tmp_path / "specs")
    _git(tmp_path, "init", "-q")
    _commit(tmp_path, "specs")
    return tmp_path


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every write call any AwsClients makes while the test runs."""
    seen: list[str] = []
    record = CallCounter.record

    def spy(self: CallCounter, service: str, operation: str) -> None:
        if not is_read(operation):
            seen.append(f"{service}.{operation}")
        record(self, service, operation)

    monkeypatch.setattr(CallCounter, "record", spy)
    yield seen


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def _commit(repo: Path, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD").strip()


def _edit(repo: Path, old: str, new: str) -> None:
    path = repo / "specs" / "scorer.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _cli(*args: str) -> int:
    return main([*args, "--local"])


def _converge(repo: Path, env: str = "dev") -> None:
    assert _cli("apply", "--env", env, "--yes", "--wait", "--timeout", "2m", str(repo / "specs")) == 0


def _sagemaker(url: str) -> Any:
    return boto3.client("sagemaker", endpoint_url=url, region_name=REGION)


def _variants(url: str, endpoint: str = "scorer-dev") -> dict[str, tuple[str, float]]:
    sagemaker = _sagemaker(url)
    live = sagemaker.describe_endpoint(EndpointName=endpoint)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=live["EndpointConfigName"])
    models = {v["VariantName"]: v["ModelName"] for v in config["ProductionVariants"]}
    return {v["VariantName"]: (models[v["VariantName"]], v["CurrentWeight"]) for v in live["ProductionVariants"]}


def _jobs(url: str) -> list[str]:
    return [j["TrainingJobName"] for j in _sagemaker(url).list_training_jobs()["TrainingJobSummaries"]]


def test_rollback_prepares_the_revert_and_the_apply_brings_the_earlier_model_back_without_training(
    repo: Path, emulator_url: str, writes: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _converge(repo)
    first = _variants(emulator_url)["primary"][0]
    _edit(repo, "hyperparameters: {eta: 0.2}", "hyperparameters: {eta: 0.3}")
    _commit(repo, "eta 0.3")
    _converge(repo)
    assert _variants(emulator_url)["primary"][0] != first
    capsys.readouterr()
    writes.clear()
    assert _cli("rollback", "scorer", str(repo / "specs"), "--env", "dev") == 0
    out = capsys.readouterr().out
    assert writes == []  # rollback never changes AWS
    assert "git revert --no-commit" in out and "-    hyperparameters: {eta: 0.3}" in out
    assert "no training" in out and "pipeline.run" not in out
    _commit(repo, "rollback scorer")
    _converge(repo)
    assert _variants(emulator_url)["primary"][0] == first
    assert len(_jobs(emulator_url)) == 2  # the earlier model came back from the registry: no new training job


def test_a_canary_gets_its_weights_and_a_weights_only_change_keeps_the_endpoint_config(
    repo: Path, emulator_url: str
) -> None:
    _converge(repo)
    first = _variants(emulator_url)["primary"][0]
    canary = (
        f"        - {{name: primary, model: {first}, instanceType: ml.m5.large, instanceCount: 1, weight: 90}}\n"
        "        - {name: canary, instanceType: ml.m5.large, instanceCount: 1, weight: 10}\n"
    )
    _edit(repo, "        - {name: primary, instanceType: ml.m5.large, instanceCount: 1, weight: 1}\n", canary)
    _edit(repo, "hyperparameters: {eta: 0.2}", "hyperparameters: {eta: 0.25}")
    _commit(repo, "canary eta 0.25 at 10%")
    _converge(repo)
    variants = _variants(emulator_url)
    assert variants["primary"] == (first, 90) and variants["canary"][1] == 10 and variants["canary"][0] != first
    config = _sagemaker(emulator_url).describe_endpoint(EndpointName="scorer-dev")["EndpointConfigName"]
    _edit(repo, "weight: 90}", "weight: 50}")
    _edit(repo, "weight: 10}", "weight: 50}")
    _commit(repo, "canary to 50%")
    _converge(repo)
    assert {name: weight for name, (_, weight) in _variants(emulator_url).items()} == {"primary": 50, "canary": 50}
    assert _sagemaker(emulator_url).describe_endpoint(EndpointName="scorer-dev")["EndpointConfigName"] == config
    assert _cli("plan", "--env", "dev", "--detailed-exitcode", str(repo / "specs")) == 0  # nothing left to do


def test_promote_pins_prod_to_the_stage_version_and_the_plan_registers_it(
    repo: Path, emulator_url: str, writes: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _converge(repo, "stage")  # stage serves its version; prod needs it Approved
    sagemaker = _sagemaker(emulator_url)
    package = sagemaker.list_model_packages(ModelPackageGroupName="scorer-stage")["ModelPackageSummaryList"][0]
    version = package["ModelPackageDescription"]
    assert _cli("promote", "scorer", str(repo / "specs"), "--env", "prod") == 1  # not Approved yet
    sagemaker.update_model_package(ModelPackageArn=package["ModelPackageArn"], ModelApprovalStatus="Approved")
    capsys.readouterr()
    writes.clear()
    assert _cli("promote", "scorer", str(repo / "specs"), "--env", "prod") == 0
    out = capsys.readouterr().out
    assert writes == []
    assert f"model: {version}" in (repo / "specs" / "scorer.yaml").read_text()
    assert f"sagemaker.promotedVersion/{version}" in out and "pipeline.run" not in out
    _commit(repo, "promote scorer to prod")
    _converge(repo, "prod")
    assert _variants(emulator_url, "scorer-prod")["primary"][0] == version
    assert len(_jobs(emulator_url)) == 1  # registered in prod, never retrained


def test_trace_answers_version_training_job_and_git_sha(
    repo: Path, emulator_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    head = _git(repo, "rev-parse", "HEAD").strip()
    _converge(repo)
    version = _variants(emulator_url)["primary"][0]
    capsys.readouterr()
    assert _cli("trace", "scorer-dev", "--variant", "primary", "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["schemaVersion"], document["kind"], document["endpoint"]) == (1, "Trace", "scorer-dev")
    (traced,) = document["variants"]
    assert traced["served"] == {"variant": "primary", "version": version, "weight": 1.0, "spec_git_sha": head}
    assert (traced["training_job"], traced["training_status"]) == (version, "Completed")
    assert (traced["source_ref"], traced["run_git_sha"]) == ("v1.0.0", head)
    assert _cli("trace", "scorer-dev", "--variant", "nope") == 1
