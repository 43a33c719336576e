"""controller.cli.render: text, markdown and JSON plans; key lines asserted, not whole outputs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fixtures.planworld import ALARM, ENDPOINT, MODEL, PRICES, SCHEDULE, desired, edit, edit_observed, live, observed

from controller.cli.render import NO_CHANGES, as_json, markdown, summary, text
from controller.plan.capacity import parse_price_table
from controller.plan.plan import Plan, build_plan
from controller.resources import Kind, Ref, Resource

RUN = Ref(Kind.PIPELINE_RUN, "churn-xgb-prod/churn-xgb-111111111111-a1b2c3d")
HOURS = {"instanceType": "ml.m5.xlarge", "instanceCount": 1, "maxRuntimeSeconds": 3600, "spot": False}


def _plan(**options: Any) -> Plan:
    """A bit of everything: a retrain, a new fleet, a console weight edit undone elsewhere, a delete."""
    spec = edit(desired(), ENDPOINT, endpointConfigName="churn-xgb-prod-beef")
    spec = [r for r in spec if r.ref != ALARM]
    spec.append(Resource(RUN, MODEL, {"configId": "churn-xgb-111111111111", "instanceHours": HOURS}))
    state = observed()
    del state[SCHEDULE]
    prices = parse_price_table(PRICES)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    return build_plan("prod", spec, state, git_sha="abc1234", prices=prices, now=now, **options)


def test_summary_line() -> None:
    assert summary(_plan()) == "Plan: 2 to create, 1 to change, 1 to delete; 1 retrain(s), 1 new fleet(s)"


def test_text_lists_every_change_with_symbols_fields_and_capacity() -> None:
    lines = text(_plan()).splitlines()
    assert "model churn-xgb (env prod):" in lines
    assert f"  + {RUN}  [retrain] no version of training config churn-xgb-111111111111 exists yet" in lines
    assert (
        f"  ~ {ENDPOINT}  [new_fleet] new fleet on endpoint config churn-xgb-prod-beef "
        + ("(rollout: canary 10%, bake 30 min)")
        in lines
    )
    assert '      ~ endpointConfigName: "churn-xgb-prod-c0ffee" -> "churn-xgb-prod-beef"' in lines
    assert f"  - {ALARM}  [delete] no longer in the specs" in lines
    assert "      - threshold = 5" in lines
    assert '      + expression = "cron(0 3 ? * MON *)"' in lines
    assert "      capacity: train ≤ 1 instance-h on 1x ml.m5.xlarge ≤ 0.20 USD" in lines
    assert lines[-1] == summary(_plan())
    assert "\033[" not in "\n".join(lines)


def test_text_colours_only_when_asked() -> None:
    coloured = text(_plan(), color=True)
    assert f"\033[32m  + {RUN}" in coloured
    assert f"\033[31m  - {ALARM}" in coloured
    assert f"\033[33m  ~ {ENDPOINT}" in coloured


def test_no_changes() -> None:
    plan = build_plan("prod", desired(), observed(), git_sha="abc1234")
    assert text(plan) == NO_CHANGES == "No changes. AWS matches the specs."
    assert NO_CHANGES in markdown(plan)


def test_conflicts_come_first_as_errors() -> None:
    state = edit_observed(observed(), ALARM, tags={})
    lines = text(build_plan("prod", desired(), state, git_sha="s")).splitlines()
    assert lines[0].startswith(f"Error: {ALARM} exists but is not managed by modelctl")
    assert lines[-1] == "Plan cannot be applied: conflicts above."
    assert "> **Error:** `cloudwatch.alarm/churn-xgb-prod-errors-5xx` (churn-xgb)" in markdown(
        build_plan("prod", desired(), state, git_sha="s")
    )


def test_protected_deletes_are_flagged() -> None:
    warning = "PROTECTED environment prod: 1 delete(s); apply needs --allow-delete"
    assert f"!! {warning}" in text(_plan(protected=True)).splitlines()
    assert f"> :warning: **{warning}**" in markdown(_plan(protected=True))
    assert "PROTECTED" not in text(_plan())


def test_markdown_summary_table_then_details_per_model() -> None:
    lines = markdown(_plan()).splitlines()
    assert lines[0] == "### modelctl plan for `prod`"
    assert f"**{summary(_plan())}**" in lines
    header = lines.index("| model | env | classification | what | capacity |")
    rows = [line for line in lines[header + 2 :] if line.startswith("| churn-xgb |")]
    assert [row.split(" | ")[2] for row in rows] == ["retrain", "new_fleet", "config_only", "**DELETE**"]
    assert "+ pipeline.run churn-xgb-prod/churn-xgb-111111111111-a1b2c3d" in rows[0]
    assert "train ≤ 1 instance-h on 1x ml.m5.xlarge ≤ 0.20 USD" in rows[0]
    assert "endpoint 2x ml.m5.large → 2x ml.m5.large (0.20 USD/h → 0.20 USD/h)" in rows[1]
    assert "+2x ml.m5.large during rollout (~1 h) ≈ 0.20 USD" in rows[1]
    assert "<details><summary><b>churn-xgb</b>: 4 change(s)</summary>" in lines
    assert "```diff" in lines
    assert "-     - threshold = 5" in lines
    assert '!     ~ endpointConfigName: "churn-xgb-prod-c0ffee" -> "churn-xgb-prod-beef"' in lines


def test_weights_only_renders_before_and_after() -> None:
    state = edit_observed(observed(), ENDPOINT, extra={"variants": [live("primary", 100.0, 5)]})
    lines = text(build_plan("prod", desired(), state, git_sha="s")).splitlines()
    assert "      ~ variants[primary].instanceCount: 5 -> 2" in lines
    assert "      capacity: endpoint 5x ml.m5.large → 2x ml.m5.large" in lines


def test_json_is_the_saved_plan() -> None:
    plan = _plan()
    assert Plan.from_json(as_json(plan)) == plan
