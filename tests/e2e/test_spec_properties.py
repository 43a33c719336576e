"""Validate before, never crash after: whatever `modelctl validate` accepts, `plan` and `bundle` handle.

Specs are generated from the committed JSON Schemas (tests/e2e/schema_strategies.py): one Environment and one
ModelSpec living in it, written as YAML files, then the real commands run on them: `validate`; when it accepts,
`plan --local` against the served emulator (acting as the environment's account) and `bundle --out`. Both must
succeed or stop on a clean user-facing error (`error: ...`, exit 1); any other exception is a traceback the user
would see, and fails the test with the specs that caused it (Hypothesis shrinks them first).

Bounded and repeatable: EXAMPLES examples, derandomized (the same examples on every run and in CI), no example
database, no deadline (a plan reads the emulator).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, Phase, event, given, note, settings
from schema_strategies import example_values, from_schema, schema

from controller.cli.main import main
from controller.local.emulator import Emulator

EXAMPLES = 150
GIT_SHA = "5ca1ab1e0000000000000000000000000000cafe"
_EXAMPLES = example_values()


@contextlib.contextmanager
def _cli_env(url: str, account: str, cache: str) -> Iterator[None]:
    """The served emulator as the environment's account; framework image answers cached under `cache`."""
    variables = {"MODELCTL_LOCAL_URL": url, "AWS_ENDPOINT_URL": url, "MOTO_ACCOUNT_ID": account}
    with mock.patch.dict(os.environ, {**variables, "MODELCTL_GIT_SHA": GIT_SHA, "XDG_CACHE_HOME": cache}):
        yield


def _run(*argv: str) -> tuple[int, str]:
    """The CLI's exit code and everything it printed; an exception it lets through propagates (the traceback)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def served(emulator_server: Emulator) -> str:
    return emulator_server.url


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],  # no "explain" pass: minutes, on a failure, for little
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(
    environment=from_schema(schema("environment"), _EXAMPLES),
    model=from_schema(schema("modelspec"), _EXAMPLES),
)
def test_what_validate_accepts_plans_and_bundles_without_a_traceback(
    served: str, environment: dict[str, Any], model: dict[str, Any]
) -> None:
    name = environment["metadata"]["name"]
    environment["spec"].pop("promotion", None)  # promoted from an environment the folder lacks: never valid
    model["spec"]["environments"] = {name: {}}  # the model lives in the environment
    with tempfile.TemporaryDirectory() as folder:
        specs = Path(folder, "specs")
        specs.mkdir()
        (specs / "environment.yaml").write_text(yaml.safe_dump(environment, sort_keys=False), encoding="utf-8")
        (specs / "model.yaml").write_text(yaml.safe_dump(model, sort_keys=False), encoding="utf-8")
        note((specs / "environment.yaml").read_text() + "---\n" + (specs / "model.yaml").read_text())
        code, output = _run("validate", str(specs))
        assert code in (0, 1), output
        if code == 1:
            event("validate refused")
            return
        event("validate accepted")
        with _cli_env(served, environment["spec"]["account"], folder):
            code, output = _run("plan", "--env", name, "--local", "--format", "json", str(specs))
            assert code == 0 or (code == 1 and output.startswith("error: ")), output
            event(f"plan exit {code}")
            code, output = _run("bundle", str(specs), "--out", str(Path(folder, "bundle.json")))
            assert code == 0 or (code == 1 and output.startswith("error: ")), output
            event(f"bundle exit {code}")
