"""The CodeBuild adapter (Kind.IMAGE_BUILD) on the in-process emulator: the project churn-xgb's spec asks for is
created, read back as desired, adopted when created again (a create resent after its answer was lost), never taken
over when the name is someone else's, updated and deleted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from writes_kit import _resolve, catalog

from controller.aws.codebuild import ImageBuilds
from controller.aws.session import AwsClients
from controller.desired.state import desired_state
from controller.errors import PermanentError
from controller.plan.diff import Action, diff
from controller.resources import Kind, Resource

SPECS_ACCOUNT = "111122223333"  # the example specs' account: CodeBuild refuses a service role of another account


@pytest.fixture(autouse=True)
def specs_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", SPECS_ACCOUNT)  # moto reads it per request


def _project() -> Resource:
    state = desired_state(catalog(), "dev", git_sha="0123abc", registry={}, resolve_image=_resolve)
    [project] = [r for r in state.resources if r.ref.kind is Kind.IMAGE_BUILD and r.model == "churn-xgb"]
    return project


def _converged(adapter: ImageBuilds, resource: Resource) -> bool:
    observed = {item.ref: item for item in adapter.observe([resource.ref.key]).values()}
    result = diff([resource], observed)
    return not result.conflicts and all(d.action is Action.NOOP for d in result.diffs)


def test_a_project_is_created_adopted_when_created_again_updated_and_deleted(clients: AwsClients) -> None:
    adapter, project = ImageBuilds(clients), _project()
    adapter.create(project)
    assert _converged(adapter, project)

    adapter.create(project)  # the name is ours already: adopted, not an error, no second project
    assert _converged(adapter, project)
    assert clients.calls["codebuild.UpdateProject"] == 1

    edited = replace(project, properties={**project.properties, "serviceRole": project.properties["serviceRole"] + "2"})
    adapter.update(edited, adapter.observe([project.ref.key])[project.ref.key])
    assert _converged(adapter, edited)

    adapter.delete(adapter.observe([project.ref.key])[project.ref.key])
    assert adapter.observe([project.ref.key]) == {}


def test_a_foreign_project_with_the_wanted_name_is_never_taken_over(
    clients: AwsClients, raw: Callable[[str], Any]
) -> None:
    project = _project()
    raw("codebuild").create_project(
        name=project.ref.key,
        source={"type": "GITHUB", "location": "https://github.com/someone/else", "buildspec": "version: 0.2"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "theirs", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=f"arn:aws:iam::{SPECS_ACCOUNT}:role/theirs",
    )
    with pytest.raises(PermanentError, match="not managed"):
        ImageBuilds(clients).create(project)
    [theirs] = raw("codebuild").batch_get_projects(names=[project.ref.key])["projects"]
    assert theirs["environment"]["image"] == "theirs" and clients.calls["codebuild.UpdateProject"] == 0
