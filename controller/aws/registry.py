"""The adapter registry: one ResourceOperations (controller.ports) per Kind (gitops-engine's idea).

controller.reconcile.observe and controller.reconcile.executor reach every AWS service through
`build_registry(clients)[kind]`, so they never branch per service; adding a kind is one adapter class plus one line
in `build_registry`. Each adapter's class docstring states its kind's observed shape, read cost and write semantics.
"""

from __future__ import annotations

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
from controller.ports import ResourceOperations
from controller.resources import Kind


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
