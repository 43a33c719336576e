"""Constants the adapter tests (tests/functional/) share."""

from __future__ import annotations

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/modelctl"
