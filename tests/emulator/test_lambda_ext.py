"""controller.local.lambda_ext: Python handlers run in-process from their zip, answering like Lambda."""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile
from typing import Any

import boto3
import pytest
from moto.awslambda.models import LambdaFunction

from controller.local import lambda_ext

ROLE = "arn:aws:iam::123456789012:role/lambda"
HANDLER = """
import json, os
from helper import shout

def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {
        "echo": shout(event.get("say", "")),
        "stage": os.environ["STAGE"],
        "name": context.function_name,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "request": context.aws_request_id,
    }

def not_json(event, context):
    return {1, 2}
"""


def code(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture
def aws_lambda(in_process_aws: None) -> Any:
    client = boto3.client("lambda", region_name="us-east-1")
    boto3.client("iam", region_name="us-east-1").create_role(RoleName="lambda", AssumeRolePolicyDocument="{}")
    return client


def create(client: Any, name: str, files: dict[str, str], handler: str = "app.handler", **extra: Any) -> None:
    client.create_function(
        FunctionName=name,
        Runtime=extra.pop("Runtime", "python3.11"),
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": code(files)},
        Timeout=30,
        MemorySize=256,
        Environment={"Variables": {"STAGE": "dev"}},
        **extra,
    )


def invoke(client: Any, name: str, event: Any, **extra: Any) -> tuple[Any, str | None]:
    answer = client.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **extra)
    body = answer["Payload"].read()
    return (json.loads(body) if body else None), answer.get("FunctionError")


def test_moto_still_needs_docker_to_invoke(aws_lambda: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LambdaFunction, "invoke", lambda_ext.original(LambdaFunction, "invoke"))
    create(aws_lambda, "echo", {"app.py": HANDLER, "helper.py": "def shout(s): return s.upper()"})

    answer = aws_lambda.invoke(FunctionName="echo", Payload=b"{}")

    assert "docker" in answer["Payload"].read().decode().lower()


def test_a_handler_runs_with_its_environment_and_context(aws_lambda: Any) -> None:
    create(aws_lambda, "echo", {"app.py": HANDLER, "helper.py": "def shout(s): return s.upper()"})

    payload, error = invoke(aws_lambda, "echo", {"say": "hi"})

    assert error is None
    assert payload["echo"] == "HI" and payload["stage"] == "dev" and payload["memory"] == 256
    assert payload["name"] == "echo" and payload["arn"].endswith(":function:echo")
    assert 29_000 < payload["remaining"] <= 30_000
    assert len(payload["request"]) == 36


def test_a_handler_exception_is_an_unhandled_function_error(aws_lambda: Any) -> None:
    create(aws_lambda, "echo", {"app.py": HANDLER, "helper.py": "def shout(s): return s"})

    payload, error = invoke(aws_lambda, "echo", {"fail": True})

    assert error == "Unhandled"
    assert (payload["errorType"], payload["errorMessage"]) == ("ValueError", "asked to fail")
    assert any("app.py" in line for line in payload["stackTrace"])


@pytest.mark.parametrize(
    ("files", "handler", "error_type"),
    [
        ({"app.py": "import no_such_module\n"}, "app.handler", "Runtime.ImportModuleError"),
        ({"app.py": "x = 1\n"}, "missing.handler", "Runtime.ImportModuleError"),
        ({"app.py": "x = 1\n"}, "app.handler", "Runtime.HandlerNotFound"),
        ({"app.py": HANDLER, "helper.py": "def shout(s): return s"}, "app.not_json", "Runtime.MarshalError"),
    ],
)
def test_runtime_failures_are_reported_like_lambda(
    aws_lambda: Any, files: dict[str, str], handler: str, error_type: str
) -> None:
    create(aws_lambda, "broken", files, handler)

    payload, error = invoke(aws_lambda, "broken", {})

    assert (error, payload["errorType"]) == ("Unhandled", error_type)


def test_other_runtimes_are_refused_clearly(aws_lambda: Any) -> None:
    create(aws_lambda, "node", {"index.js": "exports.handler = async () => 1"}, "index.handler", Runtime="nodejs20.x")

    payload, error = invoke(aws_lambda, "node", {})

    assert (error, payload["errorType"]) == ("Unhandled", "Runtime.InvalidRuntime")


def test_functions_with_same_named_modules_do_not_share_them(aws_lambda: Any) -> None:
    create(aws_lambda, "loud", {"app.py": HANDLER, "helper.py": "def shout(s): return s.upper()"})
    create(aws_lambda, "quiet", {"app.py": HANDLER, "helper.py": "def shout(s): return s.lower()"})

    assert invoke(aws_lambda, "loud", {"say": "Hi"})[0]["echo"] == "HI"
    assert invoke(aws_lambda, "quiet", {"say": "Hi"})[0]["echo"] == "hi"
    assert invoke(aws_lambda, "loud", {"say": "Hi"})[0]["echo"] == "HI"


def test_new_code_is_picked_up(aws_lambda: Any) -> None:
    create(aws_lambda, "echo", {"app.py": HANDLER, "helper.py": "def shout(s): return s.upper()"})
    assert invoke(aws_lambda, "echo", {"say": "a"})[0]["echo"] == "A"

    aws_lambda.update_function_code(
        FunctionName="echo", ZipFile=code({"app.py": HANDLER, "helper.py": "def shout(s): return s * 2"})
    )

    assert invoke(aws_lambda, "echo", {"say": "a"})[0]["echo"] == "aa"


def test_event_invocations_answer_at_once_and_run_in_the_background(aws_lambda: Any, tmp_path: Any) -> None:
    marker = tmp_path / "ran"
    handler = (
        f"import time\ndef handler(event, context):\n    time.sleep(0.2)\n    open({str(marker)!r}, 'w').close()\n"
    )
    create(aws_lambda, "later", {"app.py": handler})

    answer = aws_lambda.invoke(FunctionName="later", InvocationType="Event", Payload=b"{}")

    assert answer["StatusCode"] == 202 and not marker.exists()
    deadline = time.monotonic() + 5
    while not marker.exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_tail_logs_are_not_faked(aws_lambda: Any) -> None:
    create(aws_lambda, "echo", {"app.py": HANDLER, "helper.py": "def shout(s): return s"})

    answer = aws_lambda.invoke(FunctionName="echo", Payload=b"{}", LogType="Tail")

    assert base64.b64decode(answer.get("LogResult", "")) == b""


def test_the_served_emulator_runs_handlers_too(emulator_url: str) -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    boto3.client("iam", region_name="us-east-1").create_role(RoleName="lambda", AssumeRolePolicyDocument="{}")
    create(client, "echo", {"app.py": HANDLER, "helper.py": "def shout(s): return s + '!'"})

    payload, error = invoke(client, "echo", {"say": "served"})

    assert (error, payload["echo"]) == (None, "served!")
