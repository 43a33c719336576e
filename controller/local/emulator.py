"""The embedded AWS emulator: moto, patched where it differs from AWS, in-process or served on 127.0.0.1.

Who calls what:
    `modelctl local serve`     serve_forever(port)            foreground server until SIGINT/SIGTERM
    `--local`, `modelctl demo` ensure_emulator(url)           reuse a running emulator, or start one
    tests                      Emulator (context manager), in_process() (moto's mock_aws flavour)

Every flavour first runs install_all(): each module named in PATCH_MODULES exposes an idempotent
`install()` that monkeypatches moto's backend/response classes in this process, which covers both
`mock_aws` and moto's ThreadedMotoServer (it serves from the same process and backends). Both flavours
execute Step Functions definitions (MOTO_CONFIG); a served one also points moto's interpreter at itself.
Several emulators may run in one process: they share moto's backends. Knobs and reset: controller.local.control.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType

from moto import mock_aws
from moto.core.config import DefaultConfig
from moto.server import ThreadedMotoServer

from controller.errors import ModelctlError
from controller.local.control import CONTROL_PATH

PATCH_MODULES = (
    "control",
    "sagemaker_ext",
    "sagemaker_rules",
    "stepfunctions_ext",
    "stepfunctions_timeouts",
    "stepfunctions_stops",
    "lambda_ext",
    "codebuild_ext",
    "dynamodb_ext",
    "ssm_ext",
    "sagemaker_runtime_ext",
    "iam_ext",
    "request_validation",
    "tagging_ext",
    "sagemaker_shapes",
    "autoscaling_ext",
    "scheduler_ext",
    "response_check",
)
# moto configuration every flavour runs with (POSTed to /moto-api/config when served)
MOTO_CONFIG: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}}
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


_serving: list[Emulator] = []  # running emulators, oldest first
_moto_port_at_import = os.environ.get("MOTO_PORT")


def _point_moto_at_a_running_emulator() -> None:
    """moto's Step Functions interpreter, when served, calls the state machine's services over HTTP at
    localhost:$MOTO_PORT (moto.settings.moto_server_port, default 5000). Keep that naming a running emulator
    (they all serve the same in-process backends), or restore what it was when none runs."""
    if _serving:
        os.environ["MOTO_PORT"] = _serving[-1].url.rsplit(":", 1)[1]
    elif _moto_port_at_import is None:
        os.environ.pop("MOTO_PORT", None)
    else:
        os.environ["MOTO_PORT"] = _moto_port_at_import


def _check_free(host: str, port: int) -> None:
    """Raise OSError if `port` cannot be bound: moto's server would fail in its thread and never start."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug's server does
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OSError(error.errno, f"cannot serve the emulator on {host}:{port}: {error.strerror}") from error


def install_all() -> None:
    """Install every patch module's moto patches into this process (idempotent)."""
    for name in PATCH_MODULES:
        importlib.import_module(f"controller.local.{name}").install()
    # moto's interpreter logs every error a state raises, even those a Catch handles by design (a failed training
    # job, a quality gate not met, an optional input field absent); the execution history records them anyway.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)


class Emulator:
    """moto's threaded server with every patch installed, on `host`:`port` (port 0: a free port).

    `log_requests`: let werkzeug log each request on stderr (off: the CLI's output stays the CLI's)."""

    def __init__(self, port: int = 0, host: str = DEFAULT_HOST, *, log_requests: bool = False) -> None:
        self._host, self._port, self._log_requests = host, port, log_requests
        self._server: ThreadedMotoServer | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """http://host:port of the running server."""
        if self._url is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return self._url

    def start(self) -> str:
        """Install the patches, start serving, enable Step Functions execution (and point its interpreter
        at this server); returns the URL."""
        if self._url is not None:
            return self._url
        install_all()
        if self._port:
            _check_free(self._host, self._port)
        logging.getLogger("werkzeug").setLevel(logging.INFO if self._log_requests else logging.WARNING)
        server = ThreadedMotoServer(ip_address=self._host, port=self._port, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server, self._url = server, f"http://{host}:{port}"
        request = urllib.request.Request(
            self._url + "/moto-api/config", data=json.dumps(MOTO_CONFIG).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10):
            pass
        _serving.append(self)
        _point_moto_at_a_running_emulator()
        return self._url

    def stop(self) -> None:
        """Stop serving (the in-process moto state stays until reset)."""
        if self._server is not None:
            self._server.stop()
            _serving.remove(self)
            _point_moto_at_a_running_emulator()
        self._server = self._url = None

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def in_process() -> Iterator[None]:
    """The emulator without a server: moto's `mock_aws`, patched, for boto3 clients made in this process."""
    install_all()
    with mock_aws(config=MOTO_CONFIG):
        yield


class EmulatorUnavailable(ModelctlError):
    """MODELCTL_LOCAL_URL is set, but no modelctl emulator answers there."""


def is_emulator(url: str) -> bool:
    """True when a modelctl emulator answers at `url`: its control endpoint returns the knobs (a JSON object)."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + CONTROL_PATH, timeout=2) as answer:
            return answer.status == 200 and isinstance(json.loads(answer.read()), dict)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def ensure_emulator(url: str | None = None, *, required: bool | None = None) -> tuple[str, Emulator | None]:
    """The URL of an emulator to use: `url` (default MODELCTL_LOCAL_URL, else http://127.0.0.1:4566) when a
    modelctl emulator answers there (recognised by its control endpoint, not by "something answers"), else a new
    in-process Emulator on a free port, returned so the caller can say so and stop it (the second item is None
    when an existing emulator was found). `required` (default: MODELCTL_LOCAL_URL is set): no emulator at the URL
    is an EmulatorUnavailable error, never a silent fresh emulator."""
    configured = os.environ.get("MODELCTL_LOCAL_URL")
    target = url or configured or DEFAULT_URL
    if is_emulator(target):
        return target, None
    if required if required is not None else bool(configured):
        raise EmulatorUnavailable(
            f"no modelctl emulator answers at MODELCTL_LOCAL_URL={target} (its {CONTROL_PATH} endpoint): start one "
            "with `modelctl local serve`, correct the URL, or unset MODELCTL_LOCAL_URL to run one in-process"
        )
    emulator = Emulator()
    return emulator.start(), emulator


def serve_forever(port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> None:
    """Serve the emulator in the foreground, print its URL, stop cleanly on SIGINT or SIGTERM.

    Must run in the main thread (it installs signal handlers, and restores the previous ones on return)."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Emulator(port, host, log_requests=True) as emulator:
            print(f"modelctl local emulator listening on {emulator.url} (Ctrl-C to stop)", flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
