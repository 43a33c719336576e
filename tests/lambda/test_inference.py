"""The inference Lambda in-process with API Gateway proxy events against the served emulator: an exposed model
answers with lineage headers; a name outside the allow-list is 404 and InvokeEndpoint is never called; names that
do not match the spec name pattern are 400. The allow-list is the one `modelctl apply` maintains from the specs.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from controller.aws.connect import connect
from controller.cli.main import main
from controller.spec.types import NAME_PATTERN
from reconciler_lambda.inference import NAME, Gateway, respond

GIT_SHA = "e2e0000000000000000000000000000000000002"
SPECS = Path(__file__).parents[1] / "e2e" / "specs_small"


@pytest.fixture(scope="module")
def deployed(emulator_server: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """scorer-dev deployed with the API enabled (once for the module)."""
    from controller.local import control

    control.reset(emulator_server.url)
    specs = tmp_path_factory.mktemp("inference") / "specs"
    shutil.copytree(SPECS, specs)
    path = specs / "scorer.yaml"
    path.write_text(
        path.read_text().replace("      rollout:", "      api: {enabled: true, auth: iam}\n      rollout:", 1)
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODELCTL_LOCAL_URL", emulator_server.url)
        patch.setenv("MOTO_ACCOUNT_ID", "111122223333")
        patch.setenv("MODELCTL_GIT_SHA", GIT_SHA)
        assert main(["apply", "--env", "dev", "--local", "--yes", "--wait", "--timeout", "2m", str(specs)]) == 0
    return str(emulator_server.url)


@pytest.fixture
def gateway(deployed: str, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")  # the served emulator acts as the specs' account
    return Gateway(connect("us-east-1", local_url=deployed), "dev")


def _event(name: str, body: str = '{"features": [1, 2, 3]}') -> dict[str, Any]:
    return {
        "resource": "/models/{name}/invocations",
        "path": f"/models/{name}/invocations",
        "httpMethod": "POST",
        "pathParameters": {"name": name},
        "headers": {"Content-Type": "application/json"},
        "body": body,
        "isBase64Encoded": False,
    }


def test_an_exposed_model_answers_with_its_lineage(gateway: Gateway) -> None:
    answer = respond(_event("scorer"), gateway)
    assert answer["statusCode"] == 200, answer
    headers = answer["headers"]
    body = json.loads(base64.b64decode(answer["body"]))
    assert headers["X-Model-Variant"] == body["variant"] == "primary"
    assert headers["X-Model-Version"] == body["model"] and headers["X-Model-Version"].startswith("scorer-")
    assert headers["X-Spec-Git-Sha"] == GIT_SHA
    respond(_event("scorer"), gateway)
    calls = gateway.clients.calls
    assert calls["ssm.GetParameter"] == 1 and calls["sagemaker.DescribeEndpoint"] == 1  # cached per container


@pytest.mark.parametrize("name", ["other-model", "scorer-dev"])
def test_a_model_not_in_the_allow_list_is_404_and_never_invoked(gateway: Gateway, name: str) -> None:
    assert respond(_event(name), gateway)["statusCode"] == 404
    assert gateway.clients.calls["sagemaker-runtime.InvokeEndpoint"] == 0


@pytest.mark.parametrize("name", ["../scorer", "scorer/../../x", "Scorer", "s", "scorer%2F..", "", None])
def test_names_outside_the_spec_pattern_are_rejected(gateway: Gateway, name: str | None) -> None:
    event = _event("x")
    event["pathParameters"] = {"name": name}
    assert respond(event, gateway)["statusCode"] == 400
    assert gateway.clients.calls.snapshot() == {}  # rejected before any AWS call


def test_an_empty_body_is_rejected(gateway: Gateway) -> None:
    assert respond(_event("scorer", body=""), gateway)["statusCode"] == 400
    assert gateway.clients.calls["sagemaker-runtime.InvokeEndpoint"] == 0


def test_the_name_pattern_is_the_specs() -> None:
    assert NAME.pattern == NAME_PATTERN
