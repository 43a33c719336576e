"""The committed JSON Schemas match the models, accept every example, and reject a typo with plain jsonschema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from controller.spec.schema import SCHEMAS, render
from controller.spec.yamlsource import load_documents

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FOR_KIND = {"Environment": "environment.schema.json", "ModelSpec": "modelspec.schema.json"}


@pytest.mark.parametrize("filename", sorted(SCHEMAS))
def test_committed_schema_is_up_to_date(filename: str) -> None:
    committed = (REPO / "schemas" / filename).read_text()
    assert committed == render(SCHEMAS[filename]), "run: python -m controller.spec.schema"


def _example_documents() -> list[tuple[str, dict[str, object]]]:
    found = []
    for path in sorted((REPO / "specs").glob("*.yaml")):
        documents, problems = load_documents(path.read_bytes(), str(path))
        assert not problems
        found.extend((str(path), d.data) for d in documents)
    return found


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((REPO / "schemas" / SCHEMA_FOR_KIND[kind]).read_text())
    return jsonschema.Draft202012Validator(schema)


def test_schemas_accept_every_example() -> None:
    documents = _example_documents()
    assert len(documents) >= 6
    for path, document in documents:
        errors = list(_validator(str(document["kind"])).iter_errors(document))
        assert not errors, f"{path}: {errors[0].message}"


def test_schemas_reject_a_typo_key() -> None:
    for _, document in _example_documents():
        typo = json.loads(json.dumps(document))
        typo["spec"]["tagz" if document["kind"] == "Environment" else "trainin"] = {}
        errors = list(_validator(str(document["kind"])).iter_errors(typo))
        assert any("Additional properties are not allowed" in e.message for e in errors)


def test_examples_point_editors_at_the_schema() -> None:
    for path in (REPO / "specs").glob("*.yaml"):
        assert "# yaml-language-server: $schema=../schemas/" in path.read_text(), path
