"""Ownership tags of many resources in a few calls: the Resource Groups Tagging API's GetResources.

Reading a resource's tags one call at a time is what makes a large sweep slow on AWS: Step Functions allows
ListTagsForResource a burst of 100 and then 1 call a second (bench/rate_limits.py), so 1000 state machines would
take 15 minutes. GetResources returns up to 100 resources a page with all their tags, filtered to one resource
type and to the modelctl:managed tag. Adapters read tags through `ownership_tags`: once per observe, when at
least SWEEP_FROM resources exist (below that the per-resource calls are cheaper), it sweeps in the background
while the adapter reads the resources themselves, and falls back to the per-resource call for any ARN the sweep
did not return: a resource that is not ours, or one tagged so recently that the Tagging API (eventually
consistent) does not list it yet. So the sweep only saves calls; ownership is never decided by its absence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from controller.aws.batching import tag_map
from controller.aws.session import AwsClients
from controller.resources import MANAGED_TAG

SWEEP_FROM = 10  # resources found by the List* call; below this, one tag read per resource costs fewer calls
PAGE = 100  # the largest ResourcesPerPage GetResources accepts


TagReader = Callable[[str], dict[str, str]]  # ARN -> the resource's tags


@contextmanager
def ownership_tags(clients: AwsClients, resource_type: str, found: int, read_one: TagReader) -> Iterator[TagReader]:
    """A TagReader for the `found` resources of `resource_type` an adapter is about to read: the sweep's answer
    (started now, in the background) when found >= SWEEP_FROM, else, and for any ARN the sweep lacks, `read_one`."""
    if found < SWEEP_FROM:
        yield read_one
        return
    with ThreadPoolExecutor(max_workers=1) as background:
        sweep = background.submit(managed_tags, clients, resource_type)
        yield lambda arn: sweep.result().get(arn.lower()) or read_one(arn)


def managed_tags(clients: AwsClients, resource_type: str) -> dict[str, dict[str, str]]:
    """ARN (lower-cased) -> tags of every resource of `resource_type` (e.g. "states:stateMachine") in the
    clients' region that carries modelctl:managed=true. ARNs are lower-cased because SageMaker lower-cases
    resource names in some ARNs and not in others."""
    pages = clients.tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": MANAGED_TAG, "Values": ["true"]}],
        ResourceTypeFilters=[resource_type],
        ResourcesPerPage=PAGE,
    )
    return {
        mapping["ResourceARN"].lower(): tag_map(mapping.get("Tags", []))
        for page in pages
        for mapping in page.get("ResourceTagMappingList", [])
    }
