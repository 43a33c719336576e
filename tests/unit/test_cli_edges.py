"""CLI edges without AWS: spec edits as a YAML round trip shown as a diff, botocore errors explained in one line,
and the progress of long waits off a terminal (state changes only; rich never imported)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

from botocore.exceptions import ClientError, ProfileNotFound

from controller.aws.errors import explain
from controller.reconcile.health import Health, ModelStatus, Serving
from controller.spec.edits import pin_variants
from controller.spec.loader import load_catalog

REPO = Path(__file__).resolve().parents[2]


def test_a_pin_keeps_every_comment_order_and_style_and_only_changes_the_pinned_lines(tmp_path: Path) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    catalog = load_catalog([str(tmp_path / "specs")])
    edit = pin_variants(catalog.models["churn-xgb"], "prod", {"primary": {"model": "churn-xgb-0123456789ab-1"}})
    assert edit.path.read_text() == edit.before  # nothing written before the caller shows the diff
    changed = [line for line in edit.diff().splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [
        "-            - {name: primary, instanceCount: 4}   # lists of objects with `name` merge by name",
        "+            - {name: primary, instanceCount: 4, model: churn-xgb-0123456789ab-1} # lists of objects with "
        "`name` merge by name",  # the comment stays on its line (ruamel moves it right of the longer value)
    ]
    edit.write()
    text = edit.path.read_text()
    assert "schedule: null          # dev retrains on spec changes only" in text
    assert text.startswith("# yaml-language-server: $schema=../schemas/modelspec.schema.json\n")
    assert load_catalog([str(tmp_path / "specs")]).models["churn-xgb"].configs["prod"]  # still valid


def test_a_pin_into_an_empty_overlay_reads_like_the_rest_of_the_file(tmp_path: Path) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    catalog = load_catalog([str(tmp_path / "specs")])
    edit = pin_variants(catalog.models["churn-xgb"], "stage", {"primary": {"model": "v1", "weight": 100}})
    added = [line[1:] for line in edit.diff().splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert added == [
        "    stage:",
        "      deployment:",
        "        realtime:",
        "          variants:",
        "            - {name: primary, model: v1, weight: 100}",
    ]


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, "DescribeEndpoint")


def test_botocore_errors_become_one_line_with_what_to_do() -> None:
    assert "AWS_PROFILE" in (explain(ProfileNotFound(profile="nosuch")) or "")
    denied = explain(_client_error("AccessDeniedException")) or ""
    assert denied.startswith("access denied (DescribeEndpoint: AccessDeniedException: no)") and "\n" not in denied
    assert "refresh them" in (explain(_client_error("ExpiredTokenException")) or "")
    assert explain(ValueError("a bug")) is None  # a bug keeps its traceback


def _status(reason: str, pipeline: str) -> ModelStatus:
    return ModelStatus(
        "m",
        Health.PROGRESSING,
        reason,
        "msg",
        (Serving("primary", "v1", 100.0, 1),),
        {"name": "r", "status": pipeline},
        (),
    )


def test_off_a_terminal_progress_writes_state_changes_only() -> None:
    from controller.cli.progress import Progress

    out = io.StringIO()
    with Progress(out, color=False) as progress:
        for _ in range(5):
            progress.waiting("waiting for training (m)")
            progress.update([_status("Training", "RUNNING")])
        progress.update([_status("Deploying", "SUCCEEDED")])
    lines = out.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert lines[0].endswith("waiting for training (m)") and "Training" in lines[1] and "Deploying" in lines[2]


def test_rich_is_imported_only_for_a_terminal() -> None:
    code = (
        "import io, sys; from controller.cli.progress import Progress\n"
        "with Progress(io.StringIO(), color=False) as p: p.say('x')\n"
        "assert 'rich' not in sys.modules, 'rich imported off a terminal'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
