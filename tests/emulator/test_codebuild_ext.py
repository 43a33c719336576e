"""controller.local.codebuild_ext: builds run for a while, then succeed or fail as the knobs say; UpdateProject."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.codebuild.models import CodeBuildBackend
from moto.codebuild.responses import CodeBuildResponse

from controller.local import codebuild_ext
from controller.local.control import FailureRule

PROJECT = {
    "name": "churn-train-image",
    "source": {"type": "GITHUB", "location": "https://github.com/acme/churn-model.git"},
    "artifacts": {"type": "NO_ARTIFACTS"},
    "environment": {"type": "LINUX_CONTAINER", "image": "standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"},
    "serviceRole": "arn:aws:iam::123456789012:role/codebuild",
}


@pytest.fixture
def codebuild(in_process_aws: None) -> Iterator[Any]:
    codebuild_ext.reset()
    codebuild_ext.configure(seconds=0.2)
    client = boto3.client("codebuild", region_name="us-east-1")
    client.create_project(**PROJECT)
    yield client
    codebuild_ext.reset()


def build(client: Any, build_id: str) -> dict[str, Any]:
    [found] = client.batch_get_builds(ids=[build_id])["builds"]
    result: dict[str, Any] = found
    return result


def test_moto_still_finishes_builds_at_once(codebuild: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    moto_batch_get_builds = codebuild_ext.original(CodeBuildBackend, "batch_get_builds")
    monkeypatch.setattr(CodeBuildBackend, "batch_get_builds", moto_batch_get_builds)
    started = codebuild.start_build(projectName="churn-train-image")["build"]

    assert build(codebuild, started["id"])["buildStatus"] == "SUCCEEDED"


def test_a_build_is_in_progress_then_succeeds(codebuild: Any) -> None:
    started = codebuild.start_build(projectName="churn-train-image", sourceVersion="9f1c2e7d")["build"]

    running = build(codebuild, started["id"])
    assert (running["buildStatus"], running["currentPhase"], running["buildComplete"]) == (
        "IN_PROGRESS",
        "BUILD",
        False,
    )
    assert "endTime" not in running
    time.sleep(0.25)
    done = build(codebuild, started["id"])
    assert (done["buildStatus"], done["currentPhase"], done["buildComplete"]) == ("SUCCEEDED", "COMPLETED", True)
    assert done["sourceVersion"] == "9f1c2e7d" and "endTime" in done
    phases = [phase["phaseType"] for phase in done["phases"]]
    assert phases[:3] == ["SUBMITTED", "QUEUED", "PROVISIONING"] and phases[-1] == "COMPLETED"
    assert build(codebuild, started["id"])["phases"] == done["phases"]  # reading again changes nothing


def test_builds_of_a_failing_project_fail_with_the_reason(codebuild: Any) -> None:
    codebuild_ext.configure(seconds=0, fail=[FailureRule(namePrefix="churn-train", reason="docker build failed")])
    started = codebuild.start_build(projectName="churn-train-image")["build"]

    done = build(codebuild, started["id"])

    assert (done["buildStatus"], done["buildComplete"]) == ("FAILED", True)
    [failed_phase] = [phase for phase in done["phases"] if phase.get("phaseStatus") == "FAILED"]
    assert failed_phase["phaseType"] == "BUILD"
    assert failed_phase["contexts"] == [{"statusCode": "COMMAND_EXECUTION_ERROR", "message": "docker build failed"}]


def test_a_stopped_build_stays_stopped(codebuild: Any) -> None:
    started = codebuild.start_build(projectName="churn-train-image")["build"]

    codebuild.stop_build(id=started["id"])

    time.sleep(0.25)
    assert build(codebuild, started["id"])["buildStatus"] == "STOPPED"


def test_knobs_change_and_reset() -> None:
    codebuild_ext.reset()
    default = codebuild_ext.knobs()
    changed = codebuild_ext.configure(fail=[FailureRule(namePrefix="x")])
    assert changed.seconds == default.seconds and [rule.name_prefix for rule in changed.fail] == ["x"]
    codebuild_ext.reset()
    assert codebuild_ext.knobs() == default


def test_moto_still_lacks_update_project() -> None:
    assert codebuild_ext.original(CodeBuildResponse, "update_project") is None


def test_update_project_replaces_the_given_fields_and_keeps_the_rest(codebuild: Any) -> None:
    environment = {**PROJECT["environment"], "image": "standard:8.0", "privilegedMode": True}
    answer = codebuild.update_project(
        name="churn-train-image", environment=environment, tags=[{"key": "team", "value": "ml"}]
    )["project"]
    [stored] = codebuild.batch_get_projects(names=["churn-train-image"])["projects"]
    assert answer["environment"] == stored["environment"] and stored["environment"]["image"] == "standard:8.0"
    assert stored["source"] == PROJECT["source"] and stored["serviceRole"] == PROJECT["serviceRole"]
    assert stored["tags"] == [{"key": "team", "value": "ml"}]


def test_update_of_a_missing_project_is_not_found(codebuild: Any) -> None:
    with pytest.raises(codebuild.exceptions.ResourceNotFoundException):
        codebuild.update_project(name="nobody", description="x")
