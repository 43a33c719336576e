"""Progress of long waits (`apply --wait`): a live view on a terminal, state changes only elsewhere (CI logs).

On a terminal, rich (imported only then) redraws a table of the models (health, reason, serving, pipeline) and
what the apply waits for, under the lines already said. Anywhere else one line per model is written when its state
changes, and a "waiting for ..." line when what it waits for changes, each with the time since the start, so a CI
log of a 20-minute training reads as a handful of lines, not one per polling pass. Text from specs and AWS is
escaped for the terminal (controller.escape); rich receives it as plain Text, never as markup.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TextIO

from controller import escape
from controller.reconcile.health import ModelStatus


def _state(s: ModelStatus) -> tuple[Any, ...]:
    serving = tuple((v.variant, v.version, v.share, v.instances) for v in s.serving)
    run = (s.pipeline or {}).get("status")
    return s.health.value, s.reason, serving, run


def _line(s: ModelStatus) -> str:
    serving = ", ".join(f"{v.variant}={v.version} {v.share:g}% x{v.instances}" for v in s.serving) or "not serving"
    run = f"; pipeline {s.pipeline['name']} {s.pipeline['status']}" if s.pipeline else ""
    return escape.terminal(f"{s.model} {s.health.value} {s.reason}: {serving}{run} — {s.message}")


class Progress:
    """Say lines, show what is awaited and the models' states on `stream` (see the module docstring)."""

    def __init__(self, stream: TextIO, *, color: bool) -> None:
        self._stream, self._color = stream, color
        self._started = time.monotonic()
        self._seen: dict[str, tuple[Any, ...]] = {}
        self._waiting = ""
        self._models: Sequence[ModelStatus] = ()
        self._live: Any = None

    def __enter__(self) -> Progress:
        if self._stream.isatty():
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self._stream, no_color=not self._color, highlight=False)
            self._live = Live(console=console, get_renderable=self._table, refresh_per_second=2, transient=True)
            self._live.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
            for s in self._models:  # the final state stays on the screen
                self.say(f"  {_line(s)}")

    def say(self, line: str) -> None:
        """A line that stays (outcomes, summaries, verdicts)."""
        if self._live is not None:
            from rich.text import Text

            self._live.console.print(Text(line))
        else:
            print(line, file=self._stream, flush=True)

    def waiting(self, what: str) -> None:
        """What the apply waits for; written (off a terminal) only when it changes."""
        if what != self._waiting:
            self._waiting = what
            if self._live is None:
                self.say(f"[{self._elapsed()}] {escape.terminal(what)}")

    def update(self, models: Sequence[ModelStatus]) -> None:
        """The models' states; off a terminal, a line for each model whose state changed."""
        self._models = models
        if self._live is not None:
            return  # the live view redraws from self._models
        for s in models:
            if self._seen.get(s.model) != _state(s):
                self._seen[s.model] = _state(s)
                self.say(f"[{self._elapsed()}] {_line(s)}")

    def _elapsed(self) -> str:
        seconds = int(time.monotonic() - self._started)
        return f"{seconds // 60:02d}:{seconds % 60:02d}"

    def _table(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(f"{self._elapsed()} {escape.terminal(self._waiting)}"), expand=False)
        for column in ("model", "health", "reason", "serving", "pipeline"):
            table.add_column(column)
        for s in self._models:
            serving = ", ".join(f"{v.variant}={v.version} {v.share:g}%" for v in s.serving) or "-"
            run = f"{s.pipeline['status']}" if s.pipeline else "-"
            table.add_row(*(Text(escape.terminal(str(v))) for v in (s.model, s.health.value, s.reason, serving, run)))
        return table
