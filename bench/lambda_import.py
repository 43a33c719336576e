"""Benchmark: import time of the reconciler Lambda's handler, against `import boto3` plus the four clients it
needs (S3 for the bundle, DynamoDB for the state store, SageMaker and Step Functions for the first reads), in
fresh interpreters, best of 5 each, measured in this one run. Budget (DESIGN.md): 1.5x. Also checks that the
sagemaker SDK is not imported on that path. Run: `.venv/bin/python bench/lambda_import.py`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REPEATS = 5
BUDGET = 1.5
CLIENTS = ("s3", "dynamodb", "sagemaker", "stepfunctions")

HANDLER = "import reconciler_lambda.handler"
BASELINE = (
    "import boto3; session = boto3.session.Session(region_name='us-east-1'); "
    f"clients = [session.client(name) for name in {CLIENTS!r}]"
)
PROBE = """
import sys, time
start = time.perf_counter()
exec({code!r})
elapsed = time.perf_counter() - start
heavy = [m for m in ('sagemaker', 'moto') if m in sys.modules]
print(elapsed, ','.join(heavy) or 'none')
"""


def measure(code: str) -> tuple[float, str]:
    """Best wall time of `code` in a fresh interpreter, and the heavy modules it left imported."""
    runs = []
    for _ in range(REPEATS):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(code=code)],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
        ).stdout.split()
        runs.append((float(out[0]), out[1]))
    return min(runs)


def main() -> int:
    handler, heavy = measure(HANDLER)
    baseline, _ = measure(BASELINE)
    cold, _ = measure(f"{HANDLER}; {BASELINE}")
    ratio = handler / baseline
    rows = [
        (f"import boto3 + {', '.join(CLIENTS)} clients", baseline),
        ("import reconciler_lambda.handler (makes no client)", handler),
        ("both: the handler's import and its first four clients", cold),
    ]
    print(f"{'what':<66} {'seconds':>8} {'ratio':>6}")
    for what, seconds in rows:
        print(f"{what:<66} {seconds:>8.3f} {seconds / baseline:>5.2f}x")
    print(f"ratio handler import / boto3+clients: {ratio:.2f}x (budget {BUDGET}x)")
    print(f"heavy modules imported by the handler: {heavy}")
    return 0 if ratio <= BUDGET and heavy == "none" else 1


if __name__ == "__main__":
    sys.exit(main())
