"""DynamoDB conditional writes, made atomic in the embedded emulator.

DynamoDB evaluates a ConditionExpression and performs the write as one atomic step per item (DynamoDB Developer
Guide, "Condition expressions": "conditional writes are ... atomic"). moto 5.2 checks the condition and then writes
without holding a lock, so two threads can both pass `attribute_not_exists(pk)` and both "win" the environment
lock the state store keeps there. `install()` (called by controller.local.emulator, idempotent) serialises moto's
single-item writes under one lock: correct, and cheap at the emulator's request rates.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

from controller.local.patching import Patches

WRITES = ("put_item", "update_item", "delete_item")
PATCHES = Patches()
_LOCK = threading.RLock()


def _atomic(original: Callable[..., Any]) -> Callable[..., Any]:
    def write(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return original(*args, **kwargs)

    write.__doc__ = f"moto's {original.__name__}, condition check and write under one lock."
    return write


def install() -> None:
    if PATCHES.installed:
        return
    for name in WRITES:
        PATCHES.replace(DynamoDBBackend, name, _atomic(getattr(DynamoDBBackend, name)))
