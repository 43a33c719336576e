"""The emulator's own tests' fixtures: `kit`, a SageMakerKit on the `aws` target with short delays, and
`watched_kit`, the same with endpoint transitions slow enough that polling sees every status they pass through
(tests that assert the sequence of statuses: on a loaded machine a 0.2 s status can pass between two polls)."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_kit import FAST, WATCHED, SageMakerKit


@pytest.fixture
def kit(aws: Any) -> SageMakerKit:
    aws.configure(FAST)
    return SageMakerKit(aws)


@pytest.fixture
def watched_kit(aws: Any) -> SageMakerKit:
    aws.configure(WATCHED)
    return SageMakerKit(aws)
