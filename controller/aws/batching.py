"""Small helpers the adapters share to keep reads batched and concurrent.

chunks: split keys into AWS batch-size groups; name_filter: one NameContains substring that every wanted key
contains, so a List* call returns only candidates; run_concurrently: per-key Describe calls on a bounded pool;
tag_map: AWS tag lists ({"Key", "Value"} or {"key", "value"}) as a plain dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def name_filter(keys: Iterable[str]) -> str:
    """The longer of the keys' common prefix and common suffix ("" when they share neither).

    Used as NameContains so listing finds every wanted key and, usually, little else."""
    names = list(keys)
    if not names:
        return ""
    prefix = _common_prefix(names)
    suffix = _common_prefix([name[::-1] for name in names])[::-1]
    return prefix if len(prefix) >= len(suffix) else suffix


def _common_prefix(names: Sequence[str]) -> str:
    """The longest string every name starts with."""
    first, last = min(names), max(names)  # the lexical extremes differ first where any two names differ
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    return first[:length]


def run_concurrently(function: Callable[[T], R], items: Sequence[T], max_workers: int) -> list[R]:
    """`function` applied to every item on at most `max_workers` threads, results in item order.

    The first exception raised by any call propagates (after the pool has finished)."""
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        return list(pool.map(function, items))


def tag_map(tags: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """AWS tag list -> {key: value}, whatever the service's capitalisation."""
    return {tag.get("Key", tag.get("key", "")): tag.get("Value", tag.get("value", "")) for tag in tags}


def iso(moment: Any) -> str | None:
    """A timestamp from boto3 (datetime) as an ISO 8601 string; None stays None."""
    if moment is None:
        return None
    return moment.isoformat() if isinstance(moment, datetime) else str(moment)
