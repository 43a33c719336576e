"""`validate` knows AWS's limits (issue 13): the generated limits file is in step with botocore, its figures are the
ones AWS documents, look-alikes of the corpus's hostile cases pass, composed names collide across models, and only
regular files inside the specs folder are read (each refusal a file-level file:line: message)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from controller.aws import limits_export
from controller.cli.main import main
from controller.desired.state import _json as desired_json
from controller.spec.aws_checks import ssm_text
from controller.spec.aws_limits import limits, tag_character_ok
from controller.spec.safe_text import bucket_problem, git_url_problem, repo_path_problem, unsafe_character
from controller.spec.yamlsource import MAX_FILE_BYTES

UNIT = Path(__file__).parent
ENVIRONMENT = UNIT / "corpus" / "environment.yaml.txt"
VALID_MODEL = UNIT / "corpus" / "valid-model.yaml.txt"
LOOK_ALIKES = sorted((UNIT / "corpus_valid").glob("*.yaml"))
COMMITTED = limits_export.DEFAULT_OUT


def test_the_committed_limits_are_what_botocore_says_today() -> None:
    """Regenerate from the installed botocore; a botocore upgrade that moves a limit fails here until
    `python -m controller.aws.limits_export` is run and the change reviewed."""
    assert COMMITTED.read_text(encoding="utf-8") == limits_export.render()


def test_the_figures_are_the_ones_aws_documents() -> None:
    table = limits()
    assert (table.hyperparameter_count.max, table.hyperparameter_key.max, table.hyperparameter_value.max) == (
        100,
        256,
        2500,
    )
    assert (table.tag_count.max, table.tag_key.max, table.tag_value.max, table.tag_value.min) == (50, 127, 255, 1)
    assert (table.wait_interval.min, table.wait_interval.max) == (0, 3600)
    assert (table.maximum_execution_timeout.min, table.maximum_execution_timeout.max) == (600, 28800)
    assert table.rollback_alarms.max == 10
    assert {k: table.names[k].max for k in ("endpoint", "modelPackageGroup", "stateMachine", "alarm")} == {
        "endpoint": 63,
        "modelPackageGroup": 63,
        "stateMachine": 80,
        "alarm": 255,
    }
    assert "ml.m5.xlarge" in table.instance_types["training"] & table.instance_types["transform"]
    assert "ml.inf2.xlarge" not in table.instance_types["training"]
    assert table.regions["us-east-1"] == "aws" and table.regions["cn-north-1"] == "aws-cn"
    assert table.dns_suffixes["aws-cn"] == "amazonaws.com.cn"


def test_the_tag_character_class_is_the_one_the_service_models_give() -> None:
    data = json.loads(COMMITTED.read_text())
    patterns = {entry["pattern"] for entry in data["tags"]["key"] + data["tags"]["value"] if entry["pattern"]}
    assert {p.strip("^$") for p in patterns} == {r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)", r"([\p{L}\p{Z}\p{N}_.:/=@+\-]*)"}
    assert all(tag_character_ok(c) for c in "aZ09 é中_.:/=+-@٣")
    assert not any(tag_character_ok(c) for c in ";\u203f\u200b\t,*")


def test_ssm_size_is_measured_on_exactly_what_the_controller_writes() -> None:
    sample = {"b": "ü\u202e", "a": "1.5", "c": '"quoted"'}
    assert ssm_text(sample) == desired_json(sample)


@pytest.mark.parametrize("case", [path.stem for path in LOOK_ALIKES])
def test_hostile_looking_but_valid_specs_pass(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ENVIRONMENT), str(UNIT / "corpus_valid" / f"{case}.yaml")]) == 0, capsys.readouterr()


def test_there_are_look_alikes() -> None:
    assert len(LOOK_ALIKES) >= 5


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("acme-ml", None),
        ("acme.ml.v2", None),
        ("ab", "3 to 63"),
        ("Acme", "lowercase"),
        ("-acme", "lowercase"),
        ("acme..ml", "adjacent"),
        ("10.0.0.1", "IP address"),
        ("xn--acme", "xn--"),
        ("sthree-acme", "sthree-"),
        ("amzn-s3-demo-x", "amzn-s3-demo-"),
        ("acme-s3alias", "-s3alias"),
        ("acme--ol-s3", "--ol-s3"),
        ("acme.mrap", ".mrap"),
        ("acme--x-s3", "--x-s3"),
        ("acme--table-s3", "--table-s3"),
    ],
)
def test_s3_bucket_naming_rules(name: str, problem: str | None) -> None:
    found = bucket_problem(name)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://github.com/acme/m.git", True),
        ("https://git.acme.example:8443/team/m", True),
        ("ssh://git@github.com/acme/m.git", True),
        ("git@github.com:acme/m.git", True),
        ("http://github.com/acme/m.git", False),
        ("file:///etc/passwd", False),
        ("/srv/repos/m.git", False),
        ("ext::sh -c id", False),
        ("--upload-pack=touch /tmp/x", False),
        ("https://github.com/acme/../../m.git", False),
        ("https://token@github.com/acme/m.git", False),
        ("https://github.com/acme/m.git\n", False),
    ],
)
def test_source_repos_are_https_or_ssh_git_urls(url: str, ok: bool) -> None:
    assert (git_url_problem(url) is None) == ok


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("buildspecs/train.yml", True),
        ("./docker/train", True),
        (".", True),
        ("/etc/passwd", False),
        ("~/x.yml", False),
        ("C:/x.yml", False),
        ("a/../../b.yml", False),
        ("..", False),
        ("s3://bucket/buildspec.yml", False),
        ("version: 0.2\nphases: {}", False),
        ("a\\..\\b.yml", False),
        ("-rf", False),
    ],
)
def test_buildspecs_and_contexts_are_paths_inside_the_repository(path: str, ok: bool) -> None:
    assert (repo_path_problem(path, "buildspec") is None) == ok


@pytest.mark.parametrize(
    "text", ["a\x00", "a\x1b[31m", "a\x7f", "a\x85", "a\x9b", "a\u202e", "a\u2066", "a\u200b", "a\ufeff", "a\u2028"]
)
def test_control_format_and_bidi_characters_are_found(text: str) -> None:
    assert unsafe_character(text) is not None


def test_printable_unicode_is_not_a_control_character() -> None:
    assert unsafe_character("Zürich 中文 ٣ — ok") is None


# --- composed names across documents ----------------------------------------------------------------------------


def _specs(tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    environment = ENVIRONMENT.read_text()
    for name in ("prod-emea", "emea"):
        text = environment.replace("{name: dev}", f"{{name: {name}}}")
        (specs / f"{name}.yaml").write_text(text)
    model = VALID_MODEL.read_text().replace("    dev: {}\n", "    prod-emea: {}\n")
    (specs / "churn.yaml").write_text(model.replace("name: m-one", "name: churn"))
    other = VALID_MODEL.read_text().replace("    dev: {}\n", "    emea: {}\n")
    (specs / "churn-prod.yaml").write_text(other.replace("name: m-one", "name: churn-prod"))
    return specs


def test_names_composed_with_dashes_collide_across_models_and_environments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    specs = _specs(tmp_path)
    assert main(["validate", str(specs)]) == 1
    out = capsys.readouterr().out
    for kind, name in [
        ("endpoint", "churn-prod-emea"),
        ("modelPackageGroup", "churn-prod-emea"),
        ("stateMachine", "modelctl-churn-prod-emea"),
        ("alarm", "modelctl-churn-prod-emea-errors-primary"),
    ]:
        assert f"the {kind} name {name!r} of " in out, out
    assert "model churn in environment prod-emea" in out and "model churn-prod in environment emea" in out


def test_the_same_names_in_another_account_do_not_collide(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs = _specs(tmp_path)
    eu = specs / "emea.yaml"
    eu.write_text(eu.read_text().replace("111122223333", "444455556666"))
    main(["validate", str(specs)])
    assert "churn-prod-emea" not in capsys.readouterr().out


# --- files -------------------------------------------------------------------------------------------------------


def _folder(tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copyfile(ENVIRONMENT, specs / "environment.yaml")
    shutil.copyfile(VALID_MODEL, specs / "model.yaml")
    return specs


def _refused(specs: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["validate", str(specs)]) == 1
    return capsys.readouterr().out.splitlines()[:-1]


def test_a_symlink_leading_outside_the_specs_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    specs = _folder(tmp_path)
    secret = tmp_path / "outside.yaml"
    secret.write_text("apiVersion: modelctl/v1\n")
    (specs / "leak.yaml").symlink_to(secret)
    rows = _refused(specs, capsys)
    where = f"{specs / 'leak.yaml'}:1: is a symlink to {secret}, outside {specs}"
    assert rows == [f"{where}: spec files must be inside the specs folder"]


def test_a_folder_symlink_leading_outside_is_refused_not_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    specs = _folder(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (specs / "more").symlink_to(tmp_path / "elsewhere")
    assert any("more:1: is a symlink to" in row for row in _refused(specs, capsys))


def test_a_symlink_inside_the_folder_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs = _folder(tmp_path)
    (specs / "sub").mkdir()
    (specs / "model.yaml").rename(specs / "sub" / "model.yaml.txt")  # not a spec file by its name: read once
    (specs / "model-link.yaml").symlink_to(specs / "sub" / "model.yaml.txt")
    assert main(["validate", str(specs)]) == 0, capsys.readouterr().out


def test_a_fifo_is_refused_without_blocking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs = _folder(tmp_path)
    os.mkfifo(specs / "pipe.yaml")
    assert _refused(specs, capsys) == [
        f"{specs / 'pipe.yaml'}:1: is a FIFO, not a regular file: only regular files are read"
    ]


def test_a_device_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs = _folder(tmp_path)
    assert main(["validate", str(specs / "environment.yaml"), "/dev/zero"]) == 1
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "/dev/zero:1: is a character device, not a regular file: only regular files are read"


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs = _folder(tmp_path)
    with (specs / "huge.yaml").open("wb") as out:
        out.truncate(MAX_FILE_BYTES + 1)  # sparse: its size says enough
    assert _refused(specs, capsys) == [
        f"{specs / 'huge.yaml'}:1: file is {MAX_FILE_BYTES + 1} bytes; spec files over {MAX_FILE_BYTES} are refused"
    ]
