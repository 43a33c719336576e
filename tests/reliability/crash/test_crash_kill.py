"""`modelctl apply --wait` killed with SIGKILL after its 1st, 3rd, 6th, 10th and 12th AWS write (and right after it
creates an endpoint config), then finished by the next apply: no duplicate training, no unknown or surplus
endpoint configs, no endpoint on a missing model, the lock recovered once its lease ran out.

The scenario is a retrain: scorer (tests/e2e/specs_small, env dev) serves one training config, and the killed run
applies a new `eta`, which takes about 14 writes over two passes (parameters, pipeline, execution, inventory and
lock; then after training a new endpoint config, its alarm and the UpdateEndpoint) plus lock heartbeats, and the
one history row of the whole `--wait` at the end (the 12th write is the UpdateEndpoint, the lock still held). The
tests share one emulator state, each starting from where the previous one left the environment (its `eta`), so
configs accumulate past RETAINED_CONFIGS and the retention is checked too; a test run alone first converges to
its starting `eta`. The killed run is a subprocess (tests/reliability/crash/crash_runner.py); the recovery runs in this
process with its writes logged the same way.
"""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from crash_kit import (
    FAST_EMULATOR,
    SMALL_SPECS,
    apply_args,
    assert_converged_once,
    finish,
    local_environ,
    lock_item,
    modelctl,
    set_eta,
    start_runner,
)
from crash_runner import WriteRecorder, is_lock_write, read_log

from controller.local import control
from controller.local.emulator import Emulator

LEASE_SECONDS = 3  # every run's --lock-lease: the killed run's lock outlives it by at most this (heartbeat: 1 s)
KILLS = (
    ["--kill-after", "1"],
    ["--kill-after", "3"],
    ["--kill-after", "6"],
    ["--kill-after", "10"],
    ["--kill-after", "12"],
    ["--kill-after-operation", "sagemaker.CreateEndpointConfig"],  # a new fleet made, not yet in the inventory
)
ETAS = ("0.2", "0.21", "0.22", "0.23", "0.24", "0.25", "0.26")  # KILLS[i] applies ETAS[i + 1] over ETAS[i]


@dataclass
class Environment:
    """The emulator the tests share, the specs they edit, the `eta` values trained so far and the one the
    environment converged to last (None: not known)."""

    url: str
    specs: Path
    trained: set[str] = field(default_factory=set)
    converged: str | None = None


@pytest.fixture(scope="module")
def environment(emulator_server: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"AWS_ENDPOINT_URL": emulator_server.url, **local_environ(emulator_server.url)}.items():
            patch.setenv(name, value)
        control.reset(emulator_server.url)
        control.configure(emulator_server.url, FAST_EMULATOR)
        specs = tmp_path_factory.mktemp("crash") / "specs"
        shutil.copytree(SMALL_SPECS, specs)
        yield Environment(emulator_server.url, specs)


def _start_from(environment: Environment, eta: str) -> None:
    """Converge the environment to `eta`, unless the previous test left it there."""
    set_eta(environment.specs, eta)
    if environment.converged != eta:
        environment.converged = None
        assert modelctl(apply_args(environment.specs, "--wait", "--timeout", "1m")) == 0
        environment.trained.add(eta)
        environment.converged = eta


@pytest.mark.parametrize("kill", KILLS, ids=lambda kill: kill[-1])
def test_a_killed_apply_is_finished_by_the_next(
    environment: Environment, kill: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, specs, log = environment.url, environment.specs, tmp_path / "writes.jsonl"
    step = KILLS.index(kill)
    _start_from(environment, ETAS[step])
    set_eta(specs, ETAS[step + 1])
    lease = ["--lock-lease", str(LEASE_SECONDS)]
    started = time.time()
    killed = start_runner(url, log, "killed", kill, apply_args(specs, "--wait", "--timeout", "1m", *lease))
    code, out, err = finish(killed)
    assert code == -signal.SIGKILL, (code, out, err)
    writes = [entry for entry in read_log(log) if not entry["refused"]]
    if kill[0] == "--kill-after":
        assert len(writes) == int(kill[1]), writes
    else:
        assert writes[-1]["operation"] == kill[1], writes
    # The dead run's lock is still there (unless its last write released it), and it is the killed run's.
    left = lock_item(url)
    if is_lock_write(writes[-1], "dynamodb.DeleteItem"):
        assert left is None
    else:
        assert left is not None, "a killed run cannot release its lock"
        taken = [entry for entry in writes if is_lock_write(entry)][-1]
        assert started < left["since"] <= taken["start"]
    # The next apply is refused and told who holds the lock, or comes after the lease ran out; one that waits for
    # the lock gets it once the lease has run out, and finishes the job.
    recovery = WriteRecorder(log, "recovery")
    capsys.readouterr()
    if modelctl(apply_args(specs, "--wait", "--timeout", "1m", "--lock-wait", "0", *lease), recovery) != 0:
        refusal = capsys.readouterr()
        assert left is not None and f"is locked by {left['holder']}" in refusal.err, refusal
        assert modelctl(apply_args(specs, "--wait", "--timeout", "1m", "--lock-wait", "30", *lease), recovery) == 0
    taken_again = [e for e in read_log(log) if e["label"] == "recovery" and is_lock_write(e) and not e["refused"]]
    if left is not None:
        assert taken_again[0]["start"] > left["expires"], (taken_again[0], left)  # only after the lease ran out
    environment.trained.add(ETAS[step + 1])
    assert_converged_once(url, len(environment.trained))
    further = WriteRecorder(None, "further")
    assert modelctl(apply_args(specs), further) == 0 and further.writes == 0  # converged: not even the lock
    environment.converged = ETAS[step + 1]
