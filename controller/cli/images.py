"""Resolve `framework` images (e.g. xgboost 1.7-1) to the regional AWS image URIs, with the sagemaker SDK.

`sagemaker.core.image_uris.retrieve` knows every framework's account, repository and tag per region and works
offline, so we use it rather than copying its tables. It costs seconds to import and hundreds of MB, so it is
imported lazily, only when a spec uses `framework` and the answer is not cached, and never on the reconciler
Lambda's path (`modelctl bundle` resolves images before the Lambda sees the desired state). Answers are cached in
`$XDG_CACHE_HOME/modelctl/images.json` (default ~/.cache): a framework version's URI in a region does not change,
so later commands skip the import. The CLI passes `resolve_framework_image` to controller.desired as its ImageResolver.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from controller.desired.training import image_key
from controller.errors import PlanError
from controller.spec.models import FrameworkImage


def resolve_framework_image(framework: FrameworkImage, region: str, role: str, instance_type: str) -> str:
    """The URI of `framework` for `role` ("training" or "inference") on `instance_type` in `region`."""
    key = image_key(framework, region, role, instance_type)
    cache = _load_cache()
    if key not in cache:
        cache[key] = _retrieve(framework.name, framework.version, region, role, instance_type)
        _save_cache(cache)
    return cache[key]


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
    except FileNotFoundError as exc:  # sagemaker reads image_uri_config/<framework>.json: no such framework
        raise PlanError(f"framework image {name!r} {version}: the sagemaker SDK knows no framework {name!r}") from exc
    except (ValueError, KeyError) as exc:
        raise PlanError(f"framework image {name} {version} ({role}, {region}, {instance_type}): {exc}") from exc
    return uri


def _cache_file() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "modelctl" / "images.json"


def _load_cache() -> dict[str, str]:
    try:
        loaded = json.loads(_cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _save_cache(cache: dict[str, str]) -> None:
    path = _cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(cache, indent=1, sort_keys=True), encoding="utf-8")
        temporary.replace(path)  # atomic: concurrent commands never read half a file
    except OSError:
        pass  # a read-only home only costs the next command the SDK import
