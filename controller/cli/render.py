"""Plans as text (terminals), markdown (pull-request comments) and JSON (saved plans). Pure: returns strings.

For `modelctl plan -o text|markdown|json` (the PR buildspec's comment included). Conflicts come first, as
errors; deletes in a protected environment are flagged prominently; NOOPs are never shown. ANSI colour only when the
caller asks (controller.cli.output.color_wanted). Every string that can come from a spec or from AWS is escaped
where it is rendered (controller.escape): for the terminal in text, as literal markdown in tables and headings, and
inside a code fence no line can close in markdown. Environment-internal settings (the pipelines' poll interval,
which differs between AWS and the emulator) are left out of the field lines: they are not the specs' business.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from controller import escape
from controller.plan.plan import Action, Change, Classification, Plan
from controller.resources import Kind

NO_CHANGES = "No changes. AWS matches the specs."
ENVIRONMENT_INTERNAL = frozenset({"pollSeconds"})  # keys of JSON-encoded values (execution inputs) never shown

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


def _note_lines(notes: Notes | None, prefix: str, safe: Callable[[str], str] = escape.terminal) -> list[str]:
    lines = [f"{prefix}{safe(f'{model}: {note}')}" for model, items in sorted((notes or {}).items()) for note in items]
    return ["", *lines] if lines else []


def _text(plan: Plan, color: bool) -> str:

    def paint(code: str, line: str) -> str:
        return f"{code}{line}{_RESET}" if color else line

    lines = [paint(_RED, escape.terminal(f"Error: {c.message}")) for c in plan.conflicts]
    if not plan.has_changes:
        return "\n".join([*lines, NO_CHANGES if not plan.conflicts else "Plan cannot be applied: conflicts above."])
    warning = _protected_warning(plan)
    if warning:
        lines.append(paint(_BOLD + _RED, f"!! {warning}"))
    for model, changes in plan.by_model().items():
        lines.append(f"\nmodel {escape.terminal(model)} (env {plan.env}):")
        for change in changes:
            head = f"  {change.action.value} {change.ref}  [{change.classification}] {change.reason}"
            lines.append(paint(_COLOURS[change.action], escape.terminal(head)))
            lines.extend(f"      {escape.terminal(line)}" for line in _field_lines(change))
            if change.capacity is not None:
                lines.append(f"      capacity: {escape.terminal(change.capacity.summary())}")
    lines.append("\n" + summary(plan))
    return "\n".join(lines)


def markdown(plan: Plan, *, notes: Notes | None = None) -> str:
    """For a pull-request comment: a summary table, a collapsible section per model with field changes, notes."""
    return _markdown(plan) + "".join(f"{line}\n" for line in _note_lines(notes, "- ", escape.markdown))


def _markdown(plan: Plan) -> str:
    md = escape.markdown
    lines = [f"### modelctl plan for `{plan.env}`", ""]
    for conflict in plan.conflicts:
        lines.append(f"> **Error:** {escape.code(str(conflict.ref))} ({md(conflict.model)}): {md(conflict.message)}")
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
            what = "<br>".join(md(f"{c.action.value} {c.ref.kind} {c.ref.key}") for c in group)
            cost = "<br>".join(md(c.capacity.summary()) for c in group if c.capacity is not None)
            label = f"**{classification.upper()}**" if classification is Classification.DELETE else classification
            lines.append(f"| {md(model)} | {plan.env} | {label} | {what} | {cost or '—'} |")
    for model, changes in plan.by_model().items():
        body = []
        for change in changes:
            sign = _diff_sign(change.action)
            body.append(f"{sign} {change.ref}  [{change.classification}] {change.reason}")
            body.extend(f"{sign}     {line}" for line in _field_lines(change))
        body = [escape.terminal(line) for line in body]
        fence = escape.fence(body)
        summary_line = f"<details><summary><b>{md(model)}</b>: {len(changes)} change(s)</summary>"
        lines += ["", summary_line, "", f"{fence}diff", *body, fence, "", "</details>"]
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
        elif _value(field.before) != _value(field.after):  # equal once environment-internal keys are left out
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
    """A value as JSON; a JSON-encoded object (an execution input) without its environment-internal keys."""
    if value is None:
        return "(none)"
    if isinstance(value, str) and value.startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and ENVIRONMENT_INTERNAL & decoded.keys():
            shown = {k: v for k, v in decoded.items() if k not in ENVIRONMENT_INTERNAL}
            return json.dumps(json.dumps(shown, sort_keys=True, separators=(",", ":")))
    return json.dumps(value, sort_keys=True, default=str)
