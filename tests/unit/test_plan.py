"""controller.plan.plan and controller.plan.capacity: classification, reasons, capacity, ordering, JSON, staleness."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fixtures.planworld import (
    ALARM,
    ENDPOINT,
    MACHINE,
    MODEL,
    PARAMETER,
    PRICES,
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

from controller.errors import PlanError
from controller.plan.capacity import Instances, load_price_table, parse_price_table
from controller.plan.plan import Action, Classification, Plan, build_plan, observed_digest
from controller.resources import Kind, Observed, Ref, Resource

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RUN = Ref(Kind.PIPELINE_RUN, "churn-xgb-prod/churn-xgb-111111111111-a1b2c3d")
NEW_MODEL = Ref(Kind.MODEL, "churn-xgb-111111111111-1")
NEW_CONFIG = Ref(Kind.ENDPOINT_CONFIG, "churn-xgb-prod-beef")


def _plan(spec: list[Resource], state: dict[Ref, Observed] | None = None, **options: Any) -> Plan:
    return build_plan("prod", spec, observed() if state is None else state, git_sha="abc1234", now=NOW, **options)


def _run(spot: bool = False, previous: bool = True) -> Resource:
    training = {"source": {"ref": "v2"}, "hyperparameters": {"eta": 0.3, "max_depth": 6}}
    properties: dict[str, Any] = {
        "configId": "churn-xgb-111111111111",
        "stateMachine": MACHINE.key,
        "input": {"configId": "churn-xgb-111111111111"},
        "training": training,
        "instanceHours": {"instanceType": "ml.m5.xlarge", "instanceCount": 2, "maxRuntimeSeconds": 7200, "spot": spot},
    }
    if previous:
        properties["previousTraining"] = {"source": {"ref": "v1"}, "hyperparameters": {"eta": 0.2, "max_depth": 6}}
    return Resource(RUN, MODEL, properties, TAGS, (MACHINE,))


def _new_fleet() -> list[Resource]:
    """A new model version served by a new endpoint config with 3 instances instead of 2."""
    fleet = [variant(count=3, model=NEW_MODEL.key)]
    spec = edit(desired(), ENDPOINT, endpointConfigName=NEW_CONFIG.key, variants=fleet)
    model = Resource(NEW_MODEL, MODEL, {"image": "img:2", "modelDataUrl": "s3://b/2", "executionRoleArn": "r"}, TAGS)
    return [*spec, model, Resource(NEW_CONFIG, MODEL, {"variants": fleet, "dataCapture": None}, TAGS, (NEW_MODEL,))]


def _by_ref(plan: Plan) -> dict[Ref, Any]:
    return {c.ref: c for c in plan.changes}


def test_converged_plan_has_no_changes() -> None:
    plan = _plan(desired())
    assert not plan.has_changes
    assert (plan.env, plan.git_sha, plan.created_at, plan.conflicts) == ("prod", "abc1234", "2026-11-25T12:00:00Z", ())


def test_a_pipeline_run_to_start_is_a_retrain_naming_the_fields_that_changed() -> None:
    run = _by_ref(_plan([*desired(), _run()], prices=parse_price_table(PRICES)))[RUN]
    assert (run.action, run.classification) == (Action.CREATE, Classification.RETRAIN)
    assert run.reason == (
        'training config churn-xgb-111111111111: hyperparameters.eta: 0.2 → 0.3; source.ref: "v1" → "v2"'
    )
    assert run.capacity.training == (Instances("ml.m5.xlarge", 2),)
    assert run.capacity.training_hours == 4.0
    assert run.capacity.cost.training_max == pytest.approx(0.8)
    assert "train ≤ 4 instance-h on 2x ml.m5.xlarge ≤ 0.80 USD" in run.capacity.summary()


def test_a_first_training_says_so() -> None:
    assert (
        "no version of training config churn-xgb-111111111111" in _by_ref(_plan([_run(previous=False)], {}))[RUN].reason
    )


def test_spot_training_applies_the_discount_or_says_it_cannot() -> None:
    discounted = _by_ref(_plan([_run(spot=True)], {}, prices=parse_price_table({**PRICES, "spotDiscount": 0.75})))
    assert discounted[RUN].capacity.cost.training_max == pytest.approx(0.2)
    assert discounted[RUN].capacity.spot
    unknown = _by_ref(_plan([_run(spot=True)], {}, prices=parse_price_table(PRICES)))[RUN].capacity
    assert unknown.cost.training_max == pytest.approx(0.8)
    assert unknown.notes == ("spot price unknown: on-demand shown",)


def test_a_new_endpoint_config_is_a_new_fleet_with_its_config_in_the_group() -> None:
    plan = _plan(_new_fleet(), prices=parse_price_table(PRICES))
    changes = _by_ref(plan)
    endpoint, config = changes[ENDPOINT], changes[NEW_CONFIG]
    assert (endpoint.action, endpoint.classification) == (Action.UPDATE, Classification.NEW_FLEET)
    assert (config.action, config.classification) == (Action.CREATE, Classification.NEW_FLEET)
    assert changes[NEW_MODEL].classification is Classification.CONFIG_ONLY
    assert endpoint.reason == "new fleet on endpoint config churn-xgb-prod-beef (rollout: canary 10%, bake 30 min)"
    assert "churn-xgb-prod" in config.reason


def test_a_new_fleet_holds_the_whole_new_fleet_during_the_blue_green_bake() -> None:
    capacity = _by_ref(_plan(_new_fleet(), prices=parse_price_table(PRICES)))[ENDPOINT].capacity
    assert capacity.before == (Instances("ml.m5.large", 2),)
    assert capacity.after == (Instances("ml.m5.large", 3),)
    assert capacity.rollout_extra == (Instances("ml.m5.large", 3),)
    assert capacity.rollout_hours == 1.0  # canary: canary bake + final bake, 30 min each
    assert (capacity.cost.hourly_before, capacity.cost.hourly_after) == pytest.approx((0.2, 0.3))
    assert capacity.cost.rollout_extra == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("rollout", "hours", "text"),
    [
        (None, 0.0, "rollout: all at once, no guardrails"),
        ({"strategy": "allAtOnce", "bakeMinutes": 60}, 1.0, "rollout: allAtOnce, bake 60 min"),
        ({"strategy": "linear", "stepPercent": 25, "bakeMinutes": 15}, 1.0, "rollout: linear 25%, bake 15 min"),
    ],
)
def test_rollout_strategies(rollout: dict[str, Any] | None, hours: float, text: str) -> None:
    endpoint = _by_ref(_plan(edit(_new_fleet(), ENDPOINT, rollout=rollout)))[ENDPOINT]
    assert text in endpoint.reason
    assert endpoint.capacity.rollout_hours == hours
    assert endpoint.capacity.rollout_extra == (Instances("ml.m5.large", 3),)


def test_a_new_endpoint_is_a_new_fleet_without_a_second_fleet() -> None:
    state = observed()
    del state[ENDPOINT]
    endpoint = _by_ref(_plan(desired(), state))[ENDPOINT]
    assert (endpoint.action, endpoint.classification) == (Action.CREATE, Classification.NEW_FLEET)
    assert (endpoint.capacity.before, endpoint.capacity.rollout_extra) == ((), ())


def test_weights_changed_by_hand_are_weights_only_back_to_the_spec() -> None:
    spec = edit(desired(), ENDPOINT, variants=[variant("a", 90), variant("b", 10)], autoscaled=["b"])
    state = edit_observed(observed(), ENDPOINT, extra={"variants": [live("a", 50, 2), live("b", 50, 5)]})
    endpoint = _by_ref(_plan(spec, state))[ENDPOINT]
    assert (endpoint.action, endpoint.classification) == (Action.UPDATE, Classification.WEIGHTS_ONLY)
    assert endpoint.reason == "live endpoint differs from the spec: variants[a].weight, variants[b].weight"
    assert endpoint.capacity.before == endpoint.capacity.after == (Instances("ml.m5.large", 7),)
    assert endpoint.capacity.rollout_extra == ()


def test_config_only_changes() -> None:
    state = observed()
    del state[SCHEDULE]
    changes = _by_ref(_plan(desired(), edit_observed(state, PARAMETER, properties={"value": "{}", "type": "String"})))
    assert [(c.action, c.classification, c.reason) for c in changes.values()] == [
        (Action.UPDATE, Classification.CONFIG_ONLY, "differs from the spec: value"),
        (Action.CREATE, Classification.CONFIG_ONLY, "does not exist"),
    ]


def test_deletes_come_last_in_reverse_order_and_a_deleted_endpoint_frees_its_fleet() -> None:
    plan = _plan([r for r in desired() if r.ref not in (ALARM, SCHEDULE, ENDPOINT)] + [_run()])
    assert [(c.action, c.ref) for c in plan.changes] == [
        (Action.CREATE, RUN),
        (Action.DELETE, ALARM),
        (Action.DELETE, ENDPOINT),
        (Action.DELETE, SCHEDULE),
    ]
    assert {c.classification for c in plan.changes[1:]} == {Classification.DELETE}
    assert plan.changes[2].capacity.before == (Instances("ml.m5.large", 2),)
    assert plan.changes[2].capacity.after == ()


def test_changes_follow_dependencies_then_kind_order_then_key() -> None:
    spec = [replace(r, depends_on=(ALARM,)) if r.ref == PARAMETER else r for r in _new_fleet()]
    state = {ref: o for ref, o in observed().items() if ref not in (PARAMETER, ALARM)}
    refs = [c.ref for c in _plan(spec, state).changes]
    assert refs == [NEW_MODEL, NEW_CONFIG, ENDPOINT, ALARM, PARAMETER]


def test_a_dependency_cycle_is_an_error() -> None:
    spec = [replace(r, depends_on=(ENDPOINT,)) if r.ref == SM_MODEL else r for r in desired()]
    with pytest.raises(PlanError, match="dependency cycle"):
        _plan(spec, {})


def test_conflicts_are_carried_and_by_model_groups() -> None:
    state = edit_observed(observed(), ALARM, tags={})
    plan = _plan([*desired(), _run()], state)
    assert [c.ref for c in plan.conflicts] == [ALARM]
    assert list(plan.by_model()) == [MODEL]
    assert [c.ref for c in plan.by_model()[MODEL]] == [RUN]


def test_json_round_trip() -> None:
    plan = _plan(
        [*_new_fleet(), _run(spot=True)],
        edit_observed(observed(), ALARM, tags={}),
        protected=True,
        prices=parse_price_table({**PRICES, "spotDiscount": 0.5}),
    )
    text = plan.to_json()
    assert Plan.from_json(text) == plan
    data = json.loads(text)
    assert data["planVersion"] == 1
    assert data["changes"][0]["action"] == "create"
    assert data["observedDigest"].startswith("sha256:")


@pytest.mark.parametrize("text", ['{"planVersion": 2}', "[]", "nonsense", '{"planVersion": 1}'])
def test_foreign_json_is_refused(text: str) -> None:
    with pytest.raises(PlanError):
        Plan.from_json(text)


def test_observed_digest_tracks_the_observed_state() -> None:
    state = observed()
    assert observed_digest(state) == observed_digest(dict(reversed(list(observed().items()))))
    moved = edit_observed(state, ENDPOINT, extra={"variants": [live("primary", 100.0, 3)]})
    assert observed_digest(moved) != observed_digest(state)
    plan = _plan(desired(), state)
    plan.check_fresh(observed())
    with pytest.raises(PlanError, match="stale"):
        plan.check_fresh(moved)


def test_missing_prices_leave_money_out() -> None:
    capacity = _by_ref(_plan(_new_fleet(), prices=parse_price_table({"currency": "EUR", "instanceHour": {}})))
    figures = capacity[ENDPOINT].capacity
    assert figures.cost.hourly_after is None
    assert figures.notes == ("no price for ml.m5.large",)


def test_load_price_table_yaml_and_json(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("currency: USD\ninstanceHour:\n  ml.m5.large: 0.5\nspotDiscount: 0.6\n")
    (tmp_path / "p.json").write_text('{"currency": "USD", "instanceHour": {"ml.m5.large": 0.5}}')
    assert load_price_table(tmp_path / "p.yaml").spot_discount == 0.6
    assert load_price_table(tmp_path / "p.json").hourly([Instances("ml.m5.large", 4)]) == 2.0


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"currency": "USD"},
        {"currency": "", "instanceHour": {}},
        {"currency": "USD", "instanceHour": {"ml.m5.large": -1}},
        {"currency": "USD", "instanceHour": {}, "spotDiscount": 1.5},
        {"currency": "USD", "instanceHour": {}, "typo": 1},
    ],
)
def test_malformed_price_tables_are_refused(data: object, tmp_path: Path) -> None:
    with pytest.raises(PlanError):
        parse_price_table(data)
    with pytest.raises(PlanError, match=r"missing\.yaml"):
        load_price_table(tmp_path / "missing.yaml")


def test_inputs_carried_in_the_payload_as_controller_desired_writes_them() -> None:
    routing = {
        "Type": "LINEAR",
        "WaitIntervalInSeconds": 600,
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
    }
    spec = [
        replace(
            r,
            properties={k: v for k, v in r.properties.items() if k != "rollout"},
            payload={"deploymentConfig": {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing}}},
        )
        if r.ref == ENDPOINT
        else r
        for r in _new_fleet()
    ]
    run = _run()
    hours = run.properties["instanceHours"]
    moved = {k: v for k, v in run.properties.items() if k not in ("instanceHours", "training", "previousTraining")}
    spec.append(replace(run, properties=moved, payload={"capacity": hours, "training": run.properties["training"]}))
    changes = _by_ref(_plan(spec))
    assert "(rollout: linear 50%, bake 10 min)" in changes[ENDPOINT].reason
    assert changes[ENDPOINT].capacity.rollout_hours == pytest.approx(2 * 10 / 60)
    assert changes[RUN].capacity.training_hours == 4.0
    assert changes[RUN].reason == "no version of training config churn-xgb-111111111111 exists yet"
