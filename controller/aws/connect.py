"""Open AwsClients for one environment's region: on AWS (standard boto3 configuration) or on the local emulator.

The CLI and the reconciler call `connect`; it is the only place that makes a boto3 Session. On AWS, credentials,
profile and endpoint come from the standard configuration (AWS_PROFILE, AWS_ENDPOINT_URL, ...). With `--local`
the emulator's URL is passed explicitly and fixed dummy credentials are used, so a developer's real AWS
credentials are never sent to the emulator (nor the emulator's to AWS).
"""

from __future__ import annotations

import boto3

from controller.aws.session import AwsClients

LOCAL_CREDENTIALS = {"aws_access_key_id": "modelctl-local", "aws_secret_access_key": "modelctl-local"}


def connect(region: str, *, local_url: str | None = None, max_workers: int = 8) -> AwsClients:
    """Clients for `region`; `local_url` points them at the embedded emulator instead of AWS."""
    if local_url is None:
        return AwsClients(boto3.session.Session(region_name=region), max_workers=max_workers)
    session = boto3.session.Session(region_name=region, **LOCAL_CREDENTIALS)
    return AwsClients(session, endpoint_url=local_url, max_workers=max_workers)
