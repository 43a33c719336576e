"""Plans as text (terminals), markdown (pull-request comments) and JSON (saved plans). Pure: returns strings.

For `modelctl plan --format text|markdown|json` (the PR buildspec's comment included). Conflicts come first, as
errors; deletes in a protected environment are flagged prominently; NOOPs are never shown. ANSI colour only when the
caller asks (the CLI passes `isatty()`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from controller.plan.plan import Action, Change, Classification, Plan
from controller.resources import Kind

NO_CHANGES = "No changes. AWS matches the specs."

_COLOURS = {Action.CREATE: "\033[32m", Action.UPDATE: "\033[33m", Action.DELETE: "\033[31m"}
_RED, _BOLD, _RESET = "\033[31m", "\033[1m", "\033[0m"


def summary(plan: Plan) -> str:
    """`Plan: N to create, M to change, K to delete; R retrain(s), F new fleet(s)`."""
    made, changed, deleted = (_count(plan, action) for action in (Action.CREATE, Action.UPDATE, Action.DELETE))
    return (
        f"Plan: {made} to create, {changed} to change, {deleted} to delete; "
        f"{_retrains(plan.changes)} retrain(s), {_new_fleets(plan.changes)} new fleet(s)"
    )


Notes = Mapping[str, Sequence[str]]  # model -> what cannot happen yet and why (controller.desired's notes)


def text(plan: Plan, *, color: bool = False, notes: Notes | None = None) -> str:
    """For terminals: conflicts, then every change with its fields and capacity, the summary line, then notes."""
    return "\n".join([_text(plan, color), *_note_lines(notes, "note: ")])


def _note_lines(notes: Notes | None, prefix: str) -> list[str]:
    lines = [f"{prefix}{model}: {note}" for model, items in sorted((notes or {}).items()) for note in items]
    return ["", *lines] if lines else []


def _text(plan: Plan, color: bool) -> str:

    def paint(code: str, line: str) -> str:
        return f"{code}{line}{_RESET}" if color else line

    lines = [paint(_RED, f"Error: {c.message}") for c in plan.conflicts]
    if not plan.has_changes:
        return "\n".join([*lines, NO_CHANGES if not plan.conflicts else "Plan cannot be applied: conflicts above."])
    warning = _protected_warning(plan)
    if warning:
        lines.append(paint(_BOLD + _RED, f"!! {warning}"))
    for model, changes in plan.by_model().items():
        lines.append(f"\nmodel {model} (env {plan.env}):")
        for change in changes:
            head = f"  {change.action.value} {change.ref}  [{change.classification}] {change.reason}"
            lines.append(paint(_COLOURS[change.action], head))
            lines.extend(f"      {line}" for line in _field_lines(change))
            if change.capacity is not None:
                lines.append(f"      capacity: {change.capacity.summary()}")
    lines.append("\n" + summary(plan))
    return "\n".join(lines)


def markdown(plan: Plan, *, notes: Notes | None = None) -> str:
    """For a pull-request comment: a summary table, a collapsible section per model with field changes, notes."""
    return _markdown(plan) + "".join(f"{line}\n" for line in _note_lines(notes, "- "))


def _markdown(plan: Plan) -> str:
    lines = [f"### modelctl plan for `{plan.env}`", ""]
    for conflict in plan.conflicts:
        lines.append(f"> **Error:** `{conflict.ref}` ({conflict.model}): {conflict.message}")
    if plan.conflicts:
        lines.append("")
    if not plan.has_changes:
        lines.append(NO_CHANGES if not plan.conflicts else "**Plan cannot be applied: conflicts above.**")
        return "\n".join(lines) + "\n"
    warning = _protected_warning(plan)
    if warning:
        lines += [f"> :warning: **{warning}**", ""]
    lines += [
        f"**{summary(plan)}**",
        "",
        "| model | env | classification | what | capacity |",
        "| --- | --- | --- | --- | --- |",
    ]
    for model, changes in plan.by_model().items():
        for classification in _classes(changes):
            group = [c for c in changes if c.classification is classification]
            what = "<br>".join(_cell(f"{c.action.value} {c.ref.kind} {c.ref.key}") for c in group)
            cost = "<br>".join(_cell(c.capacity.summary()) for c in group if c.capacity is not None)
            label = f"**{classification.upper()}**" if classification is Classification.DELETE else classification
            lines.append(f"| {model} | {plan.env} | {label} | {what} | {cost or '—'} |")
    for model, changes in plan.by_model().items():
        lines += ["", f"<details><summary><b>{model}</b>: {len(changes)} change(s)</summary>", "", "```diff"]
        for change in changes:
            lines.append(f"{_diff_sign(change.action)} {change.ref}  [{change.classification}] {change.reason}")
            lines.extend(f"{_diff_sign(change.action)}     {line}" for line in _field_lines(change))
        lines += ["```", "", "</details>"]
    return "\n".join(lines) + "\n"


def as_json(plan: Plan) -> str:
    """The saved-plan JSON (`Plan.to_json`, "planVersion": 1)."""
    return plan.to_json()


def _field_lines(change: Change) -> list[str]:
    """`~ path: before -> after` per changed leaf (only the new or old value for creates and deletes)."""
    lines = []
    for field in change.field_changes:
        if change.action is Action.CREATE:
            lines.append(f"+ {field.path} = {_value(field.after)}")
        elif change.action is Action.DELETE:
            lines.append(f"- {field.path} = {_value(field.before)}")
        else:
            lines.append(f"~ {field.path}: {_value(field.before)} -> {_value(field.after)}")
    return lines


def _protected_warning(plan: Plan) -> str:
    deletes = _count(plan, Action.DELETE)
    if not (plan.protected and deletes):
        return ""
    return f"PROTECTED environment {plan.env}: {deletes} delete(s); apply needs --allow-delete"


def _count(plan: Plan, action: Action) -> int:
    return sum(c.action is action for c in plan.changes)


def _retrains(changes: Iterable[Change]) -> int:
    return sum(c.classification is Classification.RETRAIN for c in changes)


def _new_fleets(changes: Iterable[Change]) -> int:
    """Endpoints getting a new fleet (their endpoint configs belong to the same change group)."""
    return sum(c.classification is Classification.NEW_FLEET and c.ref.kind is Kind.ENDPOINT for c in changes)


def _classes(changes: Iterable[Change]) -> list[Classification]:
    present = {c.classification for c in changes}
    return [c for c in Classification if c in present]


def _diff_sign(action: Action) -> str:
    """The first column of a ```diff block: green +, red -, and ! (highlighted) for updates."""
    return {Action.CREATE: "+", Action.DELETE: "-"}.get(action, "!")


def _value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str) if value is not None else "(none)"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")
