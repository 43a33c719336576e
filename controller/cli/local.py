"""`modelctl local serve [PATH] [--port 4566] [--account ID]`: the embedded emulator as a server on 127.0.0.1.

It acts as the account the specs' environments name (so the README walkthrough with the example specs works
against it), or as `--account`. When the environments span several accounts it acts as the account of most of
them and says which environments need an emulator of their own, and how to start it. Without readable specs
it needs `--account` (moto's default account matches no spec).
"""

from __future__ import annotations

import argparse
import os
from collections import Counter

from controller.cli.context import EXIT_ERROR, EXIT_OK, load_or_report
from controller.cli.output import error, note


def serve(args: argparse.Namespace) -> int:
    account = args.account or _account_of_specs(args.path, args.port)
    if account is None:
        return EXIT_ERROR
    from controller.local.emulator import serve_forever

    os.environ["MOTO_ACCOUNT_ID"] = account
    serve_forever(port=args.port)
    return EXIT_OK


def _account_of_specs(path: str, port: int) -> str | None:
    if not os.path.exists(path):
        error(f"no specs at {path!r} to take the account from: give PATH or --account ID")
        return None
    catalog = load_or_report(path, "give --account ID, or fix the specs")
    if catalog is None:
        return None
    accounts = Counter(env.spec.account for env in catalog.environments.values())
    if not accounts:
        error(f"{path} defines no environment to take the account from: give --account ID")
        return None
    account = accounts.most_common(1)[0][0]
    note(f"acting as account {account}, the account of the environments in {path}")
    for name, env in sorted(catalog.environments.items()):
        if env.spec.account != account:
            note(
                f"environment {name} is account {env.spec.account}: serve it with "
                f"`modelctl local serve --account {env.spec.account} --port {port + 1}` and MODELCTL_LOCAL_URL"
            )
    return account
