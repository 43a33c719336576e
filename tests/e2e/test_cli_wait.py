"""`apply --wait` through the console script, as CI runs it (no terminal): while the model trains it says what it
waits for (never "No changes"), writes a line only when a state changes (not one per polling pass), and the whole
apply is one history row. Then a changed hyperparameter plans a RETRAIN naming the field with before -> after, and
a pipeline changed by hand is planned as the states that changed, not as a digest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest
from cli_kit import SMALL_SPECS, clean_env, modelctl

from controller.local import control

ACCOUNT = "111122223333"


@pytest.fixture
def specs(emulator_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)  # the served emulator (in this process) acts as the specs' account
    control.configure(emulator_url, {"delays": {"training": 4}})
    shutil.copytree(SMALL_SPECS, tmp_path / "specs")
    return tmp_path / "specs"


def test_apply_wait_reports_what_it_waits_for_state_changes_only_and_one_history_row(
    emulator_url: str, specs: Path
) -> None:
    env = clean_env(MODELCTL_LOCAL_URL=emulator_url)
    ran = modelctl("apply", str(specs), "--env", "dev", "--local", "--yes", "--wait", "--timeout", "3m", env=env)
    assert ran.code == 0, ran.out + ran.err
    lines = ran.out.splitlines()
    assert "Converged: every model is Ready." in lines[-1]
    assert "No changes. AWS matches the specs." not in ran.out
    waits = [line for line in lines if "waiting for training (scorer)" in line]
    assert len(waits) == 1, lines  # said once, though several passes found training in flight
    progress = [line for line in lines if line.startswith("[") and " scorer " in line]
    assert len(progress) == len({line.split("] ", 1)[1] for line in progress}), progress  # only changes
    history = modelctl("history", "scorer", str(specs), "--env", "dev", "--local", "-o", "json", env=env)
    document = json.loads(history.out)
    assert (document["schemaVersion"], document["kind"]) == (1, "History")
    assert len(document["revisions"]) == 1, document  # one apply, one row
    assert document["revisions"][0]["serving"][0]["variant"] == "primary"

    path = specs / "scorer.yaml"
    path.write_text(path.read_text().replace("hyperparameters: {eta: 0.2}", "hyperparameters: {eta: 0.25}"))
    plan = modelctl("plan", str(specs), "--env", "dev", "--local", env=env)
    assert 'hyperparameters.eta: "0.2" → "0.25"' in plan.out, plan.out

    sfn = boto3.client("stepfunctions", endpoint_url=emulator_url, region_name="us-east-1")
    machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "modelctl-scorer-dev")
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["definition"])
    changed_state = sorted(definition["States"])[0]
    definition["States"][changed_state]["Comment"] = "edited by hand"
    sfn.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=json.dumps(definition))
    path.write_text(path.read_text().replace("{eta: 0.25}", "{eta: 0.2}"))
    drifted = modelctl("plan", str(specs), "--env", "dev", "--local", env=env)
    assert f'~ states.{changed_state}.Comment: "edited by hand" -> (none)' in drifted.out, drifted.out
    assert "definitionDigest" not in drifted.out
