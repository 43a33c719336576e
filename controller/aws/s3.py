"""S3 adapter: desired-state bundles in the environment's artifact bucket (`bundles/<git sha>.json`, and the
pointer `bundles/latest.json` written last).
"""

from __future__ import annotations

from controller.aws.errors import translate_errors
from controller.aws.session import AwsClients


@translate_errors()
def get_text(clients: AwsClients, bucket: str, key: str) -> str:
    """The object's body as UTF-8 text (NotFoundError if it does not exist)."""
    body = clients.s3.get_object(Bucket=bucket, Key=key)["Body"]
    return str(body.read().decode("utf-8"))


@translate_errors()
def put_text(clients: AwsClients, bucket: str, key: str, text: str) -> None:
    clients.s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/json")
