"""The SAM stack (reconciler_lambda/template.yaml): cfn-lint clean, no `*` IAM actions, and IAM in sync with the code.

The operations the controller calls are derived from the code, not listed by hand (tests/controller_calls.py: an
AST scan of controller/aws/*.py turned into IAM actions through botocore's service models). The pipeline's actions
come from the state machines the example specs render (`arn:aws:states:::aws-sdk:<service>:<action>` Tasks, and
`sns:publish`). The template is read by tests/cfn_template.py.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cfn_template import TEMPLATE, template
from controller_calls import controller_operations

from controller.aws.session import READ_PREFIXES
from controller.desired.state import desired_state
from controller.resources import Kind
from controller.spec.loader import load_catalog
from controller.spec.models import FrameworkImage

REPO = Path(__file__).resolve().parents[2]
# Operations the controller code makes on behalf of another role than the reconciler's, and that role
NOT_RECONCILER = {
    "sagemaker:InvokeEndpoint": "InferenceRole",  # controller.aws.lineage.invoke (the inference Lambda)
    "s3:PutObject": "MergeProjectRole",  # controller.aws.s3.put_text (`modelctl bundle --upload`, merge.yml)
}
PIPELINE_EXTRA = {"sns:Publish", "iam:PassRole", "states:StartExecution"}  # sns tasks; jobs run as it; schedules


# --- the template --------------------------------------------------------------------------------------------


def _statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for statement in document.get("Statement", []):
        if "Fn::If" in statement:  # a conditional statement: both branches
            yield from (s for s in statement["Fn::If"][1:] if isinstance(s, dict) and "Ref" not in s)
        else:
            yield statement


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def role_statements(role: str) -> list[dict[str, Any]]:
    properties = template()["Resources"][role]["Properties"]
    return [s for policy in properties.get("Policies", []) for s in _statements(policy["PolicyDocument"])]


def granted(role: str) -> set[str]:
    return {action for s in role_statements(role) if s["Effect"] == "Allow" for action in _actions(s)}


def every_policy_document() -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in template()["Resources"].items():
        properties = resource.get("Properties", {})
        for policy in properties.get("Policies", []):
            if isinstance(policy, dict) and "PolicyDocument" in policy:
                yield name, policy["PolicyDocument"]
        for key in ("AssumeRolePolicyDocument", "PolicyDocument"):
            if isinstance(properties.get(key), dict):
                yield name, properties[key]


# --- the code ------------------------------------------------------------------------------------------------


def _resolve(framework: FrameworkImage, region: str, role: str, instance_type: str) -> str:
    return f"763104351884.dkr.ecr.{region}.amazonaws.com/sagemaker-{framework.name}:{framework.version}-{role}"


@cache
def pipeline_actions() -> set[str]:
    """IAM actions of every Task in the pipelines the example specs render, in every environment that trains."""
    catalog = load_catalog([str(REPO / "specs")])
    actions: set[str] = set()
    for env in catalog.environments:
        state = desired_state(catalog, env, git_sha="0123abc", registry={}, resolve_image=_resolve)
        for resource in state.resources:
            if resource.ref.kind == Kind.STATE_MACHINE:
                actions |= _task_actions(resource.payload["definition"])
    return actions


def _task_actions(definition: Any) -> set[str]:
    definition = json.loads(definition) if isinstance(definition, str) else definition
    found: set[str] = set()
    for state in definition["States"].values():
        resource = state.get("Resource", "")
        if sdk := re.fullmatch(r"arn:aws:states:::aws-sdk:([a-z0-9-]+):(\w+)", resource):
            service, action = sdk.groups()
            found.add(f"{service}:{action[0].upper()}{action[1:]}")
        elif optimized := re.fullmatch(r"arn:aws:states:::(\w+):(\w+)", resource):
            service, action = optimized.groups()
            found.add(f"{service}:{action[0].upper()}{action[1:]}")
        for branch in state.get("Branches", []) + ([state["Iterator"]] if "Iterator" in state else []):
            found |= _task_actions(branch)
    return found


# --- tests ---------------------------------------------------------------------------------------------------


def test_cfn_lint_accepts_the_template() -> None:
    if importlib.util.find_spec("cfnlint") is None:
        pytest.skip("cfn-lint is not installed (pip install -e '.[dev]')")
    from cfnlint.api import ManualArgs, lint  # type: ignore[import-not-found]

    matches = lint(TEMPLATE.read_text(), config=ManualArgs(regions=["us-east-1"]))
    problems = [match for match in matches if match.rule.id[0] in "EW"]  # errors and warnings, as the CLI fails on
    assert not problems, "\n".join(str(match) for match in problems)


def test_no_iam_statement_grants_a_wildcard_action() -> None:
    for resource, document in every_policy_document():
        for statement in _statements(document):
            assert "NotAction" not in statement, resource
            for action in _actions(statement):
                assert isinstance(action, str), (resource, action)
                assert "*" not in action, f"{resource}: {action}"
                assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", action), f"{resource}: {action}"


def test_the_scan_finds_the_operations_we_know_the_adapters_make() -> None:
    found = controller_operations()
    for action in (
        "sagemaker:ListModels",  # a paginator named in a `_list` table
        "application-autoscaling:DescribeScalableTargets",  # a paginator named in a `_describe` table
        "states:StartExecution",
        "scheduler:CreateSchedule",
        "dynamodb:BatchWriteItem",
        "cloudwatch:PutMetricAlarm",
        "sts:GetCallerIdentity",
    ):
        assert action in found, action


def test_every_operation_the_controller_calls_is_granted_to_the_reconciler() -> None:
    reconciler = granted("ReconcilerRole")
    missing = {
        action: sorted(modules)
        for action, modules in controller_operations().items()
        if action not in NOT_RECONCILER and action not in reconciler
    }
    assert not missing, f"add to ReconcilerRole in {TEMPLATE.name}: {missing}"


def test_operations_made_for_other_roles_are_granted_there_and_not_to_the_reconciler() -> None:
    for action, role in NOT_RECONCILER.items():
        if action in controller_operations():
            assert action in granted(role), (action, role)
            assert action not in granted("ReconcilerRole"), action


def test_the_reconciler_may_pass_only_the_pipeline_role() -> None:
    passing = [s for s in role_statements("ReconcilerRole") if "iam:PassRole" in _actions(s)]
    assert passing
    assert all(s["Resource"] == {"Fn::GetAtt": ["PipelineRole", "Arn"]} for s in passing)


def test_the_pipeline_role_grants_what_the_pipelines_call() -> None:
    actions = pipeline_actions()
    assert {"sagemaker:CreateTrainingJob", "ssm:GetParameter", "sns:Publish"} <= actions  # the scan works
    missing = (actions | PIPELINE_EXTRA) - granted("PipelineRole")
    assert not missing, f"add to PipelineRole in {TEMPLATE.name}: {sorted(missing)}"


def test_the_pipeline_role_is_trusted_by_every_service_the_environment_passes_it_to() -> None:
    from controller.local.bootstrap import TRUST_POLICY

    trust = template()["Resources"]["PipelineRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert set(trust["Principal"]["Service"]) == set(TRUST_POLICY["Statement"][0]["Principal"]["Service"])


def test_the_plan_role_only_reads_and_can_make_the_plan() -> None:
    plan = granted("PlanRole")
    writes = {a for a in plan if not a.split(":", 1)[1].startswith(READ_PREFIXES)}
    assert not writes, f"PlanRole must be read-only: {sorted(writes)}"
    reads = {a for a in controller_operations() if a.split(":", 1)[1].startswith(READ_PREFIXES)}
    missing = reads - plan
    assert not missing, f"add these reads to PlanRole: {sorted(missing)}"
    assert not (plan & (set(controller_operations()) - reads))


def test_the_state_table_bucket_and_triggers_are_what_the_controller_expects() -> None:
    from controller.aws.statetable import TABLE_NAME

    resources = template()["Resources"]
    assert template()["Parameters"]["StateTableName"]["Default"] == TABLE_NAME
    keys = resources["StateTable"]["Properties"]["KeySchema"]
    assert keys == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    bucket = resources["ArtifactBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    reconciler = resources["ReconcilerFunction"]["Properties"]
    assert reconciler["Handler"] == "reconciler_lambda.handler.handler"
    assert {"MODELCTL_ENV", "MODELCTL_BUCKET", "MODELCTL_TOPIC_ARN"} <= set(reconciler["Environment"]["Variables"])
    events = {e["Type"]: e["Properties"] for e in reconciler["Events"].values()}
    assert set(events) == {"S3", "EventBridgeRule", "Schedule"}
    assert events["Schedule"]["Schedule"] == "rate(10 minutes)"
    assert events["EventBridgeRule"]["Pattern"]["source"] == ["aws.states"]
    inference = resources["InferenceFunction"]["Properties"]
    assert inference["Handler"] == "reconciler_lambda.inference.handler"
    api = inference["Events"]["Invoke"]["Properties"]
    assert (api["Path"], api["Method"]) == ("/models/{name}/invocations", "post")


def test_outputs_name_every_role_and_the_shared_resources() -> None:
    outputs = template()["Outputs"]
    for name in (
        "ExecutionRoleArn",
        "ReconcilerRoleArn",
        "PlanRoleArn",
        "StateTableName",
        "ArtifactBucketName",
        "NotificationTopicArn",
        "ApiUrl",
    ):
        assert name in outputs, name
