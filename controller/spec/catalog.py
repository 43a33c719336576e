"""The validated contents of a specs folder, and the checks that span documents.

A Catalog maps environment names to Environment documents and model names to ModelEntry values (the document,
its source location, and one merged ModelConfig per environment it lives in). Cross-document checks: duplicate
model names, environments a model references but nobody defines, promotion chains that name unknown
environments, themselves or a cycle, a promoted environment whose model is absent from the source environment,
and notifications with no topic to go to. Built and checked by `controller.spec.loader`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from controller.errors import Diagnostic
from controller.spec.models import Environment, ModelConfig, ModelSpec
from controller.spec.yamlsource import Document, Path, format_path


@dataclass(frozen=True)
class ModelEntry:
    """One ModelSpec document: `spec` as written, where it came from, and its merged config per environment;
    `locators`: per environment, how a path in its merged config maps to the document (overlay-aware)."""

    spec: ModelSpec
    document: Document
    configs: Mapping[str, ModelConfig]
    locators: Mapping[str, Callable[[Path], Path]] = field(default_factory=dict)

    def locate(self, env: str) -> Callable[[Path], Path]:
        """Maps a path in `env`'s merged config (relative to `spec`) to the document's path."""
        return self.locators.get(env, _in_spec)

    @property
    def name(self) -> str:
        return self.spec.metadata.name


@dataclass(frozen=True)
class Catalog:
    """Every environment and model of a specs folder, by name (each name once per kind)."""

    environments: Mapping[str, Environment]
    environment_documents: Mapping[str, Document]
    models: Mapping[str, ModelEntry]

    @classmethod
    def build(
        cls,
        environments: Mapping[str, tuple[Environment, Document]],
        models: list[ModelEntry],
        problems: list[Diagnostic],
    ) -> Catalog:
        by_name: dict[str, ModelEntry] = {}
        for entry in models:
            first = by_name.setdefault(entry.name, entry)
            if first is not entry:
                where = f"{first.document.file}:{first.document.line_of(('metadata', 'name'))}"
                problems.append(
                    _at(
                        entry.document,
                        ("metadata", "name"),
                        f"duplicate ModelSpec name {entry.name!r} (first defined in {where})",
                    )
                )
        return cls(
            environments={name: env for name, (env, _) in environments.items()},
            environment_documents={name: doc for name, (_, doc) in environments.items()},
            models=by_name,
        )

    def models_in(self, env: str) -> list[ModelEntry]:
        """The models that live in `env`, by name."""
        return [entry for name, entry in sorted(self.models.items()) if env in entry.configs]


def check_catalog(catalog: Catalog, problems: list[Diagnostic]) -> None:
    """Append a Diagnostic for every cross-document problem."""
    _check_promotions(catalog, problems)
    for entry in catalog.models.values():
        for env_name in entry.spec.spec.environments:
            path = ("spec", "environments", env_name)
            env = catalog.environments.get(env_name)
            if env is None:
                known = ", ".join(sorted(catalog.environments)) or "none"
                problems.append(
                    _at(entry.document, path, f"environment {env_name!r} is not defined (defined: {known})")
                )
                continue
            promotion = env.spec.promotion
            if promotion is not None and promotion.from_env not in entry.spec.spec.environments:
                problems.append(
                    _at(
                        entry.document,
                        path,
                        f"{env_name!r} is promoted from {promotion.from_env!r}, "
                        f"so the model must live in {promotion.from_env!r} too",
                    )
                )
            config = entry.configs.get(env_name)
            if config is None:
                continue  # its overlay was invalid; that is already reported
            notifications = config.notifications
            explicit = "on" in notifications.model_fields_set
            if explicit and notifications.on and not (notifications.topic_arn or env.spec.notification_topic_arn):
                problems.append(
                    _at(
                        entry.document,
                        ("spec", "notifications", "on"),
                        f"no topic for notifications in {env_name!r}: "
                        "set notifications.topicArn or the environment's notificationTopicArn",
                    )
                )


def _check_promotions(catalog: Catalog, problems: list[Diagnostic]) -> None:
    for name, env in catalog.environments.items():
        promotion = env.spec.promotion
        if promotion is None:
            continue
        document = catalog.environment_documents[name]
        path = ("spec", "promotion", "from")
        if promotion.from_env == name:
            problems.append(_at(document, path, "an environment cannot be promoted from itself"))
        elif promotion.from_env not in catalog.environments:
            problems.append(_at(document, path, f"environment {promotion.from_env!r} is not defined"))
        else:
            chain = [name]
            current: str | None = promotion.from_env
            while current is not None and current not in chain:
                chain.append(current)
                upstream = catalog.environments.get(current)
                current = upstream.spec.promotion.from_env if upstream and upstream.spec.promotion else None
            if current is not None:
                problems.append(_at(document, path, f"promotion cycle: {' -> '.join([*chain, current])}"))


def _in_spec(path: Path) -> Path:
    return ("spec", *path)


def _at(document: Document, path: Path, message: str) -> Diagnostic:
    return Diagnostic(document.file, document.line_of(path), format_path(path), message)
