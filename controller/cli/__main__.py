"""`python -m controller.cli`: the `modelctl` command."""

from controller.cli.main import main

raise SystemExit(main())
