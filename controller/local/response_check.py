"""The emulator's response-shape check: every answer judged against botocore's model before a client sees it.

Switched on by MODELCTL_LOCAL_CHECK_RESPONSES=1 (the test suite's conftest sets it; read at each response, so it
can be turned on after the emulator started); `report` only records what it finds. `install()` (idempotent, run
by controller.local.emulator's install_all) wraps the two places every emulator answer leaves moto:

    served      moto.core.utils.convert_to_flask_response.__call__   (ThreadedMotoServer, `modelctl local serve`)
    in-process  moto.core.botocore_stubber.BotocoreStubber.process_request                      (mock_aws)

so any client (boto3, the SageMaker SDK, the AWS CLI, the Step Functions interpreter calling back into the
emulator) is covered. For each response, `route()` finds the operation the request named, from the request
alone as AWS would (the SigV4 credential scope's signing name; then the X-Amz-Target header, the Query `Action`,
the RPC v2 path, or the REST method and URI template of the botocore model), independently of moto's own
routing; controller.local.response_shapes then lists what in the answer AWS would never send. A response with
violations is replaced by a 500 `EmulatorResponseShapeError` whose message lists them, and recorded.

Records (per process, also appended as JSON lines to $MODELCTL_LOCAL_SHAPES_LOG/<pid>.jsonl when that directory
is set, so a test session can count across its workers and subprocesses): `checked()` the distinct
(service, operation) output shapes judged, `found()` every violation.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import botocore.session
from botocore.model import OperationModel, ServiceModel

from controller.local import response_shapes
from controller.local.patching import Patches

ENV_SWITCH = "MODELCTL_LOCAL_CHECK_RESPONSES"
ENV_LOG = "MODELCTL_LOCAL_SHAPES_LOG"
ERROR_CODE = "EmulatorResponseShapeError"

_patches = Patches()
_lock = threading.Lock()
_checked: set[tuple[str, str]] = set()
_found: list[Violation] = []

# Signing names whose botocore service names differ (only a shortcut: any other is found by scanning the models).
_SIGNING_HINTS = {
    "states": ("stepfunctions",),
    "tagging": ("resourcegroupstaggingapi",),
    "monitoring": ("cloudwatch",),
    "sagemaker": ("sagemaker", "sagemaker-runtime"),
    "events": ("events",),
    "scheduler": ("scheduler",),
}
_CREDENTIAL = re.compile(r"Credential=[^/]*/[^/]*/[^/]*/([^/]+)/aws4_request")
_RPC_V2_PATH = re.compile(r"/service/([^/]+)/operation/([^/?]+)$")
_JSON_CONTENT = ("application/x-amz-json-1.0", "application/x-amz-json-1.1")


@dataclass(frozen=True)
class Exchange:
    """What the check needs of a request: method, path, query, headers (lower-cased names), and the Query
    protocol's `Action` (from the query string or the form body; empty for other protocols)."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    action: str = ""
    host: str = ""


@dataclass(frozen=True)
class Violation:
    """An answer AWS would never give: which operation, and what is wrong with it."""

    service: str
    operation: str
    status: int
    problems: tuple[str, ...]

    def message(self) -> str:
        return (
            f"the emulator's {self.service} {self.operation} response (HTTP {self.status}) is not one AWS sends: "
            + "; ".join(self.problems)
        )


def enabled() -> bool:
    """Whether answers are judged: ENV_SWITCH is "1" (refuse what AWS would never send) or "report" (only record)."""
    return os.environ.get(ENV_SWITCH, "") in ("1", "report")


def _refusing() -> bool:
    return os.environ.get(ENV_SWITCH, "") == "1"


def checked() -> set[tuple[str, str]]:
    """The distinct (service, operation) whose responses this process judged."""
    with _lock:
        return set(_checked)


def found() -> list[Violation]:
    """Every violation this process found, oldest first."""
    with _lock:
        return list(_found)


# --- which operation a request names -------------------------------------------------------------------------


@functools.cache
def _session() -> Any:
    return botocore.session.get_session()


@functools.cache
def _service(name: str) -> ServiceModel | None:
    try:
        return _session().get_service_model(name)
    except Exception:  # botocore raises UnknownServiceError and data-path errors alike
        return None


def _signing_name(model: ServiceModel) -> str:
    return str(model.metadata.get("signingName") or model.endpoint_prefix)


@functools.cache
def _all_by_signing_name() -> dict[str, tuple[str, ...]]:
    """Every botocore service, by signing name (loads every model once: only when a hint misses)."""
    loader = _session().get_component("data_loader")
    index: dict[str, list[str]] = {}
    for name in loader.list_available_services("service-2"):
        metadata = loader.load_service_model(name, "service-2")["metadata"]
        index.setdefault(metadata.get("signingName") or metadata["endpointPrefix"], []).append(name)
    return {key: tuple(names) for key, names in index.items()}


def _candidates(signing_name: str) -> Iterable[ServiceModel]:
    for name in (*_SIGNING_HINTS.get(signing_name, ()), signing_name):
        model = _service(name)
        if model is not None and _signing_name(model) == signing_name:
            yield model
    for name in _all_by_signing_name().get(signing_name, ()):
        model = _service(name)
        if model is not None:
            yield model


@functools.cache
def _rest_routes(service: str) -> tuple[tuple[str, re.Pattern[str], tuple[str, ...], int, str], ...]:
    """(method, path regex, query keys the URI requires, specificity, operation) of a REST service's operations."""
    model = _service(service)
    assert model is not None
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri, _, literal_query = str(http.get("requestUri", "/")).partition("?")
        pattern = re.sub(
            r"\\{([^}]+)\\}",
            lambda match: ".+" if match.group(1).endswith("+") else "[^/]+",
            re.escape(uri.rstrip("/") or "/"),
        )
        keys = tuple(part.split("=", 1)[0] for part in literal_query.split("&") if part)
        specificity = len(re.sub(r"\{[^}]+\}", "", uri)) + 100 * len(keys)
        routes.append((str(http.get("method", "POST")), re.compile(f"^{pattern}/?$"), keys, specificity, name))
    return tuple(sorted(routes, key=lambda route: -route[3]))


def _rest_operation(model: ServiceModel, exchange: Exchange) -> str | None:
    path = exchange.path
    bucket = exchange.host.split(".s3.", 1)[0] if ".s3." in exchange.host else ""
    if model.service_name == "s3" and bucket:
        path = f"/{bucket}{path}"  # virtual-hosted-style S3 (botocore's default): the bucket is in the host
    for method, pattern, keys, _, name in _rest_routes(model.service_name):
        if method == exchange.method and pattern.match(path) and all(k in exchange.query for k in keys):
            return name
    return None


def route(exchange: Exchange) -> tuple[OperationModel, str] | None:
    """The operation `exchange` names and the protocol it speaks, or None (unsigned, or not an AWS API call)."""
    match = _CREDENTIAL.search(exchange.headers.get("authorization", ""))
    if match is None:
        return None
    target = exchange.headers.get("x-amz-target", "")
    content_type = exchange.headers.get("content-type", "").split(";")[0].strip()
    rpc_v2 = _RPC_V2_PATH.search(exchange.path) if "smithy-protocol" in exchange.headers else None
    action = exchange.action or (exchange.query.get("Action") or [""])[0]
    for model in _candidates(match.group(1)):
        protocols = model.metadata.get("protocols") or [model.protocol]
        if target and "." in target:
            prefix, _, name = target.rpartition(".")
            if prefix == model.metadata.get("targetPrefix") and name in model.operation_names:
                protocol = "json" if content_type in _JSON_CONTENT or "json" in protocols else model.protocol
                return model.operation_model(name), protocol
        elif rpc_v2 is not None:
            if "smithy-rpc-v2-cbor" in protocols and rpc_v2.group(2) in model.operation_names:
                return model.operation_model(rpc_v2.group(2)), "smithy-rpc-v2-cbor"
        elif action:
            if action in model.operation_names and ("query" in protocols or "ec2" in protocols):
                return model.operation_model(action), "ec2" if "ec2" in protocols else "query"
        elif model.protocol in ("rest-json", "rest-xml"):
            rest_name = _rest_operation(model, exchange)
            if rest_name is not None:
                return model.operation_model(rest_name), str(model.protocol)
    return None


# --- judging one response ------------------------------------------------------------------------------------


def _record(line: dict[str, Any]) -> None:
    directory = os.environ.get(ENV_LOG)
    if directory:
        with open(os.path.join(directory, f"{os.getpid()}.jsonl"), "a", encoding="utf-8") as log:
            log.write(json.dumps(line) + "\n")


def _refusal(protocol: str, violation: Violation) -> tuple[int, dict[str, str], bytes]:
    """The 500 that replaces an answer AWS would never give, in the client's protocol."""
    message = violation.message()
    if protocol in ("query", "ec2", "rest-xml"):
        error = f"<Error><Type>Receiver</Type><Code>{ERROR_CODE}</Code><Message>{escape(message)}</Message></Error>"
        body = error if protocol == "rest-xml" else f"<ErrorResponse>{error}<RequestId>0</RequestId></ErrorResponse>"
        return 500, {"Content-Type": "text/xml"}, body.encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": ERROR_CODE}
    return 500, headers, json.dumps({"__type": ERROR_CODE, "message": message}).encode()


def judge(exchange: Exchange, status: int, headers: Mapping[str, str], body: bytes) -> Violation | None:
    """Check one response (when the check is on); record and return what is wrong with it, if anything."""
    if not enabled():
        return None
    routed = route(exchange)
    if routed is None:
        return None
    operation, protocol = routed
    if protocol == "smithy-rpc-v2-cbor":
        return None  # moto answers CBOR requests in JSON; botocore asks for JSON where a service offers both
    service = operation.service_model.service_name
    problems = response_shapes.violations(
        operation, protocol, response_shapes.Response(status, headers, body), method=exchange.method
    )
    key = (service, operation.name)
    violation = Violation(service, operation.name, status, tuple(problems)) if problems else None
    with _lock:
        new_shape = status < 300 and key not in _checked
        if new_shape:
            _checked.add(key)
        if violation is not None:
            _found.append(violation)
    if new_shape:
        _record({"checked": list(key)})
    if violation is not None:
        _record({"violation": violation.message()})
    return violation


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _as_bytes(body: Any) -> bytes | None:
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return None


# --- the two places answers leave moto -----------------------------------------------------------------------


def _stubber_process_request(self: Any, request: Any) -> Any:
    answer = _patches.original(_stubber_class(), "process_request")(self, request)
    if answer is None or not enabled():
        return answer
    status, headers, body = answer
    raw = _as_bytes(body)
    if raw is None:
        return answer
    url = urlsplit(request.url)
    headers = {str(key).lower(): _text(value) for key, value in request.headers.items()}
    if not _CREDENTIAL.search(headers.get("authorization", "")):
        return answer
    action = ""
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs((_as_bytes(request.body) or b"").decode("utf-8", "replace"))
        action = (form.get("Action") or [""])[0]
    query = parse_qs(url.query, keep_blank_values=True)
    exchange = Exchange(request.method.upper(), url.path or "/", query, headers, action, url.hostname or "")
    violation = judge(exchange, int(status), headers, raw)
    if violation is None or not _refusing():
        return answer
    routed = route(exchange)
    return _refusal(routed[1] if routed else "json", violation)


def _flask_call(self: Any, args: Any = None, **kwargs: Any) -> Any:
    from flask import Response
    from flask import request as flask_request

    response = _patches.original(_flask_wrapper_class(), "__call__")(self, args, **kwargs)
    if not enabled() or response.is_streamed:
        return response
    query = {key: flask_request.args.getlist(key) for key in flask_request.args}
    headers = {key.lower(): value for key, value in flask_request.headers.items()}
    if not _CREDENTIAL.search(headers.get("authorization", "")):
        return response  # not an AWS API call (moto's own API, the control API)
    action = ""
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        # moto parsed this form already (werkzeug caches it): reading it again does not touch the socket
        action = flask_request.form.get("Action", "")
    exchange = Exchange(flask_request.method.upper(), flask_request.path, query, headers, action, flask_request.host)
    violation = judge(exchange, response.status_code, dict(response.headers), response.get_data())
    if violation is None or not _refusing():
        return response
    routed = route(exchange)
    status, headers, body = _refusal(routed[1] if routed else "json", violation)
    return Response(response=body, status=status, headers=headers)


def _stubber_class() -> Any:
    from moto.core.botocore_stubber import BotocoreStubber

    return BotocoreStubber


def _flask_wrapper_class() -> Any:
    from moto.core.utils import convert_to_flask_response

    return convert_to_flask_response


def install() -> None:
    """Wrap where moto's answers leave it, in both flavours (idempotent; the check itself follows ENV_SWITCH)."""
    if _patches.installed:
        return
    _patches.replace(_stubber_class(), "process_request", _stubber_process_request)
    _patches.replace(_flask_wrapper_class(), "__call__", _flask_call)
