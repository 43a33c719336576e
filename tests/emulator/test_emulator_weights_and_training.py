"""UpdateEndpointWeightsAndCapacities and training jobs on the emulator, served and in-process.

Shapes per the SageMaker API reference: UpdateEndpointWeightsAndCapacities / DesiredWeightAndCapacity,
CreateTrainingJob, DescribeTrainingJob (TrainingJobStatus, SecondaryStatusTransitions, FinalMetricDataList).
"""

from __future__ import annotations

from typing import Any

from emulator_kit import ROLE, SageMakerKit, error_of, wait_until

from controller.local.training_lifecycle import metric_value

ARN = "arn:aws:sagemaker:us-east-1:123456789012"


def _canary_endpoint(kit: SageMakerKit) -> None:
    kit.model("m1")
    kit.model("m2")
    kit.config("c1", ("old", "m1", 2, 1.0), ("new", "m2", 1, 0.0))
    kit.endpoint("e", "c1")


def test_a_zero_weight_is_reported(kit: SageMakerKit) -> None:
    _canary_endpoint(kit)
    new = kit.describe("e")["ProductionVariants"][1]
    assert (new["VariantName"], new["CurrentWeight"], new["DesiredWeight"]) == ("new", 0.0, 0.0)


def test_weights_change_through_updating_and_keep_omitted_counts(watched_kit: SageMakerKit) -> None:
    _canary_endpoint(watched_kit)
    watched_kit.sm.update_endpoint_weights_and_capacities(
        EndpointName="e",
        DesiredWeightsAndCapacities=[
            {"VariantName": "old", "DesiredWeight": 0.9},
            {"VariantName": "new", "DesiredWeight": 0.1, "DesiredInstanceCount": 3},
        ],
    )
    seen = watched_kit.settle("e")
    assert [d["EndpointStatus"] for d in seen] == ["Updating", "InService"]
    during = {v["VariantName"]: v for v in seen[0]["ProductionVariants"]}
    assert (during["new"]["CurrentWeight"], during["new"]["DesiredWeight"]) == (0.0, 0.1)
    after = {v["VariantName"]: v for v in seen[-1]["ProductionVariants"]}
    assert after["old"] == {
        "VariantName": "old",
        "CurrentWeight": 0.9,
        "DesiredWeight": 0.9,
        "CurrentInstanceCount": 2,
        "DesiredInstanceCount": 2,
    }
    assert (after["new"]["CurrentWeight"], after["new"]["CurrentInstanceCount"]) == (0.1, 3)
    assert seen[-1]["EndpointConfigName"] == "c1"


def test_weights_errors(kit: SageMakerKit) -> None:
    _canary_endpoint(kit)

    def update(endpoint: str, *names: str) -> Any:
        desired = [{"VariantName": name, "DesiredWeight": 1.0} for name in names]
        return lambda: kit.sm.update_endpoint_weights_and_capacities(
            EndpointName=endpoint, DesiredWeightsAndCapacities=desired
        )

    assert error_of(update("nope", "old")) == ("ValidationException", f'Could not find endpoint "{ARN}:endpoint/nope".')
    assert error_of(update("e", "old", "old"))[1] == 'The variant name "old" was non-unique within the request.'
    assert "not present" in error_of(update("e", "ghost"))[1]
    update("e", "old")()
    assert error_of(update("e", "new")) == (
        "ValidationException",
        f'Cannot update in-progress endpoint "{ARN}:endpoint/e".',
    )


def _train(kit: SageMakerKit, name: str, *metrics: str) -> None:
    kit.sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1",
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": metric, "Regex": f"{metric}=([0-9.]+)"} for metric in metrics],
        },
        RoleArn=ROLE,
        OutputDataConfig={"S3OutputPath": "s3://bucket/models/"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )


def _finished(kit: SageMakerKit, name: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job: dict[str, Any] = kit.sm.describe_training_job(TrainingJobName=name)
        return job if job["TrainingJobStatus"] != "InProgress" else None

    result: dict[str, Any] = wait_until(done)
    return result


def test_training_runs_then_completes_with_metrics(kit: SageMakerKit) -> None:
    _train(kit, "churn-1", "validation:auc", "train:loss")
    running = kit.sm.describe_training_job(TrainingJobName="churn-1")
    assert running["TrainingJobStatus"] == "InProgress"
    assert running["SecondaryStatus"] in ("Starting", "Downloading")
    assert "TrainingEndTime" not in running and "FinalMetricDataList" not in running
    assert [d["Name"] for d in running["AlgorithmSpecification"]["MetricDefinitions"]] == [
        "validation:auc",
        "train:loss",
    ]
    job = _finished(kit, "churn-1")
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Completed", "Completed")
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics == {
        "validation:auc": metric_value("churn-1", "validation:auc"),
        "train:loss": metric_value("churn-1", "train:loss"),
    }
    assert 0.85 <= metrics["validation:auc"] < 0.95 and 0.05 <= metrics["train:loss"] < 0.15  # scores high, losses low
    assert job["TrainingEndTime"] >= job["TrainingStartTime"] >= job["CreationTime"]


def test_training_failures_and_metric_overrides(kit: SageMakerKit, aws: Any) -> None:
    aws.configure(
        {
            "trainingJobs": {
                "fail": [{"namePrefix": "churn-", "reason": "AlgorithmError: out of memory"}],
                "metrics": {"validation:auc": 0.7},
            }
        }
    )
    _train(kit, "churn-2", "validation:auc")
    _train(kit, "fraud-2", "validation:auc")
    failed = _finished(kit, "churn-2")
    assert (failed["TrainingJobStatus"], failed["SecondaryStatus"]) == ("Failed", "Failed")
    assert failed["FailureReason"] == "AlgorithmError: out of memory"
    assert "FinalMetricDataList" not in failed
    completed = _finished(kit, "fraud-2")
    assert completed["FinalMetricDataList"][0]["Value"] == 0.7
    listed = kit.sm.list_training_jobs(StatusEquals="Failed")["TrainingJobSummaries"]
    assert [job["TrainingJobName"] for job in listed] == ["churn-2"]


def test_training_errors(kit: SageMakerKit) -> None:
    _train(kit, "churn-3")
    assert error_of(lambda: _train(kit, "churn-3")) == (
        "ResourceInUse",
        "Training job names must be unique within an AWS account and region, and a training job with this name "
        f"already exists ({ARN}:training-job/churn-3)",
    )
    assert error_of(lambda: kit.sm.describe_training_job(TrainingJobName="nope")) == (
        "ValidationException",
        "Requested resource not found.",
    )
