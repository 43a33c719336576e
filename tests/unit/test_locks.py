"""The locks in requirements/ say what pyproject.toml allows: every dependency pinned, hashed, inside its declared
range, and the Lambda's runtime lock pinned to the very versions the suite runs with (requirements/dev.txt)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(line) for line in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        requirements += [Requirement(line) for line in extra if not line.startswith("modelctl")]
    return requirements


@pytest.mark.parametrize("lock", ["dev.txt", "lambda.txt"])
def test_every_pin_carries_its_hashes(lock: str) -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / lock).read_text())
    pinned = [block for block in blocks if PIN.match(block)]
    assert pinned
    assert [block.split()[0] for block in pinned if "--hash=sha256:" not in block] == []


def test_every_declared_dependency_is_locked_inside_its_range() -> None:
    """pyproject's ranges (base and every extra) against the dev lock."""
    pins = _pins("dev.txt")
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements/dev.txt: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{requirement} vs {pins[name]}"


def test_the_lambda_runs_the_versions_the_suite_tests() -> None:
    dev = _pins("dev.txt")
    assert {
        name: (version, dev.get(name)) for name, version in _pins("lambda.txt").items() if dev.get(name) != version
    } == {}


def test_the_lambda_lock_holds_no_development_tool() -> None:
    assert {"moto", "pytest", "sagemaker-core", "mypy", "uv", "rich", "ruamel-yaml", "shtab"} & set(
        _pins("lambda.txt")
    ) == set()


def test_the_lambda_imports_only_what_its_lock_holds() -> None:
    """The handlers' import closure, in a fresh interpreter: every third-party distribution it loads is pinned in
    requirements/lambda.txt (the CLI's rich, ruamel.yaml and shtab are not in it, and must not be needed)."""
    script = (
        "import sys, json\n"
        "from importlib import metadata\n"
        "import reconciler_lambda.handler, reconciler_lambda.inference\n"
        "owners = metadata.packages_distributions()\n"
        "print(json.dumps(sorted({d for m in list(sys.modules) for d in owners.get(m.split('.')[0], [])})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    # setuptools: the venv's distutils-precedence .pth; certifi: botocore uses it only when it is installed
    not_needed = {"modelctl", "setuptools", "certifi"}
    loaded = {canonicalize_name(name) for name in json.loads(done.stdout)} - not_needed
    assert loaded - set(_pins("lambda.txt")) == set()
