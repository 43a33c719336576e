"""StopExecution in the emulator answers as AWS does, however soon after StartExecution it comes.

moto's interpreter builds an execution's environment on the execution's own thread; a StopExecution that arrives
before that thread has run (a loaded machine, or a caller stopping a run it has just started) failed inside moto
with `'NoneType' object has no attribute 'set_stop'` and answered 500, and the answer of a resent call then lacked
the `stopDate` that StopExecutionOutput requires ("StopExecution", Step Functions API Reference: "stopDate — The
date the execution is stopped"; required). The patch waits briefly for the environment, and always answers the
stop date. Installed by controller.local.emulator.install_all().
"""

from __future__ import annotations

import threading
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.responses import StepFunctionResponse

from controller.local.patching import Patches

_patches = Patches()
original = _patches.original

ENVIRONMENT_WAIT_SECONDS = 5.0  # how long a stop waits for the execution's thread to build its environment


def install() -> None:
    """Make StopExecution safe right after StartExecution (idempotent)."""
    if _patches.installed:
        return

    def stop(self: ExecutionWorker, stop_date: Any, error: str | None, cause: str | None) -> None:
        waited = threading.Event()
        for _ in range(int(ENVIRONMENT_WAIT_SECONDS / 0.01)):
            if self.env is not None:
                break
            waited.wait(0.01)
        moto_stop(self, stop_date=stop_date, error=error, cause=cause)

    def stop_execution(self: StepFunctionResponse) -> ActionResult:
        answer: ActionResult = moto_stop_execution(self)
        assert isinstance(answer.result, dict)
        if answer.result.get("stopDate") is None:
            answer.result["stopDate"] = utcnow()
        return answer

    moto_stop = _patches.replace(ExecutionWorker, "stop", stop)
    moto_stop_execution = _patches.replace(StepFunctionResponse, "stop_execution", stop_execution)
