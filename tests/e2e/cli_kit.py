"""Running the installed `modelctl` console script as a user's shell does (a subprocess), for the CLI convention
tests: its exit code, stdout and stderr apart, with a chosen environment and, when asked, a terminal as stdout."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MODELCTL = str(Path(sys.executable).parent / "modelctl")  # the console script pip installed
REPO = Path(__file__).resolve().parents[2]
SMALL_SPECS = Path(__file__).parent / "specs_small"


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def clean_env(**changes: str | None) -> dict[str, str]:
    """The test process's environment without MODELCTL_* settings, with `changes` (None removes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELCTL_") and k != "NO_COLOR"}
    env["MODELCTL_GIT_SHA"] = "0123456789abcdef0123456789abcdef01234567"
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def modelctl(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300) -> Ran:
    """Run the console script; stdout and stderr captured apart."""
    run = subprocess.run(
        [MODELCTL, *args],
        env=env if env is not None else clean_env(),
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return Ran(run.returncode, run.stdout, run.stderr)


def on_terminal(*args: str, env: dict[str, str], timeout: float = 120) -> tuple[int, str]:
    """Run the console script with a pseudo-terminal as stdout (stderr apart); (exit code, what the terminal got)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [MODELCTL, *args], env=env, cwd=REPO, stdout=follower, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], timeout)
        if not ready:
            process.kill()
            raise TimeoutError(f"modelctl {' '.join(args)} said nothing for {timeout} s")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the follower side closed: the process ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    code = process.wait(timeout=timeout)
    return code, b"".join(chunks).decode("utf-8", "replace")
