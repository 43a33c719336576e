"""Fault injection at the botocore layer of the controller's clients (issue 7), for the tests in
tests/reliability/faults.

`FaultInjector(FaultPlan(rate=0.3, seed=7)).install(monkeypatch)` wraps `AwsClients._make`, so every client the
controller makes from then on (the CLI's, the orchestrator's, the state store's) gets a botocore `before-send`
handler that answers a share of its requests with a fault instead of sending them:

    THROTTLE       HTTP 400 with the throttling code in the service's protocol shape (query and query-compatible
                   JSON services: "Throttling"; JSON and REST-JSON: "ThrottlingException" in `__type` /
                   `x-amzn-ErrorType`; S3: 503 "SlowDown"), which botocore's standard mode retries as throttling
    UNAVAILABLE    HTTP 503 ServiceUnavailable, in the same shapes
    RESET          the connection fails before the request reaches the server (EndpointConnectionError or
                   ConnectionClosedError)
    LOST_RESPONSE  the request IS delivered and executed by the emulator (sent here with urllib3, the answer read
                   in full), then the response is lost (ConnectionClosedError or ReadTimeoutError): botocore
                   retries a request that already took effect, which is what exposes non-idempotent writes

Clients made any other way (the tests' own boto3 clients, the emulator's) are never touched.

Which requests fail is seeded and reproducible: the decision for a request is drawn from (seed, "service.Operation",
SHA-256 of the body, how many times that same request was seen before), so it does not depend on how threads
interleave; a retry is a new occurrence and gets a new draw. Requests whose body differs from run to run (a lock's
token, a timestamp) get different draws in different runs. `FaultPlan.forced` makes chosen moments certain (the
first answer of every create lost, or every attempt of one call failing), whatever the draws say. `faults` counts
what was injected by (fault, "service.Operation"), `requests` every request seen.

Backoff: botocore's standard mode sleeps rand() x min(base x 2^attempt, 20 s) between attempts (base 1 s for
throttling, 50 ms otherwise), up to a minute for one call. `install` scales every such delay by BACKOFF_SCALE
(1/1000) for all clients in the process, so a call retried to the end waits well under a second. The retry policy
itself is the controller's, unchanged: standard mode, `max_attempts` 8 (botocore counts retries: 9 tries), and
botocore's per-client retry quota.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import threading
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from xml.sax.saxutils import escape

import pytest
import urllib3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from botocore.retries.standard import ExponentialBackoff

from controller.aws.session import AwsClients, is_read

BACKOFF_SCALE = 0.001


class Fault(StrEnum):
    """The kinds of fault (see the module docstring)."""

    THROTTLE = "throttle"
    UNAVAILABLE = "unavailable"
    RESET = "reset"
    LOST_RESPONSE = "lost-response"


@dataclass(frozen=True)
class Forced:
    """The first `times` requests of `operation` ("service.Operation", e.g. "sagemaker.UpdateEndpoint") after the
    plan is set get `fault`, whatever the draws say: a scenario's nastiest moments, made certain."""

    operation: str
    fault: Fault
    times: int = 1


@dataclass(frozen=True)
class FaultPlan:
    """What to inject.

    rate: the share of requests answered with a fault; seed: the draws' seed; kinds: the faults to choose from,
    with equal chances; forced: faults injected before any draw (see Forced)
    """

    rate: float = 0.3
    seed: int = 0
    kinds: tuple[Fault, ...] = tuple(Fault)
    forced: tuple[Forced, ...] = ()


class FaultInjector:
    """Injects `plan`'s faults into the controller's clients and counts them by (fault, "service.Operation")."""

    def __init__(self, plan: FaultPlan) -> None:
        self.requests: Counter[str] = Counter()  # requests seen, faulted or not, by "service.Operation"
        self.faults: Counter[tuple[Fault, str]] = Counter()
        self._seen: Counter[tuple[str, str]] = Counter()
        self._since_plan: Counter[str] = Counter()  # requests by "service.Operation" since the plan was set
        self._lock = threading.Lock()
        self._pool = urllib3.PoolManager(maxsize=16, timeout=urllib3.Timeout(connect=5, read=30), retries=False)
        self.plan = plan

    @property
    def plan(self) -> FaultPlan:
        """What is injected from now on; setting it starts its forced faults afresh."""
        return self._plan

    @plan.setter
    def plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan
            self._since_plan.clear()

    def forced_pending(self) -> list[Forced]:
        """The current plan's forced faults not yet injected as many times as asked (their requests never came)."""
        with self._lock:
            return [forced for forced in self._plan.forced if self._since_plan[forced.operation] < forced.times]

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Inject into every AwsClients client made from now on (until monkeypatch undoes it), with botocore's
        backoff scaled down (see the module docstring)."""
        make = AwsClients._make

        def make_faulty(clients: AwsClients, service: str) -> Any:
            client = make(clients, service)
            self.attach(client, service)
            return client

        delay = ExponentialBackoff.delay_amount

        def scaled_delay(backoff: ExponentialBackoff, context: Any) -> float:
            return BACKOFF_SCALE * float(delay(backoff, context))

        monkeypatch.setattr(AwsClients, "_make", make_faulty)
        monkeypatch.setattr(ExponentialBackoff, "delay_amount", scaled_delay)

    def attach(self, client: Any, service: str) -> None:
        """Register the fault handler on one boto3 client of `service` (a boto3 service name)."""
        model = client.meta.service_model
        shape = _ErrorShape(getattr(model, "resolved_protocol", model.protocol), "awsQueryCompatible" in model.metadata)

        def before_send(request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
            operation = f"{service}.{event_name.rsplit('.', 1)[1]}"
            fault, draw = self._decide(operation, request.body)
            if fault is None:
                return None
            if fault is Fault.THROTTLE:
                return shape.response(request, throttle=True)
            if fault is Fault.UNAVAILABLE:
                return shape.response(request, throttle=False)
            if fault is Fault.RESET:
                raise (EndpointConnectionError if draw < 0.5 else ConnectionClosedError)(endpoint_url=request.url)
            self._deliver(request)
            raise (ConnectionClosedError if draw < 0.5 else ReadTimeoutError)(endpoint_url=request.url)

        client.meta.events.register("before-send", before_send, unique_id=f"fault-kit-{id(self)}")

    def injected(self, kind: Fault | None = None, *, writes: bool = False) -> int:
        """Faults injected so far, of `kind` (None: any), on write operations only when `writes`."""
        with self._lock:
            return sum(
                count
                for (fault, operation), count in self.faults.items()
                if (kind is None or fault is kind) and not (writes and is_read(operation.split(".", 1)[1]))
            )

    def summary(self) -> str:
        """One line per fault kind: how many, on how many requests; for test failure messages."""
        with self._lock:
            total = sum(self.requests.values())
            by_kind = Counter(fault.value for fault, _ in self.faults.elements())
        return f"{sum(by_kind.values())} faults in {total} requests: {dict(sorted(by_kind.items()))}"

    def _decide(self, operation: str, body: Any) -> tuple[Fault | None, float]:
        """The fault for this request (None: send it), and a draw in [0, 1) to pick the exception's flavour."""
        digest = hashlib.sha256(_body_bytes(body)).hexdigest()
        with self._lock:
            plan = self._plan
            self.requests[operation] += 1
            self._since_plan[operation] += 1
            occurrence = self._seen[(operation, digest)]
            self._seen[(operation, digest)] += 1
            draws = random.Random(f"{plan.seed}|{operation}|{digest}|{occurrence}")
            since = self._since_plan[operation]
            forced = [f.fault for f in plan.forced if f.operation == operation and since <= f.times]
            if forced:
                fault: Fault | None = forced[0]
            else:
                fault = draws.choice(plan.kinds) if draws.random() < plan.rate else None
            if fault is not None:
                self.faults[(fault, operation)] += 1
        return fault, draws.random()

    def _deliver(self, request: AWSPreparedRequest) -> None:
        """Send `request` to its server and read the whole answer, which is then thrown away."""
        self._pool.request(request.method, request.url, body=request.body, headers=dict(request.headers.items()))


class _ErrorShape:
    """Error answers in one protocol's shape: protocol is botocore's (query, json, rest-json, rest-xml);
    query_compatible: a JSON service that also names the error with its query code (x-amzn-query-error)."""

    def __init__(self, protocol: str, query_compatible: bool) -> None:
        if protocol not in ("query", "json", "rest-json", "rest-xml"):
            raise ValueError(f"the fault kit does not know the {protocol!r} protocol's error shape")
        self.protocol = protocol
        self.query_compatible = query_compatible

    def response(self, request: AWSPreparedRequest, *, throttle: bool) -> AWSResponse:
        status, code, message = self._error(throttle)
        headers = {"x-amzn-RequestId": "fault-kit"}
        if self.protocol == "query":
            headers["Content-Type"] = "text/xml"
            body = (
                "<ErrorResponse><Error><Type>Sender</Type>"
                f"<Code>{code}</Code><Message>{escape(message)}</Message>"
                "</Error><RequestId>fault-kit</RequestId></ErrorResponse>"
            ).encode()
        elif self.protocol == "rest-xml":
            headers["Content-Type"] = "application/xml"
            body = f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>".encode()
        else:
            headers["Content-Type"] = "application/x-amz-json-1.1"
            headers["x-amzn-ErrorType"] = f"{code}:"
            if self.query_compatible:
                headers["x-amzn-query-error"] = f"{code};Sender"
            body = json.dumps({"__type": code, "message": message}).encode()
        raw = urllib3.HTTPResponse(body=io.BytesIO(body), headers=headers, status=status, preload_content=False)
        return AWSResponse(request.url, status, headers, raw)

    def _error(self, throttle: bool) -> tuple[int, str, str]:
        """(HTTP status, error code, message) of a throttle or a 503 in this protocol."""
        query_named = self.protocol == "query" or self.query_compatible
        if throttle and self.protocol == "rest-xml":
            return 503, "SlowDown", "Please reduce your request rate."
        if throttle:
            return 400, "Throttling" if query_named else "ThrottlingException", "Rate exceeded"
        code = "ServiceUnavailable" if query_named or self.protocol == "rest-xml" else "ServiceUnavailableException"
        return 503, code, "Service is unavailable, please retry"


def _body_bytes(body: Any) -> bytes:
    """A request body as bytes for the draw (a file-like body counts as empty: its position would vary)."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return b""
