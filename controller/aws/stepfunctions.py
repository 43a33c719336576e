"""Step Functions adapters: the per-model pipeline state machines and their runs.

Called through the registry by controller.observe. Both kinds start from one paged ListStateMachines (1000 a
page) that maps names to ARNs, so keys whose machine does not exist cost nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from controller.aws.batching import iso, run_concurrently, tag_map
from controller.aws.errors import missing_as_none, translate_errors
from controller.aws.session import Adapter, AwsClients
from controller.resources import Kind, Observed, Ref
from controller.spec.identity import digest

EXECUTIONS_SHOWN = 20  # the first page of ListExecutions, newest first
FAILED = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})


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
    None, "error": str | None, "cause": str | None}] newest first, at most 20}. ListExecutions carries no error
    or cause, so only the newest execution, when it failed, is described for them.

    Cost for N names, F existing: ceil(machines/1000) ListStateMachines + 3F (DescribeStateMachine,
    ListTagsForResource, ListExecutions) + 1 DescribeExecution per machine whose newest run failed.
    """

    kind = Kind.STATE_MACHINE

    @translate_errors()
    def observe(self, keys: Sequence[str]) -> dict[str, Observed]:
        if not keys:
            return {}
        found = _machine_arns(self._clients, set(keys))
        observed = run_concurrently(
            missing_as_none(self._observe_one), sorted(found.items()), self._clients.max_workers
        )
        return {item.ref.key: item for item in observed if item is not None}

    def _observe_one(self, name_arn: tuple[str, str]) -> Observed:
        name, arn = name_arn
        sfn = self._clients.stepfunctions
        machine = sfn.describe_state_machine(stateMachineArn=arn)
        tags = tag_map(sfn.list_tags_for_resource(resourceArn=arn).get("tags", []))
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
            tags=tags,
            status=machine.get("status", ""),
            extra={"arn": arn, "executions": executions},
        )


class PipelineRuns(Adapter):
    """Pipeline executions, keyed "<state machine name>/<execution name>".

    Observed shape: properties {"status": RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE};
    status the same; extra {"error": str | None, "cause": str | None, "start": ISO, "stop": ISO | None}.
    Cost for N keys: ceil(machines/1000) ListStateMachines + 1 DescribeExecution per key whose machine exists
    (the execution ARN is built from the machine's ARN).
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
        return Observed(ref=Ref(self.kind, key), properties={"status": status}, status=status, extra=extra)


def _execution_arn(machine_arn: str, execution: str) -> str:
    """arn:...:stateMachine:<machine> -> arn:...:execution:<machine>:<execution>."""
    return machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + execution
