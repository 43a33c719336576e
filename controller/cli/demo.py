"""`modelctl demo`: the whole story on the embedded emulator, in one command, with readable progress.

It copies the example specs into a temporary Git repository and drives the real CLI against one in-process
emulator (acting as the examples' account): validate, plan, apply with the pipelines running to completion, status,
a canary of a hyperparameter change (the current version keeps 90%, the retrained one gets 10%), a weights-only
shift to 50/50, a rollback by `git revert` (the endpoint returns to the earlier model: no retraining), and the
model's history. Every step is a `modelctl` command a user could type; the demo only edits specs and commits.
Needs the `local` extra (moto). The CLI passes its entry point in, so this module does not import the CLI.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

MODEL, ENV = "churn-xgb", "dev"
EXAMPLES = Path(__file__).resolve().parents[2] / "specs"
DEV_VARIANTS = "            - {name: primary, instanceCount: 2}\n"
HYPERPARAMETER_CHANGE = "        schedule: null          # dev retrains on spec changes only\n"


Modelctl = Callable[[list[str]], int]  # the CLI entry point: arguments -> exit code


def run_demo(modelctl: Modelctl) -> int:
    """Run every step through `modelctl` (the CLI's entry point, passed in); 0 when each did what it should."""
    with _workspace() as repo, _emulator():
        specs = str(repo / "specs")
        _step(modelctl, "1. Validate the example specs", "validate", specs)
        _step(modelctl, f"2. Plan {ENV}: what the first merge would do", "plan", "--env", ENV, "--local", specs)
        _step(modelctl, f"3. Apply {ENV} and wait: pipelines train, register, deploy", *_apply(specs))
        _step(modelctl, f"4. Status of {ENV}", "status", "--env", ENV, "--local", specs)
        first = _serving(modelctl, specs)["primary"]
        print(f"\n{MODEL} serves {first}")
        _commit(repo, "canary: eta 0.25 on 10% of traffic", _canary(repo, first, 90, 10))
        _step(modelctl, "5. Canary: a hyperparameter change trains once, then gets 10% of traffic", *_apply(specs))
        _commit(repo, "canary: shift to 50%", _canary(repo, first, 50, 50))
        _step(modelctl, "6. Shift weights to 50/50: weights only, no new fleet", *_apply(specs))
        _git(repo, "revert", "--no-edit", "HEAD", "HEAD~1")
        _step(modelctl, "7. Roll back with `git revert`: the earlier model again, no retraining", *_apply(specs))
        back = _serving(modelctl, specs)
        _step(modelctl, f"8. History of {MODEL} in {ENV}", "history", MODEL, specs, "--env", ENV, "--local")
        ok = back == {"primary": first}
        print(f"\n{'OK' if ok else 'UNEXPECTED'}: after the revert {MODEL} serves {back}")
        return 0 if ok else 1


def _apply(specs: str) -> list[str]:
    return ["apply", "--env", ENV, "--local", "--yes", "--wait", "--timeout", "5m", specs]


def _step(modelctl: Modelctl, title: str, *args: str) -> None:
    print(f"\n=== {title}\n$ modelctl {' '.join(args)}", flush=True)
    started = time.monotonic()
    code = modelctl(list(args))
    print(f"(exit {code}, {time.monotonic() - started:.1f} s)", flush=True)
    if code not in (0, 2):  # plan exits 2 with changes only under --detailed-exitcode; anything else is a failure
        raise SystemExit(f"demo step failed: modelctl {' '.join(args)}")


def _serving(modelctl: Modelctl, specs: str) -> dict[str, str]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        modelctl(["status", "--env", ENV, "--local", "-o", "json", specs])
    status = next(s for s in json.loads(output.getvalue())["models"] if s["model"] == MODEL)
    return {v["variant"]: v["version"] for v in status["serving"]}


def _canary(repo: Path, first: str, old_weight: int, new_weight: int) -> str:
    """The churn spec with dev training eta 0.25 and a canary variant serving it next to the pinned first version."""
    path = repo / "specs" / f"{MODEL}.yaml"
    text = (EXAMPLES / f"{MODEL}.yaml").read_text()
    canary = (
        f"            - {{name: primary, model: {first}, instanceCount: 2, weight: {old_weight}}}\n"
        f"            - {{name: canary, model: current, instanceType: ml.m5.large, instanceCount: 2, "
        f"weight: {new_weight}}}\n"
    )
    hyperparameters = HYPERPARAMETER_CHANGE + "        hyperparameters: {eta: 0.25}   # the change under test\n"
    for old, new in ((DEV_VARIANTS, canary), (HYPERPARAMETER_CHANGE, hyperparameters)):
        if old not in text:
            raise RuntimeError(f"the example {path.name} changed; the demo cannot edit it")
        text = text.replace(old, new, 1)
    path.write_text(text)
    return str(path)


@contextlib.contextmanager
def _workspace() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="modelctl-demo-"))
    try:
        shutil.copytree(EXAMPLES, folder / "specs")
        _git(folder, "init", "-q")
        _commit(folder, "example specs", str(folder / "specs"))
        print(f"demo workspace: {folder} (a Git repository with the example specs)")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _emulator() -> Iterator[None]:
    from controller.local.emulator import Emulator

    os.environ.setdefault("MOTO_ACCOUNT_ID", "111122223333")  # the examples' account
    with Emulator() as emulator:
        previous = os.environ.get("MODELCTL_LOCAL_URL")
        os.environ["MODELCTL_LOCAL_URL"] = emulator.url
        print(f"embedded AWS emulator: {emulator.url}")
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("MODELCTL_LOCAL_URL", None)
            else:
                os.environ["MODELCTL_LOCAL_URL"] = previous


def _commit(repo: Path, message: str, path: str) -> None:
    _git(repo, "add", path)
    _git(repo, "-c", "user.name=modelctl demo", "-c", "user.email=demo@modelctl.invalid", "commit", "-q", "-m", message)


def _git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "modelctl demo",
        "GIT_AUTHOR_EMAIL": "demo@modelctl.invalid",
        "GIT_COMMITTER_NAME": "modelctl demo",
        "GIT_COMMITTER_EMAIL": "demo@modelctl.invalid",
    }
    subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True, text=True)
