"""The locks in requirements/ say what pyproject.toml allows: every dependency pinned, hashed, inside its declared
range, and the Lambda's runtime lock pinned to the very versions the suite runs with (requirements/dev.txt)."""

from __future__ import annotations

import re
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
    assert {"moto", "pytest", "sagemaker-core", "mypy", "uv"} & set(_pins("lambda.txt")) == set()
