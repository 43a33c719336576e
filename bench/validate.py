"""Benchmark: `modelctl validate` on 1000 generated specs, against parsing the same files with libyaml alone.

Prints a table and the ratio, both measured in this one run (best of several repetitions each, to damp noise).
Budget (issue: spec language): validate within 2.5x of the bare libyaml parse, and without importing boto3 or the
sagemaker SDK. Run: `.venv/bin/python bench/validate.py [N]`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from controller.spec.loader import load_catalog, spec_files

REPO = Path(__file__).resolve().parents[1]
REPEATS = 5


def generate(folder: Path, count: int) -> None:
    """`count` model files modelled on the churn example, each with its own name, plus the environments."""
    (folder / "environments.yaml").write_text((REPO / "specs" / "environments.yaml").read_text())
    template = (REPO / "specs" / "churn-xgb.yaml").read_text()
    for i in range(count):
        text = template.replace("name: churn-xgb", f"name: churn-{i:04d}").replace("max_depth: 6", f"max_depth: {i}")
        (folder / f"model-{i:04d}.yaml").write_text(text)


def best_of(action: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def parse_only(files: list[str]) -> None:
    for file in files:
        with open(file, "rb") as stream:
            list(yaml.load_all(stream, Loader=yaml.CSafeLoader))


def imports_of_validate(folder: Path) -> str:
    probe = (
        "import sys; from controller.cli.main import main; main(['validate', sys.argv[1]]); "
        "print(','.join(m for m in ('boto3', 'botocore', 'sagemaker') if m in sys.modules) or 'none')"
    )
    run = subprocess.run([sys.executable, "-c", probe, str(folder)], capture_output=True, text=True, check=False)
    return run.stdout.strip().splitlines()[-1]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(folder, count)
        files = spec_files([str(folder)])
        parse = best_of(lambda: parse_only(files))
        validate = best_of(lambda: load_catalog([str(folder)]))
        heavy = imports_of_validate(folder)
    print(f"validate benchmark: {count} model specs (+1 environments file), best of {REPEATS}")
    print(f"{'what':<34}{'seconds':>10}{'specs/s':>12}")
    print(f"{'libyaml parse only (CSafeLoader)':<34}{parse:>10.3f}{count / parse:>12.0f}")
    print(f"{'modelctl validate (load_catalog)':<34}{validate:>10.3f}{count / validate:>12.0f}")
    print(f"ratio validate / parse: {validate / parse:.2f}x (budget 2.5x); under 1 s: {validate < 1.0}")
    print(f"heavy modules imported by validate: {heavy} (budget: none of boto3, botocore, sagemaker)")


if __name__ == "__main__":
    main()
