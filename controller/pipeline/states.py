"""Building blocks of the pipeline's Amazon States Language: Tasks with retries and failure capture, start +
poll loops, failure records, SNS notifications and intrinsic-function text.

Composed into the definition by controller.pipeline.definition; pure and generic (it knows ASL
and the AWS integrations, not the pipeline's parameters).

Integrations: `arn:aws:states:::aws-sdk:<service>:<action>` for SageMaker, SSM and CodeBuild (PascalCase
parameters and results, as on AWS), the optimized `arn:aws:states:::sns:publish` for notifications (it
stringifies a JSON `Message`). Throttling is retried with the error names Step Functions gives them
(`ServiceName.ErrorName`, AWS "Learning to use AWS service SDK integrations"): `Ssm.ThrottlingException`
and `SNS.ThrottledException` are modelled errors; SageMaker throttling is not modelled and surfaces as
`SageMaker.AmazonSageMakerException` (the name AWS's own Step Functions Data Science SDK retries on).
CodeBuild models no throttling error, so its calls get no throttling retry. Every Task catches
`States.ALL`; note that `States.Runtime` (a JSONPath that does not resolve) is never catchable on AWS, so
the definition only reads paths that exist at that point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SDK = "arn:aws:states:::aws-sdk:"
SNS_PUBLISH = "arn:aws:states:::sns:publish"
CAUGHT_PATH = "$.caught"
FAILURE_PATH = "$.failure"
NOTIFY_FAILURE = "NotifyFailure"
FAILED = "Failed"
POLL_SECONDS_PATH = "$.pollSeconds"

_THROTTLING_ERRORS: Mapping[str, str] = {
    "sagemaker": "SageMaker.AmazonSageMakerException",
    "ssm": "Ssm.ThrottlingException",
    "sns": "SNS.ThrottledException",
}
_INTRINSIC_SPECIALS = ("\\", "'", "{", "}")

State = dict[str, Any]


def literal(text: str) -> str:
    """`text` as an intrinsic-function string literal (quotes, and \\ ' { } escaped)."""
    for char in _INTRINSIC_SPECIALS:
        text = text.replace(char, "\\" + char)
    return f"'{text}'"


def fmt(template: str, *arguments: str) -> str:
    """`States.Format` of `template` (Python text, `{}` marking each argument) with JSONPath/intrinsic
    arguments; the template's own text is escaped."""
    pieces = template.split("{}")
    if len(pieces) != len(arguments) + 1:
        raise ValueError(f"template {template!r} needs {len(pieces) - 1} arguments, got {len(arguments)}")
    escaped = "{}".join(literal(piece)[1:-1] for piece in pieces)
    return f"States.Format('{escaped}'{''.join(', ' + argument for argument in arguments)})"


def tag_list(static: Mapping[str, str], dynamic: Mapping[str, str]) -> list[dict[str, str]]:
    """SageMaker `Tags`: static key/values sorted by key, then keys whose value is a JSONPath."""
    tags = [{"Key": key, "Value": static[key]} for key in sorted(static)]
    return tags + [{"Key": key, "Value.$": dynamic[key]} for key in sorted(dynamic)]


@dataclass
class Flow:
    """A state machine under construction: states are added in flow order, each Task catching into a
    failure record that leads to NotifyFailure."""

    states: dict[str, State] = field(default_factory=dict)

    def add(self, name: str, state: State) -> str:
        """Add a state; returns its name."""
        if name in self.states:
            raise ValueError(f"duplicate state {name}")
        self.states[name] = state
        return name

    def fail_with(self, name: str, failed_state: str, error: str, cause: str) -> str:
        """A Pass recording `$.failure` = {state, error, cause}, then NotifyFailure. `error` and `cause` are
        fixed texts, or paths/intrinsics when they start with `$` or `States.`."""
        parameters = {"state": failed_state, **_field("error", error), **_field("cause", cause)}
        return self.add(
            name, {"Type": "Pass", "Parameters": parameters, "ResultPath": FAILURE_PATH, "Next": NOTIFY_FAILURE}
        )

    def task(
        self,
        name: str,
        resource: str,
        parameters: Mapping[str, Any],
        next_state: str,
        result_path: str | None = None,
        result_selector: Mapping[str, Any] | None = None,
    ) -> str:
        """A Task whose errors are retried when throttled and otherwise recorded as the failure of `name`."""
        state: State = {"Type": "Task", "Resource": resource, "Parameters": dict(parameters)}
        if result_selector is not None:
            state["ResultSelector"] = dict(result_selector)
        state["ResultPath"] = result_path
        service = resource.removeprefix(SDK).removeprefix("arn:aws:states:::").split(":")[0]
        state.update(_retry(service))
        state["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": CAUGHT_PATH, "Next": f"{name}Error"}]
        state["Next"] = next_state
        self.add(name, state)
        self.fail_with(f"{name}Error", name, "$.caught.Error", "$.caught.Cause")
        return name

    def poll(
        self,
        name: str,
        resource: str,
        parameters: Mapping[str, Any],
        result_path: str,
        status: str,
        done: str,
        running: Sequence[str],
        next_state: str,
        failed: tuple[str, str] | None = None,
    ) -> str:
        """Wait `$.pollSeconds`, describe into `result_path`, and go on by the status at `status`: `done`
        -> next_state, `running` -> wait again, `failed[0]` -> failure with the reason at path `failed[1]`,
        anything else -> failure naming the status. Returns the name of the loop's first state."""
        wait, describe, check = f"WaitFor{name}", f"Describe{name}", f"{name}Status"
        self.add(wait, {"Type": "Wait", "SecondsPath": POLL_SECONDS_PATH, "Next": describe})
        self.task(describe, resource, parameters, check, result_path=result_path)
        choices: list[State] = [{"Variable": status, "StringEquals": done, "Next": next_state}]
        choices += [{"Variable": status, "StringEquals": value, "Next": wait} for value in running]
        if failed is not None:
            failed_status, reason_path = failed
            choices.append({"Variable": status, "StringEquals": failed_status, "Next": f"{name}Failed"})
            self.fail_with(f"{name}Failed", name, f"{name}Failed", reason_path)
        self.add(check, {"Type": "Choice", "Choices": choices, "Default": f"{name}Ended"})
        self.fail_with(f"{name}Ended", name, f"{name}Ended", fmt(name + " ended with status {}", status))
        return wait

    def notify(
        self,
        name: str,
        topic_arn: str | None,
        subject: str,
        event: str,
        message: Mapping[str, Any] | str,
        next_state: str,
    ) -> str:
        """An SNS publish of `message` (see `_publish`); the state's input passes through. Without a topic
        it is a Pass state of the same name, so the flow is the same with or without notifications."""
        if topic_arn is None:
            return self.add(name, {"Type": "Pass", "Next": next_state})
        return self.task(name, SNS_PUBLISH, _publish(topic_arn, subject, event, message), next_state)

    def finish(self, topic_arn: str | None, subject: str, message: Mapping[str, Any]) -> None:
        """NotifyFailure (a Pass without a topic; ends in Failed even when publishing fails) and the Fail state
        `Failed`, whose Error is `<failed state>.<error>` and Cause the failure's cause."""
        if topic_arn is None:
            self.add(NOTIFY_FAILURE, {"Type": "Pass", "Next": FAILED})
        else:
            parameters = _publish(topic_arn, subject, "pipelineFailed", message)
            notify: State = {"Type": "Task", "Resource": SNS_PUBLISH, "Parameters": parameters, "ResultPath": None}
            notify.update(_retry("sns"))
            notify["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.notifyError", "Next": FAILED}]
            notify["Next"] = FAILED
            self.add(NOTIFY_FAILURE, notify)
        # "<state>.<error>": the failed state in the execution's error, which must not start with "States."
        error = fmt("{}.{}", "$.failure.state", "$.failure.error")
        self.add(FAILED, {"Type": "Fail", "ErrorPath": error, "CausePath": "$.failure.cause"})


def _field(key: str, value: str) -> dict[str, str]:
    """`{key: value}` for a fixed text, `{key.$: value}` for a path or intrinsic."""
    return {f"{key}.$": value} if value.startswith(("$", "States.")) else {key: value}


def _retry(service: str) -> State:
    """The throttling Retry of a Task calling `service` (none for services without a known error name)."""
    if service not in _THROTTLING_ERRORS:
        return {}
    rule = {"ErrorEquals": [_THROTTLING_ERRORS[service]], "IntervalSeconds": 5, "MaxAttempts": 5, "BackoffRate": 2.0}
    return {"Retry": [rule]}


def _publish(topic_arn: str, subject: str, event: str, message: Mapping[str, Any] | str) -> State:
    """sns:publish parameters: `message` is a JSON object, or the path of one (the optimized integration
    stringifies it); `event` is also a message attribute, for subscription filter policies; Subject is cut to
    SNS's 100 characters."""
    return {
        "TopicArn": topic_arn,
        "Subject": subject[:100],
        **({"Message.$": message} if isinstance(message, str) else {"Message": dict(message)}),
        "MessageAttributes": {"event": {"DataType": "String", "StringValue": event}},
    }
