"""Fixtures of the fault-injection tests: service models parsed once for the whole folder (speed only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.loaders import Loader


@pytest.fixture(scope="module", autouse=True)
def _service_models_parsed_once() -> Iterator[None]:
    """Every boto3 Session opened here (the controller opens one per command, the emulator bootstrap another)
    reuses the service models parsed before: botocore caches them per Session, and parsing costs ~0.3 s a client
    on a new one. The models are read-only, as botocore already shares them between the clients of one Session."""
    parse = Loader.load_service_model
    parsed: dict[tuple[str, str, str | None], Any] = {}

    def load_once(loader: Loader, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        key = (service_name, type_name, api_version)
        if key not in parsed:
            parsed[key] = parse(loader, service_name, type_name, api_version)
        return parsed[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Loader, "load_service_model", load_once)
        yield
