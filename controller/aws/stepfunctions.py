"""Step Functions adapters: the per-model pipeline state machines and their runs.

One ResourceOperations (controller.ports) per kind. Both kinds start from
one paged ListStateMachines (1000 a page) that maps names to ARNs, so keys whose machine does not exist cost
nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from controller.aws.batching import iso, run_concurrently, tag_map
from controller.aws.errors import missing_as_none, translate_errors
from controller.aws.session import Adapter, AwsClients
from controller.aws.ssm import ensure_labelled
from controller.aws.tagging import TagReader, ownership_tags
from controller.aws.writes import aws_tags, require_managed
from controller.errors import AwsError, NotFoundError, PermanentError
from controller.resources import MANAGED, Kind, Observed, Ref, Resource
from controller.spec.identity import digest

EXECUTIONS_SHOWN = 20  # the first page of ListExecutions, newest first
OWNED_BY_MACHINE = MANAGED  # the tags a pipeline run reports: see PipelineRuns
FAILED = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
RESOURCE_TYPE = "states:stateMachine"  # the Tagging API's name for a state machine


def definition_digest(definition: str | Mapping[str, Any]) -> str:
    """sha256 hex of the canonical JSON (sorted keys, no spaces) of an ASL definition (text or parsed)."""
    return digest(json.loads(definition) if isinstance(definition, str) else definition)


def _machine_arns(clients: AwsClients, names: set[str]) -> dict[str, str]:
    """name -> ARN for the state machines among `names` that exist."""
    found: dict[str, str] = {}
    pages = clients.stepfunctions.get_paginator("list_state_machines")
    for page in pages.paginate(PaginationConfig={"PageSize": 1000}):
        for machine in page.get("stateMachines", []):
            if machine["name"] in names:
                found[machine["name"]] = machine["stateMachineArn"]
    return found


class StateMachines(Adapter):
    """State machines by name.

    Observed shape: properties {"definitionDigest": definition_digest(definition), "roleArn": str}; status
    ACTIVE | DELETING; tags; extra {"arn": str, "executions": [{"name", "status", "start": ISO, "stop": ISO |
    None, "error": str | None, "cause": str | None}] newest first, at most 20, "definition": the ASL (parsed, so a
    plan shows the states that changed)}. ListExecutions carries no error
    or cause, so only the newest execution, when it failed, is described for them.

    Cost for N names, F existing: ceil(machines/1000) ListStateMachines + 2F (DescribeStateMachine,
    ListExecutions) + the tags (F ListTagsForResource below SWEEP_FROM machines, else ceil(managed machines/100)
    GetResources, controller.aws.tagging) + 1 DescribeExecution per machine whose newest run failed.

    Writes (payload {"definition": the ASL as a dict}): create = CreateStateMachine (STANDARD, the definition as
    canonical JSON, properties["roleArn"], the resource's tags), after looking the name up (one
    ListStateMachines): a managed machine of that name is adopted by updating it, a foreign one refused.
    update = UpdateStateMachine(definition, roleArn). delete = DeleteStateMachine.
    """

    kind = Kind.STATE_MACHINE

    @translate_errors()
    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        if not keys:
            return {}
        found = _machine_arns(self._clients, set(keys))
        with ownership_tags(self._clients, RESOURCE_TYPE, len(found), self._tags) as tags_of:

            def observe_one(name_arn: tuple[str, str]) -> Observed:
                return self._observe_one(*name_arn, tags_of)

            observed = run_concurrently(missing_as_none(observe_one), sorted(found.items()), self._clients.max_workers)
        return {item.ref.key: item for item in observed if item is not None}

    def _tags(self, arn: str) -> dict[str, str]:
        return tag_map(self._clients.stepfunctions.list_tags_for_resource(resourceArn=arn).get("tags", []))

    def _observe_one(self, name: str, arn: str, tags_of: TagReader) -> Observed:
        sfn = self._clients.stepfunctions
        machine = sfn.describe_state_machine(stateMachineArn=arn)
        listed = sfn.list_executions(stateMachineArn=arn, maxResults=EXECUTIONS_SHOWN).get("executions", [])
        listed = sorted(listed, key=lambda execution: execution["startDate"], reverse=True)
        executions = [
            {
                "name": execution["name"],
                "status": execution["status"],
                "start": iso(execution["startDate"]),
                "stop": iso(execution.get("stopDate")),
                "error": None,
                "cause": None,
            }
            for execution in listed
        ]
        if executions and executions[0]["status"] in FAILED:
            described = sfn.describe_execution(executionArn=listed[0]["executionArn"])
            executions[0] |= {"error": described.get("error"), "cause": described.get("cause")}
        return Observed(
            ref=Ref(self.kind, name),
            properties={"definitionDigest": definition_digest(machine["definition"]), "roleArn": machine["roleArn"]},
            tags=tags_of(arn),
            status=machine.get("status", ""),
            extra={"arn": arn, "executions": executions, "definition": json.loads(machine["definition"])},
        )

    @translate_errors()
    def create(self, resource: Resource) -> None:
        existing = self.observe([resource.ref.key]).get(resource.ref.key)
        if existing is not None:  # looked up first: the emulator answers a taken name with the existing machine
            require_managed(existing, "adopt")
            self.update(resource, existing)
            return
        self._clients.stepfunctions.create_state_machine(
            name=resource.ref.key,
            definition=_definition(resource),
            roleArn=resource.properties["roleArn"],
            type="STANDARD",
            tags=aws_tags(resource.tags, "key", "value"),
        )

    @translate_errors()
    def update(self, resource: Resource, observed: Observed) -> None:
        require_managed(observed, "update")
        self._clients.stepfunctions.update_state_machine(
            stateMachineArn=observed.extra["arn"],
            definition=_definition(resource),
            roleArn=resource.properties["roleArn"],
        )

    @translate_errors()
    def delete(self, observed: Observed) -> None:
        require_managed(observed, "delete")
        self._clients.stepfunctions.delete_state_machine(stateMachineArn=observed.extra["arn"])


class PipelineRuns(Adapter):
    """Pipeline executions, keyed "<state machine name>/<execution name>".

    Observed shape: properties {"status": RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE};
    status the same; extra {"error": str | None, "cause": str | None, "start": ISO, "stop": ISO | None}; tags
    {modelctl:managed: "true"}: executions carry no tags, they belong to their state machine, whose own ownership
    the diff checks (so an existing run is history, not a conflict).
    Cost for N keys: ceil(machines/1000) ListStateMachines + 1 DescribeExecution per key whose machine exists
    (the execution ARN is built from the machine's ARN).

    Writes (payload {"input": the execution input, JSON text, "hyperparameters": {"name", "label", "text"} of the
    SSM parameter version the run reads}): create = StartExecution on the machine named in the key (its ARN from
    ListStateMachines; NotFoundError when it does not exist yet) with the execution name from the key, after
    making sure the run's hyperparameter label exists (controller.aws.ssm.ensure_labelled);
    ExecutionAlreadyExists means the run was already started: success. update and delete raise
    PermanentError: runs are immutable history.
    """

    kind = Kind.PIPELINE_RUN

    @translate_errors()
    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        if not keys:
            return {}
        machines = _machine_arns(self._clients, {key.split("/", 1)[0] for key in keys})
        wanted = [
            (key, _execution_arn(machines[machine], execution))
            for key in sorted(set(keys))
            for machine, _, execution in [key.partition("/")]
            if machine in machines and execution
        ]
        observed = run_concurrently(missing_as_none(self._observe_one), wanted, self._clients.max_workers)
        return {item.ref.key: item for item in observed if item is not None}

    def _observe_one(self, key_arn: tuple[str, str]) -> Observed:
        key, arn = key_arn
        execution = self._clients.stepfunctions.describe_execution(executionArn=arn)
        extra = {
            "error": execution.get("error"),
            "cause": execution.get("cause"),
            "start": iso(execution.get("startDate")),
            "stop": iso(execution.get("stopDate")),
        }
        status = execution["status"]
        return Observed(
            ref=Ref(self.kind, key), properties={"status": status}, tags=OWNED_BY_MACHINE, status=status, extra=extra
        )

    @translate_errors()
    def create(self, resource: Resource) -> None:
        machine, _, execution = resource.ref.key.partition("/")
        arn = _machine_arns(self._clients, {machine}).get(machine)
        if arn is None:
            raise NotFoundError(f"{resource.ref}: state machine {machine} does not exist")
        if "hyperparameters" in resource.payload:
            ensure_labelled(self._clients, resource.payload["hyperparameters"])
        try:
            with translate_errors():
                self._clients.stepfunctions.start_execution(
                    stateMachineArn=arn, name=execution, input=resource.payload["input"]
                )
        except AwsError as error:
            if error.code != "ExecutionAlreadyExists":
                raise

    def update(self, resource: Resource, observed: Observed) -> None:
        raise PermanentError(f"{observed.ref} is history: a run cannot be changed")

    def delete(self, observed: Observed) -> None:
        raise PermanentError(f"{observed.ref} is history: a run is never deleted")


def _definition(resource: Resource) -> str:
    """The state machine's ASL as canonical JSON text (sorted keys), as CreateStateMachine wants it."""
    return json.dumps(resource.payload["definition"], sort_keys=True)


def _execution_arn(machine_arn: str, execution: str) -> str:
    """arn:...:stateMachine:<machine> -> arn:...:execution:<machine>:<execution>."""
    return machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + execution
