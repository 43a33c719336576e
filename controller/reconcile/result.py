"""The result of planning one environment: the plan and the desired and observed state it was computed from.

Below both its users (the orchestrator, and the records, rollbacks and notifications an apply leaves behind), so
neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from controller.desired.state import DesiredState
from controller.plan.plan import Plan
from controller.resources import Observed, Ref


@dataclass(frozen=True)
class PlanResult:
    """A plan and what it was computed from: the desired state (notes, held resources) and the observed state;
    rolled_back: the endpoints held because the specs still want the config a guardrail rolled back (their
    rollback marks stand; controller.reconcile.rollbacks)."""

    plan: Plan
    desired: DesiredState
    observed: Mapping[Ref, Observed]
    rolled_back: frozenset[str] = frozenset()
