"""Observed state: reads the actual AWS resources behind a set of refs, through the adapter registry.

Refs are grouped by kind and each kind's adapter reads its keys in batches; kinds run concurrently on a bounded
thread pool. Missing resources are simply absent from the result. Errors arrive already translated by the adapters
(controller.errors.AwsError subclasses); the first one raised propagates. No boto3 import here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

from controller.errors import PlanError
from controller.ports import ResourceOperations
from controller.resources import Kind, Observed, Ref


def observe(
    registry: Mapping[Kind, ResourceOperations], refs: Iterable[Ref], *, max_workers: int = 8
) -> dict[Ref, Observed]:
    """What exists in AWS among `refs`, keyed by ref; raises PlanError for a kind without an adapter."""
    keys_by_kind: dict[Kind, list[str]] = defaultdict(list)
    for ref in refs:
        keys_by_kind[ref.kind].append(ref.key)
    missing = sorted(kind for kind in keys_by_kind if kind not in registry)
    if missing:
        raise PlanError(f"no adapter can observe {', '.join(missing)}")
    if not keys_by_kind:
        return {}
    observed: dict[Ref, Observed] = {}
    with ThreadPoolExecutor(max_workers=min(max_workers, len(keys_by_kind))) as pool:
        futures = [
            pool.submit(registry[kind].observe, sorted(set(keys))) for kind, keys in sorted(keys_by_kind.items())
        ]
        for future in futures:
            observed.update({item.ref: item for item in future.result().values()})
    return observed
