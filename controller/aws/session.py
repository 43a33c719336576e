"""Typed holder of the boto3 clients the adapters use, plus a per-operation API call counter.

Built once per command (or Lambda invocation) by the caller — the CLI, the reconciler, a test or a benchmark —
from an injected boto3 Session, and handed to `controller.aws.registry.build_registry`. Endpoint and region come
from standard boto3 configuration (AWS_ENDPOINT_URL, AWS_REGION, the profile); only `--local` passes an explicit
`endpoint_url`. Clients are made lazily, once, under a lock (creating clients from one Session is not thread-safe,
using them is), all with the same botocore Config. Every client reports each API call to `calls` (botocore's
`before-call` event) so tests and benchmarks can count calls per operation and tell reads from writes.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import boto3
from botocore.config import Config

# Services the adapters talk to, by boto3 name.
SERVICES = (
    "sagemaker",
    "sagemaker-runtime",
    "ssm",
    "stepfunctions",
    "scheduler",
    "application-autoscaling",
    "cloudwatch",
    "sts",
    "dynamodb",
    "codebuild",
    "sns",
    "s3",
    "resourcegroupstaggingapi",
)
READ_PREFIXES = ("Describe", "Get", "List", "BatchGet", "BatchDescribe", "Search", "Query", "Scan")
CONNECTIONS_PER_WORKER = 4  # a client may serve several kinds at once, each with its own describe pool


class CallCounter:
    """Thread-safe count of API calls by "<boto3 service name>.<Operation>" (e.g. "ssm.GetParameters")."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def record(self, service: str, operation: str) -> None:
        with self._lock:
            self._counts[f"{service}.{operation}"] += 1

    def snapshot(self) -> dict[str, int]:
        """A copy of the counts so far."""
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    @property
    def reads(self) -> int:
        """Calls whose operation only reads (Describe*, Get*, List*, ...)."""
        return sum(n for name, n in self.snapshot().items() if is_read(name.split(".", 1)[1]))

    @property
    def writes(self) -> int:
        """Every other call."""
        return sum(n for name, n in self.snapshot().items() if not is_read(name.split(".", 1)[1]))

    def __getitem__(self, name: str) -> int:
        with self._lock:
            return self._counts[name]


def is_read(operation: str) -> bool:
    """True for API operations that cannot change anything (by AWS naming convention)."""
    return operation.startswith(READ_PREFIXES)


def client_config(max_workers: int) -> Config:
    """The one botocore Config every client uses: standard retries (8 attempts), a pool sized for the workers."""
    return Config(
        retries={"mode": "standard", "max_attempts": 8},
        max_pool_connections=max(10, max_workers * CONNECTIONS_PER_WORKER),
        connect_timeout=5,
        read_timeout=30,
    )


class AwsClients:
    """Lazily made boto3 clients sharing one Session and one Config.

    session: the boto3 Session (credentials, region); endpoint_url: overrides AWS_ENDPOINT_URL (`--local` only);
    max_workers: the thread-pool size callers use, which sizes each client's connection pool;
    calls: the counter every client reports to.
    """

    def __init__(
        self, session: boto3.session.Session, *, endpoint_url: str | None = None, max_workers: int = 8
    ) -> None:
        self.session = session
        self.endpoint_url = endpoint_url
        self.max_workers = max_workers
        self.calls = CallCounter()
        self._config = client_config(max_workers)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        """The client for `service` (a boto3 service name in SERVICES), made on first use."""
        if service not in SERVICES:
            raise ValueError(f"no adapter uses service {service!r}")
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._make(service)
            return self._clients[service]

    def _make(self, service: str) -> Any:
        kwargs: dict[str, Any] = {"config": self._config}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        made = self.session.client(service, **kwargs)

        def count(model: Any, **_: Any) -> None:
            self.calls.record(service, model.name)

        made.meta.events.register("before-call.*.*", count)
        return made

    @property
    def sagemaker(self) -> Any:
        return self.client("sagemaker")

    @property
    def runtime(self) -> Any:
        """sagemaker-runtime: InvokeEndpoint (the inference Lambda)."""
        return self.client("sagemaker-runtime")

    @property
    def ssm(self) -> Any:
        return self.client("ssm")

    @property
    def stepfunctions(self) -> Any:
        return self.client("stepfunctions")

    @property
    def scheduler(self) -> Any:
        return self.client("scheduler")

    @property
    def autoscaling(self) -> Any:
        return self.client("application-autoscaling")

    @property
    def cloudwatch(self) -> Any:
        return self.client("cloudwatch")

    @property
    def sts(self) -> Any:
        return self.client("sts")

    @property
    def codebuild(self) -> Any:
        return self.client("codebuild")

    @property
    def sns(self) -> Any:
        return self.client("sns")

    @property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    @property
    def s3(self) -> Any:
        return self.client("s3")

    @property
    def tagging(self) -> Any:
        """resourcegroupstaggingapi: GetResources, many resources' tags a call (controller.aws.tagging)."""
        return self.client("resourcegroupstaggingapi")


class Adapter:
    """Base of every adapter class (one per Kind): holds the shared clients."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients
