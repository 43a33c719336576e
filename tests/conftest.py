"""Fixtures shared by every test tier: dummy AWS credentials, and the embedded emulator in two flavours.

Credentials are dummies for the whole session and AWS_ENDPOINT_URL / AWS_PROFILE are dropped, so no test
can reach a real account; AWS_ENDPOINT_URL is set only inside the `emulator_url` fixture.

    emulator_server  session   one served Emulator (moto's threaded server, patched) on a free port
    emulator_url     function  its URL, the emulator reset first, AWS_ENDPOINT_URL pointing at it
    in_process_aws   function  moto's mock_aws with the emulator's patches (no server), reset first
    aws              function  parametrized "served" / "in_process": an AwsTarget, for tests that run on both

Every emulator answer is judged against botocore's output shape (controller.local.response_check, switched on
here for the whole session and its subprocesses): a test during which the emulator sent an answer AWS would never
send fails (unless marked `allow_shape_violations`), and the session's summary counts the shapes judged.

moto and boto3 are imported inside the fixtures, so unit tests never pay for them.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from controller.local.emulator import Emulator

REGION = "us-east-1"

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION=REGION,
)
for _variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(_variable, None)
os.environ.setdefault("MODELCTL_LOCAL_CHECK_RESPONSES", "1")  # "report": record only (see response_check)


def pytest_configure(config: pytest.Config) -> None:
    for name, description in _MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    config.addinivalue_line("markers", "allow_shape_violations: the test provokes emulator answers AWS never sends")
    if not hasattr(config, "workerinput"):  # the controlling process: workers and subprocesses inherit the log
        os.environ["MODELCTL_LOCAL_SHAPES_LOG"] = tempfile.mkdtemp(prefix="modelctl-shapes-")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or not os.environ.get("MODELCTL_LOCAL_SHAPES_LOG"):
        return
    shapes, violations = set(), set()
    for log in Path(os.environ["MODELCTL_LOCAL_SHAPES_LOG"]).glob("*.jsonl"):
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if "checked" in entry:
                shapes.add(tuple(entry["checked"]))
            else:
                violations.add(entry["violation"])
    if not shapes and not violations:  # no test talked to the emulator (e.g. `make unit`)
        return
    terminalreporter.write_sep("-", "emulator response shapes")
    terminalreporter.write_line(
        f"{len(shapes)} distinct (service, operation) output shapes checked against botocore's model, "
        f"{len(violations)} distinct violations (with those tests marked allow_shape_violations provoke)"
    )
    for violation in sorted(violations):
        terminalreporter.write_line(f"  {violation}")


@pytest.fixture(autouse=True)
def _emulator_answers_as_aws_does(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if the emulator (in this process) sent an answer AWS would never send while it ran."""
    module = sys.modules.get("controller.local.response_check")
    before = len(module.found()) if module is not None else 0
    yield
    module = sys.modules.get("controller.local.response_check")
    if module is None or request.node.get_closest_marker("allow_shape_violations"):
        return
    found = module.found()[before:]
    if found:
        pytest.fail("\n".join(violation.message() for violation in found), pytrace=False)


@cache
def _boto3_session() -> Any:
    """One boto3 Session for every test client: service models load once (a new Session reloads them)."""
    import boto3

    return boto3.Session(region_name=REGION)


@dataclass(frozen=True)
class AwsTarget:
    """Where a test's AWS calls go: the served emulator at `url`, or the in-process one (`url` None)."""

    url: str | None

    def client(self, service: str) -> Any:
        """A boto3 client for the emulator (served: through AWS_ENDPOINT_URL, as the controller does)."""
        return _boto3_session().client(service)

    def configure(self, document: dict[str, Any]) -> dict[str, Any]:
        """Set emulator knobs (see controller.local.control)."""
        from controller.local import control

        return control.configure(self.url, document)


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    from controller.local.emulator import Emulator

    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def emulator_url(emulator_server: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    from controller.local import control

    control.reset(emulator_server.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_server.url)
    return emulator_server.url


@pytest.fixture
def in_process_aws() -> Iterator[None]:
    from controller.local import control
    from controller.local.emulator import in_process

    with in_process():
        control.reset(None)
        yield


@pytest.fixture(params=["served", "in_process"])
def aws(request: pytest.FixtureRequest) -> AwsTarget:
    if request.param == "served":
        return AwsTarget(request.getfixturevalue("emulator_url"))
    request.getfixturevalue("in_process_aws")
    return AwsTarget(None)


# Markers by folder (the tests mirror the layers): `pytest -m unit` (or `make unit`) runs the fast pure tests only.
_MARKER_BY_FOLDER = {
    "unit": "unit",
    "functional": "functional",
    "emulator": "functional",
    "lambda": "functional",
    "e2e": "e2e",
    "reliability": "e2e",
}
_MARKERS = {
    "unit": "pure, fast: no emulator, no AWS (tests/unit)",
    "functional": "adapters, the emulator, the Lambda handlers, IAM and faults on the embedded emulator",
    "e2e": "the CLI end to end on the emulator, crashes and contention (tests/e2e, tests/reliability/crash)",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        relative = os.path.relpath(str(item.path), tests)
        folder = relative.split(os.sep, 1)[0]
        marker = _MARKER_BY_FOLDER.get(folder)
        if marker is not None:
            item.add_marker(getattr(pytest.mark, marker))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """With MODELCTL_VALIDATION_STATS=<file>: append this process's emulator request-check counts to it (one JSON
    line per pytest process; emulators in subprocesses are not counted)."""
    import json
    import sys

    target = os.environ.get("MODELCTL_VALIDATION_STATS")
    checks = sys.modules.get("controller.local.request_validation")
    if target and checks is not None:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps(checks.stats()) + "\n")
