"""An in-memory controller.reconcile.store.Table with DynamoDB's conditional semantics, for the store's unit tests.

Thread-safe (one lock around every operation, as DynamoDB makes each single-item write atomic); counts writes, and
`refuse_updates` makes every conditional update fail as if another run had taken the item.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from controller.errors import ConflictError
from controller.ports import Condition, Item, Value


class FakeTable:
    """controller.reconcile.store.Table in a dict keyed by (pk, sk)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Value]] = {}
        self.writes = 0
        self.refuse_updates = False
        self._lock = threading.Lock()

    def _check(self, key: tuple[str, str], condition: Condition | None) -> None:
        if condition is not None and not condition.allows(self.items.get(key)):
            raise ConflictError("condition refused", code="ConditionalCheck")
        self.writes += 1

    def get(self, pk: str, sk: str) -> dict[str, Value] | None:
        with self._lock:
            found = self.items.get((pk, sk))
            return dict(found) if found is not None else None

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        key = (str(item["pk"]), str(item["sk"]))
        with self._lock:
            self._check(key, condition)
            self.items[key] = dict(item)

    def update(self, pk: str, sk: str, values: Item, *, condition: Condition | None = None) -> None:
        with self._lock:
            if self.refuse_updates:
                raise ConflictError("condition refused", code="ConditionalCheck")
            self._check((pk, sk), condition)
            self.items.setdefault((pk, sk), {"pk": pk, "sk": sk}).update(values)

    def delete(self, pk: str, sk: str, *, condition: Condition | None = None) -> None:
        with self._lock:
            self._check((pk, sk), condition)
            self.items.pop((pk, sk), None)

    def query(self, pk: str, *, newest_first: bool = False, limit: int | None = None) -> list[dict[str, Value]]:
        with self._lock:
            found = sorted((key[1], dict(item)) for key, item in self.items.items() if key[0] == pk)
        if newest_first:
            found.reverse()
        return [item for _, item in found][:limit]

    def put_many(self, items: Iterable[Item]) -> None:
        for item in items:
            self.put(item)

    def delete_many(self, keys: Iterable[tuple[str, str]]) -> None:
        for pk, sk in keys:
            self.delete(pk, sk)
