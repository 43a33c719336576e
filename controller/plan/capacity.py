"""What a change costs in instances (and, given a price table, in money), so a reviewer sees what a merge spends.

Pure except `load_price_table`; the plan attaches it to every retrain, new fleet and weights-only change.

- A retrain costs at most `instanceCount x maxRuntime` instance-hours of its training instance type (a spot run
  is billed for less; with `spotDiscount` in the price table the dollar figure applies it).
- A new fleet is a SageMaker blue/green update: the full new fleet is provisioned alongside the old one until
  traffic shifting ends, for canary, linear and all-at-once alike. `rollout_extra` is that second fleet and
  `rollout_hours` an estimate of how long it is held: one bake for all-at-once, two for a canary (canary bake, then
  the final bake), one per step for linear (`ceil(100 / stepPercent)`); provisioning time not included.
- A weights-only change moves capacity in place: before and after, no second fleet.

Price table: a small YAML or JSON file the user keeps (modelctl ships no prices)::

    currency: USD                 # any label; printed next to the figures
    instanceHour:                 # on-demand price of one instance for one hour, by instance type
      ml.m5.large: 0.115
      ml.m5.xlarge: 0.23
    spotDiscount: 0.7             # optional, 0..1: the fraction a spot training run saves on the on-demand price

An instance type missing from the table leaves the money figures out (and says so in `notes`), never guesses.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from controller.errors import PlanError

_BAKES = {"allAtOnce": 1, "canary": 2}


@dataclass(frozen=True, order=True)
class Instances:
    """A number of instances of one type. instance_type: e.g. `ml.m5.large`; count: how many."""

    instance_type: str
    count: int


@dataclass(frozen=True)
class PriceTable:
    """Prices the user provides (see the module docstring for the file format).

    currency: the label printed with every figure; instance_hour: on-demand price per instance-hour by instance
    type; spot_discount: the fraction a spot training run saves (0..1), None when unknown
    """

    currency: str
    instance_hour: Mapping[str, float]
    spot_discount: float | None = None

    def hourly(self, fleet: Iterable[Instances]) -> float | None:
        """What `fleet` costs per hour, None when an instance type has no price."""
        fleet = tuple(fleet)
        if any(i.instance_type not in self.instance_hour for i in fleet):
            return None
        return sum(self.instance_hour[i.instance_type] * i.count for i in fleet)


@dataclass(frozen=True)
class Cost:
    """Money figures of one change, in `currency`; each None when it does not apply or a price is missing.

    currency: from the price table; training_max: the most a retrain can cost (spot discount applied when known);
    hourly_before / hourly_after: the endpoint fleet's price per hour before and after; rollout_extra: the price of
    the second fleet held during the blue/green rollout (`rollout_hours` of it)
    """

    currency: str
    training_max: float | None = None
    hourly_before: float | None = None
    hourly_after: float | None = None
    rollout_extra: float | None = None


@dataclass(frozen=True)
class Capacity:
    """The capacity impact of one change.

    training: the instances a retrain runs on; training_hours: its maximum instance-hours (count x max runtime);
    spot: the retrain uses managed spot training; before / after: endpoint instances held before and after the
    change, by type; rollout_extra: instances provisioned alongside the old fleet during a blue/green rollout;
    rollout_hours: the estimated time they are held; cost: money figures when a price table was given;
    notes: caveats for people (missing prices, spot pricing unknown)
    """

    training: tuple[Instances, ...] = ()
    training_hours: float = 0.0
    spot: bool = False
    before: tuple[Instances, ...] = ()
    after: tuple[Instances, ...] = ()
    rollout_extra: tuple[Instances, ...] = ()
    rollout_hours: float = 0.0
    cost: Cost | None = None
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for a plan: instances and, when priced, money."""
        money = self.cost
        parts: list[str] = []
        if self.training:
            spot = " (spot)" if self.spot else ""
            parts.append(f"train ≤ {_rounded(self.training_hours)} instance-h on {_fleet(self.training)}{spot}")
            if money and money.training_max is not None:
                parts[-1] += f" ≤ {_money(money.training_max, money.currency)}"
        if self.before or self.after:
            parts.append(f"endpoint {_fleet(self.before) or 'none'} → {_fleet(self.after) or 'none'}")
            if money and money.hourly_before is not None and money.hourly_after is not None:
                before, after = _money(money.hourly_before, money.currency), _money(money.hourly_after, money.currency)
                parts[-1] += f" ({before}/h → {after}/h)"
        if self.rollout_extra:
            parts.append(f"+{_fleet(self.rollout_extra)} during rollout (~{_span(self.rollout_hours)})")
            if money and money.rollout_extra is not None:
                parts[-1] += f" ≈ {_money(money.rollout_extra, money.currency)}"
        return "; ".join(parts + list(self.notes))

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape stored in a plan (see controller.plan)."""
        return {
            "training": [_instances_dict(i) for i in self.training],
            "trainingHours": self.training_hours,
            "spot": self.spot,
            "before": [_instances_dict(i) for i in self.before],
            "after": [_instances_dict(i) for i in self.after],
            "rolloutExtra": [_instances_dict(i) for i in self.rollout_extra],
            "rolloutHours": self.rollout_hours,
            "cost": None
            if self.cost is None
            else {
                "currency": self.cost.currency,
                "trainingMax": self.cost.training_max,
                "hourlyBefore": self.cost.hourly_before,
                "hourlyAfter": self.cost.hourly_after,
                "rolloutExtra": self.cost.rollout_extra,
            },
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Capacity:
        """The inverse of `to_dict`."""
        cost = data.get("cost")
        return cls(
            training=_instances(data["training"]),
            training_hours=float(data["trainingHours"]),
            spot=bool(data["spot"]),
            before=_instances(data["before"]),
            after=_instances(data["after"]),
            rollout_extra=_instances(data["rolloutExtra"]),
            rollout_hours=float(data["rolloutHours"]),
            cost=None
            if cost is None
            else Cost(
                cost["currency"], cost["trainingMax"], cost["hourlyBefore"], cost["hourlyAfter"], cost["rolloutExtra"]
            ),
            notes=tuple(data["notes"]),
        )


def retrain(instance_hours: Mapping[str, Any], prices: PriceTable | None = None) -> Capacity:
    """A retrain's maximum cost, from the run's `instanceHours` inputs (instanceType, instanceCount,
    maxRuntimeSeconds, spot)."""
    fleet = (Instances(str(instance_hours["instanceType"]), int(instance_hours["instanceCount"])),)
    hours = fleet[0].count * float(instance_hours["maxRuntimeSeconds"]) / 3600
    spot = bool(instance_hours.get("spot"))
    notes: list[str] = []
    cost = None
    if prices is not None:
        price = prices.instance_hour.get(fleet[0].instance_type)
        notes += _missing(prices, fleet)
        total = None if price is None else price * hours
        if total is not None and spot:
            if prices.spot_discount is None:
                notes.append("spot price unknown: on-demand shown")
            else:
                total *= 1 - prices.spot_discount
        cost = Cost(prices.currency, training_max=total)
    return Capacity(training=fleet, training_hours=hours, spot=spot, cost=cost, notes=tuple(notes))


def endpoint(
    before: Iterable[Instances],
    after: Iterable[Instances],
    *,
    new_fleet: bool,
    rollout: Mapping[str, Any] | None = None,
    prices: PriceTable | None = None,
) -> Capacity:
    """An endpoint change: fleets before and after; with `new_fleet` on a live endpoint, the blue/green second fleet."""
    old, new = fleet_of(before), fleet_of(after)
    extra = new if new_fleet and old else ()
    hours = _rollout_hours(rollout) if extra else 0.0
    cost = None
    notes: list[str] = []
    if prices is not None:
        notes += _missing(prices, old + new)
        extra_hourly = prices.hourly(extra)
        cost = Cost(
            prices.currency,
            hourly_before=prices.hourly(old),
            hourly_after=prices.hourly(new),
            rollout_extra=None if not extra or extra_hourly is None else extra_hourly * hours,
        )
    return Capacity(before=old, after=new, rollout_extra=extra, rollout_hours=hours, cost=cost, notes=tuple(notes))


def fleet_of(instances: Iterable[Instances]) -> tuple[Instances, ...]:
    """Instances summed by type, sorted by type; types with no instance left out."""
    counts: Counter[str] = Counter()
    for item in instances:
        counts[item.instance_type] += item.count
    return tuple(Instances(kind, n) for kind, n in sorted(counts.items()) if n)


def load_price_table(path: str | Path) -> PriceTable:
    """Read a price table file (YAML or JSON, format in the module docstring); PlanError when it is malformed."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PlanError(f"price table {path}: {error}") from error
    return parse_price_table(data, source=str(path))


def parse_price_table(data: Any, *, source: str = "price table") -> PriceTable:
    """Check and convert the parsed content of a price table."""
    if not isinstance(data, Mapping) or set(data) - {"currency", "instanceHour", "spotDiscount"}:
        raise PlanError(f"{source}: expected a mapping with currency, instanceHour and optional spotDiscount")
    currency, table, discount = data.get("currency"), data.get("instanceHour"), data.get("spotDiscount")
    if not isinstance(currency, str) or not currency:
        raise PlanError(f"{source}: currency must be a non-empty string")
    if not isinstance(table, Mapping) or not all(_price(v) for v in table.values()):
        raise PlanError(f"{source}: instanceHour must map instance types to non-negative numbers")
    if discount is not None and not (_price(discount) and discount <= 1):
        raise PlanError(f"{source}: spotDiscount must be a number from 0 to 1")
    prices = {str(k): float(v) for k, v in table.items()}
    return PriceTable(currency, prices, None if discount is None else float(discount))


def _rollout_hours(rollout: Mapping[str, Any] | None) -> float:
    """How long the second fleet is held: bakes x bakeMinutes (see the module docstring)."""
    if not rollout:
        return 0.0
    strategy = str(rollout.get("strategy", "allAtOnce"))
    bakes = _BAKES.get(strategy) or math.ceil(100 / float(rollout.get("stepPercent") or 100))
    return bakes * float(rollout.get("bakeMinutes") or 0) / 60


def _missing(prices: PriceTable, fleet: Iterable[Instances]) -> list[str]:
    return [f"no price for {t}" for t in sorted({i.instance_type for i in fleet} - set(prices.instance_hour))]


def _price(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _fleet(fleet: Iterable[Instances]) -> str:
    return " + ".join(f"{i.count}x {i.instance_type}" for i in fleet)


def _money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _instances_dict(item: Instances) -> dict[str, Any]:
    return {"instanceType": item.instance_type, "count": item.count}


def _instances(items: Iterable[Mapping[str, Any]]) -> tuple[Instances, ...]:
    return tuple(Instances(str(i["instanceType"]), int(i["count"])) for i in items)


def _rounded(hours: float) -> str:
    """Instance-hours for people: 2 significant decimals below 1, one above (0.33, 2, 12.5)."""
    return f"{round(hours, 2 if hours < 1 else 1):g}"


def _span(hours: float) -> str:
    """A duration for people: whole minutes under an hour (20 min), else hours to one decimal (1 h, 2.5 h)."""
    minutes = round(hours * 60)
    return f"{minutes} min" if minutes < 60 else f"{round(hours, 1):g} h"
