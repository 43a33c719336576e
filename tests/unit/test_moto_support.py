"""The emulator's moto range: the installed release is inside it, pyproject declares the same one, and any other
release is refused at import with one line naming what is installed, what is supported and how to fix it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from controller.local import moto_support

ROOT = Path(__file__).resolve().parents[2]


def test_installed_moto_is_inside_the_supported_range() -> None:
    # Fails (by design) under `make test-latest` once moto releases past the range: time to try moving the bound.
    installed = moto_support.installed_moto_version()
    assert installed is not None
    assert moto_support.is_supported(installed), f"moto {installed} is outside {moto_support.supported_range()}"


def test_pyproject_declares_the_range_the_emulator_enforces() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (moto,) = [requirement for requirement in extras["local"] if requirement.startswith("moto")]
    assert moto == f"moto[server,stepfunctions]{moto_support.supported_range()}"


@pytest.mark.parametrize(
    ("version", "supported"),
    [
        ("5.2.4", False),
        ("5.2.5", True),
        ("5.2.6", True),
        ("5.2.6.post1", True),
        ("5.2.7", False),
        ("5.3.0", False),
        ("6.0.0", False),
        ("5.2.6rc1", False),
        ("5.2.6.dev3", False),
        ("5.2", False),
        ("banana", False),
    ],
)
def test_only_final_releases_inside_the_range_are_supported(version: str, supported: bool) -> None:
    assert moto_support.is_supported(version) is supported


def test_an_unsupported_release_is_refused_with_one_line_that_says_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(moto_support.ALLOW_UNSUPPORTED_VARIABLE, raising=False)
    with pytest.raises(moto_support.UnsupportedMotoError) as refused:
        moto_support.require_supported_moto("5.3.0")
    message = str(refused.value)
    assert "\n" not in message
    assert "moto 5.3.0 is installed" in message
    assert moto_support.supported_range() in message
    assert "pip install 'moto[server,stepfunctions]>=5.2.5,<5.2.7'" in message


def test_a_missing_moto_is_refused_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_support, "installed_moto_version", lambda: None)
    with pytest.raises(moto_support.UnsupportedMotoError, match="which is not installed: pip install"):
        moto_support.require_supported_moto()


def test_the_override_lets_another_release_through_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(moto_support.ALLOW_UNSUPPORTED_VARIABLE, "1")
    moto_support.require_supported_moto("5.3.0")
    assert "warning: the embedded emulator supports moto" in capsys.readouterr().err


def test_the_cli_refuses_an_unsupported_moto_before_any_request_with_one_line() -> None:
    # A fresh interpreter in which moto's metadata says 5.3.0: the command stops at the emulator's import.
    script = (
        "import sys\n"
        "from importlib import metadata\n"
        "real = metadata.version\n"
        "metadata.version = lambda name: '5.3.0' if name == 'moto' else real(name)\n"
        "from controller.cli.main import main\n"
        "sys.exit(main(['plan', '--env', 'dev', '--local', 'specs']))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != moto_support.ALLOW_UNSUPPORTED_VARIABLE}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: the embedded emulator supports moto>=5.2.5,<5.2.7, but moto 5.3.0 is installed: "
        "pip install 'moto[server,stepfunctions]>=5.2.5,<5.2.7' (or `make install` in a checkout)"
    ]
