"""apply refuses to write into another account or region than the environment's, before touching anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from controller.errors import PlanError
from controller.ports import Caller
from controller.reconcile.orchestrate import apply_environment
from controller.spec.loader import load_catalog

REPO = Path(__file__).resolve().parents[2]


class WrongAccountCloud:
    """A Cloud whose credentials belong to another account; any other use is a test failure."""

    @property
    def operations(self) -> Any:
        raise AssertionError("must not be called: nothing may be read or written")

    def caller(self) -> Caller:
        return Caller("999999999999", "arn:aws:iam::999999999999:user/someone", "us-east-1")

    def notify(self, topic_arn: str, subject: str, message: Any) -> None:
        raise AssertionError("must not be called")


class UntouchableStore:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"store.{name} must not be called")


def test_a_prod_spec_is_never_applied_to_the_wrong_account() -> None:
    catalog = load_catalog([str(REPO / "specs")])
    with pytest.raises(
        PlanError, match="prod is account 111122223333 in us-east-1, but the credentials are 999999999999"
    ):
        apply_environment(
            catalog,
            "prod",
            WrongAccountCloud(),
            UntouchableStore(),  # type: ignore[arg-type]
            git_sha="abc",
            resolve_image=lambda *args: "unused",
        )
