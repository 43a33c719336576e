"""SageMaker adapters: model package groups and models, plus the reading loop and create-or-adopt step that
controller.aws.sagemaker_endpoints (endpoint configs, endpoints) and sagemaker_promotion share.

One ResourceOperations (controller.ports) per kind. Every kind is read the
same way: one paged List* call with NameContains (the wanted keys' common prefix or suffix) to learn which keys
exist, then, concurrently for each wanted key that exists, the kind's Describe/List call and its tags.
Cost for N keys of which F exist: ceil(listed/100) + F + the tags: F ListTags below SWEEP_FROM found, else
ceil(managed of the kind in the region/100) GetResources (controller.aws.tagging) plus ListTags for any found
resource the sweep did not return (SageMaker has no batch describe).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from controller.aws.batching import iso, name_filter, run_concurrently, tag_map
from controller.aws.errors import missing_as_none, translate_errors
from controller.aws.session import Adapter
from controller.aws.tagging import ownership_tags
from controller.aws.writes import aws_tags, create_or_adopt, require_managed
from controller.errors import PermanentError
from controller.resources import Kind, Observed, Ref, Resource

PAGE = 100  # the largest MaxResults SageMaker's List* calls accept


class _SageMakerKind(Adapter):
    """Shared reading loop: list (operation, result key, name field, ARN field), then read each found key."""

    kind: Kind
    _list: tuple[str, str, str, str]
    _resource_type: str  # the Tagging API's name for the kind, e.g. "sagemaker:model"

    @translate_errors()
    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        wanted = set(keys)
        if not wanted:
            return {}
        operation, result, name_field, arn_field = self._list
        pages = self._clients.sagemaker.get_paginator(operation)
        found: dict[str, str] = {}
        contains = name_filter(wanted)
        filters = {"NameContains": contains} if contains else {}
        for page in pages.paginate(**filters, PaginationConfig={"PageSize": PAGE}):
            for summary in page.get(result, []):
                if summary[name_field] in wanted:
                    found[summary[name_field]] = summary[arn_field]
        with ownership_tags(self._clients, self._resource_type, len(found), self._tags) as tags_of:

            def observe_one(name_arn: tuple[str, str]) -> Observed:
                name, arn = name_arn
                return replace(self._read(name, arn), tags=tags_of(arn))

            observed = run_concurrently(missing_as_none(observe_one), sorted(found.items()), self._clients.max_workers)
        return {item.ref.key: item for item in observed if item is not None}

    def _read(self, name: str, arn: str) -> Observed:
        """The kind's own read of one resource (its tags are added by `observe`)."""
        raise NotImplementedError

    def _create_or_adopt(self, ref: Ref, create: Callable[[], object]) -> None:
        """Run `create`; when the name is taken, succeed if the existing resource is managed (adopt it), else
        raise PermanentError (a foreign resource is never taken over)."""
        create_or_adopt(
            create,
            lambda: self.observe([ref.key]).get(ref.key),
            lambda found: require_managed(found, "adopt"),
        )

    def _tags(self, arn: str) -> dict[str, str]:
        tags: dict[str, str] = {}
        for page in self._clients.sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
            tags.update(tag_map(page.get("Tags", [])))
        return tags


class ModelPackageGroups(_SageMakerKind):
    """Model package groups (`<model>-<env>`), the registry of a model's versions.

    Observed shape: properties {}; tags; extra {"arn": str, "versions": [{"version": str (the package's
    ModelPackageDescription, which holds the model version id), "status": ModelPackageStatus, "approval":
    ModelApprovalStatus, "arn": str, "created": ISO str}]} newest first. The per-key read is ListModelPackages
    (paged, 100 packages a page), so a group costs 2 calls + 1 per further 100 versions.

    Writes: create = CreateModelPackageGroup with the resource's tags, after reading the name (a managed group of
    that name is adopted, a foreign one refused);
    update = AddTags of the desired tags the group lacks (nothing when none); delete is refused with
    PermanentError: the model registry is kept, its history is never pruned.
    """

    kind = Kind.MODEL_PACKAGE_GROUP
    _list = (
        "list_model_package_groups",
        "ModelPackageGroupSummaryList",
        "ModelPackageGroupName",
        "ModelPackageGroupArn",
    )
    _resource_type = "sagemaker:model-package-group"

    def _read(self, name: str, arn: str) -> Observed:
        pages = self._clients.sagemaker.get_paginator("list_model_packages").paginate(
            ModelPackageGroupName=name,
            SortBy="CreationTime",
            SortOrder="Descending",
            PaginationConfig={"PageSize": PAGE},
        )
        summaries = [summary for page in pages for summary in page.get("ModelPackageSummaryList", [])]
        summaries.sort(key=lambda summary: summary["CreationTime"], reverse=True)
        versions = [
            {
                "version": summary.get("ModelPackageDescription", ""),
                "status": summary.get("ModelPackageStatus", ""),
                "approval": summary.get("ModelApprovalStatus", ""),
                "arn": summary["ModelPackageArn"],
                "created": iso(summary["CreationTime"]),
            }
            for summary in summaries
        ]
        return Observed(ref=Ref(self.kind, name), properties={}, extra={"arn": arn, "versions": versions})

    @translate_errors()
    def create(self, resource: Resource) -> None:
        existing = self.observe([resource.ref.key]).get(resource.ref.key)
        if existing is not None:  # looked up first: the emulator replaces a group whose name is taken
            require_managed(existing, "adopt")
            self.update(resource, existing)
            return
        self._create_or_adopt(  # AWS refuses a resent create (its first answer lost) as a taken name
            resource.ref,
            lambda: self._clients.sagemaker.create_model_package_group(
                ModelPackageGroupName=resource.ref.key, Tags=aws_tags(resource.tags)
            ),
        )

    @translate_errors()
    def update(self, resource: Resource, observed: Observed) -> None:
        require_managed(observed, "update")
        lacking = {key: value for key, value in resource.tags.items() if observed.tags.get(key) != value}
        if lacking:
            self._clients.sagemaker.add_tags(ResourceArn=observed.extra["arn"], Tags=aws_tags(lacking))

    def delete(self, observed: Observed) -> None:
        raise PermanentError(f"refusing to delete {observed.ref}: the model registry is kept")


class Models(_SageMakerKind):
    """SageMaker models, one per model version (name = version id).

    Observed shape: properties {"image": str, "modelDataUrl": str, "executionRoleArn": str} from the primary
    container (or the first of Containers); tags. Per key: DescribeModel + ListTags.

    Writes: models are made by the pipeline or by promotion (PromotedVersions), so create and update raise
    PermanentError; delete = DeleteModel (retention pruning), managed models only.
    """

    kind = Kind.MODEL
    _list = ("list_models", "Models", "ModelName", "ModelArn")
    _resource_type = "sagemaker:model"

    def _read(self, name: str, arn: str) -> Observed:
        model = self._clients.sagemaker.describe_model(ModelName=name)
        container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        properties = {
            "image": container.get("Image", ""),
            "modelDataUrl": container.get("ModelDataUrl", ""),
            "executionRoleArn": model.get("ExecutionRoleArn", ""),
        }
        return Observed(ref=Ref(self.kind, name), properties=properties)

    def create(self, resource: Resource) -> None:
        raise PermanentError(f"{resource.ref} is made by its pipeline or by promotion, not by apply")

    def update(self, resource: Resource, observed: Observed) -> None:
        raise PermanentError(f"{observed.ref} is immutable")

    @translate_errors()
    def delete(self, observed: Observed) -> None:
        require_managed(observed, "delete")
        self._clients.sagemaker.delete_model(ModelName=observed.ref.key)
