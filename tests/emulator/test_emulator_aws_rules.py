"""What AWS refuses, the emulator refuses (served and in-process): each test names the AWS document it follows.

controller.local.request_validation (every request against botocore's input constraints),
controller.local.sagemaker_rules (UpdateEndpoint with auto scaling, guardrails and variant names) and moto's own
SSM version limit.
"""

from __future__ import annotations

from typing import Any

import pytest
from emulator_kit import ROLE, SageMakerKit, canary, error_of

from controller.local import request_validation

ARN = "arn:aws:sagemaker:us-east-1:123456789012"
TARGET = "endpoint/e/variant/{}"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def test_a_name_outside_the_pattern_is_refused_as_aws_refuses_it(kit: SageMakerKit) -> None:
    """ "CreateEndpoint" (SageMaker API Reference, https://docs.aws.amazon.com/sagemaker/latest/APIReference/
    API_CreateEndpoint.html): EndpointName "Pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"; "Common Errors"
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html): ValidationError, "The input
    fails to satisfy the constraints specified by an AWS service", sent by JSON services as ValidationException."""
    assert error_of(lambda: kit.sm.describe_endpoint(EndpointName="my_endpoint")) == (
        "ValidationException",
        "1 validation error detected: Value 'my_endpoint' at 'endpointName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    )


def test_every_broken_constraint_is_listed_with_its_member_path(kit: SageMakerKit) -> None:
    """ "CreateEndpointConfig" and "ProductionVariant" (SageMaker API Reference): VariantName's pattern, InstanceType's
    "Valid Values"; AWS lists each failure, "N validation errors detected: ...; ...", at the member's path."""
    code, message = error_of(
        lambda: kit.sm.create_endpoint_config(
            EndpointConfigName="c",
            ProductionVariants=[
                {"VariantName": "a_b", "ModelName": "m", "InstanceType": "ml.bogus", "InitialInstanceCount": 1}
            ],
        )
    )
    assert code == "ValidationException"
    assert message.startswith("2 validation errors detected: Value 'a_b' at 'productionVariants.1.member.variantName'")
    assert "; Value 'ml.bogus' at 'productionVariants.1.member.instanceType' failed to satisfy constraint: " in message
    assert "Member must satisfy enum value set: [ml.t2.medium, " in message


def test_numbers_out_of_range_and_query_services_use_their_codes(aws: Any) -> None:
    """ "ListEndpoints" (SageMaker API Reference): MaxResults "Valid Range: Minimum value of 1. Maximum value of
    100"; "DescribeAlarms" (CloudWatch API Reference): AlarmNames "Length Constraints: Maximum length of 255",
    CloudWatch's "Common Errors": ValidationError; SNS "TagResource": Key "Maximum length of 128", answered as
    InvalidParameter ("Common Errors", Amazon SNS API Reference)."""
    sm, cloudwatch, sns = aws.client("sagemaker"), aws.client("cloudwatch"), aws.client("sns")
    assert error_of(lambda: sm.list_endpoints(MaxResults=101))[1] == (
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 100"
    )
    code, message = error_of(lambda: cloudwatch.describe_alarms(AlarmNames=["x" * 256]))
    assert code == "ValidationError"
    assert message.endswith(
        "at 'alarmNames.1.member' failed to satisfy constraint: Member must have length less than or equal to 255"
    )
    topic = sns.create_topic(Name="t")["TopicArn"]
    code, message = error_of(lambda: sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "k" * 129, "Value": "v"}]))
    assert (code, message.split(": ")[0]) == ("InvalidParameter", "1 validation error detected")


def test_map_values_are_checked_as_aws_words_it(kit: SageMakerKit) -> None:
    """ "CreateModel" (SageMaker API Reference): ContainerDefinition Environment, "Value Length Constraints: Maximum
    length of 1024"; a map's failures read "Map value must satisfy constraint: [...]"."""
    code, message = error_of(
        lambda: kit.sm.create_model(
            ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i", "Environment": {"K": "v" * 1025}}
        )
    )
    assert code == "ValidationException"
    assert (
        "at 'primaryContainer.environment' failed to satisfy constraint: Map value must satisfy constraint: ["
        in message
    )
    assert "Member must have length less than or equal to 1024" in message


def test_lenient_serves_what_aws_refuses_and_the_checks_are_counted(kit: SageMakerKit) -> None:
    """The flag for tests that study leniency: inside lenient() a request AWS refuses ("CreateEndpoint",
    EndpointName's pattern) reaches moto; outside it, it is counted as checked and refused."""
    before = request_validation.stats()
    with request_validation.lenient():
        assert "my_endpoint" in error_of(lambda: kit.sm.describe_endpoint(EndpointName="my_endpoint"))[1]
        assert request_validation.stats()["checked"] == before["checked"]
    error_of(lambda: kit.sm.describe_endpoint(EndpointName="my_endpoint"))
    after = request_validation.stats()
    assert (after["checked"], after["refused"]) == (before["checked"] + 1, before["refused"] + 1)
    assert after["patternsSkipped"] == 0


# --- UpdateEndpoint and auto scaling ---------------------------------------------------------------------------


def _config(kit: SageMakerKit, name: str, *variants: tuple[str, str, str]) -> None:
    """An endpoint config of (variant, model, instance type) variants, one instance each, equal weights."""
    kit.sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": v,
                "ModelName": m,
                "InstanceType": t,
                "InitialInstanceCount": 1,
                "InitialVariantWeight": 1.0,
            }
            for v, m, t in variants
        ],
    )


@pytest.fixture
def scaled(kit: SageMakerKit, aws: Any) -> Any:
    """Endpoint "e" (variant "a": model m1 on ml.m5.large) registered with Application Auto Scaling."""
    kit.model("m1")
    kit.model("m2")
    _config(kit, "c1", ("a", "m1", "ml.m5.large"))
    kit.endpoint("e", "c1")
    scaling = aws.client("application-autoscaling")
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=TARGET.format("a"),
        ScalableDimension=DIMENSION,
        MinCapacity=1,
        MaxCapacity=4,
    )
    return scaling


def test_an_autoscaled_variant_cannot_change_instance_type_or_go(kit: SageMakerKit, scaled: Any) -> None:
    """ "Update endpoints that use auto scaling" (SageMaker developer guide,
    https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html): "If the update would change the
    instance type for any model that is a target for auto scaling, the update fails", and removing such a variant
    needs the same deregistration; "If you change the model for a variant that is configured for auto scaling,
    Amazon SageMaker AI auto scaling allows the update"."""
    _config(kit, "bigger", ("a", "m1", "ml.m5.xlarge"))
    _config(kit, "other", ("b", "m1", "ml.m5.large"))
    _config(kit, "model", ("a", "m2", "ml.m5.large"))
    for config in ("bigger", "other"):
        code, message = error_of(
            lambda config=config: kit.sm.update_endpoint(EndpointName="e", EndpointConfigName=config)
        )
        assert code == "ValidationException"
        assert message.startswith(f'The production variant(s) a of endpoint "{ARN}:endpoint/e" are registered with')
        assert "Update endpoints that use auto scaling" in message
    assert kit.describe("e")["EndpointConfigName"] == "c1"  # nothing changed
    kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="model")  # the model may change
    assert kit.settle("e")[-1]["EndpointConfigName"] == "model"
    scaled.deregister_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=TARGET.format("a"), ScalableDimension=DIMENSION
    )
    kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="bigger")  # deregistered first: allowed
    assert kit.settle("e")[-1]["EndpointConfigName"] == "bigger"


def test_a_guardrail_update_keeps_the_variant_names(kit: SageMakerKit) -> None:
    """ "Deployment guardrails: Exclusions" (SageMaker developer guide,
    https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html): "When doing a blue/green
    or rolling deployment, your new endpoint configuration must have the same variant name as the old endpoint
    configuration". Without a DeploymentConfig (all at once) the variants may change."""
    kit.model("m1")
    kit.model("m2")
    _config(kit, "c1", ("a", "m1", "ml.m5.large"))
    _config(kit, "two", ("a", "m1", "ml.m5.large"), ("b", "m2", "ml.m5.large"))
    _config(kit, "same", ("a", "m2", "ml.m5.large"))
    kit.endpoint("e", "c1")
    code, message = error_of(
        lambda: kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="two", DeploymentConfig=canary())
    )
    assert code == "ValidationException"
    assert "must have the same variant names as the old" in message and "names a, b" in message
    kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="same", DeploymentConfig=canary(wait_seconds=1))
    assert kit.settle("e")[-1]["EndpointConfigName"] == "same"
    kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="two")
    assert [v["VariantName"] for v in kit.settle("e")[-1]["ProductionVariants"]] == ["a", "b"]


# --- SSM ---------------------------------------------------------------------------------------------------------


def test_a_labelled_oldest_version_stops_the_hundred_and_first_put(aws: Any) -> None:
    """ "PutParameter" (AWS Systems Manager API Reference,
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html), error
    ParameterMaxVersionLimitExceeded: "Parameter Store retains the 100 most recently created versions of a
    parameter ... if the oldest version has a label attached to it, Parameter Store won't delete the version and
    instead presents this error message". moto reproduces it; this test keeps it so."""
    ssm = aws.client("ssm")
    ssm.put_parameter(Name="/p", Value="v1", Type="String")
    ssm.label_parameter_version(Name="/p", ParameterVersion=1, Labels=["cfg-1"])
    for version in range(2, 101):
        ssm.put_parameter(Name="/p", Value=f"v{version}", Type="String", Overwrite=True)
    code, message = error_of(lambda: ssm.put_parameter(Name="/p", Value="v101", Type="String", Overwrite=True))
    assert code == "ParameterMaxVersionLimitExceeded"
    assert "Version 1, the oldest version, can't be deleted because it has a label associated with it" in message
    ssm.unlabel_parameter_version(Name="/p", ParameterVersion=1, Labels=["cfg-1"])
    assert ssm.put_parameter(Name="/p", Value="v101", Type="String", Overwrite=True)["Version"] == 101
    versions = [
        p["Version"]
        for p in ssm.get_paginator("get_parameter_history").paginate(Name="/p").build_full_result()["Parameters"]
    ]
    assert (min(versions), len(versions)) == (2, 100)
