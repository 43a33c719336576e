"""Resolve `framework` images (e.g. xgboost 1.7-1) to the regional AWS image URIs, with the sagemaker SDK.

`sagemaker.core.image_uris.retrieve` knows every framework's account, repository and tag per region and works
offline, so we use it rather than copying its tables. It costs seconds to import and hundreds of MB, so it is
imported lazily, only when a spec uses `framework`, and never on the reconciler Lambda's path: `modelctl bundle`
resolves images before the Lambda sees the desired state. Called by the CLI, which passes `resolve_framework_image`
to controller.desired.
"""

from __future__ import annotations

from functools import cache

from controller.errors import PlanError
from controller.spec.models import FrameworkImage


def resolve_framework_image(framework: FrameworkImage, region: str, role: str, instance_type: str) -> str:
    """The URI of `framework` for `role` ("training" or "inference") on `instance_type` in `region`."""
    return _retrieve(framework.name, framework.version, region, role, instance_type)


@cache
def _retrieve(name: str, version: str, region: str, role: str, instance_type: str) -> str:
    try:
        from sagemaker.core import image_uris
    except ImportError as exc:
        raise PlanError(
            f"framework image {name} {version} needs the sagemaker SDK to resolve: pip install 'modelctl[images]'"
        ) from exc
    try:
        uri: str = image_uris.retrieve(
            framework=name, region=region, version=version, image_scope=role, instance_type=instance_type
        )
    except (ValueError, KeyError) as exc:
        raise PlanError(f"framework image {name} {version} ({role}, {region}, {instance_type}): {exc}") from exc
    return uri
