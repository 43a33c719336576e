"""Run one `modelctl` command in this process, log its AWS writes, and optionally SIGKILL it after the Nth one.

    python tests/reliability/crash/crash_runner.py [--kill-after N | --kill-after-operation OP] [--write-log FILE]
        [--label NAME] [--hold-lock-for LABEL] [--poll-seconds S] [--wait-interval S] -- <modelctl CLI args>

Every boto3 client the controller makes (controller.aws.session.AwsClients._make) gets botocore hooks. Each
write (an operation `controller.aws.session.is_read` says is not a read) that got a response is appended to FILE
as one JSON line: `label`, `pid`, `operation` ("dynamodb.PutItem"), `target` (the DynamoDB item's pk, or the
name the call passes, e.g. the EndpointConfigName), `start` / `end` (epoch seconds before the request and after
the response) and `refused` (an error response: it changed nothing, e.g. a lock contender's conditional put).
Each line is one unbuffered O_APPEND write, so it survives a kill and lines of several processes never mix.

`--kill-after N`: after the Nth write that was not refused, the process sends itself SIGKILL: no `finally`, no
lock release, the lock's heartbeat thread dies with it. `--kill-after-operation OP`: the same after the first
successful OP. `--hold-lock-for LABEL`: once this run holds the environment lock, it keeps it (writing nothing)
until the log shows LABEL refused on that lock, so a contention test knows the two runs really met.
`--poll-seconds` and `--wait-interval` set the pipelines' poll interval and the pause between `apply --wait` passes
of `--local` runs (the CLI's are fixed at 1 s), so crash tests run at emulator speed.

The test process imports this module too: `recording_make` hooks the reconciler Lambda's clients the same way,
and `read_log` / `is_lock_write` read the log back.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from controller.aws.session import AwsClients, is_read

LOCK_PK_PREFIX = "lock#"  # controller.reconcile.store's lock item: pk "lock#<env>", sk "lock"
HOLD_LIMIT_SECONDS = 30  # --hold-lock-for gives up waiting for the contender after this long
_STARTED = "crash_runner_started"  # request-context key of the write's start time
_TARGET = "crash_runner_target"  # request-context key of what the write names


def read_log(log: Path) -> list[dict[str, Any]]:
    """Every logged write, in the order the lines were appended."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line]


def is_lock_write(entry: Mapping[str, Any], operation: str = "dynamodb.PutItem") -> bool:
    """Whether a logged write is `operation` on an environment lock item (PutItem: an acquire; DeleteItem: a
    release; UpdateItem: a heartbeat)."""
    return entry["operation"] == operation and str(entry["target"]).startswith(LOCK_PK_PREFIX)


class WriteRecorder:
    """Logs writes to `log` (None: nowhere) as `label`; kills this process after the `kill_after`-th successful
    write or the first successful `kill_after_operation` (None: never); holds the first lock it takes until
    `hold_lock_for` is refused on it (None: does not hold)."""

    def __init__(
        self,
        log: Path | None,
        label: str,
        *,
        kill_after: int | None = None,
        kill_after_operation: str | None = None,
        hold_lock_for: str | None = None,
    ) -> None:
        self.log = log
        self.label = label
        self.kill_after = kill_after
        self.kill_after_operation = kill_after_operation
        self.hold_lock_for = hold_lock_for
        self.writes = 0
        self._lock = threading.Lock()

    def record(self, operation: str, target: str, start: float, refused: bool) -> None:
        """Log one write; then die, or hold the lock, if this write calls for it."""
        entry = {
            "label": self.label,
            "pid": os.getpid(),
            "operation": operation,
            "target": target,
            "start": start,
            "end": time.time(),
            "refused": refused,
        }
        with self._lock:
            self._append(entry)
            if refused:
                return
            self.writes += 1
            if self.writes == self.kill_after or operation == self.kill_after_operation:
                os.kill(os.getpid(), signal.SIGKILL)
            if self.hold_lock_for is not None and is_lock_write(entry):
                self._hold(target, self.hold_lock_for)
                self.hold_lock_for = None

    def _append(self, entry: Mapping[str, Any]) -> None:
        if self.log is None:
            return
        descriptor = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, (json.dumps(entry) + "\n").encode())
        finally:
            os.close(descriptor)

    def _hold(self, lock: str, contender: str) -> None:
        """Keep the lock just taken until `contender` is refused on it (or HOLD_LIMIT_SECONDS pass)."""
        deadline = time.monotonic() + HOLD_LIMIT_SECONDS
        while time.monotonic() < deadline and self.log is not None:
            if any(
                e["label"] == contender and e["refused"] and is_lock_write(e) and e["target"] == lock
                for e in read_log(self.log)
            ):
                return
            time.sleep(0.05)


def _target(params: Mapping[str, Any]) -> str:
    """What a call writes to: the DynamoDB item's pk, else the first name it passes ("" when none)."""
    key = params.get("Item") or params.get("Key")
    if isinstance(key, Mapping) and isinstance(key.get("pk"), Mapping):
        return str(key["pk"].get("S", ""))
    return next((str(v) for k, v in params.items() if k.lower().endswith("name") and isinstance(v, str)), "")


def recording_make(make: Callable[[AwsClients, str], Any], recorder: WriteRecorder) -> Callable[[AwsClients, str], Any]:
    """`AwsClients._make` whose clients report every write to `recorder`."""

    def make_and_hook(clients: AwsClients, service: str) -> Any:
        client = make(clients, service)

        def before_parameter_build(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
            context[_TARGET] = _target(params)

        def before_call(context: dict[str, Any], **_: Any) -> None:
            context[_STARTED] = time.time()

        def after_call(http_response: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
            if not is_read(model.name):
                refused = http_response.status_code >= 300
                recorder.record(f"{service}.{model.name}", context[_TARGET], context[_STARTED], refused)

        client.meta.events.register("before-parameter-build.*.*", before_parameter_build)
        client.meta.events.register("before-call.*.*", before_call)
        client.meta.events.register("after-call.*.*", after_call)
        return client

    return make_and_hook


def _use_local_pace(poll_seconds: int | None, wait_interval: float | None) -> None:
    """The CLI's local pace: the pipelines' poll interval, and the pause between two `apply --wait` passes."""
    from controller.cli import apply as commands
    from controller.cli import context

    if poll_seconds is not None:
        context.LOCAL_POLL_SECONDS = poll_seconds
    if wait_interval is not None:
        commands.WAIT_INTERVAL_SECONDS[True] = wait_interval


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--kill-after", type=int, help="SIGKILL this process after this many successful writes")
    parser.add_argument("--kill-after-operation", help="SIGKILL this process after this write (dynamodb.PutItem)")
    parser.add_argument("--write-log", type=Path, help="append one JSON line per write here")
    parser.add_argument("--label", default="cli", help="who the log lines say wrote")
    parser.add_argument("--hold-lock-for", metavar="LABEL", help="keep the first lock taken until LABEL is refused")
    parser.add_argument("--poll-seconds", type=int, help="the pipelines' poll interval with --local (CLI: 1)")
    parser.add_argument("--wait-interval", type=float, help="pause between apply --wait passes, --local (CLI: 1)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the modelctl arguments")
    args = parser.parse_args(argv)
    recorder = WriteRecorder(
        args.write_log,
        args.label,
        kill_after=args.kill_after,
        kill_after_operation=args.kill_after_operation,
        hold_lock_for=args.hold_lock_for,
    )
    AwsClients._make = recording_make(AwsClients._make, recorder)  # type: ignore[method-assign,assignment]
    _use_local_pace(args.poll_seconds, args.wait_interval)
    from controller.cli.main import main as modelctl

    return modelctl(args.command[1:] if args.command[:1] == ["--"] else args.command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
