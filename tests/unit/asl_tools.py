"""Validators for Amazon States Language definitions, shared by the pipeline and desired-state tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

ASL_VALIDATOR_LOCAL = Path(__file__).parents[2] / ".ci/node/node_modules/.bin/asl-validator"


def asl_validator() -> str | None:
    """The npm `asl-validator` CLI (`make test` installs it under .ci/node), or None."""
    configured = os.environ.get("ASL_VALIDATOR")
    return configured or (str(ASL_VALIDATOR_LOCAL) if ASL_VALIDATOR_LOCAL.exists() else shutil.which("asl-validator"))


def asl_validator_problems(definition: dict[str, Any], folder: Path) -> str:
    """'' when asl-validator accepts `definition`, else its output."""
    path = folder / "definition.json"
    path.write_text(json.dumps(definition))
    result = subprocess.run(
        [str(asl_validator()), "--json-path", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    return "" if result.returncode == 0 else result.stdout + result.stderr
