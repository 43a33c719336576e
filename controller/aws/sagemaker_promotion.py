"""SageMaker adapter for promoted versions: a model version proven in the promotion source, copied, never retrained.

A ResourceOperations (controller.ports): it creates, and observes nothing (see
PromotedVersions). The copy is a model package in the target environment's group plus the SageMaker model the
endpoint configs name, both tagged like every managed resource, with modelctl:version set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from controller.aws.errors import translate_errors
from controller.aws.session import Adapter
from controller.aws.writes import already_exists, aws_tags
from controller.errors import AwsError, NotFoundError, PermanentError
from controller.resources import VERSION_TAG, Kind, Observed, Resource

PAGE = 100  # the largest MaxResults ListModelPackages accepts


class PromotedVersions(Adapter):
    """Promoted versions keyed by the model version id; properties {"sourceGroup", "targetGroup"}; payload
    {"executionRoleArn": the target environment's SageMaker role}.

    observe answers nothing: whether a version is already promoted is read through the target group's versions
    (ModelPackageGroups), and controller.desired wants a promoted version only while that group holds no version
    of its config. So a wanted promotion is always planned as a create, and create is idempotent.

    create: find the package whose ModelPackageDescription is the key in sourceGroup (NotFoundError if none),
    DescribeModelPackage; CreateModel named the version (its first container's Image and ModelDataUrl, the
    payload's role; a model of that name already there is kept, e.g. the source environment's in the same
    account); then, unless targetGroup already holds a package with that description, CreateModelPackage there
    with the same description, InferenceSpecification and CustomerMetadataProperties, approval "Approved". The
    model goes first so an interrupted create never leaves a registered version without its model. update and
    delete raise PermanentError: a promoted version is immutable history, and the registry is kept.
    """

    kind = Kind.PROMOTED_VERSION

    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        return {}

    @translate_errors()
    def create(self, resource: Resource) -> None:
        version = resource.ref.key
        role = resource.payload.get("executionRoleArn")
        if not role:
            raise PermanentError(f"{resource.ref}: the payload names no executionRoleArn for the promoted model")
        source = self._package_arn(resource.properties["sourceGroup"], version)
        if source is None:
            raise NotFoundError(f"{resource.ref}: no package of {version} in {resource.properties['sourceGroup']}")
        package = self._clients.sagemaker.describe_model_package(ModelPackageName=source)
        inference = package["InferenceSpecification"]
        tags = aws_tags({**resource.tags, VERSION_TAG: version})
        self._create_model(version, inference["Containers"][0], role, tags)
        target = resource.properties["targetGroup"]
        if self._package_arn(target, version) is not None:
            return
        extra: dict[str, Any] = {}
        if package.get("CustomerMetadataProperties"):
            extra["CustomerMetadataProperties"] = package["CustomerMetadataProperties"]
        self._clients.sagemaker.create_model_package(
            ModelPackageGroupName=target,
            ModelPackageDescription=version,
            InferenceSpecification=inference,
            ModelApprovalStatus="Approved",
            Tags=tags,
            **extra,
        )

    def update(self, resource: Resource, observed: Observed) -> None:
        raise PermanentError(f"{observed.ref} is immutable history")

    def delete(self, observed: Observed) -> None:
        raise PermanentError(f"refusing to delete {observed.ref}: the model registry is kept")

    def _create_model(self, name: str, container: dict[str, Any], role: str, tags: list[dict[str, str]]) -> None:
        primary = {"Image": container["Image"]}
        if container.get("ModelDataUrl"):
            primary["ModelDataUrl"] = container["ModelDataUrl"]
        try:
            with translate_errors():
                self._clients.sagemaker.create_model(
                    ModelName=name, PrimaryContainer=primary, ExecutionRoleArn=role, Tags=tags
                )
        except AwsError as error:
            if not already_exists(error):
                raise

    def _package_arn(self, group: str, version: str) -> str | None:
        """The ARN of the package in `group` whose description is `version`, None when there is none."""
        pages = self._clients.sagemaker.get_paginator("list_model_packages").paginate(
            ModelPackageGroupName=group, PaginationConfig={"PageSize": PAGE}
        )
        for page in pages:
            for summary in page.get("ModelPackageSummaryList", []):
                if summary.get("ModelPackageDescription") == version:
                    return str(summary["ModelPackageArn"])
        return None
