"""Helpers for the adapter write tests (tests/functional/test_*_writes.py): desired state from the example specs,
applying it in kind order through the registry, settling endpoints, and the second-plan (no-op) check."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from controller.desired.state import ModelVersion, desired_state
from controller.plan.diff import Action, diff
from controller.ports import ResourceOperations
from controller.reconcile.observe import observe
from controller.resources import MANAGED_TAG, Kind, Observed, Ref, Resource
from controller.spec.catalog import Catalog
from controller.spec.loader import load_catalog
from controller.spec.models import FrameworkImage

REPO = Path(__file__).resolve().parents[2]
RUN = "20261125T030000Z"
FAST = {"delays": {"endpoint": 0.2, "training": 0.2, "bakeScale": 0.001}}
MANAGED = [{"Key": MANAGED_TAG, "Value": "true"}]
Registry = Mapping[Kind, ResourceOperations]


def _resolve(framework: FrameworkImage, region: str, role: str, instance_type: str) -> str:
    return f"763104351884.dkr.ecr.{region}.amazonaws.com/sagemaker-{framework.name}:{framework.version}-{role}"


@cache
def catalog() -> Catalog:
    return load_catalog([str(REPO / "specs")])


def stage(trained: Sequence[str] = ("churn-xgb", "fraud-lgbm")) -> tuple[Resource, ...]:
    """Desired resources of `stage` where the `trained` models already have one version of their current config;
    image builds (CodeBuild, tested with their own adapter) left out."""
    fresh = desired_state(catalog(), "stage", git_sha="0123abc", registry={}, resolve_image=_resolve)
    registry = {f"{model}-stage": [ModelVersion(f"{fresh.config_ids[model]}-{RUN}", "Approved")] for model in trained}
    state = desired_state(catalog(), "stage", git_sha="0123abc", registry=registry, resolve_image=_resolve)
    return tuple(resource for resource in state.resources if resource.ref.kind is not Kind.IMAGE_BUILD)


def of_kind(resources: Iterable[Resource], kind: Kind) -> list[Resource]:
    return [resource for resource in resources if resource.ref.kind is kind]


def make_models(sagemaker: Any, resources: Iterable[Resource]) -> None:
    """The SageMaker models the desired endpoint configs name (the pipeline would have made them)."""
    names = {v["model"] for r in of_kind(resources, Kind.ENDPOINT_CONFIG) for v in r.properties["variants"]}
    for name in sorted(names):
        container = {"Image": "img:1", "ModelDataUrl": f"s3://bucket/models/{name}/model.tar.gz"}
        role = "arn:aws:iam::123456789012:role/modelctl"
        sagemaker.create_model(ModelName=name, PrimaryContainer=container, ExecutionRoleArn=role, Tags=MANAGED)


def create_all(registry: Registry, resources: Sequence[Resource]) -> None:
    """Create every resource, kind by kind in the order a fresh environment creates them."""
    for kind in Kind:
        for resource in of_kind(resources, kind):
            registry[kind].create(resource)


def observed(registry: Registry, resources: Iterable[Resource]) -> dict[Ref, Observed]:
    return observe(registry, [resource.ref for resource in resources])


def settle(registry: Registry, endpoints: Iterable[str], timeout: float = 10.0) -> dict[str, Observed]:
    """Observe the endpoints until none is Creating / Updating / RollingBack."""
    keys = sorted(endpoints)
    deadline = time.monotonic() + timeout
    while True:
        seen = registry[Kind.ENDPOINT].observe(keys)
        if all(item.status in ("InService", "Failed") for item in seen.values()):
            return seen
        assert time.monotonic() < deadline, f"endpoints not settled: {[i.status for i in seen.values()]}"
        time.sleep(0.05)


def not_converged(registry: Registry, resources: Sequence[Resource]) -> list[str]:
    """What a second plan would still change: every resource that is not a NOOP, and every conflict."""
    result = diff(resources, observed(registry, resources))
    changes = [f"{d.action.name} {d.ref}: {d.field_changes}" for d in result.diffs if d.action is not Action.NOOP]
    return changes + [str(conflict.ref) for conflict in result.conflicts]
