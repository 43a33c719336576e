"""A promoted environment's batch transform (controller.desired.promoted_batch, controller.pipeline.promoted):
prod never trains, so its pipeline only transforms the version it serves, once per version. Pure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from asl_tools import asl_validator, asl_validator_problems

from controller.desired.state import DesiredState, ModelVersion, Registry, desired_state
from controller.pipeline.timeout import MARGIN_SECONDS
from controller.resources import Kind, Ref
from controller.spec.catalog import Catalog
from controller.spec.loader import load_catalog

REPO = Path(__file__).resolve().parents[2]
MODEL = "demand-forecast"  # batch only, spot training (max wait 8 h)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    specs = tmp_path_factory.mktemp("specs") / "specs"
    shutil.copytree(REPO / "specs", specs)
    path = specs / f"{MODEL}.yaml"
    path.write_text(path.read_text().replace("    stage: {}\n", "    stage: {}\n    prod: {}\n"))
    return load_catalog([str(specs)])


def _state(catalog: Catalog, env: str, registry: Registry) -> DesiredState:
    return desired_state(catalog, env, git_sha="0123abc", registry=registry, resolve_image=lambda *a: "img:1")


def _mine(state: DesiredState, kind: Kind) -> list[str]:
    return [r.ref.key for r in state.resources if r.model == MODEL and r.ref.kind is kind]


def test_a_promotion_brings_the_batch_pipeline_and_a_run_after_the_copy(catalog: Catalog) -> None:
    config_id = _state(catalog, "stage", {}).config_ids[MODEL]
    version = f"{config_id}-20261125T030000Z"
    waiting = _state(catalog, "prod", {})
    assert _mine(waiting, Kind.STATE_MACHINE) == [f"modelctl-{MODEL}-prod"] and _mine(waiting, Kind.PIPELINE_RUN) == []
    state = _state(catalog, "prod", {f"{MODEL}-stage": [ModelVersion(version, "Approved")]})
    (run,) = [r for r in state.resources if r.model == MODEL and r.ref.kind is Kind.PIPELINE_RUN]
    assert run.ref.key == f"modelctl-{MODEL}-prod/{version}"
    assert Ref(Kind.PROMOTED_VERSION, version) in run.depends_on  # transformed only once it is copied here
    assert json.loads(run.payload["input"]) == {
        "run": {"id": "20261125T030000Z", "version": version},
        "transformJobName": f"{version}-prod",
        "gitSha": "0123abc",
        "pollSeconds": 60,
        "trigger": "promotion",
    }
    # once registered here the run stays wanted (so an interrupted apply finishes it); a newer version, a new run
    here = {f"{MODEL}-prod": [ModelVersion(version, "Approved")]}
    assert _mine(_state(catalog, "prod", here), Kind.PIPELINE_RUN) == [run.ref.key]
    assert _mine(_state(catalog, "prod", here), Kind.PROMOTED_VERSION) == []


def test_the_batch_pipeline_transforms_and_never_trains(catalog: Catalog, tmp_path: Path) -> None:
    state = _state(catalog, "prod", {})
    (machine,) = [r for r in state.resources if r.model == MODEL and r.ref.kind is Kind.STATE_MACHINE]
    definition = machine.payload["definition"]
    resources = {s.get("Resource", "") for s in definition["States"].values()}
    assert any(r.endswith("sagemaker:createTransformJob") for r in resources)
    assert not any(r.endswith(("createTrainingJob", "createModelPackage", "startBuild")) for r in resources)
    assert definition["States"]["StartBatchTransform"]["Parameters"]["TransformJobName.$"] == "$.transformJobName"
    assert definition["TimeoutSeconds"] == 8 * 3600 + MARGIN_SECONDS  # the training budget (spot max wait 8 h)
    if asl_validator() is not None:
        assert asl_validator_problems(definition, tmp_path) == ""


def test_a_training_environment_gets_no_promoted_pipeline(catalog: Catalog) -> None:
    state = _state(catalog, "stage", {})
    (machine,) = [r for r in state.resources if r.model == MODEL and r.ref.kind is Kind.STATE_MACHINE]
    assert "StartTraining" in machine.payload["definition"]["States"]
