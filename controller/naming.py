"""Deterministic AWS names for everything the controller makes, from model and environment names.

One place, so desired state, status, trace and tests agree. SageMaker names are at most 63 characters of
`[a-zA-Z0-9-]`; model and environment names are at most 32 each (SPEC.md), so names that could exceed the limit
are shortened with a digest suffix rather than truncated blindly. Pure; used by controller.desired.
"""

from __future__ import annotations

import hashlib

MAX_SAGEMAKER_NAME = 63


def _fit(name: str, limit: int = MAX_SAGEMAKER_NAME) -> str:
    if len(name) <= limit:
        return name
    suffix = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{suffix}"


def hyperparameter_parameter(env: str, model: str) -> str:
    return f"/modelctl/{env}/{model}/hyperparameters"


def training_config_parameter(env: str, model: str) -> str:
    return f"/modelctl/{env}/{model}/training-config"


def api_allow_list(env: str) -> str:
    """The SSM parameter naming the models the inference API may reach in `env` (controller.desired.api_access)."""
    return f"/modelctl/{env}/api/allowed"


def model_package_group(env: str, model: str) -> str:
    return _fit(f"{model}-{env}")


def state_machine(env: str, model: str) -> str:
    return f"modelctl-{model}-{env}"


def schedule_group(env: str) -> str:
    return f"modelctl-{env}"


def schedule(env: str, model: str) -> str:
    """`<group>/<name>`: EventBridge Scheduler names are unique within a group."""
    return f"{schedule_group(env)}/{model}"


def pipeline_run(env: str, model: str, execution: str) -> str:
    """`<state machine>/<execution name>`; the execution name of a reconcile-started run is the config id."""
    return f"{state_machine(env, model)}/{execution}"


def promoted_transform_job(env: str, version: str) -> str:
    """The batch transform job of a version promoted to `env` (the upstream run's job already has the version's
    name, and job names are unique per account and region)."""
    return _fit(f"{version}-{env}")


def endpoint(env: str, model: str) -> str:
    return _fit(f"{model}-{env}")


def endpoint_config(env: str, model: str, content_digest: str) -> str:
    return _fit(f"{endpoint(env, model)}-{content_digest[:12]}")


def image_build_project(env: str, model: str, role: str) -> str:
    """The CodeBuild project that builds a model's `training` or `inference` image from its source."""
    return f"modelctl-{model}-{env}-{role}"


def scaling_target(endpoint_name: str, variant: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant}"


def scaling_policy(endpoint_name: str, variant: str) -> str:
    return f"modelctl-{endpoint_name}-{variant}"


def alarm(endpoint_name: str, alarm_name: str) -> str:
    return f"modelctl-{endpoint_name}-{alarm_name}"
