"""EventBridge Scheduler expressions: `cron(...)` (6 fields, with `?`) and `rate(n unit)`.

AWS's cron differs from Unix cron: six fields (minutes hours day-of-month month day-of-week year), day-of-week
numbered 1-7 from Sunday, `?` required in exactly one of the two day fields, and `L`, `W`, `#` extensions. We check
the AWS-only parts here (field count, the `?` rule, the year field, the rate grammar) and hand the five classic
fields, translated to Unix numbering, to croniter, which does the per-field grammar well.

Returns a message for people, or None when the expression is valid.
"""

from __future__ import annotations

import re
from functools import cache

from croniter import croniter

_RATE = re.compile(r"rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)", re.ASCII)
_CRON = re.compile(r"cron\((.*)\)", re.ASCII)
_YEAR = re.compile(r"(\*|[0-9]{4}(-[0-9]{4})?(/[0-9]+)?)(,[0-9]{4}(-[0-9]{4})?(/[0-9]+)?)*", re.ASCII)


@cache  # models share a handful of cadences; croniter's parse is the costly part of validating a spec
def schedule_problem(expression: str) -> str | None:
    """None if `expression` is a valid EventBridge Scheduler cron or rate expression, else why not."""
    rate = _RATE.fullmatch(expression)
    if rate:
        return _rate_problem(int(rate.group(1)), rate.group(2))
    cron = _CRON.fullmatch(expression)
    if cron:
        return _cron_problem(cron.group(1).split())
    if expression.startswith("at("):
        return "at(...) runs once; a retraining schedule needs cron(...) or rate(...)"
    return "must be cron(minutes hours day-of-month month day-of-week year) or rate(value unit)"


def _rate_problem(value: int, unit: str) -> str | None:
    if value < 1:
        return "rate value must be a positive whole number"
    if (value == 1) != (not unit.endswith("s")):
        return f"rate({value} {unit}): use the singular unit for 1 and the plural otherwise"
    return None


def _cron_problem(fields: list[str]) -> str | None:
    if len(fields) != 6:
        return f"cron needs 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        return "cron: exactly one of day-of-month and day-of-week must be '?'"
    if not _YEAR.fullmatch(year) or any(not 1970 <= int(y) <= 2199 for y in re.findall(r"[0-9]{4}", year)):
        return f"cron: year field {year!r} must be '*' or years 1970-2199"
    unix = " ".join(
        [
            minutes,
            hours,
            "*" if day_of_month == "?" else day_of_month.replace("LW", "L"),
            month,
            "*" if day_of_week == "?" else _unix_day_of_week(day_of_week),
        ]
    )
    if not croniter.is_valid(unix):
        return (
            "cron: a field is out of range or malformed (minutes 0-59, hours 0-23, days 1-31, "
            "months 1-12 or JAN-DEC, weekdays 1-7 or SUN-SAT)"
        )
    return None


def _unix_day_of_week(field: str) -> str:
    """AWS numbers weekdays 1-7 from Sunday, Unix 0-6; `5L` (last Friday) is croniter's `L4`."""

    def shift(match: re.Match[str]) -> str:
        day = int(match.group(0))
        return str(day - 1) if 1 <= day <= 7 else "99"

    last = re.fullmatch(r"([1-7])L", field)
    if last:
        return f"L{int(last.group(1)) - 1}"
    return re.sub(r"(?<![#L0-9])[0-9]+", shift, field)
