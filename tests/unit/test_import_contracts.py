"""The import contracts in .importlinter are enforced: a copy of the packages with one deliberate violation (a
module in the pure plan layer importing boto3 and, upwards, the reconcile layer) makes `lint-imports` fail and
name both broken contracts. `make lint` runs it on the real tree, where every contract is kept."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_a_deliberate_violation_fails_lint_imports(tmp_path: Path) -> None:
    for package in ("controller", "reconciler_lambda"):
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / ".importlinter", tmp_path / ".importlinter")
    (tmp_path / "controller" / "plan" / "violation.py").write_text(
        "import boto3\n\nfrom controller.reconcile import store\n\nCLIENTS = (boto3, store)\n", encoding="utf-8"
    )
    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    broken = run.stdout.split("Broken contracts")[-1]
    assert "controller.plan.violation -> boto3" in broken
    assert "controller.plan is not allowed to import controller.reconcile" in broken
    assert "controller.plan.violation -> controller.reconcile.store" in broken
