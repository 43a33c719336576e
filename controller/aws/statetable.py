"""The DynamoDB state table (`modelctl-state`: string keys `pk` and `sk`, PAY_PER_REQUEST) as a
`controller.reconcile.store.Table`: the only boto3 user for it.

Built by the CLI or the reconciler from the shared AwsClients and handed to `controller.reconcile.store.StateStore`.
Items are flat maps of strings and numbers (numbers come back as int when whole, else float); reads are strongly
consistent; queries follow LastEvaluatedKey; batch writes go 25 at a time and resend unprocessed items with
backoff. A refused condition raises ConflictError; every other botocore error is translated as usual.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from controller.aws.batching import chunks
from controller.aws.errors import translate
from controller.aws.session import Adapter, AwsClients
from controller.errors import ConflictError, TemporaryError
from controller.ports import Condition, Item, Value

TABLE_NAME = "modelctl-state"
BATCH_WRITE = 25  # BatchWriteItem takes at most 25 requests
UNPROCESSED_ATTEMPTS = 8  # rounds of resending unprocessed items before giving up
UNPROCESSED_DELAY = 0.05  # seconds before the first resend, doubled each round

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@contextmanager
def _translated() -> Iterator[None]:
    """translate_errors, except that a refused condition becomes ConflictError."""
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise ConflictError(
                f"{error.operation_name}: condition refused", operation=error.operation_name, code="ConditionalCheck"
            ) from error
        raise translate(error) from error
    except BotoCoreError as error:
        raise translate(error) from error


def _encode(item: Item) -> dict[str, Any]:
    return {
        name: _serializer.serialize(Decimal(str(value)) if isinstance(value, float) else value)
        for name, value in item.items()
    }


def _decode(attributes: dict[str, Any]) -> dict[str, Value]:
    item: dict[str, Value] = {}
    for name, attribute in attributes.items():
        value = _deserializer.deserialize(attribute)
        if isinstance(value, Decimal):
            item[name] = int(value) if value == value.to_integral_value() else float(value)
        else:
            item[name] = str(value)
    return item


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _condition(condition: Condition | None) -> dict[str, Any]:
    """The ConditionExpression and its names and values for put_item / update_item / delete_item."""
    if condition is None:
        return {}
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    tests: list[str] = []
    for operator, pairs in (("=", condition.equal), ("<", condition.below)):
        for name, value in pairs:
            index = len(tests)
            names[f"#c{index}"] = name
            values[f":c{index}"] = _encode({"v": value})["v"]
            tests.append(f"#c{index} {operator} :c{index}")
    present = " AND ".join(tests)
    if condition.when_absent:
        expression = f"attribute_not_exists(pk) OR ({present})" if present else "attribute_not_exists(pk)"
    elif present:
        expression = present
    else:
        raise ValueError("a condition needs when_absent or at least one test")
    answer: dict[str, Any] = {"ConditionExpression": expression}
    if names:
        answer.update(ExpressionAttributeNames=names, ExpressionAttributeValues=values)
    return answer


class StateTable(Adapter):
    """controller.reconcile.store.Table on DynamoDB. name: the table's name."""

    def __init__(self, clients: AwsClients, name: str = TABLE_NAME) -> None:
        super().__init__(clients)
        self.name = name

    def get(self, pk: str, sk: str) -> dict[str, Value] | None:
        with _translated():
            answer = self._clients.dynamodb.get_item(TableName=self.name, Key=_key(pk, sk), ConsistentRead=True)
        return _decode(answer["Item"]) if "Item" in answer else None

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        with _translated():
            self._clients.dynamodb.put_item(TableName=self.name, Item=_encode(item), **_condition(condition))

    def update(self, pk: str, sk: str, values: Item, *, condition: Condition | None = None) -> None:
        request = _condition(condition)
        names = request.setdefault("ExpressionAttributeNames", {})
        encoded = request.setdefault("ExpressionAttributeValues", {})
        for index, (name, value) in enumerate(values.items()):
            names[f"#u{index}"] = name
            encoded[f":u{index}"] = _encode({"v": value})["v"]
        setters = ", ".join(f"#u{index} = :u{index}" for index in range(len(values)))
        with _translated():
            self._clients.dynamodb.update_item(
                TableName=self.name, Key=_key(pk, sk), UpdateExpression=f"SET {setters}", **request
            )

    def delete(self, pk: str, sk: str, *, condition: Condition | None = None) -> None:
        with _translated():
            self._clients.dynamodb.delete_item(TableName=self.name, Key=_key(pk, sk), **_condition(condition))

    def query(self, pk: str, *, newest_first: bool = False, limit: int | None = None) -> list[dict[str, Value]]:
        items: list[dict[str, Value]] = []
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ScanIndexForward": not newest_first,
            "ConsistentRead": True,
        }
        while limit is None or len(items) < limit:
            if limit is not None:
                request["Limit"] = limit - len(items)
            with _translated():
                answer = self._clients.dynamodb.query(**request)
            items.extend(_decode(item) for item in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return items

    def put_many(self, items: Iterable[Item]) -> None:
        self._write_batches({"PutRequest": {"Item": _encode(item)}} for item in items)

    def delete_many(self, keys: Iterable[tuple[str, str]]) -> None:
        self._write_batches({"DeleteRequest": {"Key": _key(pk, sk)}} for pk, sk in keys)

    def _write_batches(self, requests: Iterable[dict[str, Any]]) -> None:
        for batch in chunks(list(requests), BATCH_WRITE):
            pending = {self.name: list(batch)}
            delay = UNPROCESSED_DELAY
            for _ in range(UNPROCESSED_ATTEMPTS):
                with _translated():
                    answer = self._clients.dynamodb.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(delay)
                delay *= 2
            else:
                left = len(pending.get(self.name, []))
                raise TemporaryError(
                    f"BatchWriteItem: {left} item(s) still unprocessed", operation="BatchWriteItem", delay=1.0
                )
