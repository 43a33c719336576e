"""SSM Parameter Store adapter: the hyperparameters and training config parameters (Kind.PARAMETER).

One ResourceOperations (controller.ports) per kind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from controller.aws.batching import chunks
from controller.aws.errors import translate_errors
from controller.aws.session import Adapter, AwsClients
from controller.aws.writes import already_exists, aws_tags, require_managed
from controller.errors import AwsError, PermanentError
from controller.resources import MANAGED, MANAGED_TAG, Kind, Observed, Ref, Resource

GET_BATCH = 10  # GetParameters accepts at most 10 names
HISTORY_PAGE = 50  # GetParameterHistory returns at most 50 versions a page
RETAINED_LABELS = 5  # labelled versions kept per parameter (unlabel_retired)
FILTER_BATCH = 50  # a ParameterStringFilter holds at most 50 values; DescribeParameters pages hold at most 50


def decoded_value(text: str) -> Any:
    """A JSON object's text as a dict; any other value as is."""
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if isinstance(value, dict):
            return value
    return text


class Parameters(Adapter):
    """Parameters by name.

    Observed shape: properties {"value": str, or the dict when the value is a JSON object (the controller's own
    parameters are, so a plan shows `value.eta: "0.2" -> "0.3"` rather than two long strings),
    "type": "String" | "StringList" | "SecureString"} (SecureString values decrypted, so the read role needs
    kms:Decrypt); extra {"version": int}; tags {MANAGED_TAG: "true"} for
    managed parameters, else {} — no other tag is read.

    Layout and cost for N names: ceil(N/10) GetParameters (values, types, versions; missing names skipped) plus
    ceil(F/50) DescribeParameters for the F found, filtered on Name Equals <batch> AND tag:modelctl:managed, which
    tells ownership for 50 parameters per call. Reading tags with ListTagsForResource would cost one call per
    parameter (~10x more); the lineage tags it would add are not needed, because a parameter's value is compared
    directly. So ~0.12 calls per parameter.
    """

    kind = Kind.PARAMETER

    @translate_errors()
    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        ssm = self._clients.ssm
        found: dict[str, dict[str, object]] = {}
        for batch in chunks(sorted(set(keys)), GET_BATCH):
            answer = ssm.get_parameters(Names=list(batch), WithDecryption=True)
            for parameter in answer.get("Parameters", []):
                found[parameter["Name"]] = parameter
        managed = self._managed(sorted(found))
        return {
            name: Observed(
                ref=Ref(self.kind, name),
                properties={"value": decoded_value(str(parameter["Value"])), "type": parameter["Type"]},
                tags=dict(MANAGED) if name in managed else {},
                extra={"version": int(str(parameter["Version"]))},
            )
            for name, parameter in found.items()
        }

    @translate_errors()
    def create(self, resource: Resource) -> None:
        name = resource.ref.key
        try:
            with translate_errors():
                answer = self._clients.ssm.put_parameter(
                    Name=name,
                    Value=resource.payload["text"],
                    Type=resource.properties["type"],
                    Tags=aws_tags(resource.tags),
                )
        except AwsError as error:
            if not already_exists(error):
                raise
            if name not in self._managed([name]):
                raise PermanentError(f"refusing to adopt {resource.ref}: it has no {MANAGED_TAG}=true tag") from error
            answer = self._overwrite(resource)
        self._label(resource, int(answer["Version"]))

    @translate_errors()
    def update(self, resource: Resource, observed: Observed) -> None:
        require_managed(observed, "update")
        self._label(resource, int(self._overwrite(resource)["Version"]))

    @translate_errors()
    def delete(self, observed: Observed) -> None:
        require_managed(observed, "delete")
        self._clients.ssm.delete_parameter(Name=observed.ref.key)

    def _overwrite(self, resource: Resource) -> dict[str, Any]:
        return _overwrite(self._clients, resource.ref.key, resource.payload["text"], resource.properties["type"])

    def _label(self, resource: Resource, version: int) -> None:
        """Move the payload's label (if any) to `version`."""
        label = resource.payload.get("label")
        if label:
            _put_label(self._clients, resource.ref.key, version, label)

    def _managed(self, names: Sequence[str]) -> set[str]:
        """Which of `names` carry modelctl:managed=true."""
        managed: set[str] = set()
        pages = self._clients.ssm.get_paginator("describe_parameters")
        for batch in chunks(names, FILTER_BATCH):
            filters = [
                {"Key": "Name", "Option": "Equals", "Values": list(batch)},
                {"Key": f"tag:{MANAGED_TAG}", "Values": ["true"]},
            ]
            for page in pages.paginate(ParameterFilters=filters, PaginationConfig={"PageSize": FILTER_BATCH}):
                managed.update(item["Name"] for item in page.get("Parameters", []))
        return managed


@translate_errors()
def ensure_labelled(clients: AwsClients, labelled: Mapping[str, str]) -> None:
    """Make sure parameter `labelled["name"]` answers `<name>:<labelled["label"]>` before a pipeline run reads it
    so, by putting `labelled["text"]` again as a new version and labelling that when the label is missing.

    The write that changes a parameter's value labels it, but the label is missing when the value stayed while
    the label changed (a new training config with the same hyperparameters), or when a run died between the put
    and the label (the next plan sees the value as wanted and writes nothing). One GetParameters when the label
    is there; a run is started once per training config, so this costs nothing in a steady state."""
    name, label = labelled["name"], labelled["label"]
    if clients.ssm.get_parameters(Names=[f"{name}:{label}"]).get("Parameters"):
        return
    if name not in Parameters(clients)._managed([name]):
        raise PermanentError(f"refusing to label {name}: it has no {MANAGED_TAG}=true tag")
    answer = _overwrite(clients, name, labelled["text"], "String")
    _put_label(clients, name, int(answer["Version"]), label)


def _overwrite(clients: AwsClients, name: str, text: str, kind: str) -> dict[str, Any]:
    """PutParameter with Overwrite. Parameter Store keeps 100 versions and refuses a new one while the oldest is
    labelled (ParameterMaxVersionLimitExceeded, API_PutParameter): then the labels beyond the retained ones go
    (unlabel_retired) and the put is tried once more."""
    try:
        answer: dict[str, Any] = clients.ssm.put_parameter(Name=name, Value=text, Type=kind, Overwrite=True)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ParameterMaxVersionLimitExceeded":
            raise
        unlabel_retired(clients, name)
        answer = clients.ssm.put_parameter(Name=name, Value=text, Type=kind, Overwrite=True)
    return answer


def _put_label(clients: AwsClients, name: str, version: int, label: str) -> None:
    """Move `label` to `version` of parameter `name`, then unlabel the versions no retained config uses."""
    answer = clients.ssm.label_parameter_version(Name=name, ParameterVersion=version, Labels=[label])
    if answer.get("InvalidLabels"):
        raise PermanentError(f"SSM refused the label {label!r} on {Ref(Kind.PARAMETER, name)}")
    unlabel_retired(clients, name)


def unlabel_retired(clients: AwsClients, name: str) -> None:
    """Unlabel every labelled version of `name` but the newest RETAINED_LABELS, so Parameter Store never holds a
    labelled oldest version at its 100-version limit.

    The labels are training config ids (`<name>:<config id>`, read by a pipeline run as it starts); the newest ones
    are the configs of the versions an endpoint can roll back to (RETAINED_LABELS = the endpoint configs
    controller.reconcile.orchestrate retains). A run of an older config puts its label back first (ensure_labelled).
    Idempotent and safe to interrupt: it runs after every label write, and unlabelling a label already gone is
    not an error (SSM lists it in InvalidLabels)."""
    pages = clients.ssm.get_paginator("get_parameter_history")
    labelled = sorted(
        (
            (int(entry["Version"]), list(entry["Labels"]))
            for page in pages.paginate(Name=name, PaginationConfig={"PageSize": HISTORY_PAGE})
            for entry in page.get("Parameters", [])
            if entry.get("Labels")
        ),
        reverse=True,
    )
    for version, labels in labelled[RETAINED_LABELS:]:
        clients.ssm.unlabel_parameter_version(Name=name, ParameterVersion=version, Labels=labels)
