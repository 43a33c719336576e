"""Spec language: overlays, training config ids, schedules, cross-document checks, the examples. Pure, no AWS."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from controller.errors import SpecError
from controller.spec.identity import hyperparameter_string, normalise_repo, training_config_id
from controller.spec.loader import load_catalog
from controller.spec.models import ModelConfig
from controller.spec.overlay import locate, merge
from controller.spec.schedule import schedule_problem

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "corpus"


def _config(**training: object) -> ModelConfig:
    base = {
        "source": {"repo": "https://github.com/acme/m.git", "ref": "v1.0.0"},
        "images": {"training": {"uri": "r/t:v1"}, "inference": {"uri": "r/i:v1"}},
        "training": {"instanceType": "ml.m5.xlarge", "inputs": {"train": {"uri": "s3://bucket/train/"}}, **training},
    }
    return ModelConfig.model_validate(base)


# --- overlays --------------------------------------------------------------------------------------------------


def test_maps_deep_merge_and_named_lists_merge_by_name() -> None:
    base = {"a": {"x": 1, "y": 2}, "v": [{"name": "p", "n": 1, "t": "m"}, {"name": "q", "n": 1}], "l": [1, 2]}
    overlay = {"a": {"y": 3}, "v": [{"name": "q", "n": 5}, {"name": "r", "n": 1}], "l": [9]}
    origins: dict[tuple[str | int, ...], tuple[str | int, ...]] = {}
    merged = merge(base, overlay, base_at=("spec",), overlay_at=("spec", "environments", "prod"), origins=origins)
    assert merged == {
        "a": {"x": 1, "y": 3},
        "v": [{"name": "p", "n": 1, "t": "m"}, {"name": "q", "n": 5}, {"name": "r", "n": 1}],
        "l": [9],
    }
    assert locate(origins, ("a", "x")) == ("spec", "a", "x")
    assert locate(origins, ("a", "y")) == ("spec", "environments", "prod", "a", "y")
    assert locate(origins, ("v", 1, "n")) == ("spec", "environments", "prod", "v", 0, "n")
    assert locate(origins, ("v", 0, "t")) == ("spec", "v", 0, "t")
    assert locate(origins, ("v", 2, "missing")) == ("spec", "environments", "prod", "v", 1, "missing")


def test_null_in_an_overlay_removes_an_optional_block() -> None:
    catalog = load_catalog([str(REPO / "specs")])
    churn = catalog.models["churn-xgb"]
    assert churn.configs["dev"].training.schedule is None
    assert churn.configs["stage"].training.schedule is not None
    assert [v.instance_count for v in churn.configs["prod"].deployment.realtime.variants] == [4]  # type: ignore[union-attr]


# --- training config id ----------------------------------------------------------------------------------------


def test_config_id_shape_and_stability() -> None:
    config_id = training_config_id("m-one", _config(), "r/t:v1")
    assert config_id.startswith("m-one-") and len(config_id) == len("m-one-") + 12
    assert training_config_id("m-one", _config(), "r/t:v1") == config_id


@pytest.mark.parametrize(
    "change",
    [
        {"hyperparameters": {"eta": 0.3}},
        {"instanceCount": 2},
        {"dataVersion": "2026-12-01"},
        {"inputs": {"train": {"uri": "s3://bucket/other/"}}},
        {"maxRuntime": "3h"},
    ],
)
def test_what_changes_training_output_changes_the_id(change: dict[str, object]) -> None:
    assert training_config_id("m", _config(**change), "r/t:v1") != training_config_id("m", _config(), "r/t:v1")


def test_schedule_and_new_data_triggers_do_not_change_the_id() -> None:
    scheduled = _config(schedule={"expression": "rate(1 day)"}, retrainOnNewData={"channel": "train", "debounce": "1h"})
    assert training_config_id("m", scheduled, "img:1") == training_config_id("m", _config(), "img:1")


def test_explicit_defaults_and_stringly_hyperparameters_do_not_change_the_id() -> None:
    explicit = _config(instanceCount=1, volumeSizeGB=30, spot={"enabled": False}, hyperparameters={"eta": "0.2"})
    implicit = _config(hyperparameters={"eta": 0.2})
    assert training_config_id("m", explicit, "img:1") == training_config_id("m", implicit, "img:1")


def test_image_and_repo_identity() -> None:
    assert training_config_id("m", _config(), "img:1") != training_config_id("m", _config(), "img:2")
    assert (
        normalise_repo("git@GitHub.com:acme/m.git")
        == normalise_repo("https://github.com/acme/m")
        == "github.com/acme/m"
    )
    assert [hyperparameter_string(v) for v in (True, False, 3, 0.5, "x")] == ["true", "false", "3", "0.5", "x"]


# --- schedules ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 3 ? * MON *)",
        "cron(0/15 * ? * MON-FRI *)",
        "cron(0 3 L * ? *)",
        "cron(0 3 ? * 6L *)",
        "cron(0 3 ? * 3#2 2026-2030)",
        "rate(1 day)",
        "rate(15 minutes)",
    ],
)
def test_valid_eventbridge_expressions(expression: str) -> None:
    assert schedule_problem(expression) is None


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 3 * * 1)",
        "cron(0 3 * * MON *)",
        "cron(0 3 ? * 8 *)",
        "cron(61 3 ? * * *)",
        "cron(0 3 ? * MON 1800)",
        "rate(0 minutes)",
        "rate(2 hour)",
        "at(2026-12-01T00:00:00)",
        "@daily",
    ],
)
def test_invalid_eventbridge_expressions(expression: str) -> None:
    assert schedule_problem(expression)


# --- cross-document checks ---------------------------------------------------------------------------------------


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(textwrap.dedent(text))


def _environment(name: str, promotion: str = "") -> str:
    return f"""
    apiVersion: modelctl/v1
    kind: Environment
    metadata: {{name: {name}}}
    spec:
      account: "111122223333"
      region: us-east-1
      executionRoleArn: arn:aws:iam::111122223333:role/r
      artifactBucket: bucket-{name}
      {promotion}
    """


def _problems(folder: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_catalog([str(folder)])
    return [str(d) for d in caught.value.diagnostics]


def test_duplicate_names_across_files(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", _environment("dev"))
    _write(tmp_path, "b.yaml", _environment("dev"))
    model = (CORPUS / "valid-model.yaml.txt").read_text()
    (tmp_path / "m1.yaml").write_text(model)
    (tmp_path / "m2.yaml").write_text(model)
    problems = _problems(tmp_path)
    name = yaml.safe_load(model)["metadata"]["name"]
    # the message says which name is taken twice, and where it was first defined
    assert (
        f"{tmp_path}/b.yaml:4: metadata.name: duplicate Environment name 'dev' (first defined in {tmp_path}/a.yaml:4)"
        in problems
    )
    assert (
        f"{tmp_path}/m2.yaml:4: metadata.name: duplicate ModelSpec name {name!r} "
        f"(first defined in {tmp_path}/m1.yaml:4)" in problems
    )


@pytest.mark.parametrize(
    ("environments", "message"),
    [
        ({"prod": "promotion: {from: prod}"}, "an environment cannot be promoted from itself"),
        ({"prod": "promotion: {from: stage}"}, "environment 'stage' is not defined"),
        (
            {"prod": "promotion: {from: stage}", "stage": "promotion: {from: prod}"},
            "promotion cycle: prod -> stage -> prod",
        ),
    ],
)
def test_promotion_chains(tmp_path: Path, environments: dict[str, str], message: str) -> None:
    for name, promotion in environments.items():
        _write(tmp_path, f"{name}.yaml", _environment(name, promotion))
    problems = _problems(tmp_path)
    assert any(f"spec.promotion.from: {message}" in p for p in problems), problems


def test_a_promoted_environment_needs_the_model_upstream(tmp_path: Path) -> None:
    _write(tmp_path, "dev.yaml", _environment("dev"))
    _write(tmp_path, "prod.yaml", _environment("prod", "promotion: {from: dev}"))
    model = (CORPUS / "valid-model.yaml.txt").read_text().replace("    dev: {}", "    prod: {}")
    (tmp_path / "m.yaml").write_text(model)
    assert any(
        "spec.environments.prod: 'prod' is promoted from 'dev', so the model must live in 'dev' too" in p
        for p in _problems(tmp_path)
    )


def test_the_examples_are_valid_and_cover_the_three_shapes() -> None:
    catalog = load_catalog([str(REPO / "specs")])
    assert catalog.environments["prod"].spec.promotion is not None
    shapes = {name: entry.configs for name, entry in catalog.models.items()}
    assert any(
        c.deployment.realtime
        and c.deployment.realtime.rollout.strategy == "canary"
        and c.deployment.realtime.autoscaling
        for cs in shapes.values()
        for c in cs.values()
    )
    assert any(c.deployment.batch and not c.deployment.realtime for cs in shapes.values() for c in cs.values())
    assert any("prod" in cs and "stage" in cs for cs in shapes.values())


def test_a_region_where_sagemaker_is_not_offered_is_refused(tmp_path: Path) -> None:
    """`aa-east-9` matches the region pattern, and used to pass validate and then crash plan (found by the property
    test, tests/e2e/test_spec_properties.py)."""
    _write(tmp_path, "env.yaml", _environment("dev").replace("region: us-east-1", "region: aa-east-9"))
    (tmp_path / "m.yaml").write_text((CORPUS / "valid-model.yaml.txt").read_text())
    assert (
        f"{tmp_path}/env.yaml:7: spec.region: 'aa-east-9' is not a region where SageMaker is offered "
        "(botocore's endpoints data)"
    ) in _problems(tmp_path)
