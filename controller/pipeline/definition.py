"""The train-and-deploy pipeline of one model in one environment, as an Amazon States Language definition.

`build_definition(params)` returns the ASL document (a dict) of the Step Functions state machine that
`controller.desired` declares for a model+environment; `execution_input(...)` / `encode_input(...)` build the
input every execution takes (both, and the parameter types, live in controller.pipeline.params and are
re-exported here). Pure: no boto3, no clock, no I/O; the same `PipelineParams` always give the same JSON, so
a digest of `json.dumps(definition, sort_keys=True)` is stable. Generic ASL building blocks (Tasks with
retries and catches, poll loops, notifications) are in controller.pipeline.states.

The flow (DESIGN.md, "The pipeline"); every long step is start + poll (Wait/Choice), never `.sync`, so one
definition runs on AWS and on the embedded emulator:

    ResolveRunId -> NotifyStarted -> [BuildTrainingImage] -> [BuildInferenceImage] -> ReadHyperparameters
      -> StartTraining -> poll DescribeTraining -> [quality gate] -> RegisterModel -> CreateModel
      -> [StartBatchTransform -> poll] -> Summarize -> NotifySucceeded -> Succeeded

The execution times out after the steps' budget (controller.pipeline.timeout: training max runtime, image
builds, batch transform, margin) as `TimeoutSeconds`; a timed-out or stopped execution runs no Catch, so the
reconciler notifies those (controller.reconcile.pipeline_alerts).

Any failure (a caught Task error, a build or job that ends FAILED/Stopped, a quality gate not met) records
`$.failure = {state, error, cause}` and goes to NotifyFailure (SNS: model, env, version, failed state,
error, cause), then to the Fail state `Failed`: the execution's error is `<failed state>.<error>` (e.g.
`QualityGate.QualityGateFailed`, `Training.TrainingFailed`, `StartTraining.SageMaker.ResourceInUseException`)
and its cause the failure's cause. A successful execution's output is the summary that NotifySucceeded
publishes (event, model, env, configId, version, modelPackageArn, modelName, trainingJobName, ...).
Notifications go to `topic_arn` for the events in `notify`, each with an `event` message attribute for
subscription filter policies; a notification not wanted is a Pass state of the same name.

Run id and model version. A model version is `<config id>-<run>` (SPEC.md). The run is computed INSIDE the
execution, so runs started by EventBridge Scheduler (which cannot compute anything) get one too: the
execution's start time `$$.Execution.StartTime` (ISO 8601, e.g. `2026-11-25T03:00:07.123Z`) is split with
`States.StringSplit` on `-:T.Z+` and re-joined with `States.Format` into `20261125T030007Z`: ISO 8601 basic
format, UTC, sortable, 16 characters, so a version fits SageMaker's 63-character names (config id <= 45).
An execution input may instead carry `runId` (tests, replays); it wins when present. Why not JSONata
(`$now('[Y0001]...')`): it needs `QueryLanguage: JSONata`, and moto's interpreter evaluates JSONata through
a JVM that the emulator does not have; the JSONPath intrinsics used here are evaluated natively by both.
The run id becomes the training job, model and transform job name (`<version>`), which SageMaker keeps
unique: two runs of one config in the same second fail the second (execution names already prevent it).

Images built by CodeBuild get the environment variables IMAGE_REPO_URI and IMAGE_TAG (`<version>-training`
or `<version>-inference`); the build must push `$IMAGE_REPO_URI:$IMAGE_TAG`, which the pipeline then uses.

Hyperparameters are read from SSM Parameter Store by the version, or label, given in the execution input
(`Name` = `<parameter>:<version or label>`), so a run is reproducible while the parameter changes; the value
is a JSON object of strings, passed to CreateTrainingJob through `States.StringToJson`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controller.pipeline.params import (
    ALL_EVENTS,
    RUN_ID_FORMAT,
    ApprovalStatus,
    BatchTransform,
    BuiltImage,
    Channel,
    ExecutionInput,
    Image,
    MetricDefinition,
    NotifyEvent,
    PinnedImage,
    PipelineParams,
    QualityGate,
    Spot,
    Training,
    Trigger,
    encode_input,
    execution_input,
    model_version,
    run_id_for,
)
from controller.pipeline.states import SDK, Flow, fmt, literal, tag_list
from controller.pipeline.timeout import Budget, training_seconds
from controller.resources import (
    CONFIG_TAG,
    DATA_VERSION_TAG,
    GIT_SHA_TAG,
    SOURCE_REF_TAG,
    TRAINING_JOB_TAG,
    TRIGGER_TAG,
    VERSION_TAG,
)

__all__ = [
    "ALL_EVENTS",
    "GIT_SHA_TAG",
    "RUN_ID_FORMAT",
    "VERSION_TAG",
    "ApprovalStatus",
    "BatchTransform",
    "BuiltImage",
    "Channel",
    "ExecutionInput",
    "Image",
    "MetricDefinition",
    "NotifyEvent",
    "PinnedImage",
    "PipelineParams",
    "QualityGate",
    "Spot",
    "Training",
    "Trigger",
    "batch_transform",
    "build_definition",
    "encode_input",
    "execution_input",
    "model_version",
    "run_id_for",
    "run_tags",
]


def build_definition(p: PipelineParams) -> dict[str, Any]:
    """The ASL definition of the pipeline (see the module docstring)."""
    flow = Flow()
    identity = {"model": p.model, "env": p.env, "configId": p.config_id, "version.$": "$.run.version"}

    def topic(event: NotifyEvent) -> str | None:
        return p.topic_arn if event in p.notify else None

    def notify(name: str, event: NotifyEvent, message: Mapping[str, Any] | str, next_state: str) -> None:
        flow.notify(name, topic(event), _subject(p, event), event, message, next_state)

    _resolve_run_id(flow, p.config_id, next_state="NotifyStarted")
    images = (("Training", p.training.image), ("Inference", p.inference_image))
    built = [(role, image) for role, image in images if isinstance(image, BuiltImage)]
    after_start = f"Build{built[0][0]}Image" if built else "ReadHyperparameters"
    started = {"event": "pipelineStarted", **identity, "trigger.$": "$.trigger", "gitSha.$": "$.gitSha"}
    notify("NotifyStarted", "pipelineStarted", started, after_start)
    for index, (role, image) in enumerate(built):
        following = f"Build{built[index + 1][0]}Image" if index + 1 < len(built) else "ReadHyperparameters"
        _build_image(flow, role, image, following)
    _train(flow, p, next_state="CheckGateMetricReported" if p.training.quality_gate else "RegisterModel")
    if p.training.quality_gate is not None:
        _quality_gate(flow, p.training.quality_gate, next_state="RegisterModel")
    _register(flow, p, next_state="StartBatchTransform" if p.batch else "Summarize")
    if p.batch is not None:
        batch_transform(flow, _tags(p), p.batch, next_state="Summarize")
    summary = {
        "event": "pipelineSucceeded",
        **identity,
        "modelPackageArn.$": "$.modelPackage.ModelPackageArn",
        "modelName.$": "$.run.version",
        "trainingJobName.$": "$.run.version",
        "approvalStatus": p.approval_status,
        "gitSha.$": "$.gitSha",
        "trigger.$": "$.trigger",
    }
    flow.add("Summarize", {"Type": "Pass", "Parameters": summary, "ResultPath": "$.result", "Next": "NotifySucceeded"})
    notify("NotifySucceeded", "pipelineSucceeded", "$.result", "Succeeded")
    flow.add("Succeeded", {"Type": "Succeed", "OutputPath": "$.result"})
    failed = {"event": "pipelineFailed", **identity, "state.$": "$.failure.state"}
    failed |= {"error.$": "$.failure.error", "cause.$": "$.failure.cause", "execution.$": "$$.Execution.Id"}
    flow.finish(topic("pipelineFailed"), _subject(p, "pipelineFailed"), failed)
    comment = f"modelctl train-and-deploy pipeline of {p.model} in {p.env} (config {p.config_id})"
    spot_wait = p.training.spot.max_wait_seconds if p.training.spot.enabled else None
    budget = Budget(training_seconds(p.training.max_runtime_seconds, spot_wait), len(built), p.batch is not None)
    return {
        "Comment": comment,
        "StartAt": "ResolveRunId",
        "TimeoutSeconds": budget.timeout_seconds(),
        "States": flow.states,
    }


def _subject(p: PipelineParams, event: NotifyEvent) -> str:
    """`modelctl churn-xgb/prod: pipeline failed`."""
    return f"modelctl {p.model}/{p.env}: pipeline {event.removeprefix('pipeline').lower()}"


# --- sections of the flow, in order ---------------------------------------------------------------------------

_RUN_ID_PARTS = 6  # year, month, day, hour, minute, second of $$.Execution.StartTime


def _resolve_run_id(flow: Flow, config_id: str, next_state: str) -> None:
    """`$.run` = {id, version}: from the input's runId, else from the execution's start time."""
    flow.add(
        "ResolveRunId",
        {
            "Type": "Choice",
            "Choices": [{"Variable": "$.runId", "IsPresent": True, "Next": "UseGivenRunId"}],
            "Default": "SplitStartTime",
        },
    )
    given = {"id.$": "$.runId", "version.$": fmt(config_id + "-{}", "$.runId")}
    flow.add("UseGivenRunId", {"Type": "Pass", "Parameters": given, "ResultPath": "$.run", "Next": next_state})
    split = {"parts.$": f"States.StringSplit($$.Execution.StartTime, {literal('-:T.Z+')})"}
    flow.add("SplitStartTime", {"Type": "Pass", "Parameters": split, "ResultPath": "$.run", "Next": "ComputeRunId"})
    parts = [f"States.ArrayGetItem($.run.parts, {index})" for index in range(_RUN_ID_PARTS)]
    computed = {"id.$": fmt("{}{}{}T{}{}{}Z", *parts), "version.$": fmt(config_id + "-{}{}{}T{}{}{}Z", *parts)}
    flow.add("ComputeRunId", {"Type": "Pass", "Parameters": computed, "ResultPath": "$.run", "Next": next_state})


def _image_field(key: str, image: Image, role: str) -> dict[str, str]:
    """`{key: uri}` for a pinned image, else `{key.$: ...}` naming the image this run's build pushed."""
    if isinstance(image, PinnedImage):
        return {key: image.uri}
    return {f"{key}.$": fmt(image.repository_uri + ":{}-" + role.lower(), "$.run.version")}


def _build_image(flow: Flow, role: str, image: BuiltImage, next_state: str) -> None:
    """CodeBuild startBuild, then poll batchGetBuilds until SUCCEEDED (else the run fails)."""
    start, key = f"Build{role}Image", f"$.builds.{role.lower()}"
    tag = fmt("{}-" + role.lower(), "$.run.version")
    variables = [
        {"Name": "IMAGE_REPO_URI", "Value": image.repository_uri, "Type": "PLAINTEXT"},
        {"Name": "IMAGE_TAG", "Value.$": tag, "Type": "PLAINTEXT"},
    ]
    parameters: dict[str, Any] = {"ProjectName": image.project, "SourceVersion": image.source_version}
    parameters["EnvironmentVariablesOverride"] = variables
    selector = {"BuildId.$": "$.Build.Id"}
    loop = f"WaitFor{role}ImageBuild"
    flow.task(start, SDK + "codebuild:startBuild", parameters, loop, result_path=key, result_selector=selector)
    flow.poll(
        f"{role}ImageBuild",
        SDK + "codebuild:batchGetBuilds",
        {"Ids.$": f"States.Array({key}.BuildId)"},
        result_path=f"{key}.poll",
        status=f"{key}.poll.Builds[0].BuildStatus",
        done="SUCCEEDED",
        running=("IN_PROGRESS",),
        next_state=next_state,
    )


def _train(flow: Flow, p: PipelineParams, next_state: str) -> None:
    """Read the hyperparameters (by version), start the training job, poll it until Completed."""
    t = p.training
    name = fmt(t.hyperparameters_parameter + ":{}", "$.hyperparameterVersion")
    flow.task(
        "ReadHyperparameters",
        SDK + "ssm:getParameter",
        {"Name.$": name},
        "StartTraining",
        result_path="$.hyperparameters",
        result_selector={"Value.$": "$.Parameter.Value"},
    )
    algorithm: dict[str, Any] = {**_image_field("TrainingImage", t.image, "Training"), "TrainingInputMode": "File"}
    if t.metrics:
        algorithm["MetricDefinitions"] = [{"Name": m.name, "Regex": m.regex} for m in t.metrics]
    stopping: dict[str, int] = {"MaxRuntimeInSeconds": t.max_runtime_seconds}
    if t.spot.enabled and t.spot.max_wait_seconds:
        stopping["MaxWaitTimeInSeconds"] = t.spot.max_wait_seconds
    parameters: dict[str, Any] = {
        "TrainingJobName.$": "$.run.version",
        "RoleArn": p.role_arn,
        "AlgorithmSpecification": algorithm,
        "HyperParameters.$": "States.StringToJson($.hyperparameters.Value)",
        "InputDataConfig": [_channel(channel) for channel in t.channels],
        "OutputDataConfig": {"S3OutputPath": t.output_s3_path},
        "ResourceConfig": {
            "InstanceType": t.instance_type,
            "InstanceCount": t.instance_count,
            "VolumeSizeInGB": t.volume_gb,
        },
        "StoppingCondition": stopping,
        "EnableManagedSpotTraining": t.spot.enabled,
        "Tags": _tags(p),
    }
    _sagemaker_job(flow, "Training", "TrainingJob", parameters, "$.training", next_state)


def _channel(channel: Channel) -> dict[str, Any]:
    source = {"S3DataType": "S3Prefix", "S3Uri": channel.s3_uri, "S3DataDistributionType": "FullyReplicated"}
    result: dict[str, Any] = {"ChannelName": channel.name, "DataSource": {"S3DataSource": source}}
    if channel.content_type:
        result["ContentType"] = channel.content_type
    return result


def _tags(p: PipelineParams) -> list[dict[str, str]]:
    return run_tags(p.tags)


def run_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """SageMaker Tags of what a run creates: `tags`, and the run's version and git SHA from its input."""
    return tag_list(tags, {VERSION_TAG: "$.run.version", GIT_SHA_TAG: "$.gitSha"})


def _quality_gate(flow: Flow, gate: QualityGate, next_state: str) -> None:
    """Compare the gate metric's final value (FinalMetricDataList) with the bounds; a missing value fails."""
    missing = "GateMetricMissing"
    flow.add(
        "CheckGateMetricReported",
        {
            "Type": "Choice",
            "Choices": [{"Variable": "$.training.FinalMetricDataList", "IsPresent": True, "Next": "ExtractGateMetric"}],
            "Default": missing,
        },
    )
    values = f"$.training.FinalMetricDataList[?(@.MetricName == '{gate.metric}')].Value"
    flow.add(
        "ExtractGateMetric",
        {"Type": "Pass", "Parameters": {"values.$": values}, "ResultPath": "$.gate", "Next": "QualityGate"},
    )
    value = "$.gate.values[0]"
    bounds: list[dict[str, Any]] = []
    if gate.at_least is not None:
        bounds.append({"Variable": value, "NumericGreaterThanEquals": gate.at_least})
    if gate.at_most is not None:
        bounds.append({"Variable": value, "NumericLessThanEquals": gate.at_most})
    passed = {**bounds[0], "Next": next_state} if len(bounds) == 1 else {"And": bounds, "Next": next_state}
    flow.add(
        "QualityGate",
        {
            "Type": "Choice",
            "Choices": [{"Variable": value, "IsPresent": False, "Next": missing}, passed],
            "Default": "QualityGateFailed",
        },
    )
    wanted = " and ".join(
        f"{word} {bound}"
        for word, bound in (("at least", gate.at_least), ("at most", gate.at_most))
        if bound is not None
    )
    cause = fmt(f"{gate.metric} = {{}}, the quality gate requires {wanted}", value)
    flow.fail_with("QualityGateFailed", "QualityGate", "QualityGateFailed", cause)
    flow.fail_with(
        missing, "QualityGate", "QualityGateMetricMissing", f"the training job reported no value of {gate.metric}"
    )


def _register(flow: Flow, p: PipelineParams, next_state: str) -> None:
    """Register the model package (with lineage) in the group, then create the model named after the version."""
    container = _image_field("Image", p.inference_image, "Inference")
    container["ModelDataUrl.$"] = "$.training.ModelArtifacts.S3ModelArtifacts"
    lineage = {
        CONFIG_TAG: p.config_id,
        f"{VERSION_TAG}.$": "$.run.version",
        f"{GIT_SHA_TAG}.$": "$.gitSha",
        SOURCE_REF_TAG: p.source_ref,
        f"{TRAINING_JOB_TAG}.$": "$.run.version",
        f"{TRIGGER_TAG}.$": "$.trigger",
    }
    if p.data_version is not None:
        lineage[DATA_VERSION_TAG] = p.data_version
    package = {
        "ModelPackageGroupName": p.model_package_group,
        # the description IS the version id: the registry is read with ListModelPackages alone (no Describe)
        "ModelPackageDescription.$": "$.run.version",
        "ModelApprovalStatus": p.approval_status,
        "InferenceSpecification": {"Containers": [container]},
        "CustomerMetadataProperties": lineage,
        "Tags": _tags(p),
    }
    flow.task("RegisterModel", SDK + "sagemaker:createModelPackage", package, "CreateModel", "$.modelPackage")
    model = {
        "ModelName.$": "$.run.version",
        "ExecutionRoleArn": p.role_arn,
        "PrimaryContainer": container,
        "Tags": _tags(p),
    }
    flow.task("CreateModel", SDK + "sagemaker:createModel", model, next_state, "$.model")


def batch_transform(
    flow: Flow,
    tags: list[dict[str, str]],
    batch: BatchTransform,
    next_state: str,
    job_name_path: str = "$.run.version",
) -> None:
    """A transform job, named from `job_name_path`, with the run's model (`$.run.version`) over the batch input,
    polled until Completed. Also the whole of a promoted environment's pipeline (controller.pipeline.promoted)."""
    source = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": batch.input_s3_uri}}
    transform_input: dict[str, Any] = {"DataSource": source}
    if batch.content_type:
        transform_input["ContentType"] = batch.content_type
    parameters = {
        "TransformJobName.$": job_name_path,
        "ModelName.$": "$.run.version",
        "TransformInput": transform_input,
        "TransformOutput": {"S3OutputPath.$": fmt(batch.output_s3_uri.rstrip("/") + "/{}/", "$.run.version")},
        "TransformResources": {"InstanceType": batch.instance_type, "InstanceCount": batch.instance_count},
        "Tags": tags,
    }
    _sagemaker_job(flow, "BatchTransform", "TransformJob", parameters, "$.transform", next_state, job_name_path)


def _sagemaker_job(
    flow: Flow,
    name: str,
    job: str,
    parameters: dict[str, Any],
    result_path: str,
    next_state: str,
    job_name_path: str = "$.run.version",
) -> None:
    """Start<name> (sagemaker create<job>, named from `job_name_path`), then poll describe<job> into
    `result_path` until Completed; Failed fails the run with the job's FailureReason."""
    flow.task(f"Start{name}", f"{SDK}sagemaker:create{job}", parameters, f"WaitFor{name}")
    flow.poll(
        name,
        f"{SDK}sagemaker:describe{job}",
        {f"{job}Name.$": job_name_path},
        result_path=result_path,
        status=f"{result_path}.{job}Status",
        done="Completed",
        running=("InProgress", "Stopping"),
        next_state=next_state,
        failed=("Failed", f"{result_path}.FailureReason"),
    )
