"""The values desired state is made of and read with: DesiredState (the result), Notify (a model's notification
settings), ModelVersion and Registry (the versions the model registry already holds, an input)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from controller.resources import Ref, Resource, config_id_of


@dataclass(frozen=True)
class ModelVersion:
    """One registered model version: `<config id>-<run>`, and its approval status in the registry."""

    version: str
    approval: str  # Approved | PendingManualApproval | Rejected

    @property
    def config_id(self) -> str:
        return config_id_of(self.version)


Registry = Mapping[str, Sequence[ModelVersion]]  # model package group name -> its versions, newest first


@dataclass(frozen=True)
class Notify:
    """Where a model's notifications go (None: nowhere) and which events its owners asked for."""

    topic: str | None
    events: frozenset[str]

    def wants(self, event: str) -> bool:
        return self.topic is not None and event in self.events


@dataclass(frozen=True)
class DesiredState:
    """env: the environment; resources: every wanted resource; config_ids: model -> current training config id;
    notes: model -> why something is not (yet) wanted, for plan and status; held: resources that exist and must be
    left exactly as they are this time (an endpoint whose next version is not trained yet keeps serving);
    claimed: resources not wanted yet whose names will be (the endpoint of a model waiting for its first version),
    so a foreign resource holding the name is a plan error now, not after the training."""

    env: str
    resources: tuple[Resource, ...]
    config_ids: Mapping[str, str]
    notes: Mapping[str, tuple[str, ...]]
    held: frozenset[Ref]
    notify: Mapping[str, Notify] = field(default_factory=dict)  # model -> its notification settings here
    claimed: tuple[Resource, ...] = ()
