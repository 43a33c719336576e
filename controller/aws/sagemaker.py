"""SageMaker adapters: model package groups, models, endpoint configs and endpoints.

Called through the registry by controller.observe. Every kind is read the same way: one paged List* call with
NameContains (the wanted keys' common prefix or suffix) to learn which keys exist, then, concurrently for each
wanted key that exists, the kind's Describe/List call and ListTags. Cost for N keys of which F exist:
ceil(listed/100) + 2F calls (SageMaker has no batch describe or batch tag read).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from controller.aws.batching import iso, name_filter, run_concurrently, tag_map
from controller.aws.errors import missing_as_none, translate_errors
from controller.aws.session import Adapter
from controller.resources import Kind, Observed, Ref

PAGE = 100  # the largest MaxResults SageMaker's List* calls accept


def number(value: Any) -> int | float:
    """A weight as AWS returns it (float) as the desired side writes it: int when whole."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


class _SageMakerKind(Adapter):
    """Shared reading loop: list (operation, result key, name field, ARN field), then read each found key."""

    kind: Kind
    _list: tuple[str, str, str, str]

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
        observed = run_concurrently(
            missing_as_none(self._observe_one), sorted(found.items()), self._clients.max_workers
        )
        return {item.ref.key: item for item in observed if item is not None}

    def _observe_one(self, name_arn: tuple[str, str]) -> Observed:
        name, arn = name_arn
        return self._read(name, arn, self._tags(arn))

    def _read(self, name: str, arn: str, tags: dict[str, str]) -> Observed:
        raise NotImplementedError

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
    """

    kind = Kind.MODEL_PACKAGE_GROUP
    _list = (
        "list_model_package_groups",
        "ModelPackageGroupSummaryList",
        "ModelPackageGroupName",
        "ModelPackageGroupArn",
    )

    def _read(self, name: str, arn: str, tags: dict[str, str]) -> Observed:
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
        return Observed(ref=Ref(self.kind, name), properties={}, tags=tags, extra={"arn": arn, "versions": versions})


class Models(_SageMakerKind):
    """SageMaker models, one per model version (name = version id).

    Observed shape: properties {"image": str, "modelDataUrl": str, "executionRoleArn": str} from the primary
    container (or the first of Containers); tags. Per key: DescribeModel + ListTags.
    """

    kind = Kind.MODEL
    _list = ("list_models", "Models", "ModelName", "ModelArn")

    def _read(self, name: str, arn: str, tags: dict[str, str]) -> Observed:
        model = self._clients.sagemaker.describe_model(ModelName=name)
        container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        properties = {
            "image": container.get("Image", ""),
            "modelDataUrl": container.get("ModelDataUrl", ""),
            "executionRoleArn": model.get("ExecutionRoleArn", ""),
        }
        return Observed(ref=Ref(self.kind, name), properties=properties, tags=tags)


class EndpointConfigs(_SageMakerKind):
    """Endpoint configs (content-named, immutable).

    Observed shape: properties {"variants": [{"name", "model", "instanceType", "instanceCount": int, "weight":
    int | float (int when whole)}] sorted by name, "dataCapture": {"samplingPercent": int, "destination": str} |
    None}; tags. Per key: DescribeEndpointConfig + ListTags.
    """

    kind = Kind.ENDPOINT_CONFIG
    _list = ("list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", "EndpointConfigArn")

    def _read(self, name: str, arn: str, tags: dict[str, str]) -> Observed:
        config = self._clients.sagemaker.describe_endpoint_config(EndpointConfigName=name)
        variants = sorted(
            (
                {
                    "name": variant["VariantName"],
                    "model": variant.get("ModelName", ""),
                    "instanceType": variant.get("InstanceType", ""),
                    "instanceCount": int(variant.get("InitialInstanceCount", 0)),
                    "weight": number(variant.get("InitialVariantWeight", 1.0)),
                }
                for variant in config.get("ProductionVariants", [])
            ),
            key=lambda variant: str(variant["name"]),
        )
        capture = config.get("DataCaptureConfig")
        data_capture = (
            {"samplingPercent": int(capture["InitialSamplingPercentage"]), "destination": capture["DestinationS3Uri"]}
            if capture and capture.get("EnableCapture", True)
            else None
        )
        properties = {"variants": variants, "dataCapture": data_capture}
        return Observed(ref=Ref(self.kind, name), properties=properties, tags=tags)


class Endpoints(_SageMakerKind):
    """Endpoints (`<model>-<env>`).

    Observed shape: properties {"endpointConfigName": str}; status EndpointStatus; extra {"variants": [{"name",
    "weight" (CurrentWeight), "instanceCount" (CurrentInstanceCount), "desiredWeight", "desiredInstanceCount"}]
    sorted by name, "failureReason": str | None, "lastDeploymentConfig": dict | None}; tags.
    Per key: DescribeEndpoint + ListTags.
    """

    kind = Kind.ENDPOINT
    _list = ("list_endpoints", "Endpoints", "EndpointName", "EndpointArn")

    def _read(self, name: str, arn: str, tags: dict[str, str]) -> Observed:
        endpoint = self._clients.sagemaker.describe_endpoint(EndpointName=name)
        variants = sorted(
            (_live_variant(variant) for variant in endpoint.get("ProductionVariants", [])),
            key=lambda variant: str(variant["name"]),
        )
        extra = {
            "variants": variants,
            "failureReason": endpoint.get("FailureReason"),
            "lastDeploymentConfig": endpoint.get("LastDeploymentConfig"),
        }
        return Observed(
            ref=Ref(self.kind, name),
            properties={"endpointConfigName": endpoint["EndpointConfigName"]},
            tags=tags,
            status=endpoint.get("EndpointStatus", ""),
            extra=extra,
        )


def _live_variant(variant: Mapping[str, Any]) -> dict[str, Any]:
    """One live production variant: current and desired weight and instance count (None while unknown)."""

    def optional(field: str) -> int | float | None:
        return number(variant[field]) if variant.get(field) is not None else None

    return {
        "name": variant["VariantName"],
        "weight": optional("CurrentWeight"),
        "instanceCount": optional("CurrentInstanceCount"),
        "desiredWeight": optional("DesiredWeight"),
        "desiredInstanceCount": optional("DesiredInstanceCount"),
    }
