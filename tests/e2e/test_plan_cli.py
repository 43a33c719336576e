"""`modelctl plan --local` end to end: the CLI, the example specs, the real boto3 path, the served emulator.

Each test starts from an empty emulator (the `emulator_url` fixture resets it), seeds what it needs with plain
boto3 calls acting as the specs' account, and reads the plan the way CI would: exit code and JSON.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest

from controller.cli.main import main
from controller.errors import PlanError
from controller.plan.plan import Plan

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "111122223333"  # the examples' account; the emulator acts as it


@pytest.fixture
def local(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MODELCTL_LOCAL_URL", emulator_url)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("MODELCTL_GIT_SHA", "0123456789abcdef0123456789abcdef01234567")
    return emulator_url


def _client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1")


def _plan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["plan", "--env", "stage", "--local", "--format", "json", "--detailed-exitcode", *args])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.lstrip().startswith("{") else {"raw": out}


def _by_class(plan: dict[str, Any], classification: str) -> list[str]:
    return [f"{c['kind']}/{c['key']}" for c in plan["changes"] if c["classification"] == classification]


def test_a_fresh_environment_plans_one_run_per_model_and_exits_2(
    local: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, plan = _plan(capsys, str(REPO / "specs"))
    assert code == 2
    assert plan["planVersion"] == 1 and plan["env"] == "stage" and plan["observedDigest"].startswith("sha256:")
    runs = _by_class(plan, "retrain")
    assert len(runs) == 3 and all(r.startswith("pipeline.run/modelctl-") for r in runs)
    assert all(c["action"] == "create" for c in plan["changes"])


def test_a_registered_version_is_deployed_instead_of_retrained(local: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, fresh = _plan(capsys, str(REPO / "specs"))
    config_id = next(c["key"].split("/")[1] for c in fresh["changes"] if "churn-xgb-stage/" in c["key"])
    sagemaker = _client(local, "sagemaker")
    sagemaker.create_model_package_group(
        ModelPackageGroupName="churn-xgb-stage", Tags=[{"Key": "modelctl:managed", "Value": "true"}]
    )
    sagemaker.create_model_package(
        ModelPackageGroupName="churn-xgb-stage",
        ModelPackageDescription=f"{config_id}-20261125T030007Z",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    code, plan = _plan(capsys, str(REPO / "specs"))
    assert code == 2
    assert not any("churn-xgb" in r for r in _by_class(plan, "retrain"))
    fleets = _by_class(plan, "new_fleet")
    assert "sagemaker.endpoint/churn-xgb-stage" in fleets
    assert any(f.startswith("sagemaker.endpointConfig/churn-xgb-stage-") for f in fleets)
    endpoint = next(c for c in plan["changes"] if c["key"] == "churn-xgb-stage" and c["kind"] == "sagemaker.endpoint")
    assert "canary" in endpoint["reason"]
    assert endpoint["capacity"]["after"] == [{"instanceType": "ml.m5.large", "count": 2}]


def test_a_hyperparameter_edited_in_ssm_is_drift_to_undo(local: str, capsys: pytest.CaptureFixture[str]) -> None:
    ssm = _client(local, "ssm")
    edited = {"eta": "0.3", "max_depth": "6", "num_round": "200", "objective": "binary:logistic"}
    ssm.put_parameter(
        Name="/modelctl/stage/churn-xgb/hyperparameters",
        Value=json.dumps(edited),
        Type="String",
        Tags=[{"Key": "modelctl:managed", "Value": "true"}],
    )
    _, plan = _plan(capsys, str(REPO / "specs"))
    change = next(c for c in plan["changes"] if c["key"] == "/modelctl/stage/churn-xgb/hyperparameters")
    assert change["action"] == "update" and change["classification"] == "config_only"
    assert change["fieldChanges"] == [{"path": "value.eta", "before": "0.3", "after": "0.2"}]


def test_a_foreign_resource_with_a_wanted_name_is_an_error_not_a_change(
    local: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _client(local, "ssm").put_parameter(Name="/modelctl/stage/fraud-lgbm/hyperparameters", Value="{}", Type="String")
    code, plan = _plan(capsys, str(REPO / "specs"))
    assert code == 1
    assert [c["key"] for c in plan["conflicts"]] == ["/modelctl/stage/fraud-lgbm/hyperparameters"]
    assert not any(c["key"] == "/modelctl/stage/fraud-lgbm/hyperparameters" for c in plan["changes"])


def test_a_foreign_endpoint_is_a_conflict_before_the_model_has_a_version_and_apply_names_it(
    local: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The endpoint is not wanted yet (no version of churn-xgb's config exists, so training comes first), but its
    name is: the plan reports the foreign endpoint now, and apply refuses before it trains anything."""
    sagemaker = _client(local, "sagemaker")
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    role = f"arn:aws:iam::{ACCOUNT}:role/someone-else"
    sagemaker.create_model(ModelName="theirs", PrimaryContainer={"Image": image}, ExecutionRoleArn=role)
    variant = {"VariantName": "v", "ModelName": "theirs", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    sagemaker.create_endpoint_config(EndpointConfigName="theirs", ProductionVariants=[variant])
    sagemaker.create_endpoint(EndpointName="churn-xgb-stage", EndpointConfigName="theirs")
    code, plan = _plan(capsys, str(REPO / "specs"))
    assert code == 1
    assert [(c["kind"], c["key"], c["model"]) for c in plan["conflicts"]] == [
        ("sagemaker.endpoint", "churn-xgb-stage", "churn-xgb")
    ]
    code = main(["apply", "--env", "stage", "--local", "--yes", str(REPO / "specs")])
    err = capsys.readouterr().err
    assert code == 1
    assert "sagemaker.endpoint/churn-xgb-stage exists but is not managed by modelctl" in err
    sfn = _client(local, "stepfunctions")
    assert sfn.list_state_machines()["stateMachines"] == []  # refused before any write: nothing trains


def test_invalid_specs_make_no_plan_and_no_aws_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MODELCTL_LOCAL_URL", "http://127.0.0.1:9")  # nothing answers: any AWS use would fail
    specs = tmp_path / "specs"
    shutil.copytree(REPO / "specs", specs)
    model = specs / "churn-xgb.yaml"
    model.write_text(model.read_text().replace("instanceType: ml.m5.xlarge", "instanceTyp: ml.m5.xlarge"))
    code = main(["plan", "--env", "stage", "--local", str(specs)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""  # diagnostics go to stderr
    assert f"{model}:19: spec.training.instanceTyp: unknown key; did you mean 'instanceType'?" in captured.err
    assert "nothing was read from or written to AWS" in captured.err
    assert "emulator" not in captured.err


def test_a_saved_plan_round_trips_and_goes_stale_when_aws_changes(
    local: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from controller.aws.connect import connect
    from controller.aws.registry import build_registry
    from controller.cli.images import resolve_framework_image
    from controller.reconcile.orchestrate import plan_environment
    from controller.spec.loader import load_catalog

    saved = tmp_path / "plan.json"
    main(["plan", "--env", "stage", "--local", "--out", str(saved), str(REPO / "specs")])
    capsys.readouterr()
    plan = Plan.from_json(saved.read_text())
    assert plan.to_json() == saved.read_text() and plan.has_changes

    def observed_now() -> Any:
        registry = build_registry(connect("us-east-1", local_url=local))
        catalog = load_catalog([str(REPO / "specs")])
        result = plan_environment(
            catalog, "stage", registry, git_sha=plan.git_sha, resolve_image=resolve_framework_image
        )
        return result.observed

    plan.check_fresh(observed_now())  # nothing moved: fresh
    _client(local, "ssm").put_parameter(
        Name="/modelctl/stage/churn-xgb/training-config",
        Value="{}",
        Type="String",
        Tags=[{"Key": "modelctl:managed", "Value": "true"}],
    )
    with pytest.raises(PlanError, match="stale"):
        plan.check_fresh(observed_now())


def test_markdown_is_ready_for_a_pull_request_comment(local: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--env", "prod", "--local", "--format", "markdown", str(REPO / "specs")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### modelctl plan for `prod`")
    assert "| model | env | classification | what | capacity |" in out
    assert "waiting for an Approved version of fraud-lgbm-" in out
