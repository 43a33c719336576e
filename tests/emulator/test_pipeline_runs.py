"""The shipped pipeline definition (controller.pipeline) executing on the emulator, served and in-process.

Each run polls every 0 s and its training job runs 0.3 s, so a run takes a second or two.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from pipeline_kit import (
    CONFIG_ID,
    HYPERPARAMETERS,
    INFERENCE_BUILD,
    ROLE,
    SERVE_REPO,
    TRAIN_REPO,
    TRAINING_BUILD,
    PipelineKit,
    notifications,
    sample_params,
)

from controller.local import codebuild_ext
from controller.local.control import FailureRule
from controller.pipeline.definition import (
    GIT_SHA_TAG,
    VERSION_TAG,
    QualityGate,
    build_definition,
    execution_input,
    model_version,
    run_id_for,
)

VERSION = model_version(CONFIG_ID, "20261125T030000Z")


@pytest.fixture
def kit(in_process_aws: None) -> PipelineKit:
    """The in-process emulator."""
    return PipelineKit(None)


@pytest.fixture
def any_kit(aws: Any) -> PipelineKit:
    """The served emulator, then the in-process one (Step Functions calls the other services over HTTP when
    served: these runs check they reach the same emulator)."""
    return PipelineKit(aws.url)


def test_moto_parser_accepts_every_variant_of_the_definition() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    for params in (
        sample_params(),
        sample_params(TRAINING_BUILD, INFERENCE_BUILD, gate=None, batch=True),
        sample_params(gate=QualityGate("validation:auc", at_least=0.5, at_most=0.99)),
    ):
        program, _ = AmazonStateLanguageParser.parse(json.dumps(build_definition(params)))
        assert program is not None


def test_a_successful_run_registers_the_version_and_creates_its_model(any_kit: PipelineKit) -> None:
    kit = any_kit
    execution = kit.start(kit.state_machine(sample_params(batch=True)))
    done = kit.finish(execution)

    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["version"] == VERSION
    packages = kit.sagemaker.list_model_packages(ModelPackageGroupName="churn-xgb-dev")["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in packages] == [output["modelPackageArn"]]
    package = kit.sagemaker.describe_model_package(ModelPackageName=output["modelPackageArn"])
    assert package["ModelApprovalStatus"] == "Approved"
    lineage = package["CustomerMetadataProperties"]
    assert lineage["modelctl:version"] == VERSION
    assert lineage["modelctl:training-job"] == VERSION
    assert (lineage["modelctl:git-sha"], lineage["modelctl:source-ref"]) == ("c0ffee", "9f1c2e7d")
    assert lineage["modelctl:data-version"] == "2026-11-01"
    model = kit.sagemaker.describe_model(ModelName=VERSION)
    job = kit.sagemaker.describe_training_job(TrainingJobName=VERSION)
    assert model["PrimaryContainer"]["ModelDataUrl"] == job["ModelArtifacts"]["S3ModelArtifacts"]
    assert job["HyperParameters"] == {"eta": "0.2", "max_depth": "6"}
    tags = {t["Key"]: t["Value"] for t in kit.sagemaker.list_tags(ResourceArn=model["ModelArn"])["Tags"]}
    assert tags[VERSION_TAG] == VERSION and tags[GIT_SHA_TAG] == "c0ffee" and tags["modelctl:managed"] == "true"
    transform = kit.sagemaker.describe_transform_job(TransformJobName=VERSION)
    assert transform["TransformOutput"]["S3OutputPath"] == f"s3://acme-ml-artifacts/churn/scores/{VERSION}/"
    assert [(n["_event"], n["version"]) for n in notifications()] == [
        ("pipelineStarted", VERSION),
        ("pipelineSucceeded", VERSION),
    ]
    assert "WaitForTraining" in kit.states_entered(execution)  # the training job was polled while InProgress


def test_a_failing_training_job_fails_the_run_and_notifies(kit: PipelineKit) -> None:
    kit.configure({"trainingJobs": {"fail": [{"namePrefix": CONFIG_ID, "reason": "AlgorithmError: out of memory"}]}})

    done = kit.run(sample_params())

    assert done["status"] == "FAILED"
    assert (done["error"], done["cause"]) == ("Training.TrainingFailed", "AlgorithmError: out of memory")
    failure = notifications()[-1]
    assert failure["_event"] == "pipelineFailed"
    assert failure["_subject"] == "modelctl churn-xgb/dev: pipeline failed"
    assert {k: failure[k] for k in ("model", "env", "version", "state", "error", "cause")} == {
        "model": "churn-xgb",
        "env": "dev",
        "version": VERSION,
        "state": "Training",
        "error": "TrainingFailed",
        "cause": "AlgorithmError: out of memory",
    }
    assert kit.sagemaker.list_models()["Models"] == []


def test_a_quality_gate_below_threshold_fails_without_a_model(kit: PipelineKit) -> None:
    kit.configure({"trainingJobs": {"metrics": {"validation:auc": 0.7}}})

    done = kit.run(sample_params())

    assert done["status"] == "FAILED"
    assert done["error"] == "QualityGate.QualityGateFailed"
    assert done["cause"] == "validation:auc = 0.7, the quality gate requires at least 0.8"
    assert notifications()[-1]["cause"] == done["cause"]
    assert kit.sagemaker.list_models()["Models"] == []
    assert kit.sagemaker.list_model_packages(ModelPackageGroupName="churn-xgb-dev")["ModelPackageSummaryList"] == []


def test_a_gate_metric_the_job_never_reported_fails_the_gate(kit: PipelineKit) -> None:
    definition = build_definition(sample_params())
    algorithm = definition["States"]["StartTraining"]["Parameters"]["AlgorithmSpecification"]
    algorithm["MetricDefinitions"] = [{"Name": "train:loss", "Regex": "loss=([0-9.]+)"}]  # no validation:auc
    machine = kit.sfn.create_state_machine(name="unreported-gate", definition=json.dumps(definition), roleArn=ROLE)

    done = kit.finish(kit.start(machine["stateMachineArn"]))

    assert (done["status"], done["error"]) == ("FAILED", "QualityGate.QualityGateMetricMissing")
    assert done["cause"] == "the training job reported no value of validation:auc"


def test_images_built_by_codebuild_are_the_ones_trained_and_served(any_kit: PipelineKit) -> None:
    kit = any_kit
    execution = kit.start(kit.state_machine(sample_params(TRAINING_BUILD, INFERENCE_BUILD)))
    done = kit.finish(execution)

    assert done["status"] == "SUCCEEDED", done
    job = kit.sagemaker.describe_training_job(TrainingJobName=VERSION)
    assert job["AlgorithmSpecification"]["TrainingImage"] == f"{TRAIN_REPO}:{VERSION}-training"
    model = kit.sagemaker.describe_model(ModelName=VERSION)
    assert model["PrimaryContainer"]["Image"] == f"{SERVE_REPO}:{VERSION}-inference"
    entered = kit.states_entered(execution)
    assert entered.index("BuildTrainingImage") < entered.index("BuildInferenceImage") < entered.index("StartTraining")
    assert "WaitForTrainingImageBuild" in entered
    builds = kit.codebuild.list_builds_for_project(projectName=TRAINING_BUILD.project)["ids"]
    assert kit.codebuild.batch_get_builds(ids=builds)["builds"][0]["sourceVersion"] == "9f1c2e7d"


def test_a_failed_image_build_fails_the_run_before_training(kit: PipelineKit) -> None:
    codebuild_ext.configure(fail=[FailureRule(namePrefix="churn-train", reason="docker build failed")])

    done = kit.run(sample_params(TRAINING_BUILD))

    assert (done["status"], done["error"]) == ("FAILED", "TrainingImageBuild.TrainingImageBuildEnded")
    assert done["cause"] == "TrainingImageBuild ended with status FAILED"
    assert kit.sagemaker.list_training_jobs()["TrainingJobSummaries"] == []


def test_without_a_run_id_the_run_is_named_after_the_execution_start(kit: PipelineKit) -> None:
    machine = kit.state_machine(sample_params(gate=None))
    execution = kit.start(machine, execution_input(1, "c0ffee", "schedule", poll_seconds=0))
    done = kit.finish(execution)

    assert done["status"] == "SUCCEEDED", done
    started: datetime = done["startDate"]
    assert json.loads(done["output"])["version"] == model_version(CONFIG_ID, run_id_for(started))


def test_hyperparameters_are_read_from_the_version_labelled_in_the_input(kit: PipelineKit) -> None:
    kit.ssm.label_parameter_version(Name=HYPERPARAMETERS, ParameterVersion=1, Labels=[CONFIG_ID])
    kit.ssm.put_parameter(Name=HYPERPARAMETERS, Type="String", Value='{"eta": "0.9"}', Overwrite=True)

    done = kit.run(sample_params(), execution_input(CONFIG_ID, "c0ffee", "schedule", poll_seconds=0, run_id="r1"))

    assert done["status"] == "SUCCEEDED", done
    job = kit.sagemaker.describe_training_job(TrainingJobName=model_version(CONFIG_ID, "r1"))
    assert job["HyperParameters"] == {"eta": "0.2", "max_depth": "6"}


def test_a_missing_hyperparameter_version_fails_at_reading_them(kit: PipelineKit) -> None:
    done = kit.run(sample_params(), execution_input(7, "c0ffee", "retrain", poll_seconds=0, run_id="r1"))

    assert done["status"] == "FAILED"
    assert done["error"].startswith("ReadHyperparameters.")
    assert notifications()[-1]["state"] == "ReadHyperparameters"


def test_execution_names_make_starting_a_run_idempotent(kit: PipelineKit) -> None:
    machine = kit.state_machine(sample_params())
    first = kit.start(machine, name=f"{CONFIG_ID}-c0ffee")

    assert kit.start(machine, name=f"{CONFIG_ID}-c0ffee") == first  # same name, same input, still RUNNING
    kit.finish(first)
    with pytest.raises(kit.sfn.exceptions.ExecutionAlreadyExists):
        kit.start(machine, name=f"{CONFIG_ID}-c0ffee")
    listed = kit.sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [(e["name"], e["status"]) for e in listed] == [(f"{CONFIG_ID}-c0ffee", "SUCCEEDED")]
