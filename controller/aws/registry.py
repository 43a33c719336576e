"""The adapter registry: one ResourceOperations object per Kind (gitops-engine's ResourceOperations idea).

controller.observe (and later apply) reach every AWS service through `build_registry(clients)[kind]`, so they
never branch per service; adding a kind is one adapter class plus one line in `build_registry`. Only read
operations exist yet; create/update/delete will be added to the protocol with the apply capability.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from controller.aws.autoscaling import ScalingPolicies, ScalingTargets
from controller.aws.cloudwatch import Alarms
from controller.aws.sagemaker import EndpointConfigs, Endpoints, ModelPackageGroups, Models
from controller.aws.scheduler import Schedules
from controller.aws.session import AwsClients
from controller.aws.ssm import Parameters
from controller.aws.stepfunctions import PipelineRuns, StateMachines
from controller.resources import Kind, Observed


class ResourceOperations(Protocol):
    """What every adapter offers for its kind."""

    kind: Kind

    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        """The resources among `keys` that exist, read with as few calls as the API allows; raises AwsError."""
        ...


def build_registry(clients: AwsClients) -> dict[Kind, ResourceOperations]:
    """Every adapter, keyed by the kind it serves, sharing `clients`."""
    adapters: list[ResourceOperations] = [
        Parameters(clients),
        ModelPackageGroups(clients),
        Models(clients),
        EndpointConfigs(clients),
        Endpoints(clients),
        StateMachines(clients),
        PipelineRuns(clients),
        Schedules(clients),
        ScalingTargets(clients),
        ScalingPolicies(clients),
        Alarms(clients),
    ]
    return {adapter.kind: adapter for adapter in adapters}
