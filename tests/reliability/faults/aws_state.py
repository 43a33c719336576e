"""What the controller left in the emulator for one environment, read with the test's own clean boto3 clients (never
the controller's, so no fault is injected here), as plain data two runs can be compared by.

`snapshot(url, env)` holds every kind the small specs make: SSM parameters (value, tags, the value each label names),
state machines with their executions, training jobs, model packages per group, models, endpoint configs, endpoints,
alarms, and the controller's inventory and rollback marks in the state table. Versions, ARNs and times are left
out: they differ between two correct runs (an SSM parameter written twice after a lost response is at version 2).
Two names also differ between two correct runs, and are replaced: the training time in a model version's name
("-<trained>"), and so the content-derived name of an endpoint config ("config-" + a digest of its variants).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import boto3

from controller.aws.statetable import TABLE_NAME

REGION = "us-east-1"
TRAINED_AT = re.compile(r"-\d{8}T\d{6}Z")  # a model version's suffix: when its training job started


def _client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION)


def snapshot(url: str, env: str) -> dict[str, Any]:
    """The environment's resources as comparable data (see the module docstring)."""
    sagemaker = _client(url, "sagemaker")
    state = {
        "parameters": _parameters(url, env),
        "stateMachines": _state_machines(url),
        "trainingJobs": sorted(j["TrainingJobName"] for j in sagemaker.list_training_jobs()["TrainingJobSummaries"]),
        "modelPackages": _model_packages(sagemaker),
        "models": sorted(m["ModelName"] for m in sagemaker.list_models()["Models"]),
        "endpointConfigs": _endpoint_configs(sagemaker),
        "endpoints": {
            e["EndpointName"]: _endpoint(sagemaker, e["EndpointName"]) for e in sagemaker.list_endpoints()["Endpoints"]
        },
        "alarms": {
            a["AlarmName"]: (a["MetricName"], a["Threshold"], sorted(a.get("AlarmActions", [])))
            for a in _client(url, "cloudwatch").describe_alarms()["MetricAlarms"]
        },
        "inventory": _state_items(url, f"inventory#{env}"),
        "rolledBack": _state_items(url, f"rolledback#{env}"),
    }
    return _comparable(state)


def _parameters(url: str, env: str) -> dict[str, Any]:
    ssm = _client(url, "ssm")
    found: dict[str, Any] = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=f"/modelctl/{env}/", Recursive=True):
        for parameter in page["Parameters"]:
            name = parameter["Name"]
            history = [
                version
                for history_page in ssm.get_paginator("get_parameter_history").paginate(Name=name)
                for version in history_page["Parameters"]
            ]
            labels = {label: version["Value"] for version in history for label in version.get("Labels", [])}
            tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
            found[name] = {
                "value": parameter["Value"],
                "type": parameter["Type"],
                "labels": labels,
                "tags": {tag["Key"]: tag["Value"] for tag in tags},
            }
    return found


def _state_machines(url: str) -> dict[str, Any]:
    sfn = _client(url, "stepfunctions")
    machines: dict[str, Any] = {}
    for machine in sfn.list_state_machines()["stateMachines"]:
        arn = machine["stateMachineArn"]
        definition = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
        executions = sfn.list_executions(stateMachineArn=arn)["executions"]
        machines[machine["name"]] = {
            "definition": hashlib.sha256(definition.encode()).hexdigest(),
            "executions": sorted((e["name"], e["status"]) for e in executions),
        }
    return machines


def _model_packages(sagemaker: Any) -> dict[str, list[tuple[str, str]]]:
    groups = sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
    return {
        group["ModelPackageGroupName"]: sorted(
            (package.get("ModelPackageDescription", ""), package["ModelApprovalStatus"])
            for package in sagemaker.list_model_packages(ModelPackageGroupName=group["ModelPackageGroupName"])[
                "ModelPackageSummaryList"
            ]
        )
        for group in groups
    }


def _endpoint_configs(sagemaker: Any) -> dict[str, list[tuple[str, str, int, float]]]:
    configs: dict[str, list[tuple[str, str, int, float]]] = {}
    for summary in sagemaker.list_endpoint_configs()["EndpointConfigs"]:
        name = summary["EndpointConfigName"]
        variants = sagemaker.describe_endpoint_config(EndpointConfigName=name)["ProductionVariants"]
        configs[name] = sorted(
            (v["VariantName"], v["ModelName"], v["InitialInstanceCount"], v["InitialVariantWeight"]) for v in variants
        )
    return configs


def _endpoint(sagemaker: Any, name: str) -> dict[str, Any]:
    endpoint = sagemaker.describe_endpoint(EndpointName=name)
    return {
        "config": endpoint["EndpointConfigName"],
        "status": endpoint["EndpointStatus"],
        "weights": sorted((v["VariantName"], v.get("CurrentWeight")) for v in endpoint.get("ProductionVariants", [])),
    }


def _state_items(url: str, pk: str) -> list[str]:
    answer = _client(url, "dynamodb").query(
        TableName=TABLE_NAME,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
    )
    return sorted(item["sk"]["S"] for item in answer["Items"])


def serving(state: dict[str, Any], endpoint: str) -> dict[str, str]:
    """variant -> the model version `endpoint` serves, in a snapshot."""
    config = state["endpoints"][endpoint]["config"]
    return {variant: model for variant, model, _, _ in state["endpointConfigs"][config]}


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    """`state` with the names two correct runs differ in replaced (see the module docstring)."""
    text = TRAINED_AT.sub("-<trained>", json.dumps(state, sort_keys=True))
    for name, variants in json.loads(text)["endpointConfigs"].items():
        text = text.replace(name, "config-" + hashlib.sha256(json.dumps(variants).encode()).hexdigest()[:12])
    comparable: dict[str, Any] = json.loads(text)
    for listed in ("trainingJobs", "models", "inventory", "rolledBack"):
        comparable[listed].sort()
    return comparable
