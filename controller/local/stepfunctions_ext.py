"""Step Functions fidelity patches for moto's ASL interpreter (moto.stepfunctions.parser), so the pipeline
definition that controller.pipeline ships runs on the embedded emulator exactly as written for AWS.

`install()` is called by controller.local.emulator (and by tests running under `mock_aws`) before any state
machine executes; it is idempotent. Each patch reproduces one documented AWS behaviour that moto 5.2.x lacks;
tests/emulator/test_stepfunctions_ext.py checks for each that moto still lacks it (so a patch made
unnecessary by a newer moto is noticed) and that the patched behaviour holds:

- `_sdk_casing`: AWS SDK integrations (`arn:aws:states:::aws-sdk:*`) take PascalCase parameters and return
  PascalCase fields even where the service's own API is camelCase, e.g. CodeBuild's `projectName` is
  `ProjectName` and `builds[].buildStatus` is `Builds[].BuildStatus` ("Learning to use AWS service SDK
  integrations in Step Functions", API naming conventions; localstack/localstack#9853). moto hands the
  parameters to boto3 unchanged, so camelCase services fail.
- `_context_start_time`: `$$.Execution.StartTime` is an ISO 8601 string such as `2019-03-26T20:14:13.192Z`
  (Step Functions developer guide, "Accessing execution data from the Context object"); moto puts a Python
  datetime there, which breaks every intrinsic applied to it (the pipeline derives its run id from it).
- `_jsonpath_results`: paths follow Jayway JsonPath (AWS "Using JSONPath paths"): a definite path such as
  `$.Builds[0].BuildStatus` names one node and gives its value, where moto wraps it in a list when an array
  index precedes the last step (its fix for getmoto/moto#7825 applies to every such path); and a filter
  `[?(...)]` that matches nothing gives `[]`, where moto raises States.Runtime (getmoto/moto#10078). The
  pipeline reads a build's status with the first and its quality-gate metric with the second.
- `_generated_execution_names`: StartExecution without `name` gets a UUID as its name (StartExecution API
  reference, `name`); moto's interpreter names every such execution `None`, so the second one fails with
  ExecutionAlreadyExists. EventBridge Scheduler starts runs without names.

Not patched, because moto already behaves like AWS: StartExecution with the name of an execution that is
RUNNING with the same input returns that execution, otherwise ExecutionAlreadyExists; Wait states of 0-1 s;
concurrent executions (one thread each); DescribeExecution, ListExecutions, GetExecutionHistory. When
served, the interpreter calls the other services over HTTP at localhost:$MOTO_PORT, which
controller.local.emulator points at the running emulator.
"""

from __future__ import annotations

import datetime
import functools
import re
import sys
import uuid
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from jsonpath_ng.ext.parser import parse as jsonpath_parse
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from controller.local.patching import Patches

_patches = Patches()
original = _patches.original  # moto's implementation of a patched attribute (tests check moto still needs it)


def install() -> None:
    """Apply every patch of this module (idempotent)."""
    if _patches.installed:
        return
    _sdk_casing()
    _context_start_time()
    _jsonpath_results()
    _generated_execution_names()


# --- AWS SDK integrations: PascalCase in, PascalCase out ------------------------------------------------------


@functools.cache
def _service_model(service: str) -> ServiceModel:
    """botocore's model of `service`, loaded once per process (SageMaker's takes a few hundred ms)."""
    return botocore.session.get_session().get_service_model(service)


@functools.cache
def _operation(service: str, action: str) -> OperationModel:
    """botocore's model of `action` (snake_case, as moto derives it) of `service`."""
    model = _service_model(service)
    by_method = {botocore.xform_name(name): name for name in model.operation_names}
    return model.operation_model(by_method[action])


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def _to_service_casing(value: Any, shape: Shape | None) -> Any:
    """Rename the PascalCase keys of a request `value` to the member names of `shape`, recursively."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        members = {_pascal(member): member for member in shape.members}
        renamed = {}
        for key, item in value.items():
            member = members.get(_pascal(key), key)
            renamed[member] = _to_service_casing(item, shape.members.get(member))
        return renamed
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_to_service_casing(item, shape.member) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {key: _to_service_casing(item, shape.value) for key, item in value.items()}
    return value


def _to_sfn_casing(value: Any, shape: Shape | None) -> Any:
    """Capitalise the member names of a response `value` of `shape`, recursively (map keys are data)."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return {_pascal(key): _to_sfn_casing(item, shape.members.get(key)) for key, item in value.items()}
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_to_sfn_casing(item, shape.member) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {key: _to_sfn_casing(item, shape.value) for key, item in value.items()}
    return value


def _replace_contents(target: dict[str, Any], contents: dict[str, Any]) -> None:
    target.clear()
    target.update(contents)


def _normalise_parameters(self: StateTaskServiceAwsSdk, parameters: dict[str, Any], *_: Any, **__: Any) -> None:
    operation = _operation(self._get_boto_service_name(), self._get_boto_service_action())
    _replace_contents(parameters, _to_service_casing(parameters, operation.input_shape))


def _normalise_response(self: StateTaskServiceAwsSdk, response: Any, *_: Any, **__: Any) -> None:
    operation = _operation(self._get_boto_service_name(), self._get_boto_service_action())
    if isinstance(response, dict):
        _replace_contents(response, _to_sfn_casing(response, operation.output_shape))


def _sdk_casing() -> None:
    """AWS SDK integrations speak PascalCase whatever the service's own casing (module docstring)."""
    _patches.replace(StateTaskServiceAwsSdk, "_normalise_parameters", _normalise_parameters)
    _patches.replace(StateTaskServiceAwsSdk, "_normalise_response", _normalise_response)


# --- $$.Execution.StartTime as AWS writes it ------------------------------------------------------------------


def aws_timestamp(moment: datetime.datetime) -> str:
    """`2019-03-26T20:14:13.192Z`: UTC, milliseconds, as the Context object carries times."""
    utc = moment.astimezone(datetime.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _context_start_time() -> None:
    """`$$.Execution.StartTime` is an ISO 8601 string, as AWS writes it (module docstring)."""

    def get_start_execution_details(self: Execution) -> Any:
        details = moto_details(self)
        if isinstance(details.start_time, datetime.datetime):
            details.start_time = aws_timestamp(details.start_time)
        return details

    moto_details = _patches.replace(Execution, "get_start_execution_details", get_start_execution_details)


# --- JSONPath results: definite paths give one value, filters may give [] --------------------------------------

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_INDEFINITE = re.compile(r"\.\.|\*|\[\?|\[[^\]]*[:,][^\]]*\]")  # deep scan, wildcard, filter, slice, union


def is_definite(path: str) -> bool:
    """Whether a JSONPath names at most one node (no deep scan, wildcard, filter, slice or union)."""
    return not _INDEFINITE.search(_QUOTED.sub("''", path))


@functools.lru_cache(maxsize=1024)
def _parse(path: str) -> Any:
    return jsonpath_parse(path)


def _jsonpath_results() -> None:
    """Definite paths give one value; filters that match nothing give [] (module docstring)."""

    def extract_json(path: str, data: Any) -> Any:
        if is_definite(path):
            matches = _parse(path).find(data)
            if len(matches) == 1:
                return matches[0].value
        try:
            return moto_extract(path, data)
        except NoSuchJsonPathError:
            if "[?" in path:
                return []
            raise

    # Modules bind extract_json at import: replace it at its source for those imported later, and in those
    # already imported.
    moto_extract = _patches.replace(json_path, "extract_json", extract_json)
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "extract_json", None) is moto_extract:
            _patches.replace(module, "extract_json", extract_json)


# --- StartExecution without a name ----------------------------------------------------------------------------


def _generated_execution_names() -> None:
    """StartExecution without a name names the execution with a UUID (module docstring)."""

    def start_execution(
        self: StepFunctionsParserBackend, state_machine_arn: str, name: str | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        return moto_start(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    moto_start = _patches.replace(StepFunctionsParserBackend, "start_execution", start_execution)
