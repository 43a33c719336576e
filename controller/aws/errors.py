"""Translation of botocore's errors into controller.errors, at the adapter boundary.

Every adapter method runs under `translate_errors()` (a context manager that also works as a decorator), so no
botocore exception type leaves controller.aws: throttling, 5xx and connection failures become TemporaryError
(botocore has already retried them with its standard backoff), "does not exist" answers become NotFoundError,
everything else PermanentError. Callers branch on the class only. `explain()` turns a configuration or connection
error (profile, credentials, SSO, region, endpoint, access) into one line saying what to do, for the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from controller.errors import AwsError, NotFoundError, PermanentError, TemporaryError

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceeded",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
    }
)
SERVER_CODES = frozenset(
    {
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalServerException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
T = TypeVar("T")
R = TypeVar("R")
NOT_FOUND_MARKERS = ("NotFound", "DoesNotExist", "NoSuch")
THROTTLING_DELAY = 2.0
SERVER_DELAY = 1.0


def translate(error: ClientError | BotoCoreError) -> AwsError:
    """The controller error for one botocore error."""
    if isinstance(error, ClientError):
        return _client_error(error)
    if isinstance(error, BotoConnectionError | HTTPClientError):
        return TemporaryError(f"cannot reach AWS: {error}", delay=SERVER_DELAY)
    return PermanentError(f"AWS SDK error: {error}")


def _client_error(error: ClientError) -> AwsError:
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    message = str(details.get("Message", "")) or str(error)
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    operation = error.operation_name
    text = f"{operation}: {code}: {message}"
    if code in THROTTLING_CODES:
        return TemporaryError(text, delay=THROTTLING_DELAY, operation=operation, code=code)
    if code in SERVER_CODES or status >= 500:
        return TemporaryError(text, delay=SERVER_DELAY, operation=operation, code=code)
    if any(marker in code for marker in NOT_FOUND_MARKERS) or (
        code == "ValidationException"
        and message.startswith(("Could not find", "No scalable target found", "No scaling policy found"))
    ):  # SageMaker's own "Could not find"; the emulator's Application Auto Scaling (AWS: ObjectNotFoundException)
        return NotFoundError(text, operation=operation, code=code)
    return PermanentError(text, operation=operation, code=code)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Raise controller errors instead of botocore's inside the block (or the decorated function)."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise translate(error) from error


def missing_as_none(function: Callable[[T], R]) -> Callable[[T], R | None]:
    """`function` with errors translated, answering None where the resource is not found.

    For the per-key read after a List* call: a resource deleted in between is simply absent."""

    def call(item: T) -> R | None:
        try:
            with translate_errors():
                return function(item)
        except NotFoundError:
            return None

    return call


_CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "AuthFailure",
    }
)


def explain(error: BaseException) -> str | None:
    """One line saying what went wrong with the AWS configuration and what to do, for a botocore error (or a
    controller error caused by one); None when `error` is not about the configuration or the connection."""
    cause = error if isinstance(error, ClientError | BotoCoreError) else error.__cause__
    if isinstance(cause, ProfileNotFound):
        profile = cause.kwargs.get("profile")
        return (
            f"AWS profile {profile!r} is not configured: set AWS_PROFILE to one `aws configure list-profiles` "
            "shows (or unset it), or use --local for the embedded emulator"
        )
    if isinstance(cause, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError):
        return (
            f"no usable AWS credentials ({cause}): run `aws configure` or `aws sso login`, or set AWS_PROFILE; "
            "--local uses the embedded emulator instead"
        )
    if isinstance(cause, TokenRetrievalError | SSOTokenLoadError | UnauthorizedSSOTokenError):
        return f"the AWS SSO session cannot be used ({cause}): run `aws sso login` with the profile in AWS_PROFILE"
    if isinstance(cause, NoRegionError | InvalidRegionError):
        return f"{cause}: set AWS_REGION (the environment's spec.region is used where the command knows it)"
    if isinstance(cause, BotoConnectionError | HTTPClientError):
        where = cause.kwargs.get("endpoint_url") or "AWS"
        return (
            f"cannot reach {where} ({type(cause).__name__}): check AWS_ENDPOINT_URL and the network, "
            "or use --local for the embedded emulator"
        )
    if isinstance(cause, ClientError):
        details = cause.response.get("Error", {})
        code, message = str(details.get("Code", "")), str(details.get("Message", ""))
        if code in _CREDENTIAL_CODES:
            return (
                f"AWS refused the credentials ({cause.operation_name}: {code}: {message}): refresh them "
                "(`aws sso login`, `aws configure`) or check AWS_PROFILE"
            )
        if "AccessDenied" in code or code == "UnauthorizedOperation":
            return (
                f"access denied ({cause.operation_name}: {code}: {message}): the credentials lack this permission; "
                "use the role the environment's stack grants to modelctl"
            )
        return f"AWS answered {cause.operation_name}: {code}: {message}"
    return None
