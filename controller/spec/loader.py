"""Load a specs folder: find the files, parse every document, validate it, and resolve per-environment configs.

The pipeline per document: YAML -> (data, line map) -> kind dispatch -> pydantic model -> for a ModelSpec, each
environment's overlay merged onto `spec` and validated again -> semantic checks. Every problem becomes a
Diagnostic; nothing stops at the first one. `load_catalog` raises SpecError with all of them, or returns a Catalog
with every environment and every model's per-environment ModelConfig.

Files: only regular files under the given roots are read. `spec_files` walks the given folders (a named file is
its own root, within its folder) without following folder symlinks; `load_files` opens each file without blocking,
refuses a symlink that leads outside its root, anything that is not a regular file (a FIFO, a device, a socket),
and never reads more than yamlsource.MAX_FILE_BYTES, each with a file-level Diagnostic.

Besides the models and the semantic checks, every document goes through safe_text (no control characters, finite
numbers), coercions (YAML 1.1 reading `1.10` as a number: "quote it", with the text as written), and the catalog
through aws_checks (AWS's limits) and aws_names (the AWS names the controller composes).

`load_parsed` takes documents already parsed (a bundle's JSON). Imports neither boto3 nor the sagemaker SDK.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from controller.errors import Diagnostic, SpecError
from controller.spec.aws_checks import check_aws
from controller.spec.aws_names import check_names
from controller.spec.catalog import Catalog, ModelEntry, check_catalog
from controller.spec.checks import check_model
from controller.spec.coercions import quote_it
from controller.spec.messages import errors_of, explain
from controller.spec.models import API_VERSION, Environment, ModelConfig, ModelSpec
from controller.spec.overlay import locate, merge
from controller.spec.safe_text import scan_data
from controller.spec.yamlsource import MAX_FILE_BYTES, Document, Path, format_path, load_documents

M = TypeVar("M", bound=BaseModel)

SPEC_SUFFIXES = (".yaml", ".yml")
KINDS: dict[str, type[Environment] | type[ModelSpec]] = {"Environment": Environment, "ModelSpec": ModelSpec}


class SpecFile(str):
    """A display path that remembers the root it was found under (a `str`, so callers print and count it)."""

    root: str

    def __new__(cls, path: str, root: str) -> SpecFile:
        made = super().__new__(cls, path)
        made.root = root
        return made


def spec_files(paths: Iterable[str]) -> list[str]:
    """Every *.yaml / *.yml file named or under a named folder, sorted, as display paths (SpecFile values).

    Folder symlinks are not followed; one that leads outside its root is listed, so that `load_files` reports it
    instead of silently skipping what it holds."""
    found: list[str] = []
    for given in paths:
        if os.path.isdir(given):
            for root, dirs, files in os.walk(given):
                for name in sorted(d for d in dirs if not d.startswith(".")):
                    link = os.path.join(root, name)
                    if os.path.islink(link) and not _inside(link, given):
                        found.append(SpecFile(link, given))
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(root, d)))
                found.extend(SpecFile(os.path.join(root, f), given) for f in sorted(files) if f.endswith(SPEC_SUFFIXES))
        else:
            found.append(SpecFile(given, os.path.dirname(given) or "."))
    return found


def _inside(path: str, root: str) -> bool:
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_spec_file(file: str) -> bytes | Diagnostic:
    """The bytes of one spec file, or why it is refused (see the module docstring)."""
    root = getattr(file, "root", None) or os.path.dirname(file) or "."
    try:
        if os.path.islink(file) and not _inside(file, root):
            target = os.path.realpath(file)
            return Diagnostic(
                file, 1, "", f"is a symlink to {target}, outside {root}: spec files must be inside the specs folder"
            )
        descriptor = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return Diagnostic(file, 1, "", f"cannot read: {exc.strerror or exc}")
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = next((label for test, label in _FILE_KINDS if test(status.st_mode)), "not a file")
            return Diagnostic(file, 1, "", f"is {kind}, not a regular file: only regular files are read")
        if status.st_size > MAX_FILE_BYTES:
            return Diagnostic(
                file, 1, "", f"file is {status.st_size} bytes; spec files over {MAX_FILE_BYTES} are refused"
            )
        chunks, left = [], MAX_FILE_BYTES + 1  # never more than the cap, even if the file grows meanwhile
        while left > 0:
            chunk = os.read(descriptor, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        return Diagnostic(file, 1, "", f"cannot read: {exc.strerror or exc}")
    finally:
        os.close(descriptor)


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
        raw = read_spec_file(file)
        if isinstance(raw, Diagnostic):
            problems.append(raw)
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
        report = partial(_report, found, document, _as_is)
        if document.needs_scan:
            scan_data(document.data, report)
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
    check_aws(catalog, problems)
    check_names(catalog, problems)
    if problems:
        raise SpecError(list(dict.fromkeys(problems)))  # environments sharing a config share its problems
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
    locators: dict[str, Callable[[Path], Path]] = {}
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
        locators[env] = to_document
        config = _validate(ModelConfig, merged, document, problems, to_document)
        if config is None:
            continue
        configs[env] = config
        check_model(spec.metadata.name, config, partial(_report, problems, document, to_document))
    return ModelEntry(spec, document, configs, locators)


def _validate(
    model: type[M], data: Any, document: Document, problems: list[Diagnostic], to_document: Callable[[Path], Path]
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in errors_of(exc):
            path, message = explain(error, model)
            where = to_document(path)
            written = document.written.get(where)
            if written is not None and error["type"] == "string_type":
                message = quote_it(written, error.get("input"))
            problems.append(_at(document, where, message))
        return None


def _as_is(path: Path) -> Path:
    return path


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
