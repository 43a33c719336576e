"""The SAM stack (reconciler_lambda/template.yaml) as data, for the tests that check it or deploy its IAM.

`template()`: the YAML, CloudFormation's short-form intrinsics (!Sub, !Ref, ...) read as {"Fn::X": ...} mappings
(tests/unit/test_template.py reads the policies as written). `Stack(parameters, account, region)`: what a stack
deployed with those parameters would hold, every intrinsic resolved as CloudFormation resolves it; the Ref and
Fn::GetAtt of the template's own resources are built from the names their properties give (RoleName, TableName,
...), so `Stack.policies(role)` is the plain IAM policy JSON of a role (tests/reliability/iam creates it in the
emulator).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parents[1] / "reconciler_lambda" / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsics (!Sub, !Ref, ...) read as {"Fn::X": ...} mappings."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)
    return loaded


# Resource type -> the property naming it, and its Ref / GetAtt values ({name} is that property's value)
ATTRIBUTES: dict[str, tuple[str, dict[str, str]]] = {
    "AWS::IAM::Role": ("RoleName", {"Ref": "{name}", "Arn": "arn:{partition}:iam::{account}:role/{name}"}),
    "AWS::DynamoDB::Table": (
        "TableName",
        {"Ref": "{name}", "Arn": "arn:{partition}:dynamodb:{region}:{account}:table/{name}"},
    ),
    "AWS::S3::Bucket": ("BucketName", {"Ref": "{name}", "Arn": "arn:{partition}:s3:::{name}"}),
    "AWS::SNS::Topic": (
        "TopicName",
        {"Ref": "arn:{partition}:sns:{region}:{account}:{name}", "TopicName": "{name}"},
    ),
    "AWS::Logs::LogGroup": (
        "LogGroupName",
        {"Ref": "{name}", "Arn": "arn:{partition}:logs:{region}:{account}:log-group:{name}:*"},
    ),
    "AWS::Serverless::Function": (
        "FunctionName",
        {"Ref": "{name}", "Arn": "arn:{partition}:lambda:{region}:{account}:function:{name}"},
    ),
    "AWS::CodeBuild::Project": (
        "Name",
        {"Ref": "{name}", "Arn": "arn:{partition}:codebuild:{region}:{account}:project/{name}"},
    ),
}
_NO_VALUE = object()  # AWS::NoValue: the property or list item is left out
_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]+)\}")


@dataclass(frozen=True)
class Stack:
    """The template deployed with `parameters` (others at their Default) in `account` and `region`."""

    parameters: Mapping[str, str]
    account: str
    region: str
    partition: str = "aws"

    def resolve(self, value: Any) -> Any:
        """`value` (a part of the template) with every intrinsic function and condition resolved."""
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key.startswith("Fn::") or (key == "Condition" and isinstance(argument, str)):
                return self._function(key, argument)
        return {k: item for k, v in value.items() if (item := self.resolve(v)) is not _NO_VALUE}

    def policies(self, role: str) -> dict[str, dict[str, Any]]:
        """Policy name -> policy document of the inline policies of the template's role `role`."""
        properties = template()["Resources"][role]["Properties"]
        return {p["PolicyName"]: p["PolicyDocument"] for p in self.resolve(properties.get("Policies", []))}

    def trust_policy(self, role: str) -> dict[str, Any]:
        document: dict[str, Any] = self.resolve(template()["Resources"][role]["Properties"]["AssumeRolePolicyDocument"])
        return document

    def physical_name(self, resource: str) -> str:
        """The name of the template's resource `resource` (its Ref for most types)."""
        return str(self._attribute(resource, "Ref"))

    def arn(self, resource: str) -> str:
        return str(self._attribute(resource, "Arn"))

    # --- intrinsics ---

    def _pseudo(self) -> dict[str, str]:
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com",
        }

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self._pseudo():
            return self._pseudo()[name]
        declared = template()["Parameters"].get(name)
        if declared is None:
            return self._attribute(name, "Ref")
        value = self.parameters.get(name, declared.get("Default"))
        if value is None:
            raise KeyError(f"parameter {name} has no value and no Default")
        return str(value).split(",") if declared["Type"] == "CommaDelimitedList" else str(value)

    def _attribute(self, resource: str, attribute: str) -> Any:
        declared = template()["Resources"][resource]
        name_property, formats = ATTRIBUTES[declared["Type"]]
        if attribute not in formats:
            raise KeyError(f"{resource}.{attribute}: not modelled for {declared['Type']}")
        name = self.resolve(declared["Properties"][name_property])
        return formats[attribute].format(name=name, partition=self.partition, region=self.region, account=self.account)

    def _function(self, key: str, argument: Any) -> Any:
        if key == "Condition":
            return bool(self.resolve(template()["Conditions"][argument]))
        if key == "Fn::If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self._function("Condition", condition) else when_false)
        if key == "Fn::GetAtt":
            return self._attribute(*argument)
        if key == "Fn::Sub":
            return self._sub(*argument) if isinstance(argument, list) else self._sub(argument, {})
        values = self.resolve(argument)
        if key == "Fn::Join":
            return values[0].join(values[1])
        if key == "Fn::Split":
            return values[1].split(values[0])
        if key == "Fn::Select":
            return values[1][int(values[0])]
        if key == "Fn::Equals":
            return values[0] == values[1]
        if key == "Fn::Not":
            return not values[0]
        if key == "Fn::And":
            return all(values)
        if key == "Fn::Or":
            return any(values)
        raise KeyError(f"intrinsic {key} is not modelled")

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            literal, name = match.groups()
            if literal:
                return "${" + name + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and name.split(".", 1)[0] in template()["Resources"]:
                return str(self._attribute(*name.split(".", 1)))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text)
