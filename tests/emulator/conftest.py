"""The `kit` fixture of the emulator's own tests: a SageMakerKit on the `aws` target, with short delays."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_kit import FAST, SageMakerKit


@pytest.fixture
def kit(aws: Any) -> SageMakerKit:
    aws.configure(FAST)
    return SageMakerKit(aws)
