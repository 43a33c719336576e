"""CodeBuild adapter: the projects that build a model's training and inference images (Kind.IMAGE_BUILD).

One project per model, environment and role (`modelctl-<model>-<env>-<training|inference>`), its source the
model's repository and its buildspec the spec's `images.<role>.build.buildspec`; the pipeline starts a build at the
spec's `source.ref` and passes IMAGE_REPO_URI / IMAGE_TAG. Builds run privileged (they run `docker build`).
One ResourceOperations (controller.ports) per kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from controller.aws.batching import chunks
from controller.aws.errors import translate_errors
from controller.aws.session import Adapter
from controller.aws.writes import create_or_adopt
from controller.errors import PermanentError
from controller.resources import Kind, Observed, Ref, Resource

GET_BATCH = 100  # BatchGetProjects accepts at most 100 names


class ImageBuilds(Adapter):
    """CodeBuild projects by name.

    Observed shape: properties {"source": {"type", "location", "buildspec"}, "environment": {"image", "computeType",
    "privilegedMode", "variables": {name: value}}, "serviceRole"}; tags as a dict. Cost for N names: ceil(N/100)
    BatchGetProjects. Writes: CreateProject / UpdateProject / DeleteProject, with the resource's tags; a create whose
    name is taken updates the project when it is ours (adopts it), and refuses a foreign one.
    """

    kind = Kind.IMAGE_BUILD

    @translate_errors()
    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        found: dict[str, Observed] = {}
        for batch in chunks(sorted(set(keys)), GET_BATCH):
            for project in self._clients.codebuild.batch_get_projects(names=list(batch)).get("projects", []):
                found[project["name"]] = Observed(
                    Ref(self.kind, project["name"]),
                    _properties(project),
                    {tag["key"]: tag.get("value", "") for tag in project.get("tags", [])},
                )
        return found

    @translate_errors()
    def create(self, resource: Resource) -> None:
        create_or_adopt(
            lambda: self._clients.codebuild.create_project(**_request(resource), tags=_tags(resource.tags)),
            lambda: self.observe([resource.ref.key]).get(resource.ref.key),
            lambda found: self.update(resource, found),  # ours: brought up to date; a foreign project is refused
        )

    @translate_errors()
    def update(self, resource: Resource, observed: Observed) -> None:
        _owned(observed)
        self._clients.codebuild.update_project(**_request(resource), tags=_tags(resource.tags))

    @translate_errors()
    def delete(self, observed: Observed) -> None:
        _owned(observed)
        self._clients.codebuild.delete_project(name=observed.ref.key)


def _properties(project: Mapping[str, Any]) -> dict[str, Any]:
    source, environment = project.get("source", {}), project.get("environment", {})
    return {
        "source": {
            "type": source.get("type"),
            "location": source.get("location"),
            "buildspec": source.get("buildspec"),
        },
        "environment": {
            "image": environment.get("image"),
            "computeType": environment.get("computeType"),
            "privilegedMode": bool(environment.get("privilegedMode", False)),
            "variables": {v["name"]: v.get("value", "") for v in environment.get("environmentVariables", [])},
        },
        "serviceRole": project.get("serviceRole"),
    }


def _request(resource: Resource) -> dict[str, Any]:
    wanted = resource.properties
    environment = wanted["environment"]
    return {
        "name": resource.ref.key,
        "source": dict(wanted["source"]),
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {
            "type": "LINUX_CONTAINER",
            "image": environment["image"],
            "computeType": environment["computeType"],
            "privilegedMode": environment["privilegedMode"],
            "environmentVariables": [
                {"name": name, "value": value, "type": "PLAINTEXT"} for name, value in environment["variables"].items()
            ],
        },
        "serviceRole": wanted["serviceRole"],
    }


def _tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in sorted(tags.items())]


def _owned(observed: Observed) -> None:
    if not observed.managed:
        raise PermanentError(f"{observed.ref} is not managed by modelctl; it is never modified")
