"""The adapter registry: one ResourceOperations object per Kind (gitops-engine's ResourceOperations idea).

controller.observe and controller.apply reach every AWS service through `build_registry(clients)[kind]`, so they
never branch per service; adding a kind is one adapter class plus one line in `build_registry`. Each adapter's
class docstring states its kind's observed shape, read cost and write semantics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from controller.aws.autoscaling import ScalingPolicies, ScalingTargets
from controller.aws.cloudwatch import Alarms
from controller.aws.codebuild import ImageBuilds
from controller.aws.sagemaker import ModelPackageGroups, Models
from controller.aws.sagemaker_endpoints import EndpointConfigs, Endpoints
from controller.aws.sagemaker_promotion import PromotedVersions
from controller.aws.scheduler import Schedules
from controller.aws.session import AwsClients
from controller.aws.ssm import Parameters
from controller.aws.stepfunctions import PipelineRuns, StateMachines
from controller.resources import Kind, Observed, Resource


class ResourceOperations(Protocol):
    """What every adapter offers for its kind.

    Every write is idempotent (a create that finds its own managed resource adopts it; a run already started is
    success), refuses with PermanentError to modify or delete a resource without the managed tag, raises only
    AwsError subclasses (TemporaryError is for the caller to retry: adapters retry nothing beyond botocore), and
    returns without waiting for AWS to finish (an endpoint update is still Updating when it returns)."""

    kind: Kind

    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        """The resources among `keys` that exist, read with as few calls as the API allows; raises AwsError."""
        ...

    def create(self, resource: Resource) -> None:
        """Make `resource` as desired (or adopt the managed one already there); raises AwsError."""
        ...

    def update(self, resource: Resource, observed: Observed) -> None:
        """Converge the existing, managed `observed` to `resource`; raises AwsError."""
        ...

    def delete(self, observed: Observed) -> None:
        """Delete the existing, managed `observed`; raises AwsError (PermanentError where the kind is kept)."""
        ...


def build_registry(clients: AwsClients) -> dict[Kind, ResourceOperations]:
    """Every adapter, keyed by the kind it serves, sharing `clients`."""
    adapters: list[ResourceOperations] = [
        Parameters(clients),
        ModelPackageGroups(clients),
        Models(clients),
        EndpointConfigs(clients),
        Endpoints(clients),
        ImageBuilds(clients),
        StateMachines(clients),
        PipelineRuns(clients),
        PromotedVersions(clients),
        Schedules(clients),
        ScalingTargets(clients),
        ScalingPolicies(clients),
        Alarms(clients),
    ]
    return {adapter.kind: adapter for adapter in adapters}
