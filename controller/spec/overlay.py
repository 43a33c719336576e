"""Environment overlays: merge `spec.environments.<env>` onto `spec`, remembering where each value came from.

Rules (SPEC.md): maps deep-merge; lists whose items are all maps with a `name` merge item by item on `name`
(unmatched overlay items are appended, base order kept); any other value, lists included, is replaced by the
overlay's. An explicit `null` in an overlay replaces too, which removes an optional block in that environment.

Besides the merged data, `merge` fills `origins`: for every merged subtree, the path in the document where it was
written (below a subtree taken whole, paths correspond one to one, so only its root is recorded). A validation
error in the merged spec thus points at the right line: the overlay's when the overlay set it, else the base's.
"""

from __future__ import annotations

from typing import Any

from controller.spec.yamlsource import Path


def merge(base: Any, overlay: Any, *, base_at: Path, overlay_at: Path, origins: dict[Path, Path]) -> Any:
    """Merge `overlay` onto `base`; both are plain YAML data. Paths are document paths of the two inputs."""
    return _merge(base, overlay, (), base_at, overlay_at, origins)


def locate(origins: dict[Path, Path], merged_path: Path) -> Path:
    """The document path a merged path came from (its nearest recorded ancestor, plus the rest)."""
    for end in range(len(merged_path), -1, -1):
        found = origins.get(merged_path[:end])
        if found is not None:
            return found + merged_path[end:]
    return merged_path


def _merge(base: Any, overlay: Any, at: Path, base_at: Path, overlay_at: Path, origins: dict[Path, Path]) -> Any:
    if isinstance(base, dict) and isinstance(overlay, dict):
        origins[at] = overlay_at
        result: dict[str, Any] = {}
        for key, value in base.items():
            if key in overlay:
                result[key] = _merge(value, overlay[key], (*at, key), (*base_at, key), (*overlay_at, key), origins)
            else:
                result[key] = _record(value, (*at, key), (*base_at, key), origins)
        for key, value in overlay.items():
            if key not in base:
                result[key] = _record(value, (*at, key), (*overlay_at, key), origins)
        return result
    if _named_items(base) and _named_items(overlay):
        return _merge_by_name(base, overlay, at, base_at, overlay_at, origins)
    return _record(overlay, at, overlay_at, origins)


def _merge_by_name(
    base: list[dict[str, Any]],
    overlay: list[dict[str, Any]],
    at: Path,
    base_at: Path,
    overlay_at: Path,
    origins: dict[Path, Path],
) -> list[Any]:
    origins[at] = overlay_at
    overlay_index = {item["name"]: i for i, item in enumerate(overlay)}
    result: list[Any] = []
    for i, item in enumerate(base):
        j = overlay_index.pop(item["name"], None)
        where = (*at, len(result))
        if j is None:
            result.append(_record(item, where, (*base_at, i), origins))
        else:
            result.append(_merge(item, overlay[j], where, (*base_at, i), (*overlay_at, j), origins))
    for j in sorted(overlay_index.values()):
        result.append(_record(overlay[j], (*at, len(result)), (*overlay_at, j), origins))
    return result


def _named_items(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and isinstance(item.get("name"), str) for item in value)
    )


def _record(value: Any, at: Path, source: Path, origins: dict[Path, Path]) -> Any:
    """A subtree taken whole: paths below it are the same relative to `source`, so `locate` needs only its root."""
    origins[at] = source
    return value
