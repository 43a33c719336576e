"""ensure_prerequisites creates what the real stack provides, once, against either emulator flavour."""

from __future__ import annotations

import json
from typing import Any

import boto3

from controller.local.bootstrap import ensure_prerequisites

NAMES = {
    "bucket": "acme-ml-dev-artifacts",
    "role_arn": "arn:aws:iam::123456789012:role/service/modelctl-sagemaker",
    "topic_arn": "arn:aws:sns:us-east-1:123456789012:mlops-alerts",
    "table_name": "modelctl-state",
}


def test_ensure_prerequisites_is_idempotent(aws: Any) -> None:
    target = aws.url if aws.url else boto3.Session(region_name="us-east-1")
    for _ in range(2):
        ensure_prerequisites(target, "us-east-1", **NAMES)

    assert [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]] == [NAMES["bucket"]]
    role = aws.client("iam").get_role(RoleName="modelctl-sagemaker")["Role"]
    assert role["Arn"] == NAMES["role_arn"] and role["Path"] == "/service/"
    trust = role["AssumeRolePolicyDocument"]
    principals = (json.loads(trust) if isinstance(trust, str) else trust)["Statement"][0]["Principal"]["Service"]
    assert sorted(principals) == [
        "codebuild.amazonaws.com",
        "sagemaker.amazonaws.com",
        "scheduler.amazonaws.com",
        "states.amazonaws.com",
    ]
    assert [t["TopicArn"] for t in aws.client("sns").list_topics()["Topics"]] == [NAMES["topic_arn"]]
    table = aws.client("dynamodb").describe_table(TableName=NAMES["table_name"])["Table"]
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {("pk", "HASH"), ("sk", "RANGE")}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_ensure_prerequisites_in_another_region(aws: Any) -> None:
    target = aws.url if aws.url else boto3.Session(region_name="eu-west-1")
    ensure_prerequisites(target, "eu-west-1", **{**NAMES, "bucket": "acme-eu"})
    s3 = boto3.client("s3", region_name="eu-west-1")
    assert s3.get_bucket_location(Bucket="acme-eu")["LocationConstraint"] == "eu-west-1"
