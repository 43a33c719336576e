"""GetResources as AWS serves it (controller.local.tagging_ext), on both emulator flavours: pages of up to 100
resources whatever their tag count, ARN-named tokens, the documented filters, and every resource type the
controller tags (Resource Groups Tagging API Reference, "GetResources",
https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_kit import ROLE, SageMakerKit
from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse

from controller.local import tagging_ext

MANAGED = {"Key": "modelctl:managed", "Values": ["true"]}
PASS = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
EIGHT_TAGS = [{"key": f"k{i}", "value": "v"} for i in range(7)] + [{"key": "modelctl:managed", "value": "true"}]


def _machines(aws: Any, count: int) -> None:
    sfn = aws.client("stepfunctions")
    for i in range(count):
        sfn.create_state_machine(name=f"sweep-{i:03d}", definition=PASS, roleArn=ROLE, tags=EIGHT_TAGS)


def _pages(aws: Any, **parameters: Any) -> list[list[str]]:
    paginator = aws.client("resourcegroupstaggingapi").get_paginator("get_resources")
    return [[m["ResourceARN"] for m in page["ResourceTagMappingList"]] for page in paginator.paginate(**parameters)]


def test_pages_hold_up_to_resources_per_page_whatever_the_tags(aws: Any) -> None:
    """ResourcesPerPage: at most 100; TagsPerPage is a second limit only when given (AWS recommends the first)."""
    _machines(aws, 130)
    pages = _pages(aws, TagFilters=[MANAGED], ResourceTypeFilters=["states:stateMachine"], ResourcesPerPage=100)
    assert [len(page) for page in pages] == [100, 30]
    assert len({arn for page in pages for arn in page}) == 130
    assert [len(p) for p in _pages(aws, ResourceTypeFilters=["states"], TagsPerPage=100)] == [12] * 10 + [10]


def test_moto_alone_still_pages_by_a_tags_per_page_nobody_asked_for(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails once moto pages as AWS does: then tagging_ext's paging can go."""
    _machines(aws, 20)
    moto_get_resources = tagging_ext.original(ResourceGroupsTaggingAPIResponse, "get_resources")
    monkeypatch.setattr(ResourceGroupsTaggingAPIResponse, "get_resources", moto_get_resources)
    first = aws.client("resourcegroupstaggingapi").get_resources(ResourcesPerPage=100, TagFilters=[MANAGED])
    assert len(first["ResourceTagMappingList"]) < 20


def test_every_resource_type_the_controller_tags_is_listed(kit: SageMakerKit, aws: Any) -> None:
    tags = [{"Key": "modelctl:managed", "Values": ["true"]}]
    managed = [{"Key": "modelctl:managed", "Value": "true"}]
    kit.sm.create_model(ModelName="m1", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i"}, Tags=managed)
    kit.sm.create_model_package_group(ModelPackageGroupName="g1", Tags=managed)
    kit.sm.create_endpoint_config(
        EndpointConfigName="c1",
        ProductionVariants=[
            {"VariantName": "p", "ModelName": "m1", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
        Tags=managed,
    )
    kit.sm.create_endpoint(EndpointName="e1", EndpointConfigName="c1", Tags=managed)
    aws.client("stepfunctions").create_state_machine(name="s1", definition=PASS, roleArn=ROLE, tags=EIGHT_TAGS)
    aws.client("ssm").put_parameter(Name="/p1", Value="v", Type="String", Tags=managed)
    aws.client("cloudwatch").put_metric_alarm(
        AlarmName="a1",
        MetricName="Invocations",
        Namespace="AWS/SageMaker",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        Tags=managed,
    )
    aws.client("codebuild").create_project(
        name="b1",
        source={"type": "S3", "location": "bucket/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=ROLE,
        tags=[{"key": "modelctl:managed", "value": "true"}],
    )
    aws.client("scheduler").create_schedule_group(Name="sg1", Tags=managed)
    found = {
        resource_type: _pages(aws, TagFilters=tags, ResourceTypeFilters=[resource_type])
        for resource_type in (
            "sagemaker:model",
            "sagemaker:model-package-group",
            "sagemaker:endpoint-config",
            "sagemaker:endpoint",
            "states:stateMachine",
            "ssm:parameter",
            "cloudwatch:alarm",
            "codebuild:project",
            "scheduler:schedule-group",
        )
    }
    assert {kind: sum(len(page) for page in pages) for kind, pages in found.items()} == dict.fromkeys(found, 1)
    arns = [arn for pages in found.values() for page in pages for arn in page]
    assert all(arn.startswith("arn:aws:") for arn in arns), arns
    assert "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/c1" in arns


def test_arn_lists_do_not_mix_with_filters_or_paging(aws: Any) -> None:
    tagging = aws.client("resourcegroupstaggingapi")
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:x"
    for extra in ({"TagFilters": [MANAGED]}, {"ResourcesPerPage": 10}):
        with pytest.raises(ClientError) as refused:
            tagging.get_resources(ResourceARNList=[arn], **extra)
        assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
