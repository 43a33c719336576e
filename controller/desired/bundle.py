"""Desired-state bundles: the specs of one commit, rendered so the reconciler Lambda needs neither git nor YAML
files nor the sagemaker SDK. Pure: no boto3, no clock (callers pass the time).

A bundle is one JSON object (`BUNDLE_VERSION` 1):

    bundleVersion  1; a reconciler refuses any other version
    gitSha         the commit the specs come from; author: `Name <email>` of its author; createdAt: ISO 8601 UTC
    specs          every valid spec document as plain data, [{"file", "index", "data"}] in file order
    images         every `framework` image the specs use, resolved: controller.desired.training.image_key -> URI
    digest         SHA-256 of the canonical JSON of all the fields above; a bundle that does not match is refused

Stored in the environment's artifact bucket as `bundles/<git sha>.json`, then `bundles/latest.json` points at it.
`build_bundle` is called by `modelctl bundle` (controller.cli.bundle); `load_bundle` by the reconciler Lambda
(reconciler_lambda.reconcile), which rebuilds the Catalog through the same loader and checks the CLI uses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controller.desired.state import ImageResolver, desired_state
from controller.desired.training import image_key
from controller.errors import PlanError
from controller.spec.catalog import Catalog
from controller.spec.identity import digest
from controller.spec.loader import load_parsed
from controller.spec.models import FrameworkImage
from controller.spec.yamlsource import Document

BUNDLE_VERSION = 1
BUNDLE_PREFIX = "bundles/"  # in the environment's artifact bucket
LATEST_KEY = f"{BUNDLE_PREFIX}latest.json"  # {"gitSha": ..., "key": ..., "digest": ...}, written after the bundle
_FIELDS = ("bundleVersion", "gitSha", "author", "createdAt", "specs", "images")


@dataclass(frozen=True)
class Bundle:
    """A verified bundle: `catalog` rebuilt from its specs; `images` its resolved framework images by image_key;
    `digest` the content digest it was verified against."""

    catalog: Catalog
    git_sha: str
    author: str
    created_at: str
    images: Mapping[str, str]
    digest: str

    def resolve_image(self, framework: FrameworkImage, region: str, role: str, instance_type: str) -> str:
        """An ImageResolver that answers from the bundle only: the Lambda never resolves an image itself."""
        key = image_key(framework, region, role, instance_type)
        try:
            return self.images[key]
        except KeyError:
            raise PlanError(f"framework image {key} is not in bundle {self.git_sha}: rebuild the bundle") from None


def build_bundle(
    catalog: Catalog, *, root: str, git_sha: str, author: str, created_at: str, resolve_image: ImageResolver
) -> dict[str, Any]:
    """The bundle of `catalog` (loaded from the folder `root`), with every framework image the desired state of
    every environment asks for resolved through `resolve_image`."""
    images: dict[str, str] = {}

    def recording(framework: FrameworkImage, region: str, role: str, instance_type: str) -> str:
        uri = resolve_image(framework, region, role, instance_type)
        images[image_key(framework, region, role, instance_type)] = uri
        return uri

    for env in sorted(catalog.environments):
        desired_state(catalog, env, git_sha=git_sha, registry={}, resolve_image=recording)
    documents = [*catalog.environment_documents.values(), *(entry.document for entry in catalog.models.values())]
    specs = [
        {"file": _relative(document.file, root), "index": document.index, "data": document.data}
        for document in sorted(documents, key=lambda d: (d.file, d.index))
    ]
    content: dict[str, Any] = {
        "bundleVersion": BUNDLE_VERSION,
        "gitSha": git_sha,
        "author": author,
        "createdAt": created_at,
        "specs": specs,
        "images": dict(sorted(images.items())),
    }
    try:
        return {**content, "digest": digest(content)}
    except (TypeError, ValueError) as exc:  # a YAML value JSON cannot carry (a date, say) in an otherwise valid spec
        raise PlanError(f"the specs cannot be bundled as JSON: {exc}") from exc


def dumps(bundle: Mapping[str, Any]) -> str:
    """The bundle as the JSON text that is stored."""
    return json.dumps(bundle, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def bundle_key(git_sha: str) -> str:
    """Where the bundle of commit `git_sha` is stored in the artifact bucket."""
    return f"{BUNDLE_PREFIX}{git_sha}.json"


def latest_pointer(bundle: Mapping[str, Any]) -> str:
    """The text of LATEST_KEY naming `bundle` as the newest."""
    return json.dumps({"gitSha": bundle["gitSha"], "key": bundle_key(bundle["gitSha"]), "digest": bundle["digest"]})


def load_bundle(text: str | bytes) -> Bundle:
    """Parse and verify a stored bundle: its version, its digest, then its specs (SpecError if they are invalid).
    Raises PlanError for anything that is not a bundle this reconciler can apply."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PlanError(f"not a bundle: invalid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise PlanError("not a bundle: expected a JSON object")
    version = data.get("bundleVersion")
    if version != BUNDLE_VERSION:
        raise PlanError(f"bundle version {version!r} is unknown (this reconciler reads {BUNDLE_VERSION}); refused")
    missing = [name for name in (*_FIELDS, "digest") if name not in data]
    if missing:
        raise PlanError(f"not a bundle: missing {', '.join(missing)}")
    content = {name: data[name] for name in _FIELDS}
    if set(data) - {*_FIELDS, "digest"} or digest(content) != data["digest"]:
        raise PlanError(f"bundle {data['gitSha']} does not match its digest (tampered or corrupted); refused")
    specs, images = data["specs"], data["images"]
    if not isinstance(specs, list) or not isinstance(images, dict):
        raise PlanError("not a bundle: specs must be a list and images an object")
    documents = [_document(item) for item in specs]
    return Bundle(
        catalog=load_parsed(documents),
        git_sha=str(data["gitSha"]),
        author=str(data["author"]),
        created_at=str(data["createdAt"]),
        images={str(k): str(v) for k, v in images.items()},
        digest=str(data["digest"]),
    )


def changed_models(before: Catalog, after: Catalog, env: str) -> frozenset[str] | None:
    """The models of `env` whose spec there differs between two bundles' catalogs (new models included), or None
    when everything must be looked at: the environment itself changed, or a model left it (its resources go)."""
    if before.environments.get(env) != after.environments[env]:
        return None
    old = {entry.name: entry for entry in before.models_in(env)}
    new = {entry.name: entry for entry in after.models_in(env)}
    if set(old) - set(new):
        return None
    return frozenset(
        name
        for name, entry in new.items()
        if name not in old
        or old[name].configs[env] != entry.configs[env]
        or old[name].spec.metadata != entry.spec.metadata
    )


def _document(item: Any) -> Document:
    if not isinstance(item, dict) or not isinstance(item.get("file"), str) or not isinstance(item.get("index"), int):
        raise PlanError("not a bundle: every spec needs a file, an index and data")
    return Document(item["file"], item["index"], 1, item.get("data"), {})


def _relative(file: str, root: str) -> str:
    """A spec's path relative to the specs folder, as `modelctl validate` would show it from there."""
    path, base = Path(file), Path(root)
    try:
        return path.relative_to(base if base.is_dir() else base.parent).as_posix()
    except ValueError:
        return path.as_posix()
