"""Fixtures for the adapter tests: AwsClients on the in-process emulator, and a Stubber-backed variant.

`clients` builds AwsClients from a plain boto3 Session (dummy credentials from tests/conftest.py, us-east-1) while
the in-process emulator (moto's mock_aws, patched) is active; `raw` gives plain boto3 clients for seeding state.
`offline` is AwsClients for botocore Stubber tests: no emulator, and a dead endpoint so an unstubbed call fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from aws_kit import REGION

from controller.aws.session import AwsClients


@pytest.fixture
def clients(in_process_aws: None) -> AwsClients:
    return AwsClients(boto3.session.Session(region_name=REGION))


@pytest.fixture
def raw(in_process_aws: None) -> Callable[[str], Any]:
    def make(service: str) -> Any:
        return boto3.client(service, region_name=REGION)

    return make


@pytest.fixture
def offline() -> AwsClients:
    return AwsClients(boto3.session.Session(region_name=REGION), endpoint_url="http://127.0.0.1:9")
