"""The state store on DynamoDB (controller.aws.statetable) against the in-process emulator, plus Stubber tests
for what moto does not show: query pages and unprocessed batch items.

The emulator makes conditional writes atomic as DynamoDB does (controller.local.dynamodb_ext); without that, the
contention test below fails most runs.
"""

from __future__ import annotations

import threading
import time

import boto3
import pytest
from aws_kit import REGION, ROLE
from botocore.stub import Stubber

from controller.aws.session import AwsClients
from controller.aws.statetable import TABLE_NAME, StateTable
from controller.errors import ConflictError, LockHeldError, TemporaryError
from controller.local.bootstrap import ensure_prerequisites
from controller.ports import Condition
from controller.reconcile.store import ApplyRecord, ModelRecord, Revision, Serving, StateStore


@pytest.fixture
def table(clients: AwsClients) -> StateTable:
    ensure_prerequisites(
        boto3.session.Session(region_name=REGION),
        REGION,
        bucket="modelctl-artifacts",
        role_arn=ROLE,
        topic_arn=f"arn:aws:sns:{REGION}:123456789012:modelctl",
        table_name=TABLE_NAME,
    )
    return StateTable(clients)


def test_items_round_trip_with_conditions(table: StateTable) -> None:
    table.put({"pk": "p", "sk": "s", "name": "a", "count": 3, "ratio": 0.25})
    assert table.get("p", "s") == {"pk": "p", "sk": "s", "name": "a", "count": 3, "ratio": 0.25}
    assert table.get("p", "missing") is None

    with pytest.raises(ConflictError):
        table.put({"pk": "p", "sk": "s"}, condition=Condition(when_absent=True))
    with pytest.raises(ConflictError):
        table.update("p", "s", {"count": 4}, condition=Condition(below=(("count", 3),)))
    table.update("p", "s", {"count": 4, "name": "b"}, condition=Condition(equal=(("name", "a"),)))
    assert table.get("p", "s") == {"pk": "p", "sk": "s", "name": "b", "count": 4, "ratio": 0.25}
    with pytest.raises(ConflictError):
        table.delete("p", "s", condition=Condition(equal=(("name", "a"),)))
    table.delete("p", "s", condition=Condition(when_absent=True, equal=(("name", "b"),)))
    assert table.get("p", "s") is None


def test_two_threads_contending_never_both_hold_the_lock(table: StateTable) -> None:
    holding: list[str] = []
    overlaps: list[tuple[str, ...]] = []
    acquired: list[str] = []

    def run(who: str) -> None:
        store = StateStore(table, who=who)
        for _ in range(8):
            with store.lock("dev", lease_seconds=5, wait_seconds=4, poll=0.01):
                holding.append(who)
                if len(holding) > 1:
                    overlaps.append(tuple(holding))
                acquired.append(who)
                time.sleep(0.005)
                holding.remove(who)

    threads = [threading.Thread(target=run, args=(who,)) for who in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    assert overlaps == []
    assert sorted(acquired) == ["alice"] * 8 + ["bob"] * 8
    assert table.get("lock#dev", "lock") is None


def test_a_crashed_holder_is_taken_over_after_its_lease(table: StateTable) -> None:
    """The store's clock is the test's (the DynamoDB conditions compare the times the store sends), so a loaded
    machine's pauses cannot expire the crashed lease early."""
    now = 1_800_000_000.0
    crashed: dict[str, str | float] = {
        "pk": "lock#dev",
        "sk": "lock",
        "holder": "ghost#1",
        "who": "ghost",
        "since": now,
        "expires": now + 2,
    }
    table.put(crashed)  # what a run that died holding the lock leaves behind
    clock = [now]
    store = StateStore(
        table, who="bob", clock=lambda: clock[0], sleep=lambda seconds: clock.__setitem__(0, clock[0] + seconds)
    )

    with pytest.raises(LockHeldError, match="ghost#1"):
        store.lock("dev").__enter__()
    with store.lock("dev", lease_seconds=2, wait_seconds=4, poll=0.5) as held:
        assert clock[0] >= now + 2  # waited (on the test's clock) until the crashed lease ran out
        item = table.get("lock#dev", "lock")
        assert item is not None
        assert item["holder"] == held.holder
    assert table.get("lock#dev", "lock") is None


def test_history_round_trip(table: StateTable) -> None:
    store = StateStore(table, who="ci")
    for index, sha in enumerate(["aaa", "bbb", "ccc"]):
        revision = Revision("dev", sha, f"plan-{sha}", 1000.0 + index, 1000.5 + index, "ci")
        record = ModelRecord(
            "churn", f"spec-{sha}", f"cfg-{sha}", (Serving("blue", f"v{index}", 1.0),), (("applied", index),), ("~ x",)
        )
        store.record_apply(ApplyRecord(revision, (record,)))

    entries = store.history("dev", "churn", limit=2)
    assert [entry.revision.git_sha for entry in entries] == ["ccc", "bbb"]
    assert entries[0].revision == Revision("dev", "ccc", "plan-ccc", 1002.0, 1002.5, "ci")
    assert entries[0].record == ModelRecord(
        "churn", "spec-ccc", "cfg-ccc", (Serving("blue", "v2", 1.0),), (("applied", 2),), ("~ x",)
    )
    assert [plan.models for plan in store.applies("dev")] == [("churn",)] * 3


def test_inventory_round_trip_in_batches_of_25(table: StateTable, clients: AwsClients) -> None:
    store = StateStore(table, who="ci")
    refs = [("ssm.parameter", f"/modelctl/m/dev/p{index:02d}", "m") for index in range(30)]
    clients.calls.reset()
    store.remember("dev", refs)
    assert clients.calls["dynamodb.BatchWriteItem"] == 2
    assert store.inventory("dev") == {(kind, key) for kind, key, _ in refs}

    store.forget("dev", [(kind, key) for kind, key, _ in refs[:27]])
    assert store.inventory("dev") == {(kind, key) for kind, key, _ in refs[27:]}


def test_query_follows_pages(offline: AwsClients) -> None:
    table = StateTable(offline)
    page = {"TableName": TABLE_NAME, "KeyConditionExpression": "pk = :pk", "ScanIndexForward": False}
    page.update(ExpressionAttributeValues={":pk": {"S": "p"}}, ConsistentRead=True)
    item = {"pk": {"S": "p"}, "sk": {"S": "b"}}
    with Stubber(offline.dynamodb) as stub:
        stub.add_response("query", {"Items": [item], "LastEvaluatedKey": item}, {**page, "Limit": 3})
        stub.add_response(
            "query", {"Items": [{**item, "sk": {"S": "a"}}]}, {**page, "Limit": 2, "ExclusiveStartKey": item}
        )
        assert [found["sk"] for found in table.query("p", newest_first=True, limit=3)] == ["b", "a"]
        stub.assert_no_pending_responses()


def test_unprocessed_items_are_resent_then_reported(offline: AwsClients, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "sleep", lambda _: None)
    table = StateTable(offline)
    request = {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": "s"}}}}
    unprocessed = {"UnprocessedItems": {TABLE_NAME: [request]}}
    with Stubber(offline.dynamodb) as stub:
        stub.add_response("batch_write_item", unprocessed, {"RequestItems": {TABLE_NAME: [request]}})
        stub.add_response("batch_write_item", {"UnprocessedItems": {}}, {"RequestItems": {TABLE_NAME: [request]}})
        table.put_many([{"pk": "p", "sk": "s"}])
        stub.assert_no_pending_responses()

        for _ in range(8):
            stub.add_response("batch_write_item", unprocessed)
        with pytest.raises(TemporaryError, match="1 item"):
            table.put_many([{"pk": "p", "sk": "s"}])
