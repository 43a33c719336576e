"""Error translation at the adapter boundary: botocore errors in, controller.errors out (Stubber-driven)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError
from botocore.stub import Stubber

from controller.aws.errors import translate, translate_errors
from controller.aws.session import AwsClients
from controller.aws.ssm import Parameters
from controller.aws.stepfunctions import PipelineRuns
from controller.errors import NotFoundError, PermanentError, TemporaryError


def client_error(code: str, message: str = "boom", status: int = 400) -> ClientError:
    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "DescribeThing")


@pytest.mark.parametrize(
    "code",
    ["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
     "ProvisionedThroughputExceeded", "ServiceUnavailable", "InternalFailure"],
)  # fmt: skip
def test_throttling_and_server_codes_are_temporary(code: str) -> None:
    error = translate(client_error(code))
    assert isinstance(error, TemporaryError)
    assert error.delay > 0
    assert (error.code, error.operation) == (code, "DescribeThing")


def test_any_5xx_is_temporary() -> None:
    assert isinstance(translate(client_error("WeirdFailure", status=503)), TemporaryError)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ResourceNotFoundException", "no such thing"),
        ("ParameterNotFound", "x"),
        ("ExecutionDoesNotExist", "x"),
        ("ValidationException", 'Could not find model "m-1".'),
    ],
)
def test_missing_resources_are_not_found(code: str, message: str) -> None:
    assert isinstance(translate(client_error(code, message)), NotFoundError)


@pytest.mark.parametrize(
    ("code", "message"), [("AccessDeniedException", "no"), ("ValidationException", "bad value for MaxResults")]
)
def test_other_client_errors_are_permanent(code: str, message: str) -> None:
    error = translate(client_error(code, message))
    assert type(error) is PermanentError


def test_connection_errors_are_temporary_and_sdk_errors_permanent() -> None:
    assert isinstance(translate(EndpointConnectionError(endpoint_url="http://x")), TemporaryError)
    assert type(translate(ParamValidationError(report="bad"))) is PermanentError


def test_context_manager_keeps_the_cause() -> None:
    with pytest.raises(NotFoundError) as caught, translate_errors():
        raise client_error("ResourceNotFound")
    assert isinstance(caught.value.__cause__, ClientError)


def test_adapter_raises_temporary_error_on_throttling(offline: AwsClients) -> None:
    with Stubber(offline.ssm) as stub:
        stub.add_client_error("get_parameters", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(TemporaryError) as caught:
            Parameters(offline).observe(["/modelctl/a"])
    assert caught.value.operation == "GetParameters"


def test_adapter_raises_permanent_error_on_access_denied(offline: AwsClients) -> None:
    with Stubber(offline.stepfunctions) as stub:
        stub.add_client_error("list_state_machines", service_error_code="AccessDeniedException", http_status_code=403)
        with pytest.raises(PermanentError) as caught:
            PipelineRuns(offline).observe(["pipeline/run-1"])
    assert not isinstance(caught.value, NotFoundError)
    assert caught.value.code == "AccessDeniedException"
