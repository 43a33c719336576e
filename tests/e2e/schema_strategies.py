"""Hypothesis strategies for documents of the committed JSON Schemas (schemas/*.schema.json), for the property test
that what `validate` accepts, `plan` and `bundle` handle (tests/e2e/test_spec_properties.py).

Why not hypothesis-jsonschema: its last release (0.23.1) calls a Hypothesis internal that current Hypothesis no
longer has (`'many' object has no attribute 'more'` on the first object schema), and holding Hypothesis back for it
would be worse. Our schemas are pydantic's and use a small set of keywords; `from_schema` covers exactly those and
raises on any other, so a schema that grows a keyword cannot be half-generated in silence.

Every value is drawn from the schema (pattern, lengths, ranges, enum, const, required and optional properties) or,
where the project's example specs hold values under the same property name that the schema accepts there, from
those as well: random text alone would almost never get past `validate` (an image needs exactly one of uri, build
and framework; a repo a Git URL), and the point is what gets past it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from controller.spec.yamlsource import load_documents

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
_KNOWN = frozenset(
    {
        "$defs", "$ref", "$schema", "additionalProperties", "anyOf", "const", "default", "description", "enum",
        "format", "items", "maxItems", "maxLength", "maximum", "minItems", "minLength", "minProperties", "minimum",
        "pattern", "patternProperties", "properties", "propertyNames", "required", "title", "type",
    }
)  # fmt: skip


def schema(name: str) -> dict[str, Any]:
    """A committed schema by file stem: `modelspec` or `environment`."""
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    return loaded


def example_values() -> dict[str, list[Any]]:
    """Property name -> the values (scalars, objects, lists) the example specs (specs/, tests/e2e/specs_small)
    give it, each once, in a stable order."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any, key: str | None) -> None:
        if key is not None:
            found.setdefault(key, {})[json.dumps(node, sort_keys=True)] = node
        if isinstance(node, Mapping):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for item in node:
                walk(item, key)

    for path in [*(REPO / "specs").glob("*.yaml"), *(REPO / "tests/e2e/specs_small").glob("*.yaml")]:
        documents, _ = load_documents(path.read_bytes(), str(path))  # keys as written (`on:` stays "on")
        for document in documents:
            walk(document.data, None)
    return {key: [values[text] for text in sorted(values)] for key, values in found.items()}


def from_schema(root: Mapping[str, Any], examples: Mapping[str, list[Any]]) -> st.SearchStrategy[Any]:
    """Documents valid against `root` (a draft 2020-12 schema as pydantic writes them)."""
    return _Builder(root, examples).build(root, None)


class _Builder:
    def __init__(self, root: Mapping[str, Any], examples: Mapping[str, list[Any]]) -> None:
        self.root = root
        self.examples = examples

    def build(self, node: Mapping[str, Any], key: str | None) -> st.SearchStrategy[Any]:
        unknown = set(node) - _KNOWN
        if unknown:
            raise NotImplementedError(f"schema keyword(s) {sorted(unknown)} are not generated")
        if "$ref" in node:
            target = node["$ref"].removeprefix("#/$defs/")
            return st.deferred(lambda: self.build(self.root["$defs"][target], key))
        base = self._generated(node, key)
        validator = Draft202012Validator({**node, "$defs": self.root.get("$defs", {})})
        seen = [value for value in self.examples.get(key or "", ()) if validator.is_valid(value)]
        return st.one_of(base, st.sampled_from(seen)) if seen else base

    def _generated(self, node: Mapping[str, Any], key: str | None) -> st.SearchStrategy[Any]:
        if "anyOf" in node:
            return st.one_of([self.build(option, key) for option in node["anyOf"]])
        if "const" in node:
            return st.just(node["const"])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        kind = node.get("type")
        if kind == "object":
            return self._object(node)
        if kind == "array":
            items = self.build(node.get("items", {"type": "string"}), key)
            return st.lists(items, min_size=node.get("minItems", 0), max_size=node.get("maxItems", 4))
        return self._scalar(node, kind)

    def _scalar(self, node: Mapping[str, Any], kind: Any) -> st.SearchStrategy[Any]:
        if kind == "string":
            low, high = node.get("minLength", 0), node.get("maxLength", 80)
            if node.get("format") == "email":
                return st.emails()
            if "pattern" in node:
                return st.from_regex(node["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high)
            return st.text(min_size=low, max_size=high)
        if kind == "integer":
            return st.integers(node.get("minimum", -(2**31)), node.get("maximum", 2**31))
        if kind == "number":
            low, high = node.get("minimum", -1e12), node.get("maximum", 1e12)
            return st.one_of(st.integers(math.ceil(low), math.floor(high)), st.floats(low, high, allow_nan=False))
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        raise NotImplementedError(f"schema type {kind!r} is not generated")

    def _object(self, node: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        required = set(node.get("required", ()))
        fixed = {name: self.build(sub, name) for name, sub in node.get("properties", {}).items()}
        patterned = [
            st.dictionaries(
                st.from_regex(pattern, fullmatch=True),
                self.build(sub, None),
                min_size=node.get("minProperties", 0),
                max_size=3,
            )
            for pattern, sub in node.get("patternProperties", {}).items()
        ]
        values = node.get("additionalProperties")
        if isinstance(values, Mapping):  # a map of free keys (hyperparameters, inputs)
            patterned.append(st.dictionaries(st.text(min_size=1, max_size=20), self.build(values, None), max_size=3))

        @st.composite
        def draw(draw_: st.DrawFn) -> dict[str, Any]:
            document: dict[str, Any] = {}
            for strategy in patterned:
                document.update(draw_(strategy))
            for name, strategy in fixed.items():
                if name in required or draw_(st.booleans()):
                    document[name] = draw_(strategy)
            return document

        return draw()
