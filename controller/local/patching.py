"""Monkeypatching moto, remembering what each patch replaced.

Used by the emulator's patch modules (stepfunctions_ext, codebuild_ext, lambda_ext): their `install()`
replaces moto attributes through a `Patches`, and their tests call moto's own implementation back through
`original(...)` to check that moto still lacks the behaviour a patch adds.
"""

from __future__ import annotations

from typing import Any


def _key(owner: Any, name: str) -> str:
    return f"{getattr(owner, '__name__', owner)}.{name}"


class Patches:
    """The attributes one module replaced, and what they were."""

    def __init__(self) -> None:
        self._originals: dict[str, Any] = {}

    @property
    def installed(self) -> bool:
        """Whether anything was replaced yet (install() functions return early then)."""
        return bool(self._originals)

    def replace(self, owner: Any, name: str, replacement: Any) -> Any:
        """Set `owner.name` to `replacement`; returns (and remembers) what it was: None for an action moto lacks."""
        previous = getattr(owner, name, None)
        self._originals[_key(owner, name)] = previous
        setattr(owner, name, replacement)
        return previous

    def original(self, owner: Any, name: str) -> Any:
        """What `owner.name` was before `replace`."""
        return self._originals[_key(owner, name)]
