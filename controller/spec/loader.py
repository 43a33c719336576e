"""Load a specs folder: find the files, parse every document, validate it, and resolve per-environment configs.

The pipeline per document: YAML -> (data, line map) -> kind dispatch -> pydantic model -> for a ModelSpec, each
environment's overlay merged onto `spec` and validated again -> semantic checks. Every problem becomes a
Diagnostic; nothing stops at the first one. `load_catalog` raises SpecError with all of them, or returns a Catalog
with every environment and every model's per-environment ModelConfig.

Called by the CLI (`validate`, `plan`, `bundle`, ...), by tests, and (`load_parsed`) by controller.bundle.
Imports neither boto3 nor the sagemaker SDK.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path as FsPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from controller.errors import Diagnostic, SpecError
from controller.spec.catalog import Catalog, ModelEntry, check_catalog
from controller.spec.checks import check_model
from controller.spec.messages import errors_of, explain
from controller.spec.models import API_VERSION, Environment, ModelConfig, ModelSpec
from controller.spec.overlay import locate, merge
from controller.spec.yamlsource import Document, Path, format_path, load_documents

M = TypeVar("M", bound=BaseModel)

SPEC_SUFFIXES = (".yaml", ".yml")
KINDS: dict[str, type[Environment] | type[ModelSpec]] = {"Environment": Environment, "ModelSpec": ModelSpec}


def spec_files(paths: Iterable[str]) -> list[str]:
    """Every *.yaml / *.yml file named or under a named folder, sorted, as display paths."""
    found: list[str] = []
    for given in paths:
        if os.path.isdir(given):
            for root, dirs, files in os.walk(given):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(SPEC_SUFFIXES))
        else:
            found.append(given)
    return found


def load_catalog(paths: Sequence[str]) -> Catalog:
    """Validate every spec under `paths`; raise SpecError listing every problem, else return the Catalog."""
    files = spec_files(paths)
    if not files:
        raise SpecError([Diagnostic(", ".join(paths) or ".", 1, "", "no *.yaml or *.yml spec files found")])
    return load_files(files)


def load_files(files: Sequence[str]) -> Catalog:
    """Validate exactly these files (see `load_catalog`)."""
    problems: list[Diagnostic] = []
    documents: list[Document] = []
    for file in files:
        try:
            raw = FsPath(file).read_bytes()
        except OSError as exc:
            problems.append(Diagnostic(file, 1, "", f"cannot read: {exc.strerror or exc}"))
            continue
        parsed, found = load_documents(raw, file)
        documents.extend(parsed)
        problems.extend(found)
    return load_parsed(documents, problems)


def load_parsed(documents: Sequence[Document], problems: Sequence[Diagnostic] = ()) -> Catalog:
    """Validate already-parsed documents (the reconciler Lambda's bundle carries them as plain data, without YAML)
    exactly as `load_files` validates files; `problems`: those found while parsing, reported with the rest."""
    found = list(problems)
    environments: dict[str, tuple[Environment, Document]] = {}
    models: list[ModelEntry] = []
    for document in documents:
        parsed = _parse_document(document, found)
        if isinstance(parsed, Environment):
            environments.setdefault(parsed.metadata.name, (parsed, document))
            _note_duplicate(
                environments[parsed.metadata.name][1], document, f"Environment name {parsed.metadata.name!r}", found
            )
        elif isinstance(parsed, ModelSpec):
            models.append(_resolve_model(parsed, document, found))
    return _checked(Catalog.build(environments, models, found), found)


def _checked(catalog: Catalog, problems: list[Diagnostic]) -> Catalog:
    check_catalog(catalog, problems)
    if problems:
        raise SpecError(problems)
    return catalog


def _parse_document(document: Document, problems: list[Diagnostic]) -> Environment | ModelSpec | None:
    data = document.data
    where = f"document {document.index + 1}"
    if data is None:
        return None  # an empty document (a stray `---`) is harmless
    if not isinstance(data, dict):
        problems.append(
            Diagnostic(
                document.file,
                document.line,
                "",
                f"{where} is a {_kind_of(data)}; expected a mapping with apiVersion, kind, metadata and spec",
            )
        )
        return None
    if data.get("apiVersion") != API_VERSION:
        got = data.get("apiVersion")
        message = f"must be {API_VERSION!r}" + (f" (got {got!r})" if got is not None else " (missing)")
        problems.append(Diagnostic(document.file, document.line_of(("apiVersion",)), "apiVersion", message))
        return None
    model = KINDS.get(str(data.get("kind")))
    if model is None:
        message = f"must be one of {', '.join(KINDS)} (got {data.get('kind')!r})"
        problems.append(Diagnostic(document.file, document.line_of(("kind",)), "kind", message))
        return None
    return _validate(model, data, document, problems, lambda path: path)


def _resolve_model(spec: ModelSpec, document: Document, problems: list[Diagnostic]) -> ModelEntry:
    """Merge each environment's overlay onto the base spec, validate the result, run the semantic checks."""
    base = {key: value for key, value in document.data["spec"].items() if key != "environments"}
    base_config = ModelConfig.model_construct(
        spec.spec.model_fields_set - {"environments"},
        **{field: getattr(spec.spec, field) for field in ModelConfig.model_fields},
    )
    configs: dict[str, ModelConfig] = {}
    base_checked = False
    for env, overlay in document.data["spec"]["environments"].items():
        if not overlay:  # `env: {}` is the base spec itself, already validated as part of the document
            configs[env] = base_config
            if not base_checked:
                check_model(spec.metadata.name, base_config, partial(_report, problems, document, _in_spec))
                base_checked = True
            continue
        origins: dict[Path, Path] = {}
        merged = merge(base, overlay, base_at=("spec",), overlay_at=("spec", "environments", env), origins=origins)

        to_document = partial(locate, origins)
        config = _validate(ModelConfig, merged, document, problems, to_document)
        if config is None:
            continue
        configs[env] = config
        check_model(spec.metadata.name, config, partial(_report, problems, document, to_document))
    return ModelEntry(spec, document, configs)


def _validate(
    model: type[M], data: Any, document: Document, problems: list[Diagnostic], to_document: Callable[[Path], Path]
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in errors_of(exc):
            path, message = explain(error, model)
            problems.append(_at(document, to_document(path), message))
        return None


def _in_spec(path: Path) -> Path:
    return ("spec", *path)


def _report(
    problems: list[Diagnostic], document: Document, to_document: Callable[[Path], Path], path: Path, message: str
) -> None:
    problems.append(_at(document, to_document(path), message))


def _at(document: Document, path: Path, message: str) -> Diagnostic:
    return Diagnostic(document.file, document.line_of(path), format_path(path), message)


def _note_duplicate(first: Document, document: Document, what: str, problems: list[Diagnostic]) -> None:
    """`what` (e.g. `Environment name 'dev'`) is defined in `first` already."""
    if first is not document:
        message = f"duplicate {what} (first defined in {first.file}:{first.line_of(('metadata', 'name'))})"
        problems.append(Diagnostic(document.file, document.line_of(("metadata", "name")), "metadata.name", message))


def _kind_of(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), "value")
