"""The inference Lambda behind `POST /models/{name}/invocations` (API Gateway proxy integration).

Thin handler: validate the name, check it against the environment's allow-list (the SSM parameter
`/modelctl/<env>/api/allowed` that the reconciler maintains from the specs, controller.desired.api_access), then one
InvokeEndpoint on the endpoint the allow-list names, never on a name taken from the path. A name not in the
allow-list is 404 without calling SageMaker. The answer carries lineage headers: X-Model-Version (the model the
answering variant serves), X-Model-Variant (InvokedProductionVariant) and X-Spec-Git-Sha (the spec commit that
deployed the endpoint config). The allow-list and each endpoint's lineage are cached per warm container for
CACHE_SECONDS, so a deploy or a revoke takes effect within that time.

Configuration: MODELCTL_ENV (the environment this API serves), AWS_REGION (set by Lambda). Clients come from
controller.aws.connect; tests pass a `Gateway` of their own to `respond`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from controller import naming
from controller.aws import lineage
from controller.aws.connect import connect
from controller.aws.session import AwsClients

CACHE_SECONDS = 30.0
MAX_BODY_BYTES = 6 * 1024 * 1024  # InvokeEndpoint's payload limit
# SPEC.md's metadata.name pattern (controller.spec.types.NAME_PATTERN, not imported: pydantic stays off this path)
NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
Response = dict[str, Any]


@dataclass
class Gateway:
    """What one warm container keeps: the clients, the environment, and the cached allow-list and lineage."""

    clients: AwsClients
    env: str
    clock: Callable[[], float] = time.monotonic
    _allowed: tuple[float, dict[str, dict[str, str]]] | None = field(default=None, repr=False)
    _lineage: dict[str, tuple[float, dict[str, lineage.VariantLineage]]] = field(default_factory=dict, repr=False)

    def allowed(self) -> dict[str, dict[str, str]]:
        """The allow-list, read at most once per CACHE_SECONDS."""
        if self._allowed is None or self.clock() - self._allowed[0] > CACHE_SECONDS:
            self._allowed = (self.clock(), lineage.allowed_models(self.clients, naming.api_allow_list(self.env)))
        return self._allowed[1]

    def variants(self, endpoint: str) -> dict[str, lineage.VariantLineage]:
        """The endpoint's variants and their lineage, read at most once per CACHE_SECONDS."""
        cached = self._lineage.get(endpoint)
        if cached is None or self.clock() - cached[0] > CACHE_SECONDS:
            cached = (self.clock(), lineage.endpoint_lineage(self.clients, endpoint))
            self._lineage[endpoint] = cached
        return cached[1]


def respond(event: dict[str, Any], gateway: Gateway) -> Response:
    """The API Gateway proxy response to one invocation request."""
    name = (event.get("pathParameters") or {}).get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return _error(400, "the model name must match ^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
    exposed = gateway.allowed().get(name)
    if exposed is None:
        return _error(404, f"no model {name!r} is exposed by this API")
    body = event.get("body") or ""
    payload = base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode()
    if not payload or len(payload) > MAX_BODY_BYTES:
        return _error(400, f"the request body must hold 1 to {MAX_BODY_BYTES} bytes")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    endpoint = exposed["endpoint"]
    content_type, accept = headers.get("content-type", "application/json"), headers.get("accept", "application/json")
    try:
        answer = lineage.invoke(gateway.clients, endpoint, payload, content_type, accept)
    except lineage.Unavailable as error:
        return _error(503, f"{name} cannot answer now: {error}")
    served = gateway.variants(endpoint).get(answer.variant)
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": answer.content_type,
            "X-Model-Version": served.version if served else "unknown",
            "X-Model-Variant": answer.variant,
            "X-Spec-Git-Sha": served.spec_git_sha if served else "unknown",
        },
        "body": base64.b64encode(answer.body).decode(),
        "isBase64Encoded": True,
    }


_gateway: Gateway | None = None


def handler(event: dict[str, Any], context: object) -> Response:
    """The Lambda entry point: one Gateway per warm container, then `respond`."""
    global _gateway
    if _gateway is None:
        _gateway = Gateway(connect(os.environ["AWS_REGION"]), os.environ["MODELCTL_ENV"])
    return respond(event, _gateway)


def _error(status: int, message: str) -> Response:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": message}),
    }
