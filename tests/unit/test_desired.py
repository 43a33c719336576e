"""Desired state from the example specs: names, ownership tags, when a run is wanted, promotion, variants. Pure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from asl_tools import asl_validator, asl_validator_problems

from controller.desired.api_access import API_OWNER
from controller.desired.state import DesiredState, ModelVersion, Registry, desired_state
from controller.resources import CONFIG_TAG, ENV_TAG, GIT_SHA_TAG, MANAGED_TAG, MODEL_TAG, SPEC_DIGEST_TAG, Kind
from controller.spec.catalog import Catalog
from controller.spec.loader import load_catalog
from controller.spec.models import FrameworkImage

REPO = Path(__file__).resolve().parents[2]


def _resolve(framework: FrameworkImage, region: str, role: str, instance_type: str) -> str:
    return f"763104351884.dkr.ecr.{region}.amazonaws.com/sagemaker-{framework.name}:{framework.version}-{role}"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([str(REPO / "specs")])


def _state(catalog: Catalog, env: str, registry: Registry | None = None) -> DesiredState:
    return desired_state(catalog, env, git_sha="0123abc", registry=registry or {}, resolve_image=_resolve)


def _keys(state: DesiredState, kind: Kind) -> list[str]:
    return [r.ref.key for r in state.resources if r.ref.kind == kind]


def test_fresh_training_environment_wants_a_run_per_model_and_holds_endpoints(catalog: Catalog) -> None:
    state = _state(catalog, "stage")
    runs = _keys(state, Kind.PIPELINE_RUN)
    assert sorted(runs) == sorted(
        f"modelctl-{m}-stage/{state.config_ids[m]}" for m in ("churn-xgb", "demand-forecast", "fraud-lgbm")
    )
    assert _keys(state, Kind.ENDPOINT) == []
    assert {r.key for r in state.held if r.kind is Kind.ENDPOINT} == {"churn-xgb-stage", "fraud-lgbm-stage"}
    # what guards and scales a held endpoint is held with it: not pruned while the endpoint keeps serving
    assert {r.key for r in state.held if r.kind is not Kind.ENDPOINT} >= {
        "modelctl-churn-xgb-stage-errors-5xx-primary",
        "endpoint/churn-xgb-stage/variant/primary",
        "modelctl-churn-xgb-stage-primary",
    }
    assert _keys(state, Kind.SCHEDULE) == ["modelctl-stage/churn-xgb", "modelctl-stage/demand-forecast"]


def test_every_resource_carries_ownership_and_lineage_tags(catalog: Catalog) -> None:
    state = _state(catalog, "stage")
    for resource in state.resources:
        tags = resource.tags
        assert tags[MANAGED_TAG] == "true" and tags[ENV_TAG] == "stage" and tags[GIT_SHA_TAG] == "0123abc"
        assert tags["cost-center"] == "ml-platform" and tags[MODEL_TAG] == resource.model
        if resource.model == API_OWNER:
            continue  # the API allow-list belongs to the environment, not to one model's config
        assert tags[CONFIG_TAG] == state.config_ids[resource.model]
        assert len(tags[SPEC_DIGEST_TAG]) == 16
        assert tags["cost-center"] == "ml-platform"


def test_an_existing_version_means_no_run_and_current_serves_it(catalog: Catalog) -> None:
    config_id = _state(catalog, "stage").config_ids["churn-xgb"]
    older, newer = f"{config_id}-20261101T030000Z", f"{config_id}-20261125T030000Z"
    registry = {"churn-xgb-stage": [ModelVersion(newer, "Approved"), ModelVersion(older, "Approved")]}
    state = _state(catalog, "stage", registry)
    assert f"modelctl-churn-xgb-stage/{config_id}" not in _keys(state, Kind.PIPELINE_RUN)
    endpoint = next(r for r in state.resources if r.ref.kind == Kind.ENDPOINT)
    assert [v["model"] for v in endpoint.properties["variants"]] == [newer]
    assert endpoint.payload["deploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] == {
        "Type": "CANARY",
        "WaitIntervalInSeconds": 600,
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
    }
    rollback = endpoint.payload["deploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert [a["AlarmName"] for a in rollback] == [
        "modelctl-churn-xgb-stage-errors-5xx-primary",
        "modelctl-churn-xgb-stage-latency-p99-primary",
    ]


def test_promoted_environment_never_trains_and_waits_for_approval(catalog: Catalog) -> None:
    config_id = _state(catalog, "stage").config_ids["fraud-lgbm"]
    pending = {"fraud-lgbm-stage": [ModelVersion(f"{config_id}-20261125T030000Z", "PendingManualApproval")]}
    state = _state(catalog, "prod", pending)
    assert _keys(state, Kind.PIPELINE_RUN) == [] and _keys(state, Kind.STATE_MACHINE) == []
    assert "waiting for an Approved version" in state.notes["fraud-lgbm"][0]
    approved = {"fraud-lgbm-stage": [ModelVersion(f"{config_id}-20261125T030000Z", "Approved")]}
    state = _state(catalog, "prod", approved)
    assert _keys(state, Kind.PROMOTED_VERSION) == [f"{config_id}-20261125T030000Z"]
    assert _keys(state, Kind.ENDPOINT) == ["fraud-lgbm-prod"]


def test_weights_do_not_name_the_endpoint_config(catalog: Catalog) -> None:
    config_id = _state(catalog, "stage").config_ids["churn-xgb"]
    registry = {"churn-xgb-stage": [ModelVersion(f"{config_id}-20261125T030000Z", "Approved")]}
    entry = catalog.models["churn-xgb"]
    realtime = entry.configs["stage"].deployment.realtime
    assert realtime is not None
    reweighted_variant = realtime.variants[0].model_copy(update={"weight": 7.0, "instance_count": 3})
    reweighted = realtime.model_copy(update={"variants": (reweighted_variant,)})
    config = entry.configs["stage"].model_copy(
        update={"deployment": entry.configs["stage"].deployment.model_copy(update={"realtime": reweighted})}
    )
    changed = Catalog(
        catalog.environments,
        catalog.environment_documents,
        {**catalog.models, "churn-xgb": type(entry)(entry.spec, entry.document, {**entry.configs, "stage": config})},
    )
    before = _keys(_state(catalog, "stage", registry), Kind.ENDPOINT_CONFIG)
    after = _keys(_state(changed, "stage", registry), Kind.ENDPOINT_CONFIG)
    assert before == after and before


def test_framework_images_resolve_offline_with_the_sagemaker_sdk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from controller.cli.images import resolve_framework_image

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    uri = resolve_framework_image(
        FrameworkImage(name="xgboost", version="1.7-1"), "eu-west-1", "inference", "ml.m5.large"
    )
    assert uri == "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    assert (tmp_path / "modelctl" / "images.json").exists()  # the next command skips the SDK import


@pytest.mark.skipif(asl_validator() is None, reason="asl-validator (npm) is not installed; `make test` installs it")
def test_every_example_pipeline_is_valid_asl(catalog: Catalog, tmp_path: Path) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    machines = [
        resource
        for env in catalog.environments
        for resource in _state(catalog, env).resources
        if resource.ref.kind == Kind.STATE_MACHINE
    ]
    assert len(machines) == 5  # dev: churn, demand; stage: churn, demand, fraud; prod never trains
    for machine in machines:
        definition = machine.payload["definition"]
        assert asl_validator_problems(definition, tmp_path) == "", machine.ref
        AmazonStateLanguageParser.parse(json.dumps(definition))
