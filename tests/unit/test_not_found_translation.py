"""A delete of an Application Auto Scaling target or policy that is already gone is a NotFoundError, so the executor
counts a resent (or already released) delete as done: the emulator answers ValidationException "No scalable target
found …" where AWS documents ObjectNotFoundException (API Reference, DeregisterScalableTarget / DeleteScalingPolicy,
Errors); both translate the same. Found by `modelctl demo`'s revert after a fleet change released the canary's
scaling first."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from controller.aws.errors import translate
from controller.errors import NotFoundError


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ObjectNotFoundException", "No scalable target registered"),
        ("ValidationException", "No scalable target found for service namespace: sagemaker, resource ID: x"),
        ("ValidationException", "No scaling policy found for service namespace: sagemaker, resource ID: x"),
    ],
)
def test_a_missing_scaling_resource_is_not_found(code: str, message: str) -> None:
    error = ClientError({"Error": {"Code": code, "Message": message}}, "DeregisterScalableTarget")
    assert isinstance(translate(error), NotFoundError)
