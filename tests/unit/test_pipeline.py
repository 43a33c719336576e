"""controller.pipeline.definition: the ASL definition's shape, its determinism, its parameters and execution input.

Pure: no AWS. That the definition executes is tests/emulator/test_pipeline_runs.py's job; here, besides the
graph, the `asl-validator` CLI (npm) checks it when it is installed (ASL_VALIDATOR, or .ci/node).
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from asl_tools import asl_validator, asl_validator_problems

from controller.pipeline.definition import (
    GIT_SHA_TAG,
    VERSION_TAG,
    BatchTransform,
    BuiltImage,
    Channel,
    MetricDefinition,
    PinnedImage,
    PipelineParams,
    QualityGate,
    Spot,
    Training,
    build_definition,
    encode_input,
    execution_input,
    model_version,
    run_id_for,
)
from controller.pipeline.states import fmt, literal

IMAGE = PinnedImage("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")
BUILT = BuiltImage("churn-train-image", "9f1c2e7d", "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn")
CONFIG_ID = "churn-xgb-3a4b5c6d7e8f"
NOTIFY_STATES = ("NotifyStarted", "NotifySucceeded", "NotifyFailure")


def params(**changes: Any) -> PipelineParams:
    training = Training(
        image=changes.pop("training_image", IMAGE),
        instance_type="ml.m5.xlarge",
        instance_count=1,
        volume_gb=30,
        max_runtime_seconds=7200,
        channels=(Channel("train", "s3://data/churn/train/", "text/csv"),),
        output_s3_path="s3://artifacts/churn/",
        hyperparameters_parameter="/modelctl/dev/churn-xgb/hyperparameters",
        metrics=(MetricDefinition("validation:auc", "validation-auc:([0-9\\.]+)"),),
        quality_gate=changes.pop("gate", QualityGate("validation:auc", at_least=0.8)),
        spot=changes.pop("spot", Spot()),
    )
    base = PipelineParams(
        model="churn-xgb",
        env="dev",
        config_id=CONFIG_ID,
        state_machine_name="modelctl-churn-xgb-dev",
        role_arn="arn:aws:iam::123456789012:role/sm",
        topic_arn="arn:aws:sns:us-east-1:123456789012:alerts",
        source_ref="9f1c2e7d",
        training=training,
        model_package_group="churn-xgb-dev",
        approval_status="Approved",
        inference_image=IMAGE,
        tags={"modelctl:managed": "true"},
    )
    return dataclasses.replace(base, **changes)


def successors(state: dict[str, Any]) -> set[str]:
    names = {state.get("Next"), state.get("Default")}
    names |= {choice["Next"] for choice in state.get("Choices", [])}
    names |= {catch["Next"] for catch in state.get("Catch", [])}
    return {name for name in names if name}


VARIANTS = {
    "pinned": params(),
    "built": params(training_image=BUILT, inference_image=BUILT),
    "no gate, batch": params(gate=None, batch=BatchTransform("s3://data/score/", "s3://out/scores", "ml.m5.xlarge")),
    "spot, two bounds": params(spot=Spot(True, 14400), gate=QualityGate("validation:auc", at_least=0.8, at_most=0.99)),
}


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_every_state_is_reachable_and_every_transition_lands_on_a_state(variant: PipelineParams) -> None:
    states = build_definition(variant)["States"]
    seen, todo = set(), ["ResolveRunId"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += sorted(successors(states[name]))
    assert seen == set(states)
    ends = {name for name, state in states.items() if not successors(state)}
    assert ends == {"Succeeded", "Failed"}
    assert (states["Succeeded"]["Type"], states["Failed"]["Type"]) == ("Succeed", "Fail")


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_every_task_catches_everything_into_a_failure_record_and_notification(variant: PipelineParams) -> None:
    states = build_definition(variant)["States"]
    for name, state in states.items():
        if state["Type"] != "Task":
            continue
        assert not state["Resource"].endswith(".sync"), name  # long steps are start + poll loops
        assert state["Resource"].startswith(("arn:aws:states:::aws-sdk:", "arn:aws:states:::sns:publish"))
        [catch] = state["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"]
        if name == "NotifyFailure":
            assert catch["Next"] == "Failed"
            continue
        record = states[catch["Next"]]
        assert record["Parameters"]["state"] == name and record["Next"] == "NotifyFailure"


def test_poll_loops_wait_the_seconds_given_in_the_execution_input() -> None:
    states = build_definition(VARIANTS["built"])["States"]
    waits = {name: state for name, state in states.items() if state["Type"] == "Wait"}
    assert set(waits) == {"WaitForTraining", "WaitForTrainingImageBuild", "WaitForInferenceImageBuild"}
    assert all(wait["SecondsPath"] == "$.pollSeconds" for wait in waits.values())


def test_optional_steps_appear_only_when_declared() -> None:
    pinned = build_definition(params(gate=None))["States"]
    assert not {"BuildTrainingImage", "QualityGate", "StartBatchTransform"} & set(pinned)
    assert pinned["TrainingStatus"]["Choices"][0]["Next"] == "RegisterModel"
    assert pinned["CreateModel"]["Next"] == "Summarize"
    built = build_definition(params(inference_image=BUILT))["States"]
    assert "BuildInferenceImage" in built and "BuildTrainingImage" not in built
    assert built["NotifyStarted"]["Next"] == "BuildInferenceImage"


def test_notifications_not_wanted_are_pass_states_of_the_same_name() -> None:
    with_all = build_definition(params())["States"]
    quiet = build_definition(params(notify=frozenset({"pipelineFailed"})))["States"]
    silent = build_definition(params(topic_arn=None))["States"]

    recorders = {"NotifyStartedError", "NotifySucceededError"}  # only a Task records its own failure
    assert set(with_all) == set(quiet) | recorders == set(silent) | recorders
    assert [with_all[name]["Type"] for name in NOTIFY_STATES] == ["Task", "Task", "Task"]
    assert [quiet[name]["Type"] for name in NOTIFY_STATES] == ["Pass", "Pass", "Task"]
    assert [silent[name]["Type"] for name in NOTIFY_STATES] == ["Pass", "Pass", "Pass"]
    assert silent["NotifyFailure"]["Next"] == "Failed"
    failed = with_all["NotifyFailure"]["Parameters"]
    assert failed["Subject"] == "modelctl churn-xgb/dev: pipeline failed"
    assert failed["MessageAttributes"] == {"event": {"DataType": "String", "StringValue": "pipelineFailed"}}
    assert failed["Message"]["state.$"] == "$.failure.state"


def test_the_definition_is_deterministic() -> None:
    first = json.dumps(build_definition(VARIANTS["built"]), sort_keys=True)
    assert json.dumps(build_definition(VARIANTS["built"]), sort_keys=True) == first
    changed = dataclasses.replace(VARIANTS["built"], tags={"modelctl:managed": "true", "team": "growth"})
    assert json.dumps(build_definition(changed), sort_keys=True) != first


def test_the_training_job_gets_the_parameters_and_hyperparameters_by_version() -> None:
    states = build_definition(VARIANTS["spot, two bounds"])["States"]
    assert states["ReadHyperparameters"]["Parameters"] == {
        "Name.$": "States.Format('/modelctl/dev/churn-xgb/hyperparameters:{}', $.hyperparameterVersion)"
    }
    job = states["StartTraining"]["Parameters"]
    assert job["HyperParameters.$"] == "States.StringToJson($.hyperparameters.Value)"
    assert job["TrainingJobName.$"] == "$.run.version"
    assert job["EnableManagedSpotTraining"] is True
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 7200, "MaxWaitTimeInSeconds": 14400}
    assert job["Tags"][-2:] == [
        {"Key": GIT_SHA_TAG, "Value.$": "$.gitSha"},
        {"Key": VERSION_TAG, "Value.$": "$.run.version"},
    ]
    gate = states["QualityGate"]["Choices"][1]
    assert gate["And"] == [
        {"Variable": "$.gate.values[0]", "NumericGreaterThanEquals": 0.8},
        {"Variable": "$.gate.values[0]", "NumericLessThanEquals": 0.99},
    ]


def test_built_images_are_tagged_with_the_version() -> None:
    states = build_definition(VARIANTS["built"])["States"]
    tag = states["BuildTrainingImage"]["Parameters"]["EnvironmentVariablesOverride"][1]
    assert tag == {"Name": "IMAGE_TAG", "Value.$": "States.Format('{}-training', $.run.version)", "Type": "PLAINTEXT"}
    image = states["StartTraining"]["Parameters"]["AlgorithmSpecification"]["TrainingImage.$"]
    assert image == f"States.Format('{BUILT.repository_uri}:{{}}-training', $.run.version)"


def test_the_run_id_is_derived_from_the_start_time_like_run_id_for() -> None:
    states = build_definition(params())["States"]
    split = states["SplitStartTime"]["Parameters"]["parts.$"]
    assert split == "States.StringSplit($$.Execution.StartTime, '-:T.Z+')"
    assert states["ComputeRunId"]["Parameters"]["id.$"].startswith("States.Format('{}{}{}T{}{}{}Z', ")
    # States.StringSplit splits on each of the delimiter characters; AWS writes StartTime like this:
    parts = [part for part in re.split("[-:T.Z+]", "2026-11-25T03:00:07.123Z") if part]
    expected = run_id_for(datetime(2026, 11, 25, 4, 0, 7, tzinfo=timezone(timedelta(hours=1))))
    assert "{}{}{}T{}{}{}Z".format(*parts[:6]) == expected == "20261125T030007Z"


def test_the_longest_version_fits_a_sagemaker_name() -> None:
    longest_config = "m" * 32 + "-" + "a" * 12  # a 32-character model name (SPEC.md)
    assert len(model_version(longest_config, run_id_for(datetime.now(UTC)))) == 62
    params(config_id=longest_config + "b")  # 63: accepted
    with pytest.raises(ValueError, match="63"):
        params(config_id=longest_config + "bc")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"approval_status": "Rejected"}, "approval status"),
        ({"gate": QualityGate("train:loss", at_most=0.1)}, "not among the metric definitions"),
        ({"gate": QualityGate("validation:auc")}, "at_least or at_most"),
        ({"spot": Spot(True)}, "max_wait_seconds"),
        ({"tags": {VERSION_TAG: "x"}}, "set by the pipeline"),
    ],
)
def test_params_that_would_make_a_broken_pipeline_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        params(**changes)


def test_execution_input_is_validated_and_encoded_canonically() -> None:
    value = execution_input(3, "c0ffee", "schedule", poll_seconds=1, run_id="20261125T030000Z")
    assert encode_input(value) == (
        '{"gitSha":"c0ffee","hyperparameterVersion":3,"pollSeconds":1,"runId":"20261125T030000Z","trigger":"schedule"}'
    )
    assert "runId" not in execution_input(3, "c0ffee", "reconcile")
    assert execution_input(CONFIG_ID, "c0ffee", "reconcile")["hyperparameterVersion"] == CONFIG_ID  # a label
    invalid: list[dict[str, Any]] = [
        {"hyperparameter_version": 0},
        {"hyperparameter_version": "1st"},  # labels start with a letter
        {"poll_seconds": -1},
        {"git_sha": ""},
        {"run_id": "no_underscores"},
    ]
    for bad in invalid:
        arguments: dict[str, Any] = {"hyperparameter_version": 1, "git_sha": "c0ffee", "trigger": "retrain", **bad}
        with pytest.raises(ValueError):
            execution_input(**arguments)


def test_intrinsic_text_is_escaped() -> None:
    assert literal("it's {x}\\") == "'it\\'s \\{x\\}\\\\'"
    assert fmt("a'{}", "$.x") == "States.Format('a\\'{}', $.x)"
    with pytest.raises(ValueError):
        fmt("{} {}", "$.x")


@pytest.mark.skipif(asl_validator() is None, reason="asl-validator (npm) is not installed")
@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_asl_validator_accepts_the_definition(variant: PipelineParams, tmp_path: Path) -> None:
    assert asl_validator_problems(build_definition(variant), tmp_path) == ""
