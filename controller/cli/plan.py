"""`modelctl plan`: what it takes to converge an environment (or some of its models) to the specs. Read-only.

Output (`-o`): text (terminals), markdown (the pull-request comment), json / yaml (the saved plan's document,
`"planVersion": 1`, which `--out` writes and `apply --plan` reads). Exit codes: 0, 1 (error or conflicts),
2 with `--detailed-exitcode` when there are changes.
"""

from __future__ import annotations

import argparse
import json

from controller.cli import render
from controller.cli.context import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, context, planned
from controller.cli.output import color_wanted, dumps
from controller.cli.session import aws_for
from controller.plan.capacity import load_price_table


def plan(args: argparse.Namespace) -> int:
    ctx = context(args)
    if ctx is None:
        return EXIT_ERROR
    prices = load_price_table(args.prices) if args.prices else None
    with aws_for(ctx.catalog.environments[ctx.env], local=ctx.local) as session:
        result = planned(ctx, session, prices)
    the_plan = result.plan
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(render.as_json(the_plan))
    if args.output == "json":
        print(render.as_json(the_plan))
    elif args.output == "yaml":
        print(dumps(json.loads(render.as_json(the_plan)), "yaml"))
    elif args.output == "markdown":
        print(render.markdown(the_plan, notes=result.desired.notes))
    else:
        print(render.text(the_plan, color=color_wanted(args.no_color), notes=result.desired.notes))
    if the_plan.conflicts:
        return EXIT_ERROR
    return EXIT_CHANGES if args.detailed_exitcode and the_plan.has_changes else EXIT_OK
