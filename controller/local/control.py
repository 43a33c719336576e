"""Behaviour knobs of the embedded emulator, and the control API that sets them.

The emulator's SageMaker lifecycle (controller.local.sagemaker_lifecycle) reads its delays, injected failures
and metric values from here. Tests and `modelctl demo` set them through one small JSON document, either over
HTTP on the served emulator or directly in-process (no server, under `mock_aws`):

    {"delays": {"endpoint": 0.5, "training": 0.3, "bakeScale": 0.001, "timeoutScale": 1},
     "trainingJobs": {"fail": [{"namePrefix": "churn-", "reason": "AlgorithmError: ..."}],
                      "metrics": {"validation:auc": 0.7}},
     "endpoints": {"fail": [{"namePrefix": "churn-", "reason": "..."}]}}

A POSTed document is merged into the current knobs: objects merge key by key, lists and scalars replace.
Knobs are read when a resource is created or updated, so a change applies to what is created after it.

HTTP routes, added to moto's own `/moto-api/` application (the prefix its server already routes to it):
    GET  /moto-api/modelctl/control   the current knobs
    POST /moto-api/modelctl/control   merge a document, answer the new knobs (400 on an invalid document)
    POST /moto-api/modelctl/reset     reset every moto backend and the knobs (env defaults)

Client helpers: `configure(url, document)`, `current(url)` and `reset(url)` take the emulator's URL, or None
for the in-process emulator. Defaults come from MODELCTL_LOCAL_ENDPOINT_SECONDS (0.5),
MODELCTL_LOCAL_TRAINING_SECONDS (0.5), MODELCTL_LOCAL_BAKE_SCALE (0.001: a 600 s bake lasts 0.6 s) and
MODELCTL_LOCAL_TIMEOUT_SCALE (1: a state machine's TimeoutSeconds as written; stepfunctions_timeouts).
Installed by controller.local.emulator.install_all().
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from moto.moto_api._internal import urls as moto_api_urls
from moto.moto_api._internal.models import moto_api_backend
from pydantic import BaseModel, ConfigDict, Field

CONTROL_PATH = "/moto-api/modelctl/control"
RESET_PATH = "/moto-api/modelctl/reset"
_JSON = {"Content-Type": "application/json"}


class _Camel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FailureRule(_Camel):
    """Make resources whose name starts with `name_prefix` fail, with `reason` as their FailureReason."""

    name_prefix: str = Field(alias="namePrefix")
    reason: str = "Failure injected by the modelctl emulator"


class Delays(_Camel):
    """Seconds an endpoint takes to provision (create, update, rollback) and a training job to run;
    `bake_scale` converts DeploymentConfig waits (WaitIntervalInSeconds...) into emulator seconds;
    `timeout_scale` converts a state machine's TimeoutSeconds into emulator seconds (1: as written)."""

    endpoint: float = Field(ge=0)
    training: float = Field(ge=0)
    bake_scale: float = Field(alias="bakeScale", ge=0)
    timeout_scale: float = Field(alias="timeoutScale", default=1.0, gt=0)


class TrainingJobKnobs(_Camel):
    """Injected training failures, and FinalMetricDataList values by metric name."""

    fail: tuple[FailureRule, ...] = ()
    metrics: dict[str, float] = {}


class EndpointKnobs(_Camel):
    """Injected endpoint failures: a create ends Failed, an update rolls back."""

    fail: tuple[FailureRule, ...] = ()


class Knobs(_Camel):
    """Everything the control API sets."""

    delays: Delays
    training_jobs: TrainingJobKnobs = Field(alias="trainingJobs", default=TrainingJobKnobs())
    endpoints: EndpointKnobs = EndpointKnobs()


def failure_for(rules: tuple[FailureRule, ...], name: str) -> str | None:
    """The reason of the first rule matching `name`, or None."""
    return next((rule.reason for rule in rules if name.startswith(rule.name_prefix)), None)


def _defaults() -> Knobs:
    env = os.environ
    return Knobs(
        delays=Delays(
            endpoint=float(env.get("MODELCTL_LOCAL_ENDPOINT_SECONDS", "0.5")),
            training=float(env.get("MODELCTL_LOCAL_TRAINING_SECONDS", "0.5")),
            bake_scale=float(env.get("MODELCTL_LOCAL_BAKE_SCALE", "0.001")),
            timeout_scale=float(env.get("MODELCTL_LOCAL_TIMEOUT_SCALE", "1")),
        )
    )


_lock = threading.Lock()
_knobs: Knobs | None = None


def knobs() -> Knobs:
    """The knobs in force (env defaults until configured)."""
    global _knobs
    with _lock:
        if _knobs is None:
            _knobs = _defaults()
        return _knobs


def _merge(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def apply(document: Mapping[str, Any]) -> Knobs:
    """Merge a control document into the knobs; raises pydantic.ValidationError (a ValueError) and leaves
    the knobs unchanged when the result is invalid."""
    global _knobs
    new = Knobs.model_validate(_merge(knobs().model_dump(by_alias=True), document))
    with _lock:
        _knobs = new
    return new


def reset_in_process() -> None:
    """Reset every moto backend (as /moto-api/reset does) and the knobs to their env defaults."""
    global _knobs
    moto_api_backend.reset()
    with _lock:
        _knobs = None


# --- HTTP side (runs inside moto's server) -------------------------------------------------------------


def _control_view(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    if request.method == "POST":
        try:
            apply(json.loads(request.get_data() or b"{}"))
        except ValueError as error:  # json.JSONDecodeError and pydantic.ValidationError are ValueErrors
            return 400, _JSON, json.dumps({"message": str(error)})
    return 200, _JSON, knobs().model_dump_json(by_alias=True)


def _reset_view(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    if request.method != "POST":
        return 405, _JSON, json.dumps({"message": "POST to reset the emulator"})
    reset_in_process()
    return 200, _JSON, json.dumps({"status": "ok"})


def install() -> None:
    """Add the control routes to moto's `/moto-api/` application (idempotent).

    moto builds that Flask application from `moto.moto_api._internal.urls.url_paths` when its server receives
    the first `/moto-api/` request, so this must run before the server starts (Emulator.start does)."""
    moto_api_urls.url_paths["{0}" + CONTROL_PATH] = _control_view
    moto_api_urls.url_paths["{0}" + RESET_PATH] = _reset_view


# --- client helpers -----------------------------------------------------------------------------------


def _request(url: str, path: str, document: Mapping[str, Any] | None) -> dict[str, Any]:
    data = None if document is None else json.dumps(document).encode()
    request = urllib.request.Request(
        url.rstrip("/") + path, data=data, headers=_JSON, method="GET" if data is None else "POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise ValueError(f"emulator control API refused the request: {error.read().decode()}") from error
    return answer


def configure(url: str | None, document: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `document` into the knobs of the emulator at `url` (None: in-process); returns the new knobs.

    Raises ValueError for an invalid document."""
    if url is None:
        return apply(document).model_dump(by_alias=True)
    return _request(url, CONTROL_PATH, document)


def current(url: str | None) -> dict[str, Any]:
    """The knobs of the emulator at `url` (None: in-process)."""
    return knobs().model_dump(by_alias=True) if url is None else _request(url, CONTROL_PATH, None)


def reset(url: str | None) -> None:
    """Forget every resource and restore default knobs in the emulator at `url` (None: in-process)."""
    if url is None:
        reset_in_process()
    else:
        _request(url, RESET_PATH, {})
