"""The emulator's SageMaker patches: what moto 5.2 gets wrong or lacks, reproduced as the AWS API does it.

Each patch below replaces one moto method (saved first in ORIGINALS, so tests can prove it is still needed)
and cites the AWS SageMaker API reference behaviour it reproduces:
    UpdateEndpoint                      moto: NotImplementedError      -> implemented, with DeploymentConfig
    CreateModel / CreateEndpointConfig  moto: overwrite a duplicate    -> ValidationException
    CreateEndpoint                      moto: overwrite, InService now -> ValidationException; Creating first
    CreateTrainingJob                   moto: overwrite, Completed now -> ResourceInUse; InProgress first
    UpdateEndpointWeightsAndCapacities  moto: erases omitted counts    -> keeps them; InService only; Updating
    DescribeEndpoint ProductionVariants moto: drops a 0.0 weight       -> keeps it
    DescribeTrainingJob of an unknown name  moto: 'Could not find ...' -> 'Requested resource not found.'
    Describe/List/DeleteEndpoint, Describe/ListTrainingJob(s): see the lifecycle first
The time-based statuses live in controller.local.endpoint_lifecycle and controller.local.training_lifecycle.
Installed (idempotently, in-process, which also covers moto's threaded server) by emulator.install_all().
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ResourceInUseException, ValidationError
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

from controller.local import endpoint_lifecycle, training_lifecycle
from controller.local.control import knobs

Backend = SageMakerModelBackend

# "Class.method" -> what moto had there before install() (None: moto had nothing)
ORIGINALS: dict[str, Callable[..., Any] | None] = {}
_installed = False


def _original(name: str) -> Callable[..., Any]:
    method = ORIGINALS[f"SageMakerModelBackend.{name}"]
    assert method is not None
    return method


def _arn(backend: Backend, kind: str, name: str) -> str:
    return arn_formatter(kind, name, backend.account_id, backend.region_name)


def _endpoint(backend: Backend, name: str) -> Any:
    """The endpoint, or ValidationException 'Could not find endpoint "<arn>".' (API_DescribeEndpoint)."""
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise ValidationError(f'Could not find endpoint "{_arn(backend, "endpoint", name)}".')
    return endpoint


def _require_in_service(endpoint: Any) -> None:
    """AWS refuses to change an endpoint that is not InService: 'Cannot update in-progress endpoint "<arn>".'
    while Creating/Updating/RollingBack; a Failed endpoint only accepts DeleteEndpoint (API_DescribeEndpoint,
    EndpointStatus; the wording for Failed is the emulator's)."""
    endpoint_lifecycle.advance_endpoint(endpoint)
    if endpoint.endpoint_status == "Failed":
        raise ValidationError(f'Cannot update failed endpoint "{endpoint.arn}"; only DeleteEndpoint is allowed.')
    if endpoint.endpoint_status != "InService":
        raise ValidationError(f'Cannot update in-progress endpoint "{endpoint.arn}".')


def _validate_deployment_config(config: dict[str, Any], variants: list[dict[str, Any]]) -> None:
    """DeploymentConfig checks of API_TrafficRoutingConfig, API_CapacitySize: Type is ALL_AT_ONCE, CANARY or
    LINEAR; CANARY needs CanarySize (at most 50% of the capacity), LINEAR needs LinearStepSize (10-50%)."""
    policy = config.get("BlueGreenUpdatePolicy")
    if not policy:
        return
    routing = policy["TrafficRoutingConfiguration"]
    kind = routing["Type"]
    if kind not in ("ALL_AT_ONCE", "CANARY", "LINEAR"):
        raise ValidationError(
            f"Value '{kind}' at 'deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.type' "
            "failed to satisfy constraint: Member must satisfy enum value set: [ALL_AT_ONCE, CANARY, LINEAR]"
        )
    size_key, low = {"CANARY": ("CanarySize", 0), "LINEAR": ("LinearStepSize", 10)}.get(kind, ("", 0))
    if not size_key:
        return
    size = routing.get(size_key)
    if size is None:
        raise ValidationError(f"TrafficRoutingConfiguration {size_key} is required when Type is {kind}.")
    capacity = sum(variant.get("InitialInstanceCount", 1) for variant in variants)
    percent = size["Value"] if size["Type"] == "CAPACITY_PERCENT" else 100 * size["Value"] / capacity
    if not (percent > 0 and low <= percent <= 50):
        raise ValidationError(f"{size_key} must be between {low}% and 50% of the endpoint's capacity.")


# --- create: duplicate names are rejected ------------------------------------------------------------


def create_model(self: Backend, model_name: str, **kwargs: Any) -> Any:
    """CreateModel of an existing name: ValidationException 'Cannot create already existing model "<arn>".'"""
    if model_name in self._models:
        raise ValidationError(f'Cannot create already existing model "{_arn(self, "model", model_name)}".')
    return _original("create_model")(self, model_name=model_name, **kwargs)


def create_endpoint_config(self: Backend, endpoint_config_name: str, **kwargs: Any) -> Any:
    """CreateEndpointConfig of an existing name: ValidationException
    'Cannot create already existing endpoint configuration "<arn>".'"""
    if endpoint_config_name in self.endpoint_configs:
        arn = _arn(self, "endpoint-config", endpoint_config_name)
        raise ValidationError(f'Cannot create already existing endpoint configuration "{arn}".')
    return _original("create_endpoint_config")(self, endpoint_config_name=endpoint_config_name, **kwargs)


def create_endpoint(
    self: Backend,
    endpoint_name: str,
    endpoint_config_name: str,
    tags: list[dict[str, str]],
    deployment_config: dict[str, Any] | None = None,
) -> Any:
    """CreateEndpoint: an existing name is a ValidationException 'Cannot create already existing endpoint
    "<arn>".'; the new endpoint is Creating, then InService (API_CreateEndpoint); DeploymentConfig is kept
    for UpdateEndpoint's RetainDeploymentConfig and shown as LastDeploymentConfig."""
    with endpoint_lifecycle.LOCK:
        if endpoint_name in self.endpoints:
            arn = _arn(self, "endpoint", endpoint_name)
            raise ValidationError(f'Cannot create already existing endpoint "{arn}".')
        endpoint = _original("create_endpoint")(
            self, endpoint_name=endpoint_name, endpoint_config_name=endpoint_config_name, tags=tags
        )
        variants = self.endpoint_configs[endpoint_config_name].production_variants
        if deployment_config:
            _validate_deployment_config(deployment_config, variants)
        endpoint.last_deployment_config = deployment_config
        endpoint_lifecycle.start_create(endpoint, variants, knobs())
        return endpoint


def create_training_job(
    self: Backend, training_job_name: str, algorithm_specification: dict[str, Any], **kwargs: Any
) -> Any:
    """CreateTrainingJob: an existing name is ResourceInUse 'Training job names must be unique within an AWS
    account and region, and a training job with this name already exists (<arn>)'; the job is InProgress,
    then Completed or Failed; AlgorithmSpecification keeps the caller's MetricDefinitions (moto replaces them)."""
    with training_lifecycle.LOCK:
        if training_job_name in self.training_jobs:
            arn = _arn(self, "training-job", training_job_name)
            raise ResourceInUseException(
                "Training job names must be unique within an AWS account and region, and a training job "
                f"with this name already exists ({arn})"
            )
        definitions = list(algorithm_specification.get("MetricDefinitions") or [])
        job = _original("create_training_job")(
            self, training_job_name=training_job_name, algorithm_specification=algorithm_specification, **kwargs
        )
        job.algorithm_specification.pop("MetricDefinitions", None)
        if definitions:
            job.algorithm_specification["MetricDefinitions"] = definitions
        training_lifecycle.start_training(job, [definition["Name"] for definition in definitions], knobs())
        return job


# --- reads see the lifecycle first ----------------------------------------------------------------------


def describe_endpoint(self: Backend, endpoint_name: str) -> dict[str, Any]:
    """DescribeEndpoint: the status, config and PendingDeploymentSummary as of now (API_DescribeEndpoint)."""
    with endpoint_lifecycle.LOCK:
        endpoint_lifecycle.advance_endpoint(_endpoint(self, endpoint_name))
        result: dict[str, Any] = _original("describe_endpoint")(self, endpoint_name)
        return result


def list_endpoints(self: Backend, *args: Any, **kwargs: Any) -> Any:
    """ListEndpoints (and its StatusEquals filter) sees each endpoint's status as of now."""
    with endpoint_lifecycle.LOCK:
        for endpoint in list(self.endpoints.values()):
            endpoint_lifecycle.advance_endpoint(endpoint)
        return _original("list_endpoints")(self, *args, **kwargs)


def delete_endpoint(self: Backend, endpoint_name: str) -> None:
    """DeleteEndpoint while Creating/Updating/RollingBack: ValidationException
    'Cannot update in-progress endpoint "<arn>".'; a Failed endpoint can be deleted (API_DeleteEndpoint)."""
    with endpoint_lifecycle.LOCK:
        endpoint = _endpoint(self, endpoint_name)
        if endpoint_lifecycle.in_progress(endpoint):
            raise ValidationError(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        _original("delete_endpoint")(self, endpoint_name)


def describe_training_job(self: Backend, training_job_name: str) -> dict[str, Any]:
    """DescribeTrainingJob: status, SecondaryStatusTransitions, FinalMetricDataList as of now; an unknown
    name is ValidationException 'Requested resource not found.' as on AWS (moto: 'Could not find ...')."""
    with training_lifecycle.LOCK:
        job = self.training_jobs.get(training_job_name)
        if job is None:
            raise ValidationError("Requested resource not found.")
        training_lifecycle.advance_training(job)
        result: dict[str, Any] = _original("describe_training_job")(self, training_job_name)
        return result


def list_training_jobs(self: Backend, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """ListTrainingJobs (and its StatusEquals filter) sees each job's status as of now."""
    with training_lifecycle.LOCK:
        for job in list(self.training_jobs.values()):
            training_lifecycle.advance_training(job)
        result: dict[str, Any] = _original("list_training_jobs")(self, *args, **kwargs)
        return result


# --- updates ------------------------------------------------------------------------------------------


def _retained(new: list[dict[str, Any]], old: list[dict[str, Any]], excluded: set[str]) -> list[dict[str, Any]]:
    """RetainAllVariantProperties: same-named variants keep their weight and instance count, except the
    VariantPropertyTypes listed in ExcludeRetainedVariantProperties (API_UpdateEndpoint, API_VariantProperty)."""
    old_by_name = {variant["VariantName"]: variant for variant in old}
    kept = []
    for variant in new:
        previous, variant = old_by_name.get(variant["VariantName"]), dict(variant)
        for prop, current in (("DesiredWeight", "CurrentWeight"), ("DesiredInstanceCount", "CurrentInstanceCount")):
            if previous is not None and prop not in excluded and previous.get(prop) is not None:
                variant[prop] = variant[current] = previous[prop]
        kept.append(variant)
    return kept


def update_endpoint(
    self: Backend,
    endpoint_name: str,
    endpoint_config_name: str,
    retain_all_variant_properties: bool = False,
    exclude_retained_variant_properties: list[dict[str, str]] | None = None,
    deployment_config: dict[str, Any] | None = None,
    retain_deployment_config: bool = False,
) -> str:
    """UpdateEndpoint (API_UpdateEndpoint): ValidationException 'Could not find endpoint "<arn>".' or
    'Could not find endpoint configuration "<arn>".'; only an InService endpoint; then Updating with the
    BlueGreenUpdatePolicy's baking periods and AutoRollbackConfiguration alarms (endpoint_lifecycle).
    RetainDeploymentConfig reuses the endpoint's last DeploymentConfig. Returns the EndpointArn."""
    with endpoint_lifecycle.LOCK:
        endpoint = _endpoint(self, endpoint_name)
        config = self.endpoint_configs.get(endpoint_config_name)
        if config is None:
            arn = _arn(self, "endpoint-config", endpoint_config_name)
            raise ValidationError(f'Could not find endpoint configuration "{arn}".')
        _require_in_service(endpoint)
        if deployment_config is None and retain_deployment_config:
            deployment_config = getattr(endpoint, "last_deployment_config", None)
        if deployment_config:
            _validate_deployment_config(deployment_config, config.production_variants)
        variants = [endpoint_lifecycle.variant_summary(variant) for variant in config.production_variants]
        if retain_all_variant_properties:
            excluded = {prop["VariantPropertyType"] for prop in exclude_retained_variant_properties or []}
            variants = _retained(variants, endpoint.production_variants, excluded)
        endpoint_lifecycle.start_update(
            endpoint, endpoint_config_name, config.production_variants, variants, deployment_config, knobs()
        )
        return str(endpoint.arn)


def update_endpoint_weights_and_capacities(
    self: Backend, endpoint_name: str, desired_weights_and_capacities: list[dict[str, Any]]
) -> str:
    """UpdateEndpointWeightsAndCapacities (API_UpdateEndpointWeightsAndCapacities): InService endpoints only;
    Updating, then InService; an omitted DesiredWeight or DesiredInstanceCount is left unchanged."""
    with endpoint_lifecycle.LOCK:
        endpoint = _endpoint(self, endpoint_name)
        _require_in_service(endpoint)
        names = [entry["VariantName"] for entry in desired_weights_and_capacities]
        known = {variant["VariantName"] for variant in endpoint.production_variants}
        for name in names:
            if names.count(name) > 1:
                raise ValidationError(f'The variant name "{name}" was non-unique within the request.')
            if name not in known:
                raise ValidationError(
                    f'The variant name(s) "{name}" is/are not present within endpoint configuration '
                    f'"{endpoint.endpoint_config_name}".'
                )
        endpoint_lifecycle.start_weights(endpoint, desired_weights_and_capacities, knobs())
        return str(endpoint.arn)


def process_production_variants(self: FakeEndpoint, production_variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FakeEndpoint's variant summaries, keeping a 0.0 InitialVariantWeight (API_ProductionVariant)."""
    return [endpoint_lifecycle.variant_summary(variant) for variant in production_variants]


# --- request parsing (moto's response class) ---------------------------------------------------------


def update_endpoint_action(self: SageMakerResponse) -> ActionResult:
    """The UpdateEndpoint action, which moto's SageMakerResponse lacks."""
    backend: Any = self.sagemaker_backend  # its update_endpoint is ours, unknown to moto's type hints
    arn = backend.update_endpoint(
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        retain_all_variant_properties=bool(self._get_param("RetainAllVariantProperties", False)),
        exclude_retained_variant_properties=self._get_param("ExcludeRetainedVariantProperties"),
        deployment_config=self._get_param("DeploymentConfig"),
        retain_deployment_config=bool(self._get_param("RetainDeploymentConfig", False)),
    )
    return ActionResult({"EndpointArn": arn})


def create_endpoint_action(self: SageMakerResponse) -> ActionResult:
    """CreateEndpoint, also passing DeploymentConfig, which moto ignores."""
    backend: Any = self.sagemaker_backend  # its create_endpoint is ours, with deployment_config
    endpoint = backend.create_endpoint(
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        tags=self._get_param("Tags"),
        deployment_config=self._get_param("DeploymentConfig"),
    )
    return ActionResult({"EndpointArn": endpoint.arn})


def _patch(owner: type, name: str, new: Callable[..., Any]) -> None:
    ORIGINALS.setdefault(f"{owner.__name__}.{name}", owner.__dict__.get(name))
    setattr(owner, name, new)


def install() -> None:
    """Install every SageMaker patch into moto's classes (idempotent)."""
    global _installed
    if _installed:
        return
    for method in (
        create_model,
        create_endpoint_config,
        create_endpoint,
        create_training_job,
        describe_endpoint,
        list_endpoints,
        delete_endpoint,
        describe_training_job,
        list_training_jobs,
        update_endpoint,
        update_endpoint_weights_and_capacities,
    ):
        _patch(SageMakerModelBackend, method.__name__, method)
    _patch(FakeEndpoint, "_process_production_variants", process_production_variants)
    _patch(SageMakerResponse, "update_endpoint", update_endpoint_action)
    _patch(SageMakerResponse, "create_endpoint", create_endpoint_action)
    _installed = True
