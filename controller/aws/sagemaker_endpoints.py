"""SageMaker endpoint adapters: endpoint configs and endpoints.

Called through the registry by controller.reconcile.observe (reads) and controller.reconcile.executor (writes);
reads follow the shared loop of controller.aws.sagemaker (list with NameContains, then Describe + ListTags per found
key).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from controller.aws.autoscaling import release_autoscaling
from controller.aws.errors import translate_errors
from controller.aws.sagemaker import _SageMakerKind
from controller.aws.writes import aws_tags, require_managed
from controller.errors import PermanentError, TemporaryError
from controller.plan import fleet_rules
from controller.resources import Kind, Observed, Ref, Resource

BUSY_DELAY = 30.0  # seconds before retrying an update of an endpoint that is not InService
IN_PROGRESS = "Cannot update in-progress endpoint"  # SageMaker's refusal while an endpoint changes
CAPTURE_OPTIONS = [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]


def number(value: Any) -> int | float:
    """A weight as AWS returns it (float) as the desired side writes it: int when whole."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


class EndpointConfigs(_SageMakerKind):
    """Endpoint configs (content-named, immutable).

    Observed shape: properties {"variants": [{"name", "model", "instanceType", "instanceCount": int, "weight":
    int | float (int when whole)}] sorted by name, "dataCapture": {"samplingPercent": int, "destination": str} |
    None}; tags. Per key: DescribeEndpointConfig, and the tags (controller.aws.sagemaker's loop).

    Writes: create = CreateEndpointConfig (ProductionVariants from properties["variants"], DataCaptureConfig of
    Input and Output from properties["dataCapture"], the resource's tags); the name taken by a managed config is
    success (configs are content-named, so same name, same content), by a foreign one PermanentError. update
    raises PermanentError (immutable: different content has another name). delete = DeleteEndpointConfig.
    """

    kind = Kind.ENDPOINT_CONFIG
    _list = ("list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", "EndpointConfigArn")
    _resource_type = "sagemaker:endpoint-config"

    def _read(self, name: str, arn: str) -> Observed:
        config = self._clients.sagemaker.describe_endpoint_config(EndpointConfigName=name)
        variants = sorted(
            (
                {
                    "name": variant["VariantName"],
                    "model": variant.get("ModelName", ""),
                    "instanceType": variant.get("InstanceType", ""),
                    "instanceCount": int(variant.get("InitialInstanceCount", 0)),
                    "weight": number(variant.get("InitialVariantWeight", 1.0)),
                }
                for variant in config.get("ProductionVariants", [])
            ),
            key=lambda variant: str(variant["name"]),
        )
        capture = config.get("DataCaptureConfig")
        data_capture = (
            {"samplingPercent": int(capture["InitialSamplingPercentage"]), "destination": capture["DestinationS3Uri"]}
            if capture and capture.get("EnableCapture", True)
            else None
        )
        properties = {"variants": variants, "dataCapture": data_capture}
        return Observed(ref=Ref(self.kind, name), properties=properties)

    @translate_errors()
    def create(self, resource: Resource) -> None:
        properties = resource.properties
        variants = [
            {
                "VariantName": variant["name"],
                "ModelName": variant["model"],
                "InstanceType": variant["instanceType"],
                "InitialInstanceCount": int(variant["instanceCount"]),
                "InitialVariantWeight": float(variant["weight"]),
            }
            for variant in properties["variants"]
        ]
        extra: dict[str, Any] = {}
        capture = properties.get("dataCapture")
        if capture:
            extra["DataCaptureConfig"] = {
                "EnableCapture": True,
                "InitialSamplingPercentage": int(capture["samplingPercent"]),
                "DestinationS3Uri": capture["destination"],
                "CaptureOptions": CAPTURE_OPTIONS,
            }
        self._create_or_adopt(
            resource.ref,
            lambda: self._clients.sagemaker.create_endpoint_config(
                EndpointConfigName=resource.ref.key,
                ProductionVariants=variants,
                Tags=aws_tags(resource.tags),
                **extra,
            ),
        )

    def update(self, resource: Resource, observed: Observed) -> None:
        raise PermanentError(f"{observed.ref} is immutable: a different fleet is a new, content-named config")

    @translate_errors()
    def delete(self, observed: Observed) -> None:
        require_managed(observed, "delete")
        self._clients.sagemaker.delete_endpoint_config(EndpointConfigName=observed.ref.key)


class Endpoints(_SageMakerKind):
    """Endpoints (`<model>-<env>`).

    Observed shape: properties {"endpointConfigName": str}; status EndpointStatus; extra {"variants": [{"name",
    "weight" (CurrentWeight), "instanceCount" (CurrentInstanceCount), "desiredWeight", "desiredInstanceCount"}]
    sorted by name, "failureReason": str | None, "lastDeploymentConfig": dict | None}; tags.
    Per key: DescribeEndpoint + ListTags.

    Writes: create = CreateEndpoint (a managed endpoint of that name is adopted; the next plan converges it).
    update: nothing is called unless the endpoint is InService (else TemporaryError code "EndpointBusy", delay
    30 s); a different properties["endpointConfigName"] -> UpdateEndpoint (a new fleet) with payload["deploymentConfig"]
    when present and the variant names stay (rolled out by SageMaker's guardrails; else all at once), after
    deregistering the autoscaled variants it removes or retypes, retaining autoscaled counts (_new_fleet,
    controller.plan.fleet_rules); the same config -> UpdateEndpointWeightsAndCapacities
    with every desired variant's weight, and its instance count unless it is in properties["autoscaled"] (no new
    fleet). SageMaker refusing either call because the endpoint is changing already is the same EndpointBusy: after a
    lost response botocore resends an update that did start, and the next plan sees where it went.
    delete = DeleteEndpoint. Whether SageMaker rolled an update back: controller.reconcile.rollbacks.rollback_of.
    """

    kind = Kind.ENDPOINT
    _list = ("list_endpoints", "Endpoints", "EndpointName", "EndpointArn")
    _resource_type = "sagemaker:endpoint"

    def _read(self, name: str, arn: str) -> Observed:
        endpoint = self._clients.sagemaker.describe_endpoint(EndpointName=name)
        variants = sorted(
            (_live_variant(variant) for variant in endpoint.get("ProductionVariants", [])),
            key=lambda variant: str(variant["name"]),
        )
        extra = {
            "variants": variants,
            "failureReason": endpoint.get("FailureReason"),
            "lastDeploymentConfig": endpoint.get("LastDeploymentConfig"),
        }
        return Observed(
            ref=Ref(self.kind, name),
            properties={"endpointConfigName": endpoint["EndpointConfigName"]},
            status=endpoint.get("EndpointStatus", ""),
            extra=extra,
        )

    @translate_errors()
    def create(self, resource: Resource) -> None:
        self._create_or_adopt(
            resource.ref,
            lambda: self._clients.sagemaker.create_endpoint(
                EndpointName=resource.ref.key,
                EndpointConfigName=resource.properties["endpointConfigName"],
                Tags=aws_tags(resource.tags),
            ),
        )

    @translate_errors()
    def update(self, resource: Resource, observed: Observed) -> None:
        require_managed(observed, "update")
        if observed.status != "InService":
            raise TemporaryError(
                f"{observed.ref} is {observed.status or 'busy'}; it can change once InService",
                delay=BUSY_DELAY,
                operation="UpdateEndpoint",
                code="EndpointBusy",
            )
        sagemaker = self._clients.sagemaker
        config_name = resource.properties["endpointConfigName"]
        if config_name != observed.properties.get("endpointConfigName"):
            self._new_fleet(resource, observed)
            return
        autoscaled = set(resource.properties.get("autoscaled") or ())
        wanted = []
        for variant in resource.properties["variants"]:
            entry: dict[str, Any] = {"VariantName": variant["name"], "DesiredWeight": float(variant["weight"])}
            if variant["name"] not in autoscaled:
                entry["DesiredInstanceCount"] = int(variant["instanceCount"])
            wanted.append(entry)
        with _busy_when_in_progress(observed.ref, "UpdateEndpointWeightsAndCapacities"):
            sagemaker.update_endpoint_weights_and_capacities(
                EndpointName=observed.ref.key, DesiredWeightsAndCapacities=wanted
            )

    def _new_fleet(self, resource: Resource, observed: Observed) -> None:
        """UpdateEndpoint as SageMaker allows it (controller.plan.fleet_rules): the DeploymentConfig only when the
        variant names stay, autoscaled variants it removes or retypes deregistered first, and the instance counts
        autoscaling set retained."""
        live = [str(variant["name"]) for variant in observed.extra.get("variants", [])]
        wanted = {str(variant["name"]): str(variant["instanceType"]) for variant in resource.properties["variants"]}
        extra: dict[str, Any] = {}
        deployment = resource.payload.get("deploymentConfig")
        if deployment and fleet_rules.guardrails_kept(live, wanted):
            extra["DeploymentConfig"] = deployment
        if fleet_rules.retain_counts(resource.properties.get("autoscaled") or (), live, wanted):
            extra["RetainAllVariantProperties"] = True
            extra["ExcludeRetainedVariantProperties"] = [{"VariantPropertyType": "DesiredWeight"}]
        live_types = self._instance_types(str(observed.properties.get("endpointConfigName")))
        release_autoscaling(
            self._clients,
            observed.ref.key,
            live,
            lambda registered: fleet_rules.autoscaling_released(live_types, wanted, registered),
        )
        with _busy_when_in_progress(observed.ref, "UpdateEndpoint"):
            self._clients.sagemaker.update_endpoint(
                EndpointName=observed.ref.key, EndpointConfigName=resource.properties["endpointConfigName"], **extra
            )

    def _instance_types(self, config_name: str) -> dict[str, str]:
        """Variant name -> instance type of a live endpoint config ({} when it is gone)."""
        try:
            config = self._clients.sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ValidationException":
                return {}
            raise
        return {v["VariantName"]: v.get("InstanceType", "") for v in config.get("ProductionVariants", [])}

    @translate_errors()
    def delete(self, observed: Observed) -> None:
        require_managed(observed, "delete")
        self._clients.sagemaker.delete_endpoint(EndpointName=observed.ref.key)


@contextmanager
def _busy_when_in_progress(ref: Ref, operation: str) -> Iterator[None]:
    """Errors translated, with SageMaker's 'Cannot update in-progress endpoint' as the busy TemporaryError."""
    try:
        with translate_errors():
            yield
    except PermanentError as error:
        if IN_PROGRESS not in str(error):
            raise
        raise TemporaryError(
            f"{ref} is changing already: {error}", delay=BUSY_DELAY, operation=operation, code="EndpointBusy"
        ) from error


def _live_variant(variant: Mapping[str, Any]) -> dict[str, Any]:
    """One live production variant: current and desired weight and instance count (None while unknown)."""

    def optional(field: str) -> int | float | None:
        return number(variant[field]) if variant.get(field) is not None else None

    return {
        "name": variant["VariantName"],
        "weight": optional("CurrentWeight"),
        "instanceCount": optional("CurrentInstanceCount"),
        "desiredWeight": optional("DesiredWeight"),
        "desiredInstanceCount": optional("DesiredInstanceCount"),
    }
