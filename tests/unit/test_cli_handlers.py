"""Every command's lazily imported handler exists: the module named in controller.cli.main and the function in it
(a moved or renamed command module fails here, not at the first `modelctl plan`)."""

from __future__ import annotations

import argparse
import importlib

from controller.cli.main import build_parser


def test_every_lazy_handler_resolves() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    targets = [getattr(sub.get_default("handler"), "target", None) for sub in commands.choices.values()]
    lazy = [t for t in targets if t is not None]
    assert len(lazy) >= 9  # plan, apply, status, history, retrain, rollback, promote, trace, bundle
    for target in lazy:
        module, name = target.split(":")
        assert callable(getattr(importlib.import_module(module), name)), target
