"""Lambda invocations for the embedded emulator: Python handlers run in-process from their zip, no Docker.

moto 5.2 runs Lambda functions only in Docker containers; without Docker an Invoke answers "error running
docker". `install()` (called by controller.local.emulator, idempotent) replaces the invocation of
zip-packaged functions with Python runtimes, reproducing the Lambda Invoke API reference:

- RequestResponse: the handler's return value as the JSON payload; an exception gives the payload
  `{"errorMessage", "errorType", "requestId", "stackTrace"}` with `X-Amz-Function-Error: Unhandled`;
  a module that cannot be imported is `Runtime.ImportModuleError`, a missing handler function
  `Runtime.HandlerNotFound`, a result that is not JSON `Runtime.MarshalError`.
- Event: answered at once (202, empty payload); the handler runs in a background thread.
- DryRun: nothing runs.

The handler gets `handler(event, context)` with the context attributes of the Python runtime
(function_name, function_version, invoked_function_arn, memory_limit_in_mb, aws_request_id, log_group_name,
log_stream_name, get_remaining_time_in_millis()) and runs with the function's environment variables and
the runtime's AWS_LAMBDA_* / AWS_REGION variables. The code is unzipped once per code version into a temp
directory; the handler module is imported under a private name, with the code directory first on sys.path
while it imports and runs, and modules loaded from that directory are dropped from sys.modules afterwards,
so two functions with same-named modules never share them. Invocations run one at a time (environment
variables are process-wide); the function timeout is reported by the context but not enforced. Other
runtimes and image functions answer `Runtime.InvalidRuntime` instead of running.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.awslambda.models import LambdaFunction

from controller.local.patching import Patches

Handler = Callable[[Any, "LambdaContext"], Any]

_lock = threading.RLock()  # one invocation at a time; re-entrant for a handler invoking another function
_code: dict[tuple[str, str], tuple[Path, Handler]] = {}  # (function ARN, code SHA-256) -> code dir, handler
_patches = Patches()
original = _patches.original  # moto's implementation of a patched attribute (tests check moto still needs it)


class InvocationError(Exception):
    """A failure of the runtime itself (not of the handler), reported with the Lambda error type."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass
class LambdaContext:
    """The `context` argument of a Python handler."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float = field(repr=False)  # time.monotonic() when the function would time out

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def install() -> None:
    """Patch moto's LambdaFunction.invoke (idempotent)."""
    if not _patches.installed:
        _patches.replace(LambdaFunction, "invoke", _invoke)


def _invoke(self: LambdaFunction, body: str, request_headers: Any, response_headers: Any) -> bytes:
    event = json.loads(body) if body else {}
    invocation_type = request_headers.get("x-amz-invocation-type", "RequestResponse")
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        threading.Thread(target=run, args=(self, event), daemon=True).start()
        return b""
    payload, failed = run(self, event)
    if failed:
        response_headers["x-amz-function-error"] = "Unhandled"
    return payload


def run(function: LambdaFunction, event: Any) -> tuple[bytes, bool]:
    """Run `function` on `event`: (JSON payload, whether it is an error payload)."""
    request_id = str(uuid.uuid4())
    with _lock:
        try:
            directory, handler = _load(function)
            context = _context(function, request_id)
            with _code_on_path(directory), _environment(function, directory):
                result = handler(event, context)
        except InvocationError as error:
            return _error(error.error_type, str(error), request_id, []), True
        except Exception as error:
            stack = traceback.format_list(traceback.extract_tb(error.__traceback__)[1:])
            return _error(type(error).__name__, str(error), request_id, stack), True
    try:
        return json.dumps(result).encode(), False
    except (TypeError, ValueError) as error:
        return _error("Runtime.MarshalError", f"Unable to marshal response: {error}", request_id, []), True


def _error(error_type: str, message: str, request_id: str, stack: list[str]) -> bytes:
    payload = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
    return json.dumps(payload).encode()


def _load(function: LambdaFunction) -> tuple[Path, Handler]:
    """The unzipped code directory and handler of `function` (cached per code version)."""
    if function.package_type != "Zip" or not str(function.run_time or "").startswith("python"):
        raise InvocationError(
            "Runtime.InvalidRuntime",
            f"the emulator runs only zip-packaged Python functions, not {function.package_type} {function.run_time}",
        )
    key = (function.function_arn, function.code_sha_256)
    if key not in _code:
        directory = Path(tempfile.mkdtemp(prefix=f"modelctl-lambda-{function.function_name}-"))
        atexit.register(shutil.rmtree, directory, True)
        with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
            archive.extractall(directory)  # extractall drops absolute and ".." parts of member names
        _code[key] = (directory, _import_handler(directory, str(function.handler), function.code_sha_256))
    return _code[key]


def _import_handler(directory: Path, handler: str, code_sha: str) -> Handler:
    module_name, _, function_name = handler.rpartition(".")
    relative = Path(*module_name.split("."))
    source = directory / relative.with_suffix(".py")
    if not source.is_file():
        source = directory / relative / "__init__.py"
    spec = importlib.util.spec_from_file_location(f"_modelctl_lambda_{code_sha[:16]}_{module_name}", source)
    if not module_name or spec is None or spec.loader is None or not source.is_file():
        raise InvocationError("Runtime.ImportModuleError", f"Unable to import module '{module_name}'")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would: dataclasses and pickle look modules up there
    try:
        with _code_on_path(directory):
            spec.loader.exec_module(module)
    except Exception as error:
        raise InvocationError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from error
    entry = getattr(module, function_name, None)
    if not callable(entry):
        raise InvocationError("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return entry  # type: ignore[no-any-return]


@contextlib.contextmanager
def _code_on_path(directory: Path) -> Iterator[None]:
    """The function's code first on sys.path; modules loaded from it are forgotten afterwards."""
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        sys.path.remove(str(directory))
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", None) or "").startswith(str(directory) + os.sep):
                del sys.modules[name]


@contextlib.contextmanager
def _environment(function: LambdaFunction, directory: Path) -> Iterator[None]:
    """The function's environment variables and the runtime's, restored afterwards."""
    variables = {
        **{str(key): str(value) for key, value in (function.environment_vars or {}).items()},
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": str(function.version),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_REGION": function.region,
        "AWS_DEFAULT_REGION": function.region,
        "LAMBDA_TASK_ROOT": str(directory),
        "_HANDLER": str(function.handler),
    }
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _context(function: LambdaFunction, request_id: str) -> LambdaContext:
    return LambdaContext(
        function_name=function.function_name,
        function_version=str(function.version),
        invoked_function_arn=function.function_arn,
        memory_limit_in_mb=int(function.memory_size),
        aws_request_id=request_id,
        log_group_name=function.logs_group_name,
        log_stream_name=f"{time.strftime('%Y/%m/%d')}/[{function.version}]{request_id.replace('-', '')}",
        deadline=time.monotonic() + float(function.timeout),
    )
