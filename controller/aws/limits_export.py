"""Generate `controller/spec/aws_limits.json`: the AWS limits `validate` enforces, read from botocore's data.

`validate` must not import botocore (its import alone costs more than validating a thousand specs; bench/validate.py
and tests/unit/test_light_imports.py hold it to that), so the figures it needs are copied out of botocore's service
models and partition data into a small committed JSON file by this script. `tests/unit/test_aws_limits.py`
regenerates it and fails when it differs from the committed file, so it cannot go stale when botocore moves.

Sources (each figure names the botocore shape it comes from, in the file itself):
- sagemaker: HyperParameters / HyperParameterKey / HyperParameterValue (CreateTrainingJob), TagList / TagKey /
  TagValue, the name shapes of what the controller creates (EndpointName, EndpointConfigName, EntityName for
  model package groups, TrainingJobName, ModelName, TransformJobName, VariantName), the instance type enums
  (TrainingInstanceType, ProductionVariantInstanceType, TransformInstanceType), DeploymentConfig's
  WaitIntervalInSeconds / TerminationWaitInSeconds / MaximumExecutionTimeoutInSeconds and AlarmList;
- the tag shapes of every service the controller tags (ssm, stepfunctions, cloudwatch, scheduler, codebuild,
  application-autoscaling): the strictest length and the character pattern;
- stepfunctions Name (state machines, executions), codebuild ProjectName, scheduler Name, cloudwatch AlarmName,
  ssm PSParameterName, application-autoscaling PolicyName;
- botocore's endpoints.json: the regions of each partition where SageMaker is offered, and the partition's DNS
  suffix (ECR image hosts, ARNs).

Run: `python -m controller.aws.limits_export [OUT]` (default: controller/spec/aws_limits.json). It lives with the
adapters because it imports botocore, which the spec layer never does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(__file__).parents[1] / "spec" / "aws_limits.json"
TAGGED_SERVICES = (
    "sagemaker",
    "ssm",
    "stepfunctions",
    "cloudwatch",
    "scheduler",
    "codebuild",
    "application-autoscaling",
)


def _string(model: Any, shape_name: str) -> dict[str, Any]:
    shape = model.shape_for(shape_name)
    found = {k: shape.metadata[k] for k in ("min", "max", "pattern") if k in shape.metadata}
    return {"shape": f"{model.service_name}.{shape_name}", **found}


def _member(model: Any, operation: str, path: str) -> Any:
    shape = model.operation_model(operation).input_shape
    for part in path.split("."):
        shape = shape.members[part]
        while shape.type_name == "list":
            shape = shape.member
    return shape


def _tag_shapes(model: Any) -> tuple[Any, Any]:
    """The key and value shapes of a service's tags (a Tag structure, or a map)."""
    for name in ("Tag", "TagMap"):
        try:
            shape = model.shape_for(name)
        except Exception:
            continue
        if shape.type_name == "map":
            return shape.key, shape.value
        members = list(shape.members.values())
        return members[0], members[1]
    raise LookupError(f"{model.service_name} has no Tag or TagMap shape")


def generate() -> dict[str, Any]:
    import botocore.session

    session = botocore.session.get_session()
    models = {name: session.get_service_model(name) for name in TAGGED_SERVICES}
    sagemaker = models["sagemaker"]
    hyperparameters = sagemaker.shape_for("HyperParameters")

    tag_keys, tag_values, tag_counts = [], [], []
    for name, model in models.items():
        key, value = _tag_shapes(model)
        tag_keys.append({"shape": f"{name}.{key.name}", **{k: key.metadata.get(k) for k in ("min", "max", "pattern")}})
        tag_values.append(
            {"shape": f"{name}.{value.name}", **{k: value.metadata.get(k) for k in ("min", "max", "pattern")}}
        )
    for service, operation, member in (
        ("sagemaker", "AddTags", "Tags"),
        ("codebuild", "CreateProject", "tags"),
        ("ssm", "AddTagsToResource", "Tags"),
        ("scheduler", "CreateScheduleGroup", "Tags"),
    ):
        shape = models[service].operation_model(operation).input_shape.members[member]
        if "max" in shape.metadata:
            tag_counts.append({"shape": f"{service}.{shape.name}", "max": shape.metadata["max"]})

    blue_green = "DeploymentConfig.BlueGreenUpdatePolicy"
    rollout = {
        "waitInterval": _member(
            sagemaker, "CreateEndpoint", f"{blue_green}.TrafficRoutingConfiguration.WaitIntervalInSeconds"
        ),
        "terminationWait": _member(sagemaker, "CreateEndpoint", f"{blue_green}.TerminationWaitInSeconds"),
        "maximumExecutionTimeout": _member(
            sagemaker, "CreateEndpoint", f"{blue_green}.MaximumExecutionTimeoutInSeconds"
        ),
    }
    alarm_list = sagemaker.operation_model("CreateEndpoint").input_shape.members["DeploymentConfig"]
    alarm_list = alarm_list.members["AutoRollbackConfiguration"].members["Alarms"]

    return {
        "_comment": "generated by `python -m controller.aws.limits_export` from botocore's data; do not edit",
        "hyperparameters": {
            "count": {"shape": "sagemaker.HyperParameters", "max": hyperparameters.metadata["max"]},
            "key": _string(sagemaker, hyperparameters.key.name),
            "value": _string(sagemaker, hyperparameters.value.name),
        },
        "tags": {"count": tag_counts, "key": tag_keys, "value": tag_values},
        "rollout": {
            **{
                label: {"shape": f"sagemaker.{shape.name}", "min": shape.metadata["min"], "max": shape.metadata["max"]}
                for label, shape in rollout.items()
            },
            "rollbackAlarms": {"shape": f"sagemaker.{alarm_list.name}", "max": alarm_list.metadata["max"]},
        },
        "names": {
            "endpoint": _string(sagemaker, "EndpointName"),
            "endpointConfig": _string(sagemaker, "EndpointConfigName"),
            "modelPackageGroup": _string(
                sagemaker, _member(sagemaker, "CreateModelPackageGroup", "ModelPackageGroupName").name
            ),
            "trainingJob": _string(sagemaker, "TrainingJobName"),
            "model": _string(sagemaker, "ModelName"),
            "transformJob": _string(sagemaker, "TransformJobName"),
            "variant": _string(sagemaker, "VariantName"),
            "stateMachine": _string(models["stepfunctions"], "Name"),
            "codebuildProject": _string(models["codebuild"], "ProjectName"),
            "schedule": _string(models["scheduler"], "Name"),
            "scheduleGroup": _string(models["scheduler"], "ScheduleGroupName"),
            "alarm": _string(models["cloudwatch"], "AlarmName"),
            "ssmParameter": _string(models["ssm"], "PSParameterName"),
            "scalingPolicy": _string(models["application-autoscaling"], "PolicyName"),
        },
        "instanceTypes": {
            use: {"shape": f"sagemaker.{shape}", "enum": sorted(sagemaker.shape_for(shape).enum)}
            for use, shape in (
                ("training", "TrainingInstanceType"),
                ("hosting", "ProductionVariantInstanceType"),
                ("transform", "TransformInstanceType"),
            )
        },
        "partitions": _partitions(session),
    }


def _partitions(session: Any) -> dict[str, Any]:
    """partition -> its DNS suffix and the regions where SageMaker is offered (botocore's endpoints.json)."""
    endpoints = session.get_component("data_loader").load_data("endpoints")
    found: dict[str, Any] = {}
    for partition in endpoints["partitions"]:
        name = partition["partition"]
        regions = session.get_available_regions("sagemaker", partition_name=name)
        if regions:
            found[name] = {"dnsSuffix": partition["dnsSuffix"], "sagemakerRegions": sorted(regions)}
    return found


def render() -> str:
    return json.dumps(generate(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    out.write_text(render(), encoding="utf-8")
    print(f"wrote {out}")
