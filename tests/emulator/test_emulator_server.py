"""The emulator as a process-level tool: Emulator, ensure_emulator, serve_forever, the control API."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from emulator_kit import wait_until

from controller.local import control
from controller.local.emulator import Emulator, ensure_emulator, serve_forever

REPO = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/modelctl-sagemaker"
SNS_LIST_TOPICS = "arn:aws:states:::aws-sdk:sns:listTopics"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_emulator_picks_a_free_port_and_stops() -> None:
    emulator = Emulator()
    with pytest.raises(RuntimeError):
        _ = emulator.url
    with emulator:
        assert emulator.url.startswith("http://127.0.0.1:")
        sns = boto3.client("sns", endpoint_url=emulator.url, region_name="us-east-1")
        assert sns.create_topic(Name="t")["TopicArn"].endswith(":t")
    with pytest.raises(RuntimeError):
        _ = emulator.url


def test_a_busy_port_is_an_error_not_a_hang(emulator_server: Emulator) -> None:
    with pytest.raises(OSError, match="cannot serve the emulator"):
        Emulator(port=int(emulator_server.url.rsplit(":", 1)[1])).start()


def test_state_machines_execute_and_reach_services_even_after_another_emulator_stopped(emulator_url: str) -> None:
    with Emulator():
        pass  # moto's interpreter must not keep calling this one once it is gone
    sfn = boto3.client("stepfunctions")
    boto3.client("sns").create_topic(Name="alerts")
    definition = {"StartAt": "L", "States": {"L": {"Type": "Task", "Resource": SNS_LIST_TOPICS, "End": True}}}
    machine = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=ROLE)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
    done = wait_until(lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d)
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert json.loads(done["output"])["Topics"][0]["TopicArn"].endswith(":alerts")


def test_ensure_emulator_reuses_a_running_one(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ensure_emulator(emulator_url) == (emulator_url, None)
    monkeypatch.setenv("MODELCTL_LOCAL_URL", emulator_url)
    assert ensure_emulator() == (emulator_url, None)


def test_ensure_emulator_starts_one_when_nothing_answers() -> None:
    url, started = ensure_emulator(f"http://127.0.0.1:{_closed_port()}")
    assert started is not None
    try:
        assert url == started.url
        assert control.current(url)["delays"]["endpoint"] >= 0
    finally:
        started.stop()


def test_control_api_merges_validates_and_resets(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    knobs = control.configure(emulator_url, {"delays": {"training": 2}, "trainingJobs": {"metrics": {"a": 0.5}}})
    assert knobs["delays"]["training"] == 2 and knobs["delays"]["endpoint"] == 0.5
    knobs = control.configure(emulator_url, {"trainingJobs": {"metrics": {"b": 0.6}}})
    assert knobs["trainingJobs"]["metrics"] == {"a": 0.5, "b": 0.6}
    with pytest.raises(ValueError, match="namePrefix"):
        control.configure(emulator_url, {"endpoints": {"fail": [{"prefix": "x"}]}})
    request = urllib.request.Request(emulator_url + control.CONTROL_PATH, data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 400
    assert control.current(emulator_url)["trainingJobs"]["metrics"] == {"a": 0.5, "b": 0.6}
    boto3.client("sns").create_topic(Name="kept-until-reset")
    monkeypatch.setenv("MODELCTL_LOCAL_TRAINING_SECONDS", "3")  # the server shares this process' environment
    control.reset(emulator_url)
    assert control.current(emulator_url)["delays"]["training"] == 3
    assert boto3.client("sns").list_topics()["Topics"] == []


def test_control_in_process(in_process_aws: None) -> None:
    assert control.configure(None, {"delays": {"bakeScale": 0.5}})["delays"]["bakeScale"] == 0.5
    with pytest.raises(ValueError):
        control.configure(None, {"delays": {"endpoint": -1}})
    control.reset(None)
    assert control.current(None)["delays"]["bakeScale"] == 0.001


def test_serve_forever_prints_its_url_and_stops_on_sigterm() -> None:
    port = _closed_port()
    env: dict[str, Any] = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen(
        [sys.executable, "-c", f"from controller.local.emulator import serve_forever; serve_forever({port})"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        assert f"http://127.0.0.1:{port}" in server.stdout.readline()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{control.CONTROL_PATH}", timeout=5) as answer:
            assert "delays" in json.loads(answer.read())
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
    finally:
        server.kill()
        server.wait()


def test_serve_forever_stops_on_sigint_and_restores_the_handler(capsys: pytest.CaptureFixture[str]) -> None:
    before = signal.getsignal(signal.SIGINT)
    port = _closed_port()
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    serve_forever(port)
    assert f"http://127.0.0.1:{port}" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGINT) is before
