"""The interfaces the core (controller.reconcile) calls out through, so it never imports boto3 or controller.aws.

- ResourceOperations: what an adapter offers for one resource kind (gitops-engine's idea); controller.aws.registry
  builds one per Kind, tests hand in fakes.
- Cloud: the adapters by kind, the caller's identity (Caller) and notifications; controller.aws.cloud.AwsCloud.
- Table: the key-value table the state store (controller.reconcile.store) runs on, with Condition for conditional
  writes; controller.aws.statetable.StateTable on DynamoDB, an in-memory fake in unit tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from controller.resources import Kind, Observed, Resource


class ResourceOperations(Protocol):
    """What every adapter offers for its kind.

    Every write is idempotent (a create that finds its own managed resource adopts it; a run already started is
    success), refuses with PermanentError to modify or delete a resource without the managed tag, raises only
    AwsError subclasses (TemporaryError is for the caller to retry: adapters retry nothing beyond botocore), and
    returns without waiting for AWS to finish (an endpoint update is still Updating when it returns)."""

    kind: Kind

    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        """The resources among `keys` that exist, read with as few calls as the API allows; raises AwsError."""
        ...

    def create(self, resource: Resource) -> None:
        """Make `resource` as desired (or adopt the managed one already there); raises AwsError."""
        ...

    def update(self, resource: Resource, observed: Observed) -> None:
        """Converge the existing, managed `observed` to `resource`; raises AwsError."""
        ...

    def delete(self, observed: Observed) -> None:
        """Delete the existing, managed `observed`; raises AwsError (PermanentError where the kind is kept)."""
        ...


@dataclass(frozen=True)
class Caller:
    """account: the 12-digit account id; arn: the caller's identity (user or assumed role); region: the clients'."""

    account: str
    arn: str
    region: str


class Cloud(Protocol):
    """operations: the adapters by kind; caller(): who we are and where; notify(): publish one notification."""

    @property
    def operations(self) -> Mapping[Kind, ResourceOperations]: ...

    def caller(self) -> Caller: ...

    def notify(self, topic_arn: str, subject: str, message: Mapping[str, Any]) -> None: ...


Value = str | float  # attribute values: strings and numbers (ints included); structures are stored as JSON text
Item = Mapping[str, Value]


@dataclass(frozen=True)
class Condition:
    """When a conditional write may go ahead, judged on the item stored under the same key.

    when_absent: the write may go ahead when no item is stored
    equal: (attribute, value) pairs an existing item must all hold
    below: (attribute, number) pairs: an existing item's numeric attribute must be less than the number
    An existing item passes when it meets every test in `equal` and `below`, and there is at least one test.
    """

    when_absent: bool = False
    equal: tuple[tuple[str, str], ...] = ()
    below: tuple[tuple[str, float], ...] = ()

    def allows(self, current: Item | None) -> bool:
        """Whether the write may go ahead given the stored item (None: no item). The fake table's semantics."""
        if current is None:
            return self.when_absent
        tests = [current.get(name) == value for name, value in self.equal]
        for name, limit in self.below:
            stored = current.get(name)
            tests.append(isinstance(stored, int | float) and stored < limit)
        return bool(tests) and all(tests)


class Table(Protocol):
    """The key-value table the store runs on. A refused `condition` raises ConflictError."""

    def get(self, pk: str, sk: str) -> dict[str, Value] | None:
        """The item under (pk, sk), read consistently, or None."""

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        """Write the whole item (keys included), replacing any stored one."""

    def update(self, pk: str, sk: str, values: Item, *, condition: Condition | None = None) -> None:
        """Set the given attributes of the item under (pk, sk)."""

    def delete(self, pk: str, sk: str, *, condition: Condition | None = None) -> None:
        """Remove the item under (pk, sk), if any."""

    def query(self, pk: str, *, newest_first: bool = False, limit: int | None = None) -> list[dict[str, Value]]:
        """Items under pk in sk order (descending when newest_first), at most `limit` of them."""

    def put_many(self, items: Iterable[Item]) -> None:
        """Write many items, unconditionally."""

    def delete_many(self, keys: Iterable[tuple[str, str]]) -> None:
        """Remove many items by (pk, sk), unconditionally."""
