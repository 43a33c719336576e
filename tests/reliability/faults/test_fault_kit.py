"""The fault kit itself (tests/reliability/faults/fault_kit.py), on the served emulator: its faults reach the
controller's
clients only, in each protocol's shape, as botocore and controller.aws.errors classify them; a lost response's
request really ran; the draws are reproducible.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
import pytest
from botocore.exceptions import BotoCoreError, ClientError, ConnectionClosedError, ReadTimeoutError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker
from fault_kit import Fault, FaultInjector, FaultPlan

from controller.aws.connect import LOCAL_CREDENTIALS
from controller.aws.errors import SERVER_DELAY, THROTTLING_DELAY, translate
from controller.aws.session import SERVICES, AwsClients, client_config
from controller.errors import TemporaryError
from controller.local.emulator import Emulator

REGION = "us-east-1"
ATTEMPTS = 1 + client_config(1).retries["max_attempts"]  # botocore's max_attempts counts retries: 8 retries, 9 tries
# One call per service the controller uses (faults answer before the server sees them: no resource is needed)
PROBES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "sagemaker": ("list_endpoints", "ListEndpoints", {}),
    "sagemaker-runtime": ("invoke_endpoint", "InvokeEndpoint", {"EndpointName": "probe", "Body": b"{}"}),
    "ssm": ("describe_parameters", "DescribeParameters", {}),
    "stepfunctions": ("list_state_machines", "ListStateMachines", {}),
    "scheduler": ("list_schedules", "ListSchedules", {}),
    "application-autoscaling": ("describe_scalable_targets", "DescribeScalableTargets", {"ServiceNamespace": "ecs"}),
    "cloudwatch": ("describe_alarms", "DescribeAlarms", {}),
    "sts": ("get_caller_identity", "GetCallerIdentity", {}),
    "dynamodb": ("list_tables", "ListTables", {}),
    "codebuild": ("list_projects", "ListProjects", {}),
    "sns": ("list_topics", "ListTopics", {}),
    "s3": ("list_buckets", "ListBuckets", {}),
    "resourcegroupstaggingapi": ("get_resources", "GetResources", {}),
}


@cache
def _session() -> boto3.session.Session:
    """One Session for every test here, as connect() makes it for `--local`: its service models load once."""
    return boto3.session.Session(region_name=REGION, **LOCAL_CREDENTIALS)


def _clients(url: str) -> AwsClients:
    """New controller clients (so a new botocore retry quota) on the emulator at `url`."""
    return AwsClients(_session(), endpoint_url=url)


def _injected(monkeypatch: pytest.MonkeyPatch, plan: FaultPlan) -> FaultInjector:
    injector = FaultInjector(plan)
    injector.install(monkeypatch)
    return injector


def _probe(clients: AwsClients, service: str) -> None:
    method, _, arguments = PROBES[service]
    getattr(clients.client(service), method)(**arguments)


def test_every_service_the_controller_uses_has_a_probe() -> None:
    assert set(PROBES) == set(SERVICES)


@pytest.mark.parametrize("service", sorted(PROBES))
def test_throttles_and_503s_are_shaped_for_the_protocol_and_retried_as_such(
    emulator_server: Emulator, monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    operation = f"{service}.{PROBES[service][1]}"
    injector = _injected(monkeypatch, FaultPlan(rate=1.0, kinds=(Fault.THROTTLE,)))
    with pytest.raises(ClientError) as throttled:
        _probe(_clients(emulator_server.url), service)
    assert injector.faults[(Fault.THROTTLE, operation)] == ATTEMPTS  # botocore retried it to the last attempt
    assert ThrottledRetryableChecker().is_retryable(
        RetryContext(attempt_number=1, parsed_response=throttled.value.response)
    )
    error = translate(throttled.value)
    assert isinstance(error, TemporaryError) and error.delay == THROTTLING_DELAY

    injector.plan = FaultPlan(rate=1.0, kinds=(Fault.UNAVAILABLE,))
    with pytest.raises(ClientError) as unavailable:
        _probe(_clients(emulator_server.url), service)
    assert injector.faults[(Fault.UNAVAILABLE, operation)] == ATTEMPTS
    assert unavailable.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert "ServiceUnavailable" in unavailable.value.response["Error"]["Code"]
    error = translate(unavailable.value)
    assert isinstance(error, TemporaryError) and error.delay == SERVER_DELAY


def test_resets_are_retried_and_translated_as_temporary(
    emulator_server: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    injector = _injected(monkeypatch, FaultPlan(rate=1.0, kinds=(Fault.RESET,)))
    with pytest.raises(BotoCoreError) as reset:
        _probe(_clients(emulator_server.url), "sagemaker")
    assert injector.injected(Fault.RESET) == ATTEMPTS
    assert isinstance(translate(reset.value), TemporaryError)


def test_a_lost_response_request_ran_on_the_server_each_time(
    emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    injector = _injected(monkeypatch, FaultPlan(rate=1.0, kinds=(Fault.LOST_RESPONSE,)))
    ssm = _clients(emulator_url).ssm
    with pytest.raises((ConnectionClosedError, ReadTimeoutError)):
        ssm.put_parameter(Name="/fault-kit/probe", Value="v", Type="String", Overwrite=True)
    assert injector.injected(Fault.LOST_RESPONSE, writes=True) == ATTEMPTS
    clean = boto3.client("ssm", endpoint_url=emulator_url, region_name=REGION)  # not the controller's: no faults
    assert clean.get_parameter(Name="/fault-kit/probe")["Parameter"]["Version"] == ATTEMPTS  # each attempt wrote


def test_the_draws_are_reproducible_per_seed(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def faults_of(seed: int) -> dict[tuple[Fault, str], int]:
        injector = FaultInjector(FaultPlan(rate=0.3, seed=seed))
        with monkeypatch.context() as patch:
            injector.install(patch)
            clients = _clients(emulator_url)
            for _ in range(12):
                _probe(clients, "sts")
        return dict(injector.faults)

    assert faults_of(1) == faults_of(1) != faults_of(2)
    assert faults_of(1)  # some were injected
