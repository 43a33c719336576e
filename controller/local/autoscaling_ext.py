"""Application Auto Scaling's DescribeScalableTargets as AWS answers it: every target names its role.

AWS (Application Auto Scaling API Reference, "ScalableTarget",
https://docs.aws.amazon.com/autoscaling/application/APIReference/API_ScalableTarget.html): `RoleARN` is required
in every ScalableTarget. A target registered without one (RegisterScalableTarget's RoleARN is optional "for
services that support service-linked roles") uses the service-linked role of its namespace ("Service-linked roles
for Application Auto Scaling",
https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html),
e.g. `arn:aws:iam::<account>:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/
AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`, and DescribeScalableTargets names that role. moto 5.2
answers `"RoleARN": null`. `install()` (idempotent, controller.local.emulator) fills it in.
"""

from __future__ import annotations

from typing import Any

from moto.applicationautoscaling import responses as moto_responses

from controller.local.patching import Patches

# namespace -> the service-linked role's service principal prefix and name suffix (the user guide's table)
SERVICE_LINKED_ROLES = {
    "sagemaker": ("sagemaker", "SageMakerEndpoint"),
    "dynamodb": ("dynamodb", "DynamoDBTable"),
    "ecs": ("ecs", "ECSService"),
    "lambda": ("lambda", "LambdaConcurrency"),
}

_patches = Patches()
original = _patches.original  # moto's implementation of a patched attribute (tests check moto still needs it)


def service_linked_role(account_id: str, partition: str, namespace: str) -> str:
    """The ARN of the service-linked role Application Auto Scaling uses for targets of `namespace`."""
    principal, suffix = SERVICE_LINKED_ROLES.get(namespace, (namespace, namespace.capitalize()))
    return (
        f"arn:{partition}:iam::{account_id}:role/aws-service-role/{principal}.application-autoscaling.amazonaws.com/"
        f"AWSServiceRoleForApplicationAutoScaling_{suffix}"
    )


def build_target(target: Any) -> dict[str, Any]:
    built: dict[str, Any] = _patches.original(moto_responses, "_build_target")(target)
    if not built.get("RoleARN"):
        backend = target.applicationautoscaling_backend
        built["RoleARN"] = service_linked_role(backend.account_id, backend.partition, target.service_namespace)
    return built


def install() -> None:
    if _patches.installed:
        return
    _patches.replace(moto_responses, "_build_target", build_target)
