"""CodeBuild build lifecycle for the embedded emulator: builds run for a while, then succeed or fail.

moto 5.2 reports every build SUCCEEDED on the first BatchGetBuilds (and appends another set of phases on each
call), so a pipeline's poll loop never sees a build in progress and a failed image build cannot be tested.
`install()` (called by controller.local.emulator, idempotent) makes a started build behave as the CodeBuild
API reference's `Build` data type describes: `buildStatus` IN_PROGRESS with `currentPhase` BUILD and
`buildComplete` false until it finishes, then SUCCEEDED, or FAILED with the BUILD phase FAILED and its
`contexts` message giving the reason; `endTime` set once. A build stopped with StopBuild stays STOPPED.

moto 5.2 has no UpdateProject ("not implemented"), which the controller calls when a spec changes an image build
and when a create finds its own project already there. `install()` adds it as the API reference describes it:
`name` names the project (ResourceNotFoundException when there is none), every other field given replaces the
project's, `tags` replaces the tag list, and the answer is {"project": <the project as BatchGetProjects shows it>}.

Knobs (read when a build starts): `configure(seconds=..., fail=[FailureRule(namePrefix=<project prefix>,
reason=...)])`, defaults from MODELCTL_LOCAL_BUILD_SECONDS (0.5) and no failures; `reset()` restores them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from moto.codebuild.exceptions import ResourceNotFoundException
from moto.codebuild.models import CodeBuildBackend
from moto.codebuild.responses import CodeBuildResponse
from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds, unix_time

from controller.local.control import FailureRule, failure_for
from controller.local.patching import Patches

_PHASES_BEFORE_BUILD = ("PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD")
_PHASES_AFTER_BUILD = ("POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING")


@dataclass(frozen=True)
class BuildKnobs:
    """How long builds run, and which projects' builds fail (first matching rule's reason)."""

    seconds: float
    fail: tuple[FailureRule, ...] = ()


@dataclass(frozen=True)
class _Plan:
    started: float  # time.monotonic() at StartBuild
    seconds: float
    failure: str | None


_lock = threading.Lock()
_knobs: BuildKnobs | None = None
_plans: dict[str, _Plan] = {}  # by build id
_patches = Patches()
original = _patches.original  # moto's implementation of a patched attribute (tests check moto still needs it)


def knobs() -> BuildKnobs:
    """The knobs in force."""
    global _knobs
    with _lock:
        if _knobs is None:
            _knobs = BuildKnobs(seconds=float(os.environ.get("MODELCTL_LOCAL_BUILD_SECONDS", "0.5")))
        return _knobs


def configure(seconds: float | None = None, fail: Sequence[FailureRule] | None = None) -> BuildKnobs:
    """Change the duration of builds started from now on and/or the failure rules; returns the knobs."""
    global _knobs
    current = knobs()
    new = replace(
        current,
        seconds=current.seconds if seconds is None else seconds,
        fail=current.fail if fail is None else tuple(fail),
    )
    with _lock:
        _knobs = new
    return new


def reset() -> None:
    """Default knobs again (environment defaults, no failures)."""
    global _knobs
    with _lock:
        _knobs = None


def install() -> None:
    """Patch moto's CodeBuild backend (idempotent)."""
    if _patches.installed:
        return

    def start_build(self: CodeBuildBackend, project_name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        build: dict[str, Any] = moto_start(self, project_name, *args, **kwargs)
        settings = knobs()
        with _lock:
            _plans[build["id"]] = _Plan(time.monotonic(), settings.seconds, failure_for(settings.fail, project_name))
        return build

    def batch_get_builds(self: CodeBuildBackend, ids: list[str]) -> list[dict[str, Any]]:
        found = [build for history in self.build_metadata_history.values() for build in history if build["id"] in ids]
        for build in found:
            _advance(build)
        return found

    moto_start = _patches.replace(CodeBuildBackend, "start_build", start_build)
    _patches.replace(CodeBuildBackend, "batch_get_builds", batch_get_builds)
    _patches.replace(CodeBuildResponse, "update_project", update_project_action)


# UpdateProject's request fields that replace the project's (the API reference's UpdateProject request syntax)
_UPDATABLE = (
    "description",
    "source",
    "secondarySources",
    "sourceVersion",
    "secondarySourceVersions",
    "artifacts",
    "secondaryArtifacts",
    "cache",
    "environment",
    "serviceRole",
    "timeoutInMinutes",
    "queuedTimeoutInMinutes",
    "encryptionKey",
    "tags",
    "vpcConfig",
    "logsConfig",
    "fileSystemLocations",
    "buildBatchConfig",
    "concurrentBuildLimit",
)


def update_project_action(self: CodeBuildResponse) -> ActionResult:
    """The UpdateProject action: the given fields replace the project's."""
    name = self._get_param("name")
    project = self.codebuild_backend.codebuild_projects.get(name)
    if project is None:
        raise ResourceNotFoundException(
            f"Project cannot be found: arn:aws:codebuild:{self.region}:{self.current_account}:project/{name}"
        )
    metadata = project.project_metadata
    for field in _UPDATABLE:
        value = self._get_param(field)
        if value is not None:
            metadata[field] = value
    metadata["lastModifiedDate"] = unix_time()
    return ActionResult({"project": metadata})


def _advance(build: dict[str, Any]) -> None:
    """Bring a build's status up to date with its plan."""
    if build["buildStatus"] != "IN_PROGRESS":
        return  # finished, or stopped by StopBuild
    with _lock:
        plan = _plans.get(build["id"], _Plan(started=0.0, seconds=0.0, failure=None))
    now = iso_8601_datetime_with_milliseconds()
    queued = [phase for phase in build["phases"] if phase["phaseType"] in ("SUBMITTED", "QUEUED")]
    for phase in queued:
        phase.setdefault("phaseStatus", "SUCCEEDED")
        phase.setdefault("endTime", now)
    before = [_phase(kind, "SUCCEEDED", now) for kind in _PHASES_BEFORE_BUILD]
    if time.monotonic() - plan.started < plan.seconds:
        build["phases"] = [*queued, *before, {"phaseType": "BUILD", "startTime": now}]
        build["currentPhase"] = "BUILD"
        return
    status = "SUCCEEDED" if plan.failure is None else "FAILED"
    built = _phase("BUILD", status, now)
    if plan.failure is not None:
        built["contexts"] = [{"statusCode": "COMMAND_EXECUTION_ERROR", "message": plan.failure}]
    after = [_phase(kind, "SUCCEEDED", now) for kind in _PHASES_AFTER_BUILD]
    build["phases"] = [*queued, *before, built, *after, {"phaseType": "COMPLETED", "startTime": now}]
    build.update(currentPhase="COMPLETED", buildStatus=status, buildComplete=True, endTime=now)


def _phase(kind: str, status: str, now: str) -> dict[str, Any]:
    return {"phaseType": kind, "phaseStatus": status, "startTime": now, "endTime": now, "durationInSeconds": 0}
