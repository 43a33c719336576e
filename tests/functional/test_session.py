"""AwsClients: one shared Config, lazy clients, explicit endpoint, and the call counter."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from controller.aws.session import SERVICES, AwsClients, is_read


def test_clients_are_made_once_with_the_shared_config() -> None:
    clients = AwsClients(boto3.session.Session(region_name="us-east-1"), max_workers=16)
    assert clients.ssm is clients.ssm
    config = clients.sagemaker.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 9}  # botocore: max_attempts 8 = 8 retries
    assert config.max_pool_connections == 64
    assert clients.sagemaker.meta.region_name == "us-east-1"
    with pytest.raises(ValueError, match="no adapter"):
        clients.client("ec2")


def test_endpoint_comes_from_the_environment_unless_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    from_environment = AwsClients(boto3.session.Session(region_name="us-east-1"))
    assert from_environment.ssm.meta.endpoint_url == "http://127.0.0.1:4566"
    explicit = AwsClients(boto3.session.Session(region_name="us-east-1"), endpoint_url="http://127.0.0.1:5000")
    assert explicit.ssm.meta.endpoint_url == "http://127.0.0.1:5000"


def test_every_service_client_can_be_made() -> None:
    clients = AwsClients(boto3.session.Session(region_name="us-east-1"))
    assert all(clients.client(service) for service in SERVICES)


def test_counter_counts_calls_per_operation_and_tells_reads_from_writes(offline: AwsClients) -> None:
    with Stubber(offline.ssm) as stub:
        stub.add_response("get_parameters", {"Parameters": []})
        stub.add_response("put_parameter", {"Version": 1})
        offline.ssm.get_parameters(Names=["a"])
        offline.ssm.put_parameter(Name="a", Value="1", Type="String")
    assert offline.calls.snapshot() == {"ssm.GetParameters": 1, "ssm.PutParameter": 1}
    assert (offline.calls.reads, offline.calls.writes) == (1, 1)
    offline.calls.reset()
    assert offline.calls.snapshot() == {}


def test_read_operations_by_name() -> None:
    assert is_read("DescribeEndpoint") and is_read("ListTags") and is_read("GetSchedule")
    assert not is_read("UpdateEndpoint") and not is_read("StartExecution")
