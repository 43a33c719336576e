"""Read spec files into plain Python data plus a map from field path to line number.

The libyaml composer (`yaml.CSafeLoader`, falling back to the pure-Python `SafeLoader`) builds the node tree; a small
walker turns nodes into dicts, lists and scalars while recording the 1-based line of every key and item, so any
later error can be reported as `file:line: field.path: message`.

The walker also keeps the text as written of every plain (unquoted) scalar that YAML 1.1 resolved to something
other than a string (`1.10` -> 1.1, `no` -> False, `012` -> 10, `2026-11-01` -> a date), so a message about a
string field can quote what the user typed instead of what YAML made of it (`Document.written`).

Hostile input fails fast with a Diagnostic, never a traceback: files over MAX_FILE_BYTES, binary or non-UTF-8
content, alias bombs and recursive aliases (the walker counts nodes it materialises, MAX_NODES per file), absurd
nesting (MAX_DEPTH), duplicate keys (YAML would silently keep the last), merge keys and unknown tags.

"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from controller.errors import Diagnostic
from controller.spec.coercions import hyperparameter_coercions

# libyaml's composer when PyYAML was built with it; the pure-Python one otherwise (correct, just slower).
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 50_000
MAX_DEPTH = 64

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """One YAML document of a spec file.

    file: display path of the file; index: 0-based position in the file; line: 1-based line it starts on;
    data: the plain data (dict for a well-formed spec); lines: field path -> 1-based line of that key or item;
    written: field path -> the text as written of a plain scalar YAML resolved to a non-string (see above);
    needs_scan: False when the walker saw only printable keys and strings and finite numbers, so the loader's
    safe_text scan can skip the document (data from elsewhere, e.g. a bundle, is always scanned).
    """

    file: str
    index: int
    line: int
    data: Any
    lines: dict[Path, int] = field(repr=False)
    written: dict[Path, str] = field(default_factory=dict, repr=False)
    needs_scan: bool = field(default=True, repr=False)

    def line_of(self, path: Path) -> int:
        """The line of `path`, or of its nearest ancestor that exists in the document."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return self.line


class _TooLarge(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class _Walker:
    """Materialises one document's node tree, recording lines and enforcing the budgets."""

    def __init__(self, constructor: yaml.SafeLoader) -> None:
        self.constructor = constructor
        self.nodes = 0
        self.lines: dict[Path, int] = {}
        self.written: dict[Path, str] = {}
        self.suspicious = False  # a non-printable key or string, or a non-finite number, was seen
        self.problems: list[tuple[int, Path, str]] = []

    def build(self, node: yaml.Node, path: Path, line: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooLarge(f"document expands to more than {MAX_NODES} values (YAML alias bomb?)", line)
        if len(path) > MAX_DEPTH:
            raise _TooLarge(f"nesting deeper than {MAX_DEPTH} levels", line)
        self.lines[path] = line
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), item.start_mark.line + 1) for i, item in enumerate(node.value)]
        value = self.constructor.construct_object(node)
        if node.tag != _STR:
            if isinstance(node, yaml.ScalarNode) and not node.style:
                self.written[path] = str(node.value)
            if isinstance(value, float) and not math.isfinite(value):
                self.suspicious = True
        elif not value.isprintable():
            self.suspicious = True
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append((key_line, path, "YAML merge keys (<<) are not supported; use overlays"))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append((key_line, path, "keys must be plain strings"))
                continue
            key = key_node.value  # the text as written: YAML 1.1 would read `on:` (a spec key) as True
            if not key.isprintable():
                self.suspicious = True
            if key in first_seen:
                self.problems.append(
                    (key_line, (*path, key), f"duplicate key (first defined on line {first_seen[key]})")
                )
                continue
            first_seen[key] = key_line
            result[key] = self.build(value_node, (*path, key), key_line)
        return result


def _read_text(raw: bytes, display: str) -> str | Diagnostic:
    if len(raw) > MAX_FILE_BYTES:
        return Diagnostic(display, 1, "", f"file is {len(raw)} bytes; spec files over {MAX_FILE_BYTES} are refused")
    if b"\x00" in raw:
        return Diagnostic(display, 1, "", "binary content (NUL bytes): not a YAML text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return Diagnostic(display, line, "", f"not UTF-8 text (invalid byte at offset {exc.start})")


def _yaml_problem(display: str, exc: yaml.YAMLError) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Diagnostic(display, line, "", message)


def load_documents(raw: bytes, display: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every document of one file. Returns the documents and any problems found while reading them."""
    text = _read_text(raw, display)
    if isinstance(text, Diagnostic):
        return [], [text]
    loader = _Loader(text)
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    try:
        for index, node in enumerate(_nodes(loader)):
            line = node.start_mark.line + 1
            walker = _Walker(loader)
            try:
                data = walker.build(node, (), line)
            except _TooLarge as exc:
                problems.append(Diagnostic(display, exc.line, "", str(exc)))
                continue
            if walker.written:
                coerced = hyperparameter_coercions(data, walker.written)
                walker.problems.extend((walker.lines.get(path, line), path, message) for path, message in coerced)
            for problem_line, path, message in walker.problems:
                problems.append(Diagnostic(display, problem_line, format_path(path), message))
            documents.append(Document(display, index, line, data, walker.lines, walker.written, walker.suspicious))
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(display, exc))
    except RecursionError:
        problems.append(Diagnostic(display, 1, "", f"nesting deeper than {MAX_DEPTH} levels"))
    finally:
        loader.dispose()
    return documents, problems


def _nodes(loader: yaml.SafeLoader) -> Iterator[yaml.Node]:
    while loader.check_node():
        node = loader.get_node()
        if node is not None:
            yield node


def format_path(path: Path) -> str:
    """('spec', 'variants', 0, 'name') -> 'spec.variants[0].name'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
