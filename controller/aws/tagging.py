"""Ownership tags of many resources in a few calls: the Resource Groups Tagging API's GetResources.

Reading a resource's tags one call at a time is what makes a large sweep slow on AWS: Step Functions allows
ListTagsForResource a burst of 100 and then 1 call a second (bench/rate_limits.py), so 1000 state machines would
take 15 minutes. GetResources returns up to 100 resources a page with all their tags, filtered to one resource
type and to the modelctl:managed tag. Adapters call `managed_tags` once per observe when at least SWEEP_FROM
resources exist (below that the per-resource calls are cheaper) and fall back to the per-resource call for any
ARN it did not return: a resource that is not ours, or one tagged so recently that the Tagging API (eventually
consistent) does not list it yet. So the sweep only saves calls; ownership is never decided by its absence.
"""

from __future__ import annotations

from controller.aws.batching import tag_map
from controller.aws.session import AwsClients
from controller.resources import MANAGED_TAG

SWEEP_FROM = 10  # resources found by the List* call; below this, one tag read per resource costs fewer calls
PAGE = 100  # the largest ResourcesPerPage GetResources accepts


def managed_tags(clients: AwsClients, resource_type: str) -> dict[str, dict[str, str]]:
    """ARN (lower-cased) -> tags of every resource of `resource_type` (e.g. "states:stateMachine") in the
    clients' region that carries modelctl:managed=true. ARNs are lower-cased because SageMaker lower-cases
    resource names in some ARNs and not in others; look them up with `tags_for`."""
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


def tags_for(swept: dict[str, dict[str, str]], arn: str) -> dict[str, str] | None:
    """The swept tags of `arn`, or None when the sweep did not return it (read its tags directly)."""
    return swept.get(arn.lower())
