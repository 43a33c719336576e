"""Light import paths: `modelctl validate` imports no AWS SDK; the reconciler Lambda handler no sagemaker SDK."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_validate_imports_no_aws_sdk() -> None:
    probe = (
        "import sys; from controller.cli.main import main; code = main(['validate', sys.argv[1]]); "
        "heavy = [m for m in ('boto3', 'botocore', 'sagemaker') if m in sys.modules]; "
        "print('HEAVY', code, ','.join(heavy) or 'none')"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(REPO / "specs")], capture_output=True, text=True, timeout=60, check=True
    )
    assert run.stdout.strip().splitlines()[-1] == "HEAVY 0 none"


def test_the_reconciler_lambda_handler_imports_no_sagemaker_sdk() -> None:
    probe = (
        "import sys; import reconciler_lambda.handler as h; "
        "heavy = [m for m in ('sagemaker', 'moto') if m in sys.modules]; "
        "print('HEAVY', len(h._clients), ','.join(heavy) or 'none')"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True, cwd=REPO
    )
    assert run.stdout.strip().splitlines()[-1] == "HEAVY 0 none"  # and no client is made at import
