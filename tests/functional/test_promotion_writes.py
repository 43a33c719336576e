"""Promoted versions on the in-process emulator: the source package copied into the target group, Approved, with
the SageMaker model the endpoint configs need; idempotent on retry; missing source or role refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from aws_kit import ROLE

from controller.aws.registry import build_registry
from controller.aws.session import AwsClients
from controller.errors import NotFoundError, PermanentError
from controller.resources import MANAGED_TAG, VERSION_TAG, Kind, Ref, Resource

VERSION = "fraud-lgbm-0123456789ab-20261125T030000Z"
SOURCE, TARGET = "fraud-lgbm-stage", "fraud-lgbm-prod"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
DATA = f"s3://bucket/models/{VERSION}/model.tar.gz"
TAGS = {MANAGED_TAG: "true"}
PROMOTED = Resource(
    Ref(Kind.PROMOTED_VERSION, VERSION),
    "fraud-lgbm",
    {"sourceGroup": SOURCE, "targetGroup": TARGET},
    TAGS,
    payload={"executionRoleArn": ROLE},
)


@pytest.fixture
def registry(clients: AwsClients, raw: Callable[[str], Any]) -> Any:
    sagemaker = raw("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=SOURCE)
    sagemaker.create_model_package(
        ModelPackageGroupName=SOURCE,
        ModelPackageDescription=VERSION,
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": DATA}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"gitSha": "0123abc"},
    )
    adapters = build_registry(clients)
    adapters[Kind.MODEL_PACKAGE_GROUP].create(Resource(Ref(Kind.MODEL_PACKAGE_GROUP, TARGET), "fraud-lgbm", {}, TAGS))
    return adapters


def test_promotion_copies_the_package_approved_and_makes_the_model(
    registry: Any, clients: AwsClients, raw: Callable[[str], Any]
) -> None:
    registry[Kind.PROMOTED_VERSION].create(PROMOTED)

    group = registry[Kind.MODEL_PACKAGE_GROUP].observe([TARGET])[TARGET]
    assert [(v["version"], v["approval"]) for v in group.extra["versions"]] == [(VERSION, "Approved")]
    package = raw("sagemaker").describe_model_package(ModelPackageName=group.extra["versions"][0]["arn"])
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == DATA
    assert package["CustomerMetadataProperties"] == {"gitSha": "0123abc"}
    model = registry[Kind.MODEL].observe([VERSION])[VERSION]
    assert model.properties == {"image": IMAGE, "modelDataUrl": DATA, "executionRoleArn": ROLE}
    assert model.managed and model.tags[VERSION_TAG] == VERSION


def test_promotion_again_creates_nothing(registry: Any, clients: AwsClients) -> None:
    registry[Kind.PROMOTED_VERSION].create(PROMOTED)
    clients.calls.reset()

    registry[Kind.PROMOTED_VERSION].create(PROMOTED)

    calls = clients.calls.snapshot()
    assert "sagemaker.CreateModelPackage" not in calls
    versions = registry[Kind.MODEL_PACKAGE_GROUP].observe([TARGET])[TARGET].extra["versions"]
    assert len(versions) == 1


def test_promotion_needs_the_source_version_and_a_role(registry: Any) -> None:
    missing = Resource(PROMOTED.ref, "fraud-lgbm", {"sourceGroup": TARGET, "targetGroup": SOURCE}, TAGS,
                       payload=PROMOTED.payload)  # fmt: skip
    with pytest.raises(NotFoundError):
        registry[Kind.PROMOTED_VERSION].create(missing)
    with pytest.raises(PermanentError, match="executionRoleArn"):
        registry[Kind.PROMOTED_VERSION].create(replace(PROMOTED, payload={}))
    with pytest.raises(PermanentError):
        registry[Kind.PROMOTED_VERSION].delete(registry[Kind.MODEL_PACKAGE_GROUP].observe([TARGET])[TARGET])
