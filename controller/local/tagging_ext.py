"""The Resource Groups Tagging API's GetResources as AWS serves it, for every resource type the controller tags.

AWS (Resource Groups Tagging API Reference, "GetResources",
https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html):

- `ResourcesPerPage`: "the maximum number of results to be returned in each page ... a minimum of 1 and a
  maximum value of 100"; `TagsPerPage` (100-500) is a second limit that "Amazon Web Services recommends using
  ResourcesPerPage instead of", applied only when given. moto 5.2 applies a TagsPerPage of 100 even when the
  caller asked for ResourcesPerPage=100, so resources with 8 tags come 12 a page: 8x AWS's calls.
- `PaginationToken`: returned while more results remain, absent on the last page. moto keeps a live generator
  per token, shared by nobody else but lost with it; here a token names the last ARN returned (pages are in ARN
  order), so any number of concurrent sweeps page independently.
- `TagFilters` (a key, optionally some values; all filters must match), `ResourceTypeFilters`
  (`service` or `service:resourceType`), `ResourceARNList` (not with the other filters nor with paging
  parameters: InvalidParameterException).
- `ResourceARN`: the resource's ARN; moto answers a SageMaker endpoint config's as "('arn:...',)" (below).
- Services whose resources the API lists ("Services that support the Resource Groups Tagging API"): moto 5.2
  lists SageMaker, Step Functions, SSM parameters and CloudWatch alarms, but not CodeBuild projects
  (`codebuild:project`) nor EventBridge Scheduler schedule groups (`scheduler:schedule-group`), both of which the
  controller tags; they are added here. (Scheduler tags groups, not schedules; the controller tags no
  Application Auto Scaling target.)

`install()` (idempotent, called by controller.local.emulator) replaces moto's GetResources action; moto's
resource sources, tag matcher and type matcher are kept.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from moto.core.resource_tagging import TaggedResource, iter_taggable_backends, make_tag_matcher, match_resource_type
from moto.core.responses import ActionResult
from moto.resourcegroupstaggingapi.exceptions import ResourceGroupsTaggingAPIError
from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse

from controller.local.patching import Patches

MAX_RESOURCES_PER_PAGE = 100  # also the default
TAGS_PER_PAGE = (100, 500)  # the range AWS accepts

_patches = Patches()
original = _patches.original  # moto's implementation of a patched attribute (tests check moto still needs it)


def _invalid(message: str) -> ResourceGroupsTaggingAPIError:
    return ResourceGroupsTaggingAPIError("InvalidParameterException", message)


def _regional(backends: Any, account_id: str, region: str) -> Any | None:
    """The backend of `backends` (a moto BackendDict) for account and region, if it was ever used."""
    if account_id not in backends:
        return None
    return backends[account_id].get(region)


def _codebuild_projects(account_id: str, region: str) -> Iterator[TaggedResource]:
    from moto.codebuild.models import codebuild_backends

    backend = _regional(codebuild_backends, account_id, region)
    for project in backend.codebuild_projects.values() if backend is not None else ():
        tags = project.project_metadata.get("tags") or []
        yield TaggedResource(project.arn, {t["key"]: t.get("value", "") for t in tags}, "codebuild:project")


def _schedule_groups(account_id: str, region: str) -> Iterator[TaggedResource]:
    from moto.scheduler.models import scheduler_backends

    backend = _regional(scheduler_backends, account_id, region)
    if backend is None:
        return
    for group in backend.schedule_groups.values():
        tags = backend.tagger.get_tag_dict_for_resource(group.arn)
        yield TaggedResource(group.arn, tags, "scheduler:schedule-group")


def tagged_resources(account_id: str, region: str) -> list[TaggedResource]:
    """Every resource the Tagging API lists in the account and region (tagged, or moto's include_untagged)."""
    found = [
        resource
        for backend in iter_taggable_backends(account_id, region)
        for resource in backend.iter_tagged_resources()
    ]
    found += [*_codebuild_projects(account_id, region), *_schedule_groups(account_id, region)]
    return [_with_arn_string(r) for r in found if r.tags or r.extra.get("include_untagged")]


def _with_arn_string(resource: TaggedResource) -> TaggedResource:
    """moto 5.2's SageMaker endpoint config keeps its ARN as a 1-tuple (FakeEndpointConfig.arn), which moto's
    GetResources answers as the string "('arn:...',)": no client can match it, so every endpoint config fell
    back to a per-resource ListTags. AWS answers the ARN."""
    arn: Any = resource.arn
    if isinstance(arn, tuple | list) and arn:
        return TaggedResource(str(arn[0]), resource.tags, resource.resource_type, resource.extra)
    return resource


def _page_size(response: ResourceGroupsTaggingAPIResponse, name: str, low: int, high: int) -> int | None:
    value = response._get_param(name)
    if value is None:
        return None
    if not isinstance(value, int) or not low <= value <= high:
        raise _invalid(f"{name} must be between {low} and {high}")
    return value


def _token(arn: str) -> str:
    return base64.urlsafe_b64encode(arn.encode()).decode()


def _after(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise ResourceGroupsTaggingAPIError("PaginationTokenExpiredException", "Invalid pagination token") from None


def get_resources_action(self: ResourceGroupsTaggingAPIResponse) -> ActionResult:
    """GetResources as the module docstring describes it."""
    tag_filters = self._get_param("TagFilters") or []
    type_filters = self._get_param("ResourceTypeFilters") or []
    arn_list = self._get_param("ResourceARNList") or []
    token = self._get_param("PaginationToken") or ""
    per_page = _page_size(self, "ResourcesPerPage", 1, MAX_RESOURCES_PER_PAGE)
    tags_per_page = _page_size(self, "TagsPerPage", *TAGS_PER_PAGE)
    if arn_list and (tag_filters or type_filters):
        raise _invalid("ResourceARNList cannot be combined with TagFilters or ResourceTypeFilters")
    if arn_list and (token or per_page is not None or tags_per_page is not None):
        raise _invalid("ResourceARNList cannot be combined with ResourcesPerPage, TagsPerPage or PaginationToken")
    matches = make_tag_matcher(tag_filters)
    wanted = set(arn_list)
    selected = sorted(
        (
            resource
            for resource in tagged_resources(self.current_account, self.region)
            if match_resource_type(resource.resource_type, type_filters)
            and matches(resource.tags)
            and (not wanted or resource.arn in wanted)
        ),
        key=lambda resource: resource.arn,
    )
    if token:
        after = _after(token)
        selected = [resource for resource in selected if resource.arn > after]
    page: list[TaggedResource] = []
    tags = 0
    for resource in selected:
        weight = max(1, len(resource.tags))  # "a resource with no tags is counted as having one tag"
        if len(page) == (per_page or MAX_RESOURCES_PER_PAGE):
            break
        if tags_per_page is not None and page and tags + weight > tags_per_page:
            break
        page.append(resource)
        tags += weight
    result: dict[str, Any] = {
        "ResourceTagMappingList": [
            {"ResourceARN": r.arn, "Tags": [{"Key": k, "Value": v} for k, v in r.tags.items()]} for r in page
        ]
    }
    if len(page) < len(selected):
        result["PaginationToken"] = _token(page[-1].arn)
    return ActionResult(result)


def install() -> None:
    if _patches.installed:
        return
    _patches.replace(ResourceGroupsTaggingAPIResponse, "get_resources", get_resources_action)
