"""UpdateEndpoint refusals the SageMaker developer guide documents, which the emulator's UpdateEndpoint lacked.

- "Update endpoints that use auto scaling" (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html):
  "If the update would change the instance type for any model that is a target for auto scaling, the update fails
  ... If you are trying to update the endpoint by calling the UpdateEndpoint API, the call fails", and the steps
  that deregister the variant first are needed when an update changes "the instance type of a production variant
  that has autoscaling configured" or removes "a production variant that has autoscaling configured". The one
  exception: changing the variant's model. A variant is a target for auto scaling while Application Auto Scaling
  holds a scalable target `endpoint/<endpoint>/variant/<variant>` (dimension sagemaker:variant:DesiredInstanceCount).
- "Deployment guardrails: Exclusions" (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html):
  "When doing a blue/green or rolling deployment, your new endpoint configuration must have the same variant name
  as the old endpoint configuration": an UpdateEndpoint with a DeploymentConfig (given, or retained with
  RetainDeploymentConfig) whose new config names other variants is refused.

Both answer ValidationException (the error UpdateEndpoint declares for a request it refuses, API_UpdateEndpoint);
the documents do not quote the message, so the wording is the emulator's and names the variants and the document.
`install()` (called by controller.local.emulator.install_all after sagemaker_ext, idempotent) wraps the backend's
UpdateEndpoint that sagemaker_ext implements: the checks run first, under the endpoint lifecycle's lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend

from controller.local import endpoint_lifecycle
from controller.local.patching import Patches

SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
AUTOSCALING_DOC = "Update endpoints that use auto scaling"
GUARDRAILS_DOC = "Deployment guardrails: Exclusions"

_patches = Patches()
original = _patches.original  # what the rules wrap (sagemaker_ext's UpdateEndpoint)


def autoscaled_variants(backend: SageMakerModelBackend, endpoint_name: str) -> set[str]:
    """The variants of `endpoint_name` Application Auto Scaling holds a scalable target for."""
    scaling = applicationautoscaling_backends[backend.account_id][backend.region_name]
    prefix = f"endpoint/{endpoint_name}/variant/"
    return {
        resource_id.removeprefix(prefix)
        for resource_id in scaling.targets.get(SCALABLE_DIMENSION, {})
        if resource_id.startswith(prefix)
    }


def _variants(backend: SageMakerModelBackend, config_name: str) -> dict[str, Mapping[str, Any]]:
    config = backend.endpoint_configs.get(config_name)
    return {v["VariantName"]: v for v in (config.production_variants if config else [])}


def check_autoscaling(backend: SageMakerModelBackend, endpoint: Any, new_config_name: str) -> None:
    """ValidationException when the update removes, or changes the instance type of, an autoscaled variant."""
    old = _variants(backend, endpoint.endpoint_config_name) or {
        v["VariantName"]: v for v in endpoint.production_variants
    }
    new = _variants(backend, new_config_name)
    blocked = sorted(
        name
        for name in autoscaled_variants(backend, endpoint.endpoint_name)
        if name not in new or (name in old and new[name].get("InstanceType") != old[name].get("InstanceType"))
    )
    if blocked:
        raise ValidationError(
            f'The production variant(s) {", ".join(blocked)} of endpoint "{endpoint.arn}" are registered with '
            "Application Auto Scaling, and this update removes them or changes their instance type. Deregister "
            "them (DeleteScalingPolicy, DeregisterScalableTarget) before the update and register them again "
            f'after it ("{AUTOSCALING_DOC}"); only a change of their model is allowed.'
        )


def check_guardrail_names(
    backend: SageMakerModelBackend, endpoint: Any, new_config_name: str, deployment_config: Mapping[str, Any] | None
) -> None:
    """ValidationException when a blue/green or rolling DeploymentConfig comes with other variant names."""
    if not deployment_config or not (
        deployment_config.get("BlueGreenUpdatePolicy") or deployment_config.get("RollingUpdatePolicy")
    ):
        return
    old = sorted(v["VariantName"] for v in endpoint.production_variants)
    new = sorted(_variants(backend, new_config_name))
    if new and old != new:
        raise ValidationError(
            f"With a DeploymentConfig, the new endpoint configuration must have the same variant names as the old "
            f'("{GUARDRAILS_DOC}"): endpoint "{endpoint.arn}" serves {", ".join(old)}, endpoint configuration '
            f'"{new_config_name}" names {", ".join(new)}. Update without a DeploymentConfig to change variants.'
        )


def update_endpoint(
    self: SageMakerModelBackend,
    endpoint_name: str,
    endpoint_config_name: str,
    deployment_config: dict[str, Any] | None = None,
    retain_deployment_config: bool = False,
    **options: Any,
) -> str:
    """UpdateEndpoint, refused first by the documented rules (module docstring)."""
    with endpoint_lifecycle.LOCK:
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is not None and endpoint_config_name in self.endpoint_configs:
            check_autoscaling(self, endpoint, endpoint_config_name)
            retained = getattr(endpoint, "last_deployment_config", None) if retain_deployment_config else None
            check_guardrail_names(self, endpoint, endpoint_config_name, deployment_config or retained)
        implementation = original(SageMakerModelBackend, "update_endpoint")
        arn: str = implementation(
            self,
            endpoint_name,
            endpoint_config_name,
            deployment_config=deployment_config,
            retain_deployment_config=retain_deployment_config,
            **options,
        )
        return arn


def install() -> None:
    """Wrap SageMaker's UpdateEndpoint with the rules (idempotent; after sagemaker_ext.install)."""
    if _patches.installed:
        return
    _patches.replace(SageMakerModelBackend, "update_endpoint", update_endpoint)
