"""SageMaker Runtime InvokeEndpoint that knows the endpoint, in the embedded emulator.

AWS (SageMaker Runtime API Reference, "InvokeEndpoint"): the request goes to a live endpoint of the caller's
account and region; an endpoint that does not exist is a ValidationError ("Endpoint <name> of account <account>
not found."); the request is routed to one production variant by the variants' weights unless the
`X-Amzn-SageMaker-Target-Variant` header names one (an unknown name is a ValidationError), and the answer names
it in `X-Amzn-Invoked-Production-Variant`. moto 5.2 answers any endpoint name, existing or not, with a canned
body and the variant "invoked_production_variant", and reads the endpoint name from the parameters, where the
REST path (`/endpoints/{EndpointName}/invocations`) never puts it, so it always sees None.

`install()` (called by controller.local.emulator, idempotent) replaces moto's InvokeEndpoint action and backend
call: the name comes from the path; results queued through moto's `/moto-api/static/sagemaker/endpoint-results`
still win (moto's behaviour); otherwise the endpoint must exist, a variant is chosen by weight (or the target
variant), and the body, standing in for the model container's output, is JSON naming the endpoint, the variant
and the model it serves.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import JsonRESTError
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.models import SageMakerRuntimeBackend
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from controller.local.patching import Patches

TARGET_VARIANT_HEADER = "X-Amzn-SageMaker-Target-Variant"
_SERVING = ("InService", "Updating", "SystemUpdating", "RollingBack")  # states in which an endpoint answers

_patches = Patches()
original = _patches.original  # moto's implementation of a patched attribute (tests check moto still needs it)


class ValidationError(JsonRESTError):
    """SageMaker Runtime's ValidationError (HTTP 400; the error code differs from SageMaker's ValidationException)."""

    def __init__(self, message: str) -> None:
        super().__init__("ValidationError", message)


def invoke_endpoint_action(self: SageMakerRuntimeResponse) -> TYPE_RESPONSE:
    """The InvokeEndpoint action with the endpoint name taken from the request path."""
    request = {k: v for k, v in self.headers.items() if k.lower().startswith("x-amzn-sagemaker")}
    request["Accept"] = self.headers.get("Accept")
    request["Body"] = self.body
    name = unquote(self.path.split("?", 1)[0].split("/")[2])
    body, content_type, variant, attributes = self.sagemakerruntime_backend.invoke_endpoint(
        name, base64.b64encode(json.dumps(request).encode())
    )
    headers = {"Content-Type": content_type, "X-Amzn-Invoked-Production-Variant": variant}
    if attributes:
        headers["X-Amzn-SageMaker-Custom-Attributes"] = attributes
    return 200, headers, body


def invoke_endpoint(self: SageMakerRuntimeBackend, endpoint_name: str, unique_repr: bytes) -> tuple[str, ...]:
    """The backend's InvokeEndpoint: (body, content type, invoked variant, custom attributes)."""
    if self.results_queue:
        return tuple(original(SageMakerRuntimeBackend, "invoke_endpoint")(self, endpoint_name, unique_repr))
    sagemaker = sagemaker_backends[self.account_id][self.region_name]
    endpoint = sagemaker.endpoints.get(endpoint_name)
    if endpoint is None or endpoint.endpoint_status not in _SERVING:
        raise ValidationError(f"Endpoint {endpoint_name} of account {self.account_id} not found.")
    request: dict[str, Any] = json.loads(base64.b64decode(unique_repr))
    target = next((v for k, v in request.items() if k.lower() == TARGET_VARIANT_HEADER.lower()), None)
    variant = _route(endpoint.production_variants, target, endpoint_name)
    models = {
        v["VariantName"]: v.get("ModelName", "")
        for v in sagemaker.endpoint_configs[endpoint.endpoint_config_name].production_variants
    }
    body = json.dumps({"endpoint": endpoint_name, "variant": variant, "model": models.get(variant, "")})
    return body, "application/json", variant, ""


def _route(variants: list[dict[str, Any]], target: str | None, endpoint_name: str) -> str:
    """The variant a request goes to: the target, else one drawn by current weight."""
    names = [str(v["VariantName"]) for v in variants]
    if target is not None:
        if target not in names:
            raise ValidationError(f"Target variant {target} does not exist for endpoint {endpoint_name}.")
        return target
    weights = [float(v.get("CurrentWeight", v.get("DesiredWeight", 1.0))) for v in variants]
    if not any(weights):
        raise ValidationError(f"Endpoint {endpoint_name} has no variant with a positive weight.")
    return random.choices(names, weights=weights)[0]


def install() -> None:
    if _patches.installed:
        return
    _patches.replace(SageMakerRuntimeBackend, "invoke_endpoint", invoke_endpoint)
    _patches.replace(SageMakerRuntimeResponse, "invoke_endpoint", invoke_endpoint_action)
