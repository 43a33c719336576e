"""Which AWS operations the controller calls, derived from its code, as IAM actions.

An AST scan of controller/aws/*.py finds which AwsClients properties a module uses (-> boto3 service names, read
from the properties in controller/aws/session.py) and every call `.<method>(` and string constant (paginator names
such as `get_paginator("list_models")`, or `_list = ("list_models", ...)` tables) that is a method of one of those
clients; botocore's service model (what a client's `meta.method_to_api_mapping` holds) turns each into its API
operation, and the service's signing name (with the few exceptions in IAM_PREFIX) gives the IAM prefix.
Used by tests/unit/test_template.py (the template grants them) and tests/reliability/iam (the plan role is denied
the writes).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name

ADAPTERS = Path(__file__).resolve().parents[1] / "controller" / "aws"

# boto3 service name -> IAM prefix where the signing name is not the IAM prefix
IAM_PREFIX = {"cloudwatch": "cloudwatch", "sagemaker-runtime": "sagemaker", "resourcegroupstaggingapi": "tag"}
# IAM actions whose name differs from the API operation's
IAM_ACTION = {"s3:HeadObject": "s3:GetObject", "s3:ListObjectsV2": "s3:ListBucket", "s3:HeadBucket": "s3:ListBucket"}


@cache
def client_properties() -> dict[str, str]:
    """AwsClients property name -> boto3 service name, from controller/aws/session.py."""
    tree = ast.parse((ADAPTERS / "session.py").read_text())
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or not any(
            isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list
        ):
            continue
        for call in ast.walk(node):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "client"
                and call.args
                and isinstance(call.args[0], ast.Constant)
            ):
                found[node.name] = str(call.args[0].value)
    return found


@cache
def _service_model(service: str) -> Any:
    return _botocore_session().get_service_model(service)


@cache
def _botocore_session() -> Any:
    return botocore.session.get_session()


@cache
def method_to_api(service: str) -> dict[str, str]:
    """boto3 client method -> API operation (what `client.meta.method_to_api_mapping` holds, without a client)."""
    return {xform_name(operation): operation for operation in _service_model(service).operation_names}


def iam_action(service: str, operation: str) -> str:
    prefix = IAM_PREFIX.get(service, _service_model(service).signing_name)
    action = f"{prefix}:{operation}"
    return IAM_ACTION.get(action, action)


@cache
def controller_calls() -> dict[tuple[str, str], set[str]]:
    """(boto3 service name, API operation) -> the adapter modules whose code calls it."""
    properties = client_properties()
    found: dict[tuple[str, str], set[str]] = {}
    for path in sorted(ADAPTERS.glob("*.py")):
        tree = ast.parse(path.read_text())
        services = {properties[n.attr] for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in properties}
        names = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
        names |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        for service in services:
            mapping = method_to_api(service)
            for method in names & set(mapping):
                found.setdefault((service, mapping[method]), set()).add(path.name)
    return found


@cache
def controller_operations() -> dict[str, set[str]]:
    """IAM action -> the adapter modules whose code calls it."""
    found: dict[str, set[str]] = {}
    for (service, operation), modules in controller_calls().items():
        found.setdefault(iam_action(service, operation), set()).update(modules)
    return found
