"""Export the JSON Schemas of the spec documents (`schemas/*.schema.json`) from the pydantic models.

The committed files let editors validate specs (`# yaml-language-server: $schema=../schemas/modelspec.schema.json`);
`tests/unit/test_schema.py` fails when they drift from the models. Regenerate with
`python -m controller.spec.schema` (writes into ./schemas).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from controller.spec.models import Environment, ModelSpec

SCHEMAS: dict[str, type[BaseModel]] = {
    "environment.schema.json": Environment,
    "modelspec.schema.json": ModelSpec,
}


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one document kind, as committed."""
    schema = model.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render(model: type[BaseModel]) -> str:
    return json.dumps(schema_of(model), indent=2, sort_keys=True) + "\n"


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, model in SCHEMAS.items():
        path = folder / filename
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(f"wrote {written_path}")
