"""The CodeBuild buildspecs (buildspecs/*.yml): valid buildspec v0.2 documents that run what DESIGN.md says.

pr.yml: validate + plan as markdown under the read-only role, the markdown kept as the artifact; merge.yml:
`modelctl bundle --out bundle.json --upload`; train-image.yml / inference-image.yml: ECR login, docker build and
push of $IMAGE_REPO_URI:$IMAGE_TAG (passed by the pipeline) with BUILD_CONTEXT and MODEL_NAME (passed by the
CodeBuild project controller/desired/training.py makes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

BUILDSPECS = Path(__file__).resolve().parents[2] / "buildspecs"
PHASES = ("install", "pre_build", "build", "post_build")
TOP_LEVEL = {"version", "run-as", "env", "proxy", "batch", "phases", "reports", "artifacts", "cache"}


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((BUILDSPECS / name).read_text())
    assert isinstance(document, dict)
    return document


def commands(document: dict[str, Any]) -> str:
    """Every command of every phase, one per line, in phase order."""
    phases = document["phases"]
    return "\n".join(str(c) for phase in PHASES for c in phases.get(phase, {}).get("commands", []))


@pytest.mark.parametrize("name", ["pr.yml", "merge.yml", "train-image.yml", "inference-image.yml"])
def test_each_buildspec_is_a_valid_version_0_2_document(name: str) -> None:
    document = load(name)
    assert str(document["version"]) == "0.2"
    assert set(document) <= TOP_LEVEL
    assert set(document["phases"]) <= set(PHASES)
    assert "build" in document["phases"]
    for phase in document["phases"].values():
        assert set(phase) <= {"run-as", "on-failure", "runtime-versions", "commands", "finally"}
        assert phase["commands"] and all(isinstance(c, str) for c in phase["commands"])
    variables = document.get("env", {}).get("variables", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in variables.items())


def test_pr_validates_then_plans_markdown_with_the_read_only_role_and_keeps_the_plan() -> None:
    document = load("pr.yml")
    text = commands(document)
    assert text.index("modelctl validate") < text.index("modelctl plan")
    assert "--format markdown" in text
    assert text.index("sts assume-role") < text.index("modelctl plan")
    assert "$PLAN_ROLE_ARN" in text
    assert "modelctl apply" not in text
    assert document["artifacts"]["files"] == ["plan.md"]
    assert '> "$PLAN_FILE"' in text and document["env"]["variables"]["PLAN_FILE"] == "plan.md"


def test_merge_bundles_and_uploads() -> None:
    text = commands(load("merge.yml"))
    assert "modelctl bundle --out bundle.json --upload" in text
    assert "modelctl apply" not in text


@pytest.mark.parametrize("name", ["train-image.yml", "inference-image.yml"])
def test_image_builds_log_in_to_ecr_build_and_push_the_tag_the_pipeline_asks_for(name: str) -> None:
    document = load(name)
    text = commands(document)
    login = text.index("aws ecr get-login-password")
    build = text.index("docker build")
    push = text.index('docker push "$IMAGE_REPO_URI:$IMAGE_TAG"')
    assert login < build < push
    assert '--tag "$IMAGE_REPO_URI:$IMAGE_TAG"' in text
    assert '"$BUILD_CONTEXT"' in text and "$MODEL_NAME" in text
    assert "docker login" in text
    # the pipeline passes these two; the buildspec must not default them
    assert not {"IMAGE_REPO_URI", "IMAGE_TAG"} & set(document.get("env", {}).get("variables", {}))


def test_the_variables_the_image_buildspecs_read_are_the_ones_the_controller_passes() -> None:
    controller = Path(__file__).resolve().parents[2] / "controller"
    pipeline, desired = (
        (controller / "pipeline" / "definition.py").read_text(),
        (controller / "desired" / "training.py").read_text(),
    )
    assert '"IMAGE_REPO_URI"' in pipeline and '"IMAGE_TAG"' in pipeline
    assert '"BUILD_CONTEXT"' in desired and '"MODEL_NAME"' in desired
