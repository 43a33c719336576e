"""controller.local.ssm_ext: DescribeParameters honours MaxResults (1-50, default 10) and pages with NextToken."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.ssm.models import SimpleSystemManagerBackend
from moto.ssm.responses import SimpleSystemManagerResponse

from controller.local import ssm_ext
from controller.local.emulator import install_all

NAMES = [f"/modelctl/stage/m{i:03d}/hyperparameters" for i in range(120)]


@pytest.fixture
def ssm(in_process_aws: None) -> Any:
    client = boto3.client("ssm", region_name="us-east-1")
    for name in NAMES:
        client.put_parameter(Name=name, Value="{}", Type="String", Tags=[{"Key": "modelctl:managed", "Value": "true"}])
    return client


def test_describe_parameters_pages_by_max_results(ssm: Any) -> None:
    first = ssm.describe_parameters(MaxResults=50)
    assert len(first["Parameters"]) == 50 and "NextToken" in first

    pages = ssm.get_paginator("describe_parameters").paginate(PaginationConfig={"PageSize": 50})
    sizes = [len(page["Parameters"]) for page in pages]
    assert sizes == [50, 50, 20]


def test_describe_parameters_defaults_to_ten_and_filters_per_page(ssm: Any) -> None:
    assert len(ssm.describe_parameters()["Parameters"]) == 10

    wanted = NAMES[:50]
    filters = [
        {"Key": "Name", "Option": "Equals", "Values": wanted},
        {"Key": "tag:modelctl:managed", "Values": ["true"]},
    ]
    answer = ssm.describe_parameters(ParameterFilters=filters, MaxResults=50)
    assert sorted(p["Name"] for p in answer["Parameters"]) == wanted
    assert "NextToken" not in answer


def test_describe_parameters_rejects_more_than_fifty(ssm: Any) -> None:
    with pytest.raises(ClientError) as raised:
        ssm.describe_parameters(MaxResults=51)
    assert raised.value.response["Error"]["Code"] == "ValidationException"


class _PrivateRequest(SimpleSystemManagerResponse):
    """A DescribeParameters request with `params`, answered from a private backend (the process's stays as is)."""

    def __init__(self, backend: SimpleSystemManagerBackend, params: dict[str, Any]) -> None:
        super().__init__()
        self._backend, self._params = backend, params

    @property
    def ssm_backend(self) -> SimpleSystemManagerBackend:
        return self._backend

    def _get_param(self, param_name: str, if_none: Any = None) -> Any:
        return self._params.get(param_name, if_none)


def test_moto_still_ignores_max_results() -> None:
    install_all()
    backend = SimpleSystemManagerBackend(region_name="us-east-1", account_id="123456789012")
    for name in NAMES[:60]:
        backend.put_parameter(name, "", "{}", "String", "", "", False, [], "text", None, None)
    moto_describe = ssm_ext.original(SimpleSystemManagerResponse, "describe_parameters")

    answer: Any = moto_describe(_PrivateRequest(backend, {"MaxResults": 50})).result

    assert len(answer["Parameters"]) == 10, "moto now honours MaxResults: drop controller.local.ssm_ext"
