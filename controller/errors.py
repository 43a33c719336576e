"""The error tree every layer of modelctl raises and catches.

    ModelctlError                      base; `str()` is a message for people
    ├── SpecError                      specs failed validation; carries every Diagnostic (file:line: path: message)
    ├── PlanError                      a plan cannot be built or applied as asked (stale plan, foreign resource clash)
    ├── LockHeldError                  another run holds the environment's lock; names the holder, since, lease end
    ├── LockLostError                  the lock we held expired and was taken over; stop before the next write
    └── AwsError                       an AWS call failed; raised only by the adapters in controller.aws, which
        │                              translate botocore's errors at the boundary
        ├── TemporaryError(delay)      worth retrying after `delay` seconds (throttling, 5xx, busy endpoint)
        └── PermanentError             retrying cannot help (validation, access denied, not found)
            ├── NotFoundError          the resource does not exist
            └── ConflictError          a conditional write found the item not as the condition required

Callers branch on the class, never on message text (kopf's PermanentError/TemporaryError idea).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one spec file, located as precisely as the YAML allows.

    file: the path as given on the command line (or relative to the current directory)
    line: 1-based line of the offending key or value; 1 when the problem concerns the whole file
    path: the dotted field path inside the document, e.g. `spec.training.instanceType` ("" for the document)
    message: what is wrong and, where possible, how to fix it
    """

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ModelctlError(Exception):
    """Base of every error modelctl raises on purpose."""


class SpecError(ModelctlError):
    """Specs are invalid; nothing in AWS may change. `diagnostics` lists every problem found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(set(diagnostics)))
        super().__init__(f"{len(self.diagnostics)} problem(s) in specs")


class PlanError(ModelctlError):
    """A plan cannot be computed or applied as requested."""


class LockHeldError(ModelctlError):
    """Another run holds the environment's lock and did not release it within the wait.

    holder: who holds it (user or role, and the run's token); since / expires: epoch seconds when it was taken
    and when its lease ends unless renewed.
    """

    def __init__(self, message: str, *, holder: str, since: float, expires: float) -> None:
        super().__init__(message)
        self.holder = holder
        self.since = since
        self.expires = expires


class LockLostError(ModelctlError):
    """The lock this run held was not renewed in time and may now be someone else's: stop writing."""


class AwsError(ModelctlError):
    """An AWS API call failed. `operation` is the API name, `code` AWS's error code."""

    def __init__(self, message: str, *, operation: str = "", code: str = "") -> None:
        super().__init__(message)
        self.operation = operation
        self.code = code


class TemporaryError(AwsError):
    """Retry after `delay` seconds; the same call may succeed."""

    def __init__(self, message: str, *, delay: float = 1.0, operation: str = "", code: str = "") -> None:
        super().__init__(message, operation=operation, code=code)
        self.delay = delay


class PermanentError(AwsError):
    """Retrying the same call cannot succeed."""


class NotFoundError(PermanentError):
    """The resource named in the call does not exist."""


class ConflictError(PermanentError):
    """A conditional write was refused: the stored item was not as the condition required."""
