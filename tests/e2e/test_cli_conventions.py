"""The CLI behaves like the tools people know (issue 16), through the installed console script as a shell runs it:
--version, results on stdout and diagnostics on stderr, NO_COLOR and --no-color, versioned documents, one grammar
(MODELCTL_ENV, the specs PATH, deprecated spellings), completion scripts, single-file validate and GitHub
annotations, broken AWS configuration as one line (never a traceback), and the emulator's strictness.
Each README "convention -> terraform/argocd -> modelctl" row is proven by a test here (named in the row)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml
from cli_kit import MODELCTL, REPO, Ran, clean_env, modelctl, on_terminal

ACCOUNT = "111122223333"


def test_version_prints_the_installed_version() -> None:
    ran = modelctl("--version")
    assert ran.code == 0 and ran.out.startswith("modelctl ") and ran.out.split()[1][0].isdigit()


def test_a_wrong_env_leaves_the_json_on_stdout_empty_and_says_why_on_stderr(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    with out.open("w") as stdout:
        run = subprocess.run(
            [MODELCTL, "plan", "--env", "nosuch", "--local", "-o", "json", "specs"],
            cwd=REPO,
            env=clean_env(),
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert run.returncode == 1
    assert out.read_text() == ""
    assert run.stderr.strip() == "error: environment 'nosuch' is not defined (defined: dev, prod, stage)"


def test_plan_json_on_stdout_is_the_document_and_the_emulator_note_is_on_stderr() -> None:
    ran = modelctl("plan", "--env", "stage", "--local", "-o", "json", "specs")
    assert ran.code == 0
    assert json.loads(ran.out)["planVersion"] == 1
    assert "started one in-process" in ran.err
    yaml_ran = modelctl("plan", "--env", "stage", "--local", "-o", "yaml", "--model", "churn-xgb", "specs")
    document = yaml.safe_load(yaml_ran.out)
    assert document["planVersion"] == 1 and {c["model"] for c in document["changes"]} <= {"churn-xgb", "_api"}


def test_colour_only_on_a_terminal_and_never_with_no_color_or_the_flag() -> None:
    args = ("plan", "--env", "stage", "--local", "--model", "churn-xgb", "specs")
    code, coloured = on_terminal(*args, env=clean_env())
    assert code == 0 and "\x1b[32m" in coloured
    code, plain = on_terminal(*args, env=clean_env(NO_COLOR="1"))
    assert code == 0 and "\x1b[" not in plain and "ssm.parameter/modelctl/stage/churn-xgb/hyperparameters" in plain
    code, flagged = on_terminal("--no-color", *args, env=clean_env())
    assert code == 0 and "\x1b[" not in flagged
    code, flagged = on_terminal(*args, "--no-color", env=clean_env())
    assert code == 0 and "\x1b[" not in flagged


def test_the_plan_reads_cleanly_names_without_double_slashes_no_poll_interval_rounded_durations() -> None:
    ran = modelctl("plan", "--env", "stage", "--local", "specs")
    assert ran.code == 0
    assert "//modelctl" not in ran.out and "ssm.parameter/modelctl/stage/churn-xgb/hyperparameters" in ran.out
    assert "pollSeconds" not in ran.out
    assert "definitionDigest" not in ran.out and "+ states = " in ran.out  # a new pipeline lists its states
    assert "during rollout (~" not in ran.out or "0.3333" not in ran.out


def test_env_comes_from_modelctl_env_and_is_required_otherwise() -> None:
    ran = modelctl("validate", "specs")
    assert ran.code == 0
    missing = modelctl("status", "specs")
    assert missing.code == 2 and "--env ENV is required (or set MODELCTL_ENV)" in missing.err
    from_env = modelctl("status", "--local", "specs", env=clean_env(MODELCTL_ENV="nosuch"))
    assert from_env.code == 1 and "environment 'nosuch' is not defined" in from_env.err


def test_chdir_runs_as_if_started_there(tmp_path: Path) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    ran = modelctl("-C", str(tmp_path), "validate", cwd=Path("/"))
    assert ran.code == 0 and "valid: 4 file(s)" in ran.out


def test_history_of_an_unknown_model_is_an_error() -> None:
    ran = modelctl("history", "nosuch", "specs", "--env", "stage", "--local")
    assert ran.code == 1
    assert "no applied revisions of 'nosuch' in stage: no model of that name lives in stage's specs" in ran.err


def test_deprecated_spellings_still_work_with_a_warning() -> None:
    ran = modelctl("retrain", "nosuch", "--env", "stage", "--path", "specs")
    assert "warning: --path DIR is deprecated; use the positional PATH" in ran.err
    assert ran.code == 1 and "model(s) 'nosuch' do not live in stage" in ran.err


@pytest.mark.parametrize("shell", ["bash", "zsh", "tcsh"])
def test_completion_scripts_are_generated_for_every_command(shell: str) -> None:
    ran = modelctl("completion", shell)
    assert ran.code == 0
    for command in ("validate", "plan", "apply", "status", "history", "rollback", "promote", "trace", "bundle"):
        assert command in ran.out
    if shell == "bash":
        syntax = subprocess.run(["bash", "-n"], input=ran.out, text=True, capture_output=True, check=False)
        assert syntax.returncode == 0, syntax.stderr


def test_validate_one_file_finds_the_environments_walking_up(tmp_path: Path) -> None:
    specs = tmp_path / "repo" / "specs"
    shutil.copytree(REPO / "specs", specs)
    (specs / "models").mkdir()
    shutil.move(specs / "churn-xgb.yaml", specs / "models" / "churn-xgb.yaml")
    ran = modelctl("validate", "specs/models/churn-xgb.yaml", cwd=tmp_path / "repo")
    assert ran.code == 0, ran.out + ran.err
    assert ran.out.strip() == "valid: 2 file(s), 3 environment(s), 1 model(s) in 3 model-environment pair(s)"
    elsewhere = tmp_path / "elsewhere.yaml"
    shutil.copy(specs / "models" / "churn-xgb.yaml", elsewhere)
    assert modelctl("validate", str(elsewhere)).code == 1  # no environments up from /tmp: an error, named
    rooted = modelctl("validate", str(elsewhere), "--root", str(specs))
    assert rooted.code == 0, rooted.out


def test_validate_github_annotations_and_json(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(REPO / "specs", specs)
    model = specs / "churn-xgb.yaml"
    model.write_text(model.read_text().replace("instanceType: ml.m5.xlarge", "instanceTyp: ml.m5.xlarge"))
    ran = modelctl("validate", "-o", "github", str(model), cwd=tmp_path)
    assert ran.code == 1
    missing, annotation = ran.out.splitlines()
    assert missing.endswith("title=modelctl validate%3A spec.training.instanceType::required field is missing")
    column = (model.read_text().splitlines()[18].index("instanceTyp")) + 1
    assert annotation == (
        f"::error file={model},line=19,col={column},title=modelctl validate%3A spec.training.instanceTyp::"
        "unknown key; did you mean 'instanceType'?"
    )
    document = json.loads(modelctl("validate", "-o", "json", str(specs)).out)
    assert (document["schemaVersion"], document["kind"], document["valid"]) == (1, "Validation", False)
    assert document["problems"][1] | {"file": ""} == {
        "file": "",
        "line": 19,
        "column": column,
        "field": "spec.training.instanceTyp",
        "message": "unknown key; did you mean 'instanceType'?",
    }


BROKEN = {
    "no such profile": {"AWS_PROFILE": "nosuch"},
    "no credentials": {
        "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_SECURITY_TOKEN": None,
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_CONFIG_FILE": "/nonexistent",
    },
    "unreachable endpoint": {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
}
COMMANDS = {
    "plan": ["plan", "--env", "stage", "specs"],
    "apply": ["apply", "--env", "stage", "--yes", "specs"],
    "status": ["status", "--env", "stage", "specs"],
    "history": ["history", "churn-xgb", "specs", "--env", "stage"],
    "retrain": ["retrain", "churn-xgb", "specs", "--env", "stage"],
    "rollback": ["rollback", "churn-xgb", "specs", "--env", "stage"],
    "promote": ["promote", "fraud-lgbm", "specs", "--env", "prod"],
    "trace": ["trace", "churn-xgb-stage", "--region", "us-east-1"],
    "bundle": ["bundle", "specs", "--upload", "stage"],
}


HINTS = {
    "no such profile": "AWS_PROFILE",
    "no credentials": "aws configure",
    "unreachable endpoint": "AWS_ENDPOINT_URL",
}


def test_every_aws_command_with_broken_configuration_says_one_line_and_exits_1() -> None:
    cases = [(broken, command) for broken in BROKEN for command in COMMANDS]

    def run(case: tuple[str, str]) -> Ran:
        broken, command = case
        return modelctl(*COMMANDS[command], env=clean_env(AWS_EC2_METADATA_DISABLED="true", **BROKEN[broken]))

    with ThreadPoolExecutor(4) as pool:
        results = dict(zip(cases, pool.map(run, cases), strict=True))
    for (broken, command), ran in results.items():
        assert ran.code == 1, (broken, command, ran)
        assert "Traceback" not in ran.err + ran.out, (broken, command, ran.err)
        errors = [line for line in ran.err.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, (broken, command, ran.err)
        assert HINTS[broken] in errors[0], (broken, command, errors[0])


class _NotAnEmulator(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def something_else() -> Iterator[str]:
    """An HTTP server that answers, but is no modelctl emulator."""
    server = HTTPServer(("127.0.0.1", 0), _NotAnEmulator)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_set_local_url_without_an_emulator_is_an_error_never_a_fresh_emulator(something_else: str) -> None:
    for url in (something_else, f"http://127.0.0.1:{_free_port()}"):
        ran = modelctl("status", "--env", "stage", "--local", "specs", env=clean_env(MODELCTL_LOCAL_URL=url))
        assert ran.code == 1 and "Traceback" not in ran.err
        assert f"no modelctl emulator answers at MODELCTL_LOCAL_URL={url}" in ran.err
        assert "started one in-process" not in ran.err


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    server = subprocess.Popen(
        [MODELCTL, "local", "serve", "--port", str(port), *args],
        cwd=REPO,
        env=clean_env(MOTO_ACCOUNT_ID=None),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    for _ in range(50):
        if "listening on" in server.stdout.readline():
            break
    return server, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("account", [None, "999999999999"])
def test_local_serve_takes_the_specs_account_or_the_mismatch_says_the_fix(account: str | None) -> None:
    server, url = _serve(*(["--account", account] if account else ["specs"]))
    try:
        ran = modelctl("status", "--env", "stage", "--local", "specs", env=clean_env(MODELCTL_LOCAL_URL=url))
        if account is None:
            assert "acts as account" not in ran.err and ran.code == 1  # not Ready: nothing applied yet
            assert "churn-xgb" in ran.out
        else:
            assert ran.code == 1
            assert (
                f"error: the emulator at {url} acts as account {account}, but environment stage is account {ACCOUNT}: "
                f"restart it with `modelctl local serve --account {ACCOUNT}`"
            ) in ran.err
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_trace_of_a_missing_endpoint_is_one_line(emulator_url: str) -> None:
    ran = modelctl("trace", "nosuch-endpoint", "--local", env=clean_env(MODELCTL_LOCAL_URL=emulator_url))
    assert ran.code == 1 and "Traceback" not in ran.err
    assert ran.err.startswith("error: endpoint 'nosuch-endpoint' not found in us-east-1")
