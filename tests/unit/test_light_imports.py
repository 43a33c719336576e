"""`modelctl validate` must stay light: no boto3, botocore or sagemaker SDK import on its path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_validate_imports_no_aws_sdk() -> None:
    probe = (
        "import sys; from controller.cli import main; code = main(['validate', sys.argv[1]]); "
        "heavy = [m for m in ('boto3', 'botocore', 'sagemaker') if m in sys.modules]; "
        "print('HEAVY', code, ','.join(heavy) or 'none')"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(REPO / "specs")], capture_output=True, text=True, timeout=60, check=True
    )
    assert run.stdout.strip().splitlines()[-1] == "HEAVY 0 none"
