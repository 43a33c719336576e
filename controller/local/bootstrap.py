"""Create in the emulator what the real stack (reconciler_lambda/template.yaml) provides on AWS.

`modelctl --local` and `modelctl demo` call ensure_prerequisites() before reconciling against the emulator:
the artifact bucket, the execution role, the notification topic and the DynamoDB state table must exist there
as they would in an account where the stack is deployed. Every step is idempotent.

This is emulator tooling, and the one module outside controller/aws/ allowed to import boto3: it never runs
against AWS (the stack creates these there), so it bypasses the adapters on purpose.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
from botocore.exceptions import ClientError

# Who may assume the execution role: SageMaker (training, hosting), Step Functions (the pipelines), EventBridge
# Scheduler (retraining schedules) and CodeBuild (image builds)
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {
                "Service": [
                    "sagemaker.amazonaws.com",
                    "states.amazonaws.com",
                    "scheduler.amazonaws.com",
                    "codebuild.amazonaws.com",
                ]
            },
            "Action": "sts:AssumeRole",
        }
    ],
}


def _session(session_or_endpoint_url: boto3.Session | str, region: str) -> tuple[boto3.Session, str | None]:
    if isinstance(session_or_endpoint_url, boto3.Session):
        return session_or_endpoint_url, None
    session = boto3.Session(region_name=region)
    if session.get_credentials() is None:  # the emulator accepts any credentials
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    return session, session_or_endpoint_url


def _unless_found(find: Callable[[], object], create: Callable[[], object], *not_found_codes: str) -> None:
    """Call `create` when `find` fails with one of the error codes that mean "no such resource"."""
    try:
        find()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in not_found_codes:
            raise
        create()


def ensure_prerequisites(
    session_or_endpoint_url: boto3.Session | str,
    region: str,
    *,
    bucket: str,
    role_arn: str,
    topic_arn: str,
    table_name: str,
) -> None:
    """Create the S3 bucket, IAM role, SNS topic and DynamoDB state table if missing.

    `session_or_endpoint_url`: a boto3 Session already configured for the emulator (e.g. via AWS_ENDPOINT_URL,
    or under moto's mock_aws), or the emulator's URL. The role's name and path come from `role_arn`
    (arn:aws:iam::<account>:role[/path]/name), the topic's name from `topic_arn`. The table has partition key
    `pk` and sort key `sk` (strings), billed PAY_PER_REQUEST."""
    session, endpoint_url = _session(session_or_endpoint_url, region)

    s3 = session.client("s3", region_name=region, endpoint_url=endpoint_url)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    _unless_found(
        lambda: s3.head_bucket(Bucket=bucket),
        lambda: s3.create_bucket(Bucket=bucket, **location),
        "404",
        "NoSuchBucket",
    )

    iam = session.client("iam", region_name=region, endpoint_url=endpoint_url)
    *path, role_name = role_arn.split(":role/", 1)[1].split("/")
    _unless_found(
        lambda: iam.get_role(RoleName=role_name),
        lambda: iam.create_role(
            RoleName=role_name,
            Path="/" + "".join(part + "/" for part in path),
            AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
        ),
        "NoSuchEntity",
    )

    sns = session.client("sns", region_name=region, endpoint_url=endpoint_url)
    sns.create_topic(Name=topic_arn.rsplit(":", 1)[1])  # CreateTopic is idempotent

    dynamodb = session.client("dynamodb", region_name=region, endpoint_url=endpoint_url)

    def create_table() -> None:
        dynamodb.create_table(
            TableName=table_name,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})

    _unless_found(lambda: dynamodb.describe_table(TableName=table_name), create_table, "ResourceNotFoundException")
