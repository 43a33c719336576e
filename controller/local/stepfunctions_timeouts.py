"""Timed-out executions in the emulator: the clock for a state machine's `TimeoutSeconds`, and their stop date.

moto's interpreter already behaves like AWS here: an execution still running after the definition's top-level
`TimeoutSeconds` ends with status TIMED_OUT, and no Catch runs (AWS "Amazon States Language: state machine
structure", TimeoutSeconds; "Handling errors in Step Functions workflows": States.Timeout). The pipeline's timeout is
hours (controller.pipeline.timeout), so this module scales it by the `timeoutScale` knob (controller.local.control,
default 1: as written), the way `bakeScale` scales deployment bakes. A definition without TimeoutSeconds is never
scaled.

One gap is patched (`_timed_out_stop_dates`): DescribeExecution and ListExecutions give every ended execution its
`stopDate` ("If the execution already ended, the date the execution stopped", Step Functions API Reference,
ExecutionListItem), where moto 5.2.x leaves it out for TIMED_OUT; the reconciler orders endings by it. Installed by
controller.local.emulator.install_all().
"""

from __future__ import annotations

import copy
from typing import Any

from moto.core.responses import ActionResult
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
from moto.stepfunctions.parser.asl.component.program.program import Program
from moto.stepfunctions.responses import StepFunctionResponse

from controller.local import control
from controller.local.patching import Patches

_patches = Patches()
original = _patches.original


def scaled_seconds(timeout_seconds: float, scale: float) -> float:
    """The emulator seconds a TimeoutSeconds lasts under `scale` (never below 0.1 s)."""
    return max(0.1, timeout_seconds * scale)


def install() -> None:
    """Scale TimeoutSeconds by the knob (idempotent)."""
    if _patches.installed:
        return

    def eval_program(self: Program, env: Any) -> None:
        scale = control.knobs().delays.timeout_scale
        declared = self.timeout_seconds
        if scale == 1 or declared is None or declared.is_default_value():
            moto_eval(self, env)
            return
        program = copy.copy(self)
        program.timeout_seconds = TimeoutSeconds(scaled_seconds(declared.timeout_seconds, scale))  # type: ignore[misc, arg-type]
        moto_eval(program, env)

    moto_eval = _patches.replace(Program, "eval", eval_program)
    _timed_out_stop_dates()


def _timed_out_stop_dates() -> None:
    """DescribeExecution and ListExecutions give a TIMED_OUT execution its stopDate (module docstring)."""

    def with_stop_date(self: StepFunctionResponse, item: dict[str, Any]) -> None:
        if item["status"] == "TIMED_OUT" and "stopDate" not in item:
            item["stopDate"] = self.stepfunction_backend.describe_execution(item["executionArn"]).stop_date

    def describe_execution(self: StepFunctionResponse) -> ActionResult:
        answer: ActionResult = moto_describe(self)
        assert isinstance(answer.result, dict)
        with_stop_date(self, answer.result)
        return answer

    def list_executions(self: StepFunctionResponse) -> ActionResult:
        answer: ActionResult = moto_list(self)
        assert isinstance(answer.result, dict)
        for item in answer.result["executions"]:
            with_stop_date(self, item)
        return answer

    moto_describe = _patches.replace(StepFunctionResponse, "describe_execution", describe_execution)
    moto_list = _patches.replace(StepFunctionResponse, "list_executions", list_executions)
