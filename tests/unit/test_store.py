"""controller.reconcile.store on an in-memory table: the lock (holder, wait, expiry, heartbeat, loss), history,
inventory, rollback and bundle marks."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fake_table import FakeTable

from controller.errors import LockHeldError, LockLostError
from controller.reconcile.store import (
    ApplyRecord,
    Condition,
    ModelRecord,
    Revision,
    RollbackMark,
    Serving,
    StateStore,
)

T0 = 1_700_000_000.0


class FakeClock:
    """Time that moves only when slept on; `on_sleep` runs at each sleep (to let "another run" act)."""

    def __init__(self) -> None:
        self.now = T0
        self.slept: list[float] = []
        self.on_sleep: Callable[[], None] = lambda: None

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        self.on_sleep()


@pytest.fixture
def table() -> FakeTable:
    return FakeTable()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def store(table: FakeTable, clock: FakeClock, who: str) -> StateStore:
    return StateStore(table, who=who, clock=clock, sleep=clock.sleep)


def test_condition_semantics() -> None:
    item: dict[str, str | float] = {"pk": "p", "sk": "s", "holder": "a", "expires": 10}
    assert Condition(when_absent=True).allows(None)
    assert not Condition(when_absent=True).allows(item)
    assert not Condition(equal=(("holder", "a"),)).allows(None)
    assert Condition(equal=(("holder", "a"),)).allows(item)
    assert not Condition(equal=(("holder", "b"),)).allows(item)
    assert Condition(when_absent=True, below=(("expires", 11),)).allows(item)
    assert not Condition(when_absent=True, below=(("expires", 10),)).allows(item)
    assert not Condition(below=(("missing", 10),)).allows(item)


def test_lock_is_held_inside_and_released_after(table: FakeTable, clock: FakeClock) -> None:
    with store(table, clock, "alice").lock("dev", lease_seconds=60) as held:
        item = table.get("lock#dev", "lock")
        assert item is not None
        assert item["holder"] == held.holder
        assert str(item["holder"]).startswith("alice#")
        assert (item["who"], item["since"], item["expires"]) == ("alice", T0, T0 + 60)
        assert not held.lost
        held.check()
    assert table.get("lock#dev", "lock") is None


def test_second_holder_is_refused_with_holder_since_and_expiry_named(table: FakeTable, clock: FakeClock) -> None:
    with store(table, clock, "alice").lock("dev", lease_seconds=60) as held:
        with pytest.raises(LockHeldError) as refused:
            store(table, clock, "bob").lock("dev").__enter__()
        with store(table, clock, "bob").lock("prod"):  # another environment is another lock
            pass
    error = refused.value
    assert (error.holder, error.since, error.expires) == (held.holder, T0, T0 + 60)
    assert held.holder in str(error)
    assert "since 2023-11-14T22:13:20.000000Z" in str(error)
    assert "expires at 2023-11-14T22:14:20.000000Z (in 60 s)" in str(error)
    assert clock.slept == []


def test_waiting_run_takes_the_lock_once_released(table: FakeTable, clock: FakeClock) -> None:
    first = store(table, clock, "alice").lock("dev", lease_seconds=60)
    first.__enter__()
    clock.on_sleep = lambda: first.__exit__(None, None, None) if clock.now >= T0 + 3 else None

    with store(table, clock, "bob").lock("dev", wait_seconds=30, poll=1) as second:
        assert table.get("lock#dev", "lock") == {
            "pk": "lock#dev",
            "sk": "lock",
            "holder": second.holder,
            "who": "bob",
            "since": T0 + 3,
            "expires": T0 + 303,
        }
    assert clock.slept == [1, 1, 1]


def test_waiting_gives_up_after_wait_seconds(table: FakeTable, clock: FakeClock) -> None:
    with store(table, clock, "alice").lock("dev", lease_seconds=60), pytest.raises(LockHeldError, match="alice#"):
        store(table, clock, "bob").lock("dev", wait_seconds=2.5, poll=1).__enter__()
    assert clock.slept == [1, 1, 0.5]


def test_expired_lease_is_taken_over_and_the_old_holder_sees_it_lost(table: FakeTable, clock: FakeClock) -> None:
    crashed = store(table, clock, "alice").lock("dev", lease_seconds=10)
    crashed.__enter__()
    clock.now += 10.5

    assert crashed.lost
    with store(table, clock, "bob").lock("dev") as taken:
        crashed.__exit__(None, None, None)  # its release must not delete bob's lock
        item = table.get("lock#dev", "lock")
        assert item is not None
        assert item["holder"] == taken.holder
    with pytest.raises(LockLostError, match="'dev'"):
        crashed.check()


def test_heartbeat_renews_the_lease() -> None:
    table = FakeTable()
    with StateStore(table, who="alice").lock("dev", lease_seconds=0.3) as held:
        first = held.expires
        time.sleep(0.5)
        item = table.get("lock#dev", "lock")
        assert item is not None
        assert float(item["expires"]) > first + 0.15
        assert item["expires"] == held.expires
        assert not held.lost
    assert table.get("lock#dev", "lock") is None


def test_heartbeat_refused_marks_the_lock_lost() -> None:
    table = FakeTable()
    with StateStore(table, who="alice").lock("dev", lease_seconds=3) as held:
        table.refuse_updates = True  # as if another run had taken the lock
        deadline = time.monotonic() + 3
        while not held.lost and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.lost
        assert time.time() < held.expires  # noticed from the refusal, before the lease ran out
        with pytest.raises(LockLostError):
            held.check()


def revision(finished: float, sha: str) -> Revision:
    return Revision(
        env="dev", git_sha=sha, plan_digest=f"plan-{sha}", started=finished - 5, finished=finished, who="ci"
    )


def churn(version: str) -> ModelRecord:
    return ModelRecord(
        model="churn",
        spec_digest=f"spec-{version}",
        config_id=f"cfg-{version}",
        serving=(Serving("blue", version, 0.9), Serving("green", "v0", 0.1)),
        outcomes=(("applied", 2), ("failed", 0)),
        changes=(f"~ sagemaker.endpoint/churn-dev: {version}",),
    )


def test_history_round_trips_newest_first_per_model(table: FakeTable, clock: FakeClock) -> None:
    state = store(table, clock, "ci")
    fraud = ModelRecord(model="fraud", spec_digest="f", config_id="c")
    state.record_apply(ApplyRecord(revision(T0, "aaa"), (churn("v1"), fraud)))
    state.record_apply(ApplyRecord(revision(T0 + 60, "bbb"), (churn("v2"),)))
    state.record_apply(ApplyRecord(revision(T0 + 120, "ccc"), (churn("v3"),)))

    entries = state.history("dev", "churn")
    assert [entry.revision.git_sha for entry in entries] == ["ccc", "bbb", "aaa"]
    assert entries[0].revision == revision(T0 + 120, "ccc")
    assert entries[0].record == churn("v3")
    assert [entry.record for entry in state.history("dev", "churn", limit=2)] == [churn("v3"), churn("v2")]
    assert [entry.record for entry in state.history("dev", "fraud")] == [fraud]
    assert state.history("prod", "churn") == []

    applies = state.applies("dev")
    assert [(plan.revision.git_sha, plan.models) for plan in applies] == [
        ("ccc", ("churn",)),
        ("bbb", ("churn",)),
        ("aaa", ("churn", "fraud")),
    ]
    item = table.get("history#dev#churn", "2023-11-14T22:14:20.000000Z#bbb")
    assert item is not None
    assert item["plan_digest"] == "plan-bbb"


def test_inventory_remembers_and_forgets(table: FakeTable, clock: FakeClock) -> None:
    state = store(table, clock, "ci")
    state.remember("dev", [("ssm.parameter", "/m/a", "m"), ("sagemaker.endpoint", "m-dev", "m")])
    state.remember("dev", [("ssm.parameter", "/m/a", "m"), ("ssm.parameter", "/m/b#x", "m")])
    state.remember("prod", [("ssm.parameter", "/m/a", "m")])
    assert state.inventory("dev") == {
        ("ssm.parameter", "/m/a"),
        ("ssm.parameter", "/m/b#x"),
        ("sagemaker.endpoint", "m-dev"),
    }

    state.forget("dev", [("ssm.parameter", "/m/a"), ("ssm.parameter", "/never")])
    assert state.inventory("dev") == {("ssm.parameter", "/m/b#x"), ("sagemaker.endpoint", "m-dev")}
    assert state.inventory("prod") == {("ssm.parameter", "/m/a")}


def test_rollback_marks_are_kept_per_endpoint_until_cleared(table: FakeTable, clock: FakeClock) -> None:
    state = store(table, clock, "ci")
    state.mark_rolled_back("dev", "churn-dev", "churn-dev-abc", "alarm churn-dev-5xx")
    clock.now += 1
    state.mark_rolled_back("dev", "fraud-dev", "fraud-dev-def", "alarm fraud-dev-latency")
    assert state.rolled_back("dev") == {
        "churn-dev": RollbackMark("churn-dev-abc", "alarm churn-dev-5xx", T0),
        "fraud-dev": RollbackMark("fraud-dev-def", "alarm fraud-dev-latency", T0 + 1),
    }
    state.clear_rolled_back("dev", "churn-dev")
    state.clear_rolled_back("dev", "never-marked")
    assert list(state.rolled_back("dev")) == ["fraud-dev"]
    assert state.rolled_back("prod") == {}


def test_bundle_marks_are_per_sha_and_environment(table: FakeTable, clock: FakeClock) -> None:
    state = store(table, clock, "ci")
    assert not state.bundle_applied("dev", "abc")
    state.mark_bundle_applied("dev", "abc")
    assert state.bundle_applied("dev", "abc")
    assert not state.bundle_applied("prod", "abc")
    assert not state.bundle_applied("dev", "def")
    assert table.get("bundle#dev", "abc") == {"pk": "bundle#dev", "sk": "abc", "applied": T0, "who": "ci"}
