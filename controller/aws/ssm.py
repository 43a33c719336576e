"""SSM Parameter Store adapter: the hyperparameters and training config parameters (Kind.PARAMETER).

Called through the registry by controller.observe.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from controller.aws.batching import chunks
from controller.aws.errors import translate_errors
from controller.aws.session import Adapter
from controller.resources import MANAGED_TAG, Kind, Observed, Ref

GET_BATCH = 10  # GetParameters accepts at most 10 names
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
                tags={MANAGED_TAG: "true"} if name in managed else {},
                extra={"version": int(str(parameter["Version"]))},
            )
            for name, parameter in found.items()
        }

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
