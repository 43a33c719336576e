"""Desired-state bundles (controller.desired.bundle) and the reconciler Lambda's event parsing: pure, no AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from controller.desired.bundle import BUNDLE_VERSION, build_bundle, changed_models, dumps, latest_pointer, load_bundle
from controller.desired.state import desired_state
from controller.errors import PlanError, SpecError
from controller.spec.catalog import Catalog
from controller.spec.identity import digest
from controller.spec.loader import load_catalog
from controller.spec.models import FrameworkImage
from reconciler_lambda.reconcile import Settings, Trigger, correlation_id, parse_event

REPO = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"


def _resolve(framework: FrameworkImage, region: str, role: str, instance_type: str) -> str:
    return f"763104351884.dkr.ecr.{region}.amazonaws.com/sagemaker-{framework.name}:{framework.version}-{role}"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([str(REPO / "specs")])


@pytest.fixture
def bundle(catalog: Catalog) -> dict[str, Any]:
    return build_bundle(
        catalog,
        root=str(REPO / "specs"),
        git_sha=SHA,
        author="Ada <ada@acme.example>",
        created_at="2026-11-25T10:00:00Z",
        resolve_image=_resolve,
    )


def _redigest(bundle: dict[str, Any]) -> dict[str, Any]:
    content = {k: v for k, v in bundle.items() if k != "digest"}
    return {**content, "digest": digest(content)}


def test_a_bundle_rebuilds_the_same_desired_state_without_yaml_or_image_resolution(
    catalog: Catalog, bundle: dict[str, Any]
) -> None:
    loaded = load_bundle(dumps(bundle))
    assert (loaded.git_sha, loaded.author, loaded.digest) == (SHA, "Ada <ada@acme.example>", bundle["digest"])
    assert sorted(loaded.catalog.models) == sorted(catalog.models)
    for env in catalog.environments:
        from_files = desired_state(catalog, env, git_sha=SHA, registry={}, resolve_image=_resolve)
        from_bundle = desired_state(loaded.catalog, env, git_sha=SHA, registry={}, resolve_image=loaded.resolve_image)
        assert from_bundle == from_files


def test_the_bundle_shape(bundle: dict[str, Any]) -> None:
    assert set(bundle) == {"bundleVersion", "gitSha", "author", "createdAt", "specs", "images", "digest"}
    assert bundle["bundleVersion"] == BUNDLE_VERSION
    files = [(spec["file"], spec["index"]) for spec in bundle["specs"]]
    assert files == sorted(files) and ("environments.yaml", 0) in files  # relative to the specs folder
    assert bundle["images"] == {
        "xgboost|1.7-1|us-east-1|inference|ml.m5.large": _resolve(
            FrameworkImage(name="xgboost", version="1.7-1"), "us-east-1", "inference", "ml.m5.large"
        )
    }
    assert json.loads(latest_pointer(bundle)) == {
        "gitSha": SHA,
        "key": f"bundles/{SHA}.json",
        "digest": bundle["digest"],
    }


def test_an_unknown_bundle_version_is_refused(bundle: dict[str, Any]) -> None:
    with pytest.raises(PlanError, match="bundle version 2 is unknown"):
        load_bundle(dumps(_redigest({**bundle, "bundleVersion": 2})))


@pytest.mark.parametrize("change", ["hyperparameter", "extra field", "image"])
def test_a_tampered_bundle_is_refused(bundle: dict[str, Any], change: str) -> None:
    text = dumps(bundle)
    if change == "hyperparameter":
        assert '"eta": 0.2' in text
        text = text.replace('"eta": 0.2', '"eta": 0.9', 1)
    elif change == "extra field":
        text = dumps({**bundle, "note": "hello"})
    else:
        text = text.replace("sagemaker-xgboost", "evil-xgboost", 1)
    with pytest.raises(PlanError, match="does not match its digest"):
        load_bundle(text)


def test_invalid_specs_in_a_bundle_are_reported_like_files(bundle: dict[str, Any]) -> None:
    specs = json.loads(json.dumps(bundle["specs"]))
    model = next(s for s in specs if s["file"] == "churn-xgb.yaml")
    model["data"]["spec"]["training"]["instanceTypo"] = "ml.m5.large"
    with pytest.raises(SpecError) as raised:
        load_bundle(dumps(_redigest({**bundle, "specs": specs})))
    assert any("instanceTypo" in d.path and d.file == "churn-xgb.yaml" for d in raised.value.diagnostics)


@pytest.mark.parametrize("text", ["not json", "[]", '{"bundleVersion": 1}'])
def test_what_is_not_a_bundle_is_refused(text: str) -> None:
    with pytest.raises(PlanError, match="not a bundle"):
        load_bundle(text)


def test_an_image_missing_from_the_bundle_is_a_plan_error(bundle: dict[str, Any]) -> None:
    loaded = load_bundle(dumps(bundle))
    with pytest.raises(PlanError, match="not in bundle"):
        loaded.resolve_image(FrameworkImage(name="xgboost", version="1.7-1"), "eu-west-1", "inference", "ml.m5.large")


SETTINGS = Settings(env="dev", bucket="acme-dev-artifacts")


def _s3_event(key: str, bucket: str = "acme-dev-artifacts") -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810"},
                "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1024}},
            }
        ]
    }


def _sfn_event(machine: str, status: str) -> dict[str, Any]:
    return {
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "detail": {
            "name": "churn-xgb-408a4de077da",
            "status": status,
            "stateMachineArn": f"arn:aws:states:us-east-1:111122223333:stateMachine:{machine}",
        },
    }


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (_s3_event(f"bundles/{SHA}.json"), Trigger("bundle", f"bundles/{SHA}.json", "")),
        (_s3_event("bundles/latest.json"), "pointer"),
        (_s3_event(f"bundles/{SHA}.json", bucket="elsewhere"), "not a bundle of dev"),
        (_s3_event("models/model.tar.gz"), "not a bundle of dev"),
        (_sfn_event("modelctl-churn-xgb-dev", "SUCCEEDED"), Trigger("pipeline", "bundles/latest.json", "")),
        (_sfn_event("modelctl-churn-xgb-dev", "FAILED"), Trigger("pipeline", "bundles/latest.json", "")),
        (_sfn_event("modelctl-churn-xgb-dev", "RUNNING"), "only an ended execution"),
        (_sfn_event("modelctl-churn-xgb-stage", "SUCCEEDED"), "not a pipeline of dev"),
        (_sfn_event("someone-elses-machine-dev", "SUCCEEDED"), "not a pipeline of dev"),
        ({"detail-type": "Scheduled Event", "id": "x", "detail": {}}, Trigger("schedule", "bundles/latest.json", "")),
        ({"hello": "world"}, "unrecognised event"),
    ],
)
def test_events_map_to_triggers(event: dict[str, Any], expected: Trigger | str) -> None:
    got = parse_event(event, SETTINGS)
    if isinstance(expected, str):
        assert isinstance(got, str) and expected in got
    else:
        assert isinstance(got, Trigger) and (got.kind, got.key) == (expected.kind, expected.key)


def test_correlation_ids_come_from_the_event() -> None:
    assert correlation_id(_s3_event("bundles/x.json")) == "C3D13FE58DE4C810"
    assert correlation_id(_sfn_event("m", "SUCCEEDED")) == "315c1398-40ff-a850-213b-158f73e60175"
    assert correlation_id({}) is None


def _catalog_with(bundle: dict[str, Any], file: str, index: int, edit: Any) -> Catalog:
    specs = json.loads(json.dumps(bundle["specs"]))
    edit(next(s for s in specs if (s["file"], s["index"]) == (file, index))["data"])
    return load_bundle(dumps(_redigest({**bundle, "specs": specs}))).catalog


def test_changed_models_are_those_whose_spec_in_the_environment_differs(bundle: dict[str, Any]) -> None:
    before = load_bundle(dumps(bundle)).catalog
    assert changed_models(before, before, "stage") == frozenset()

    def eta(data: dict[str, Any]) -> None:
        data["spec"]["training"]["hyperparameters"]["eta"] = 0.3

    after = _catalog_with(bundle, "churn-xgb.yaml", 0, eta)
    assert changed_models(before, after, "stage") == {"churn-xgb"}

    def dev_only(data: dict[str, Any]) -> None:
        data["spec"]["environments"]["dev"] = {"training": {"instanceType": "ml.m5.2xlarge"}}

    after = _catalog_with(bundle, "churn-xgb.yaml", 0, dev_only)
    assert (changed_models(before, after, "stage"), changed_models(before, after, "dev")) == (set(), {"churn-xgb"})


def test_a_changed_environment_or_a_removed_model_means_everything(bundle: dict[str, Any]) -> None:
    before = load_bundle(dumps(bundle)).catalog

    def tags(data: dict[str, Any]) -> None:
        data["spec"]["tags"] = {"team": "ml"}

    stage = next(s for s in bundle["specs"] if s["data"]["metadata"]["name"] == "stage")
    after = _catalog_with(bundle, stage["file"], stage["index"], tags)
    assert changed_models(before, after, "stage") is None
    assert changed_models(before, after, "dev") == frozenset()

    def leave_dev(data: dict[str, Any]) -> None:
        del data["spec"]["environments"]["dev"]

    after = _catalog_with(bundle, "demand-forecast.yaml", 0, leave_dev)
    assert changed_models(before, after, "dev") is None
