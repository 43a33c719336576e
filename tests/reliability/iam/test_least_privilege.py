"""Least privilege, enforced (issue 7): the SAM template's IAM policies, exactly as written, with IAM enforced.

Setup. The stack's ReconcilerRole, PlanRole and PipelineRole are created in the served emulator with their inline
policies resolved from reconciler_lambda/template.yaml (tests/cfn_template.py: EnvironmentName=dev, account
111122223333, us-east-1, TrainingDataBucketNames=e2e-data) and their trust policies, next to the stack's artifact
bucket, topic and state table. tests/e2e/specs_small is pointed at them and given a CodeBuild image build, a
retraining schedule, autoscaling and the API allow-list (iam_kit.SPEC_EDITS), so one apply uses every service the
policies cover. A test assumes a role (enforcement off), switches moto's enforcement on
(`enable_iam_authentication()`; the served emulator runs in this process and reads it per request) and runs
`modelctl` WITHOUT --local, as on AWS: standard boto3 configuration with AWS_ENDPOINT_URL at the emulator and the
role session's keys. The emulator acts as the specs' account (MOTO_ACCOUNT_ID), which STS GetCallerIdentity
reports and apply checks. Only the CLI's waits are shortened (controller.cli.deploy: 30 s between `--wait` passes and
60 s pipeline polls on AWS; 1 s here).

What is enforced (moto plus controller/local/iam_ext.py, whose own tests are
tests/reliability/iam/test_emulator_iam.py): the
SigV4 signature and the identity (a session of a role that exists); every statement's Action, explicit Denies
first; its Resource against the ARNs each request names, for S3, IAM, STS (moto) and SSM, DynamoDB, SageMaker,
Step Functions, EventBridge Scheduler, CodeBuild, CloudWatch, SNS, Lambda (iam_ext), while Application Auto Scaling
and the tagging API's GetResources are authorized on "*" (they have no resource types) and sts:GetCallerIdentity
is always allowed (as on AWS); and the pipeline's tasks run as a session of the execution role, so the
PipelineRole's policy governs them (the role's RoleLastUsed shows it was used).

What is NOT enforced, so these tests cannot catch a mistake there: Condition elements (the SageMaker statements'
aws:RequestTag / aws:ResourceTag, iam:PassedToService, iam:AWSServiceName, cloudwatch:namespace always hold);
actions a request implies (iam:PassRole when a role is handed to SageMaker, Step Functions, Scheduler or CodeBuild;
iam:CreateServiceLinkedRole by Application Auto Scaling); trust policies (roles are assumed with enforcement off);
resource-based policies (the bucket policy), SCPs and boundaries; the secondary resources of an action
(UpdateEndpoint is checked on its endpoint only); and what the emulator does inside itself without an API call:
training and hosting (no ECR pull, no S3 read of the training data, no CloudWatch Logs), image builds (no ECR
push), schedules firing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from controller_calls import controller_calls, iam_action
from iam_kit import (
    ACCOUNT,
    DENIED_CODES,
    STACK,
    RoleCredentials,
    assume,
    aws_state,
    client,
    deploy,
    example_input,
    stack_specs,
    without_action,
)
from moto.core.authorization import enable_iam_authentication

from controller.aws.session import is_read
from controller.aws.statetable import TABLE_NAME
from controller.cli import apply as commands
from controller.cli import context
from controller.cli.main import main


@pytest.fixture
def account(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The served emulator, acting as the stack's account."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    return emulator_url


@pytest.fixture
def specs(account: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("MODELCTL_GIT_SHA", "1a70000000000000000000000000000000000001")
    monkeypatch.setattr(context, "AWS_POLL_SECONDS", 1)
    monkeypatch.setitem(commands.WAIT_INTERVAL_SECONDS, False, 1.0)
    return stack_specs(tmp_path / "specs")


@contextmanager
def enforced_as(credentials: RoleCredentials, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process holds only `credentials` (standard boto3 configuration) and the emulator enforces IAM."""
    with monkeypatch.context() as environment, enable_iam_authentication():
        for name, value in credentials.environment.items():
            environment.setenv(name, value)
        yield


def modelctl(*args: str) -> int:
    return main(list(args))


def no_traceback(*texts: str) -> bool:
    return all("Traceback" not in text for text in texts)


def test_the_reconciler_policy_creates_retrains_and_deletes_and_the_plan_policy_plans(
    specs: Path, emulator_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy(emulator_url)
    reconciler, planner = assume(emulator_url, "ReconcilerRole"), assume(emulator_url, "PlanRole")
    # 1. a fresh dev converges: every create, the image build, the pipeline (as the pipeline role), the endpoint
    with enforced_as(reconciler, monkeypatch):
        converged = modelctl("apply", "--env", "dev", "--yes", "--wait", "--timeout", "2m", str(specs))
    with enforced_as(planner, monkeypatch):
        planned = modelctl("plan", "--env", "dev", "--detailed-exitcode", str(specs))
    out, err = capsys.readouterr()
    assert converged == 0 and "Converged: every model is Ready." in out, out + err
    assert planned == 0 and out.rstrip().endswith("No changes. AWS matches the specs."), out
    first = aws_state(emulator_url)
    assert first["endpoints"] == ["scorer-dev"] and len(first["trainingJobs"]) == 1
    assert first["alarms"] == ["modelctl-scorer-dev-errors-primary"]
    assert {"/modelctl/dev/api/allowed", "/modelctl/dev/scorer/hyperparameters"} <= {p[0] for p in first["parameters"]}
    assert client(emulator_url, "codebuild").list_projects()["projects"] == ["modelctl-scorer-dev-training"]
    assert [s["Name"] for s in client(emulator_url, "scheduler").list_schedules()["Schedules"]] == ["scorer"]
    assert _scalable_targets(client(emulator_url, "application-autoscaling")) == ["endpoint/scorer-dev/variant/primary"]
    # who applied: the reconciler role's session (history); who ran the pipeline: a session of the pipeline role
    applied_by = [item for item in first["stateTable"] if '"who"' in item]
    assert applied_by and all("assumed-role/modelctl-dev-reconciler/iam-test-" in item for item in applied_by)
    pipeline_role = client(emulator_url, "iam").get_role(RoleName=STACK.physical_name("PipelineRole"))["Role"]
    assert pipeline_role["RoleLastUsed"].get("LastUsedDate"), pipeline_role

    # 2. a retrain (new hyperparameters, schedule and scaling): updates, a run, a canary UpdateEndpoint
    scorer = specs / "scorer.yaml"
    text = scorer.read_text().replace("{eta: 0.2}", "{eta: 0.3}").replace("cron(0 3", "cron(0 4")
    scorer.write_text(text.replace("max: 2,", "max: 3,"))
    # enforcement stays on while the run runs: a task client made with it off would be refused once it is on
    with enforced_as(reconciler, monkeypatch):
        started = modelctl("apply", "--env", "dev", "--yes", str(specs))
        # while the new version trains, the endpoint keeps serving, guarded by its alarms, scaled (read as the planner)
        alarms = planner.client(emulator_url, "cloudwatch").describe_alarms()["MetricAlarms"]
        assert started == 0 and "applied  + pipeline.run/modelctl-scorer-dev/" in capsys.readouterr().out
        assert [alarm["AlarmName"] for alarm in alarms] == first["alarms"]
        assert _scalable_targets(planner.client(emulator_url, "application-autoscaling")) == [
            "endpoint/scorer-dev/variant/primary"
        ]
        retrained = modelctl("apply", "--env", "dev", "--yes", "--wait", "--timeout", "2m", str(specs))
    second = aws_state(emulator_url)
    assert retrained == 0 and len(second["endpointConfigs"]) == 2 and second["models"] == second["trainingJobs"]
    serving = client(emulator_url, "sagemaker").describe_endpoint(EndpointName="scorer-dev")["EndpointConfigName"]
    assert serving in set(second["endpointConfigs"]) - set(first["endpointConfigs"])

    # 3. the spec removed: every resource of the model is deleted (the registry and training history stay)
    scorer.unlink()
    with enforced_as(reconciler, monkeypatch):
        deleted = modelctl("apply", "--env", "dev", "--yes", str(specs))
    out, err = capsys.readouterr()
    assert deleted == 0, out + err
    gone = aws_state(emulator_url)
    assert not (gone["parameters"] or gone["stateMachines"] or gone["endpointConfigs"] or gone["endpoints"])
    assert not (gone["alarms"] or _scalable_targets(client(emulator_url, "application-autoscaling")))
    assert gone["packageGroups"] == ["scorer-dev"] and gone["trainingJobs"] == second["trainingJobs"]
    assert no_traceback(out, err)


def _scalable_targets(autoscaling: Any) -> list[str]:
    found = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    return [target["ResourceId"] for target in found["ScalableTargets"]]


def test_plan_with_the_plan_policy_works_and_its_apply_is_refused_before_any_write(
    specs: Path, emulator_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy(emulator_url)
    planner = assume(emulator_url, "PlanRole")
    before = aws_state(emulator_url)
    with enforced_as(planner, monkeypatch):
        planned = modelctl("plan", "--env", "dev", "--detailed-exitcode", str(specs))
        plan_out, plan_err = capsys.readouterr()
        applied = modelctl("apply", "--env", "dev", "--yes", str(specs))
    out, err = capsys.readouterr()
    assert planned == 2 and "Plan: 8 to create" in plan_out and not plan_err, plan_out + plan_err
    assert applied == 1
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{TABLE_NAME}"
    assert err == (  # the environment's lock is the first write: refused, reported in one line, with what to do
        f"error: access denied (PutItem: AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/"
        f"modelctl-dev-plan/iam-test-PlanRole is not authorized to perform: dynamodb:PutItem on resource: {table}): "
        "the credentials lack this permission; use the role the environment's stack grants to modelctl\n"
    )
    assert no_traceback(out, err)
    assert aws_state(emulator_url) == before


def test_the_plan_policy_is_denied_every_write_the_controller_makes(account: str) -> None:
    writes = sorted((service, operation) for service, operation in controller_calls() if not is_read(operation))
    assert len(writes) > 30 and ("sagemaker", "UpdateEndpoint") in writes  # the scan of controller/aws works
    deploy(account)
    planner = assume(account, "PlanRole")
    answers: dict[str, dict[str, str]] = {}
    clients = {service: planner.client(account, service) for service, _ in writes}
    with enable_iam_authentication():
        for service, operation in writes:
            probe = clients[service]
            try:
                getattr(probe, xform_name(operation))(**example_input(probe, operation))
                answers[iam_action(service, operation)] = {}
            except ClientError as error:
                answers[iam_action(service, operation)] = dict(error.response["Error"])
    allowed = {action: answer for action, answer in answers.items() if answer.get("Code") not in DENIED_CODES}
    assert not allowed, allowed
    unnamed = {a: e for a, e in answers.items() if not a.startswith("s3:") and f"perform: {a} " not in e["Message"]}
    assert not unnamed, unnamed  # every denial names its action (S3 answers moto's own "Access Denied")


@pytest.mark.parametrize(
    ("action", "reported"),
    [
        (  # one change fails, what depends on it is skipped, the rest applies
            "ssm:PutParameter",
            "failed   + ssm.parameter/modelctl/dev/scorer/hyperparameters [config_only] — PutParameter: "
            "AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/modelctl-dev-reconciler/"
            "iam-test-ReconcilerRole is not authorized to perform: ssm:PutParameter on resource: "
            "arn:aws:ssm:us-east-1:111122223333:parameter/modelctl/dev/scorer/hyperparameters",
        ),
        (  # the run's lock cannot be taken: nothing is applied
            "dynamodb:PutItem",
            "error: access denied (PutItem: AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/"
            "modelctl-dev-reconciler/iam-test-ReconcilerRole is not authorized to perform: dynamodb:PutItem on "
            "resource: arn:aws:dynamodb:us-east-1:111122223333:table/modelctl-state): the credentials lack this "
            "permission",
        ),
    ],
)
def test_a_reconciler_policy_missing_one_action_fails_apply_naming_the_operation(
    action: str,
    reported: str,
    specs: Path,
    emulator_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    deploy(emulator_url, {"ReconcilerRole": without_action("ReconcilerRole", action)})
    reconciler = assume(emulator_url, "ReconcilerRole")
    before = aws_state(emulator_url)
    with enforced_as(reconciler, monkeypatch):
        code = modelctl("apply", "--env", "dev", "--yes", str(specs))
    out, err = capsys.readouterr()
    assert code == 1
    assert reported in out + err, out + err
    assert no_traceback(out, err, caplog.text)
    after = aws_state(emulator_url)
    if action == "dynamodb:PutItem":
        assert after == before
    else:
        assert not after["parameters"] and after["stateMachines"] == ["modelctl-scorer-dev"]
        assert "skipped  + pipeline.run/modelctl-scorer-dev/" in out  # the run needs its hyperparameters
        assert not client(emulator_url, "sagemaker").list_training_jobs()["TrainingJobSummaries"]
