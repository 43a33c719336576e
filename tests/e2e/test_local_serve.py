"""`modelctl local serve`: a foreground emulator on 127.0.0.1 that prints its URL, acts as the account it is
given, and stops cleanly on SIGTERM — as a user (or the benchmark) starts it, in its own process."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import boto3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_local_serve_prints_its_url_acts_as_the_account_and_stops_on_sigterm() -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "controller.cli", "local", "serve", "--port", str(port), "--account", "111122223333"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines: list[str] = []
        while len(lines) < 10 and f"listening on http://127.0.0.1:{port}" not in "".join(lines):
            lines.append(server.stdout.readline())  # request log lines may come first; the URL line always comes
        assert f"listening on http://127.0.0.1:{port}" in "".join(lines), lines
        sts = boto3.client(
            "sts",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                assert sts.get_caller_identity()["Account"] == "111122223333"
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=5)
