"""Pipeline runs that end without running the pipeline's Catch (stopped, timed out): the state machine's
TimeoutSeconds derived from the spec (controller.pipeline.timeout), the one-time `pipelineFailed` notification
(controller.reconcile.pipeline_alerts) and the health they show. Pure: a fake state table and a fake cloud."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest
from fake_table import FakeTable
from test_pipeline import BUILT, params

from controller.desired.values import DesiredState, Notify
from controller.pipeline.definition import BatchTransform, Spot, build_definition
from controller.pipeline.timeout import BUILD_SECONDS, MARGIN_SECONDS, Budget
from controller.plan.plan import build_plan
from controller.reconcile.health import PIPELINE_FAILED, Health, model_status
from controller.reconcile.pipeline_alerts import notify_endings
from controller.reconcile.result import PlanResult
from controller.reconcile.store import StateStore
from controller.resources import MANAGED_TAG, Kind, Observed, Ref, Resource

HOUR = 3600
MACHINE = Ref(Kind.STATE_MACHINE, "modelctl-m-dev")
TOPIC = "arn:aws:sns:us-east-1:111122223333:alerts"


def test_the_timeout_is_training_plus_builds_plus_batch_plus_margin() -> None:
    two_hours = params()  # maxRuntime 2 h, pinned images, no batch
    assert build_definition(two_hours)["TimeoutSeconds"] == 2 * HOUR + MARGIN_SECONDS
    built = params(training_image=BUILT, inference_image=BUILT)
    assert build_definition(built)["TimeoutSeconds"] == 2 * HOUR + 2 * BUILD_SECONDS + MARGIN_SECONDS
    batch = params(batch=BatchTransform("s3://d/score/", "s3://o/scores", "ml.m5.xlarge"))
    assert build_definition(batch)["TimeoutSeconds"] == 2 * HOUR + 2 * HOUR + MARGIN_SECONDS
    spot = params(spot=Spot(True, 4 * HOUR))  # spot: the job's max wait bounds it, not its max runtime
    assert build_definition(spot)["TimeoutSeconds"] == 4 * HOUR + MARGIN_SECONDS
    assert Budget(10**9).timeout_seconds() == 99_999_999  # Step Functions' largest TimeoutSeconds


def test_the_timeout_follows_the_spec_max_runtime() -> None:
    longer = dataclasses.replace(params().training, max_runtime_seconds=5 * HOUR)
    assert build_definition(params(training=longer))["TimeoutSeconds"] == 5 * HOUR + MARGIN_SECONDS


class FakeCloud:
    """Records notifications; `fail` makes the next publish raise."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Mapping[str, Any]]] = []
        self.fail = False

    def notify(self, topic_arn: str, subject: str, message: Mapping[str, Any]) -> None:
        if self.fail:
            self.fail = False
            raise RuntimeError("SNS unavailable")
        self.sent.append((topic_arn, subject, message))


def _planned(runs: list[dict[str, Any]], events: frozenset[str] = frozenset({"pipelineFailed"})) -> PlanResult:
    tags = {MANAGED_TAG: "true"}
    resources = (Resource(MACHINE, "m", {}, tags),)
    desired = DesiredState("dev", resources, {"m": "m-0123456789ab"}, {}, frozenset(), {"m": Notify(TOPIC, events)})
    observed = {MACHINE: Observed(MACHINE, {}, tags, extra={"executions": runs})}
    return PlanResult(build_plan("dev", resources, observed, git_sha="a" * 40), desired, observed)


def _run(name: str, status: str, stop: str | None, error: str | None = None) -> dict[str, Any]:
    return {"name": name, "status": status, "start": "2026-01-01T00:00:00+00:00", "stop": stop, "error": error}


STOPPED = _run("m-0123456789ab", "ABORTED", "2026-01-01T01:00:00+00:00")
TIMED_OUT = _run("m-0123456789ab-a2", "TIMED_OUT", "2026-01-01T05:00:00+00:00", "States.Timeout")


@pytest.fixture
def store() -> StateStore:
    return StateStore(FakeTable(), who="test")


def test_a_stopped_and_a_timed_out_run_are_notified_once_each(store: StateStore) -> None:
    cloud = FakeCloud()
    assert notify_endings("dev", _planned([STOPPED]), store, cloud) == 1  # type: ignore[arg-type]
    assert notify_endings("dev", _planned([STOPPED]), store, cloud) == 0  # type: ignore[arg-type]
    assert notify_endings("dev", _planned([TIMED_OUT, STOPPED]), store, cloud) == 1  # type: ignore[arg-type]
    assert notify_endings("dev", _planned([TIMED_OUT, STOPPED]), store, cloud) == 0  # type: ignore[arg-type]
    messages = [message for _, _, message in cloud.sent]
    assert [(m["event"], m["execution"], m["status"]) for m in messages] == [
        ("pipelineFailed", "m-0123456789ab", "ABORTED"),
        ("pipelineFailed", "m-0123456789ab-a2", "TIMED_OUT"),
    ]
    assert "timed out (TIMED_OUT): States.Timeout" in messages[1]["summary"]
    assert {subject for _, subject, _ in cloud.sent} == {"modelctl m/dev: pipeline failed"}


def test_two_runs_racing_notify_once(store: StateStore) -> None:
    other = StateStore(store.table, who="other")
    cloud = FakeCloud()
    before = store.endings_notified("dev", MACHINE.key)
    assert other.advance_endings("dev", MACHINE.key, 1e12)  # the other run claimed everything up to then
    assert before is None
    assert notify_endings("dev", _planned([STOPPED]), store, cloud) == 0  # type: ignore[arg-type]
    assert cloud.sent == []


def test_a_failed_publish_is_retried_by_the_next_run(store: StateStore) -> None:
    cloud = FakeCloud()
    cloud.fail = True
    with pytest.raises(RuntimeError):
        notify_endings("dev", _planned([STOPPED]), store, cloud)  # type: ignore[arg-type]
    assert notify_endings("dev", _planned([STOPPED]), store, cloud) == 1  # type: ignore[arg-type]


def test_nothing_is_read_or_sent_for_runs_that_notify_themselves_or_models_that_do_not_ask() -> None:
    table = FakeTable()
    store, cloud = StateStore(table, who="test"), FakeCloud()
    failed = _run("m-0123456789ab", "FAILED", "2026-01-01T01:00:00+00:00")  # its Catch already notified
    assert notify_endings("dev", _planned([failed]), store, cloud) == 0  # type: ignore[arg-type]
    assert notify_endings("dev", _planned([STOPPED], frozenset({"rollback"})), store, cloud) == 0  # type: ignore[arg-type]
    assert cloud.sent == [] and table.writes == 0 and table.items == {}


@pytest.mark.parametrize(
    ("run", "words"),
    [(STOPPED, "was stopped (ABORTED)"), (TIMED_OUT, "timed out (TIMED_OUT): States.Timeout")],
)
def test_status_shows_a_stopped_or_timed_out_run_as_degraded(run: dict[str, Any], words: str) -> None:
    planned = _planned([run])
    status = model_status("m", planned.desired, planned.observed, (), {})
    assert (status.health, status.reason) == (Health.DEGRADED, PIPELINE_FAILED)
    assert status.message == f"run {run['name']} {words}"
