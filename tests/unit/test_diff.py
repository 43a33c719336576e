"""controller.plan.diff: per-resource actions and field changes, drift, autoscaling, weights as shares, conflicts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fixtures.planworld import (
    ALARM,
    CONFIG,
    ENDPOINT,
    MODEL,
    PARAMETER,
    SCHEDULE,
    SM_MODEL,
    TAGS,
    desired,
    edit,
    edit_observed,
    live,
    observed,
    variant,
)

from controller.plan.diff import Action, FieldChange, ResourceDiff, diff, leaves
from controller.resources import Kind, Observed, Ref, Resource


def _changed(result_diffs: tuple[ResourceDiff, ...]) -> dict[Ref, ResourceDiff]:
    return {d.ref: d for d in result_diffs if d.action is not Action.NOOP}


def test_converged_environment_is_all_noop() -> None:
    result = diff(desired(), observed())
    assert {d.action for d in result.diffs} == {Action.NOOP}
    assert result.conflicts == ()


def test_weights_changed_in_the_console_are_drift_back_to_the_spec() -> None:
    wanted = edit(desired(), ENDPOINT, variants=[variant("blue", 90), variant("green", 10)])
    state = edit_observed(observed(), ENDPOINT, extra={"variants": [live("blue", 50), live("green", 50)]})
    endpoint = _changed(diff(wanted, state).diffs)[ENDPOINT]
    assert endpoint.action is Action.UPDATE
    assert endpoint.field_changes == (
        FieldChange("variants[blue].weight", 50, 90),
        FieldChange("variants[green].weight", 50, 10),
    )


@pytest.mark.parametrize(
    ("wanted", "seen"),
    [((90, 10), (9.0, 1.0)), ((100, 0), (1.0, 0.0)), ((1, 1), (50.0, 50.0)), ((100.0, 300), (1, 3))],
)
def test_weights_compare_as_shares(wanted: tuple[float, float], seen: tuple[float, float]) -> None:
    spec = edit(desired(), ENDPOINT, variants=[variant("a", wanted[0]), variant("b", wanted[1])])
    state = edit_observed(observed(), ENDPOINT, extra={"variants": [live("a", seen[0]), live("b", seen[1])]})
    assert ENDPOINT not in _changed(diff(spec, state).diffs)


def test_live_weights_not_config_weights_are_compared() -> None:
    # A canary promoted by UpdateEndpointWeightsAndCapacities: the endpoint config keeps its initial 90/10,
    # the spec and the live endpoint both say 0/100. No drift.
    spec = edit(desired(), CONFIG, variants=[variant("old", 90), variant("new", 10)])
    spec = edit(spec, ENDPOINT, variants=[variant("old", 0), variant("new", 100)])
    state = edit_observed(observed(spec), ENDPOINT, extra={"variants": [live("old", 0.0), live("new", 100.0)]})
    assert _changed(diff(spec, state).diffs) == {}
    moved = edit_observed(state, ENDPOINT, extra={"variants": [live("old", 90.0), live("new", 10.0)]})
    assert [c.path for c in _changed(diff(spec, moved).diffs)[ENDPOINT].field_changes] == [
        "variants[new].weight",
        "variants[old].weight",
    ]


def test_autoscaled_capacity_is_not_drift() -> None:
    spec = edit(desired(), ENDPOINT, autoscaled=["primary"])
    state = edit_observed(observed(), ENDPOINT, extra={"variants": [live("primary", 100.0, count=7)]})
    assert ENDPOINT not in _changed(diff(spec, state).diffs)


def test_instance_count_not_owned_by_autoscaling_is_drift() -> None:
    state = edit_observed(observed(), ENDPOINT, extra={"variants": [live("primary", 100.0, count=7)]})
    endpoint = _changed(diff(desired(), state).diffs)[ENDPOINT]
    assert endpoint.field_changes == (FieldChange("variants[primary].instanceCount", 7, 2),)


def test_a_new_endpoint_config_is_an_update_of_the_config_name() -> None:
    spec = edit(desired(), ENDPOINT, endpointConfigName="churn-xgb-prod-beef")
    endpoint = _changed(diff(spec, observed()).diffs)[ENDPOINT]
    assert endpoint.field_changes == (FieldChange("endpointConfigName", CONFIG.key, "churn-xgb-prod-beef"),)


def test_a_variant_added_or_removed_is_a_change() -> None:
    spec = edit(desired(), ENDPOINT, variants=[variant("primary"), variant("canary", 10)])
    paths = [c.path for c in _changed(diff(spec, observed()).diffs)[ENDPOINT].field_changes]
    assert paths == ["variants[canary].instanceCount", "variants[canary].weight", "variants[primary].weight"]


def test_a_deleted_schedule_is_created_again() -> None:
    state = observed()
    del state[SCHEDULE]
    schedule = _changed(diff(desired(), state).diffs)[SCHEDULE]
    assert schedule.action is Action.CREATE
    assert schedule.before is None
    assert FieldChange("expression", None, "cron(0 3 ? * MON *)") in schedule.field_changes


def test_a_hyperparameter_edited_in_ssm_is_updated_back() -> None:
    edited = {"value": '{"eta":"0.9","max_depth":"6"}', "type": "String"}
    changes = _changed(diff(desired(), edit_observed(observed(), PARAMETER, properties=edited)).diffs)
    assert list(changes) == [PARAMETER]
    assert changes[PARAMETER].field_changes == (
        FieldChange("value", '{"eta":"0.9","max_depth":"6"}', '{"eta":"0.2","max_depth":"6"}'),
    )


def test_an_unmanaged_resource_with_a_wanted_name_is_a_conflict_not_a_change() -> None:
    state = edit_observed(observed(), ALARM, tags={"team": "sre"}, properties={"metric": "Other"})
    result = diff(desired(), state)
    assert [(c.ref, c.model) for c in result.conflicts] == [(ALARM, MODEL)]
    assert "not managed by modelctl" in result.conflicts[0].message
    assert ALARM not in {d.ref for d in result.diffs}


def test_a_claimed_name_is_checked_for_its_owner_but_never_changed() -> None:
    endpoint = next(r for r in desired() if r.ref == ENDPOINT)
    rest = [r for r in desired() if r.ref != ENDPOINT]
    claim = Resource(ENDPOINT, MODEL, {}, endpoint.tags)
    ours = diff(rest, observed(), claimed=[claim])
    assert ours.conflicts == () and ENDPOINT not in {d.ref for d in ours.diffs}
    foreign = diff(rest, edit_observed(observed(), ENDPOINT, tags={"team": "sre"}), claimed=[claim])
    assert [(c.ref, c.model) for c in foreign.conflicts] == [(ENDPOINT, MODEL)]
    assert ENDPOINT not in {d.ref for d in foreign.diffs}


def test_managed_resources_no_longer_desired_are_deleted() -> None:
    result = diff([r for r in desired() if r.ref != ALARM], observed())
    deletes = [d for d in result.diffs if d.action is Action.DELETE]
    assert [(d.ref, d.model, d.after) for d in deletes] == [(ALARM, MODEL, None)]
    assert FieldChange("threshold", 5, None) in deletes[0].field_changes


def test_unmanaged_runs_and_uninventoried_resources_are_never_deleted() -> None:
    run = Ref(Kind.PIPELINE_RUN, "churn-xgb-prod/churn-xgb-3a4b5c6d7e8f")
    state = {
        **observed(),
        run: Observed(run, {}, TAGS, "SUCCEEDED"),
        Ref(Kind.ALARM, "someone-elses"): Observed(Ref(Kind.ALARM, "someone-elses"), {"metric": "x"}),
    }
    assert [d.ref for d in diff([], state, inventory=[SCHEDULE]).diffs] == [SCHEDULE]
    assert run not in {d.ref for d in diff([], state).diffs}
    assert Ref(Kind.ALARM, "someone-elses") not in {d.ref for d in diff([], state).diffs}


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED", "RUNNING"])
def test_an_existing_pipeline_run_is_never_started_again(status: str) -> None:
    run = Resource(Ref(Kind.PIPELINE_RUN, "churn-xgb-prod/churn-xgb-3a4b5c6d7e8f"), MODEL, {"configId": "c"}, TAGS)
    state = {run.ref: Observed(run.ref, {"status": status}, TAGS, status)}
    assert diff([run], state).diffs[0].action is Action.NOOP
    assert diff([run], {}).diffs[0].action is Action.CREATE


def test_plan_inputs_are_not_compared() -> None:
    spec = edit(desired(), SCHEDULE, instanceHours={"instanceType": "ml.m5.xlarge"}, training={"a": 1})
    assert _changed(diff(spec, observed()).diffs) == {}


@pytest.mark.parametrize(
    ("before", "after", "paths"),
    [
        (100, 100.0, []),
        (True, 1, [""]),
        ("1", 1, [""]),
        ({"a": {"b": 1}}, {"a": {"b": 2, "c": 3}}, ["a.b", "a.c"]),
        ({"d": [1, 2]}, {"d": [1, 3]}, ["d[1]"]),
        ({"d": [1, 2]}, {"d": [1]}, ["d"]),
        ({"a": {"b": 1}}, {"a": "scalar"}, ["a"]),
        ({"v": [{"name": "x", "w": 1}]}, {"v": [{"name": "x", "w": 2}]}, ["v[x].w"]),
    ],
)
def test_leaves(before: object, after: object, paths: list[str]) -> None:
    assert [c.path for c in leaves(before, after)] == paths


def test_resources_are_not_mutated() -> None:
    spec, state = desired(), observed()
    frozen = [replace(r) for r in spec]
    diff(edit(spec, ENDPOINT, endpointConfigName="x"), state)
    assert spec == frozen
    assert state == observed()


def test_what_a_live_endpoint_uses_is_not_deleted_until_it_moves_on() -> None:
    moving = edit(desired(), ENDPOINT, endpointConfigName="churn-xgb-prod-beef")
    moving = [r for r in moving if r.ref not in (CONFIG, SM_MODEL)]
    assert not [d for d in diff(moving, observed()).diffs if d.action is Action.DELETE]
    gone = [r for r in desired() if r.ref not in (CONFIG, SM_MODEL, ENDPOINT, ALARM)]
    deletes = [d.ref for d in diff(gone, observed()).diffs if d.action is Action.DELETE]
    assert deletes == [ALARM, ENDPOINT, CONFIG, SM_MODEL]
