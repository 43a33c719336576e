"""Adapter writes for every kind, on the in-process emulator through real boto3: after creating the desired state
of the example specs a second plan is a no-op, creates are idempotent, updates converge, deletes remove."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from writes_kit import FAST, create_all, make_models, not_converged, observed, of_kind, settle, stage

from controller.aws.registry import build_registry
from controller.aws.session import AwsClients
from controller.errors import PermanentError
from controller.local import control
from controller.resources import Kind, Resource


@pytest.fixture
def fast(in_process_aws: None) -> None:
    control.configure(None, FAST)


def test_after_create_a_second_plan_is_a_no_op_for_every_kind(
    clients: AwsClients, raw: Callable[[str], Any], fast: None
) -> None:
    resources = stage()
    created = {resource.ref.kind for resource in resources}
    assert created == set(Kind) - {
        Kind.PROMOTED_VERSION,
        Kind.MODEL,
        Kind.IMAGE_BUILD,
    }  # promotion: test_promotion_writes.py
    make_models(raw("sagemaker"), resources)
    registry = build_registry(clients)

    create_all(registry, resources)
    settle(registry, [r.ref.key for r in of_kind(resources, Kind.ENDPOINT)])

    assert not_converged(registry, resources) == []
    assert set(observed(registry, resources)) == {r.ref for r in resources}


def test_creating_again_adopts_what_is_there_and_changes_nothing(
    clients: AwsClients, raw: Callable[[str], Any], fast: None
) -> None:
    resources = stage()
    make_models(raw("sagemaker"), resources)
    registry = build_registry(clients)
    create_all(registry, resources)
    settle(registry, [r.ref.key for r in of_kind(resources, Kind.ENDPOINT)])
    before = observed(registry, resources)

    create_all(registry, resources)

    settle(registry, [r.ref.key for r in of_kind(resources, Kind.ENDPOINT)])
    after = observed(registry, resources)
    assert {ref: item.properties for ref, item in after.items()} == {
        ref: item.properties for ref, item in before.items()
    }
    assert not_converged(registry, resources) == []


def _edit(resource: Resource, **properties: Any) -> Resource:
    return replace(resource, properties={**resource.properties, **properties})


def test_updates_converge(clients: AwsClients, fast: None) -> None:
    resources = [
        r
        for r in stage(trained=())
        if r.ref.kind in (Kind.PARAMETER, Kind.STATE_MACHINE, Kind.SCHEDULE, Kind.MODEL_PACKAGE_GROUP)
    ]
    registry = build_registry(clients)
    create_all(registry, resources)
    machine = of_kind(resources, Kind.STATE_MACHINE)[0]
    schedule = of_kind(resources, Kind.SCHEDULE)[0]
    definition = {**machine.payload["definition"], "Comment": "changed"}
    from controller.spec.identity import digest

    changed = [
        replace(_edit(machine, definitionDigest=digest(definition)), payload={"definition": definition}),
        _edit(schedule, expression="cron(0 4 ? * TUE *)", state="DISABLED"),
    ]
    assert len(not_converged(registry, changed)) == 2
    seen = observed(registry, changed)

    for resource in changed:
        registry[resource.ref.kind].update(resource, seen[resource.ref])

    assert not_converged(registry, changed) == []


def test_parameter_update_moves_the_label_to_the_new_version(
    clients: AwsClients, raw: Callable[[str], Any], fast: None
) -> None:
    parameter = next(r for r in of_kind(stage(), Kind.PARAMETER) if "label" in r.payload)
    registry = build_registry(clients)
    registry[Kind.PARAMETER].create(parameter)
    label = parameter.payload["label"]
    newer = replace(_edit(parameter, value={"eta": "0.3"}), payload={"text": '{"eta":"0.3"}', "label": f"{label}-next"})
    registry[Kind.PARAMETER].update(newer, observed(registry, [parameter])[parameter.ref])
    again = replace(newer, payload={"text": '{"eta":"0.4"}', "label": label})
    registry[Kind.PARAMETER].update(again, observed(registry, [parameter])[parameter.ref])

    ssm = raw("ssm")
    assert ssm.get_parameter(Name=f"{parameter.ref.key}:{label}")["Parameter"]["Version"] == 3
    assert ssm.get_parameter(Name=f"{parameter.ref.key}:{label}-next")["Parameter"]["Value"] == '{"eta":"0.3"}'
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=parameter.ref.key)["TagList"]
    assert {"Key": "modelctl:managed", "Value": "true"} in tags


def test_deletes_remove_and_the_registry_and_history_are_kept(
    clients: AwsClients, raw: Callable[[str], Any], fast: None
) -> None:
    resources = stage(trained=("churn-xgb",))
    make_models(raw("sagemaker"), resources)
    registry = build_registry(clients)
    create_all(registry, resources)
    settle(registry, [r.ref.key for r in of_kind(resources, Kind.ENDPOINT)])
    seen = observed(registry, resources)
    kept = {Kind.MODEL_PACKAGE_GROUP, Kind.PIPELINE_RUN}

    for kind in reversed(Kind):
        for resource in of_kind(resources, kind):
            if kind in kept:
                with pytest.raises(PermanentError):
                    registry[kind].delete(seen[resource.ref])
            else:
                registry[kind].delete(seen[resource.ref])

    left = observed(registry, resources)
    assert {ref.kind for ref in left} == {Kind.MODEL_PACKAGE_GROUP}  # runs went with their state machine
    model = of_kind(resources, Kind.ENDPOINT_CONFIG)[0].properties["variants"][0]["model"]
    models = registry[Kind.MODEL].observe([model])
    registry[Kind.MODEL].delete(models[model])
    assert registry[Kind.MODEL].observe([model]) == {}
