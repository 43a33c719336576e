"""IAM enforcement in the embedded emulator: moto's authorizer, made to judge a request the way AWS does.

moto checks identity-based policies once it has served `moto.settings.INITIAL_NO_AUTH_ACTION_COUNT` requests
(default: never; `moto.core.authorization.enable_iam_authentication()` switches it on in this process, and both
values are read per request). It then verifies the SigV4 signature with the secret of the request's access key,
which must be an IAM user's key or an assumed-role session's from moto's STS, and evaluates the Action and
Resource elements of that user's or role's inline and attached policies (an explicit Deny wins; Allow otherwise;
sts:GetCallerIdentity is always allowed). It misses what these patches add, each only while enforcement is on:

- resources (`_named_resources`, RESOURCE_RULES): AWS authorizes an action on the resources the request names
  (Service Authorization Reference, "Actions, resources, and condition keys for <service>"); moto names one only
  for S3, IAM, STS and SQS and authorizes everything else on "*", so a statement scoped to ARNs allows nothing.
  RESOURCE_RULES name them, from the request's parameters, for the services modelctl and its pipelines call: an
  SSM parameter (without its `:version`), a DynamoDB table (and index), a SageMaker model / endpoint config /
  endpoint / training or transform job / model package (group), a Step Functions state machine or execution, an
  EventBridge Scheduler schedule or group, a CodeBuild project, a CloudWatch alarm, an SNS topic, a Lambda
  function. A request naming several (GetParameters, BatchWriteItem, DeleteAlarms, BatchGetProjects) needs each;
  one naming none (List*, DescribeParameters, Application Auto Scaling) is authorized on "*", as AWS does for
  actions without resource types.
- the action's prefix (AwsLikeIAMRequest): moto prefixes the operation with the request's signing name;
  CloudWatch signs as `monitoring` and the Resource Groups Tagging API as `tagging`, but their actions are
  `cloudwatch:*` and `tag:*`, so moto denied every such call a policy allowed.
- the signature (AwsLikeIAMRequest._create_aws_request): moto re-signs a request without a body (every REST GET
  or DELETE, e.g. scheduler:GetScheduleGroup, lambda:ListFunctions) as if its query string or headers were the
  body, so those failed with SignatureDoesNotMatch.
- the denial (`_denial`, `_common_denials`): moto answers every denial with an XML AccessDenied, which botocore
  reads as error code "403" from a JSON service; AWS answers in the service's protocol (AccessDeniedException
  for JSON services) and names the resource: "User: <arn> is not authorized to perform: <action> on resource:
  <arn>".
- pipeline tasks (`_tasks_as_execution_role`): on AWS a state machine's tasks run as its role; moto's
  interpreter signs them with the fixed key "ak", which is nobody's (InvalidClientTokenId). They are signed as a
  session of the execution's role, taken from moto's STS, so the pipeline role's policy governs what a pipeline
  may do.

Still not evaluated (so a test passing here does not prove them): Condition elements (moto only compares
StringEquals keys a request supplies, and supplies none except sts:ExternalId on AssumeRole: aws:RequestTag,
aws:ResourceTag, iam:PassedToService and cloudwatch:namespace conditions always hold), actions a request implies
(iam:PassRole for a role handed to a service, iam:CreateServiceLinkedRole), resource-based policies (bucket
policies, and trust policies except on sts:AssumeRole), permission boundaries and SCPs, and the secondary
resources of an action (UpdateEndpoint is authorized on its endpoint, not also on the endpoint config).

Installed by controller.local.emulator.install_all() (idempotent); the emulator's other patches replace backend
or response methods that moto's call_action() runs after this authorization, so enforcement covers them too.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from moto import settings
from moto.core import errors as moto_errors
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import ServiceException
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import determine_request_protocol
from moto.core.responses import ActionResult
from moto.core.utils import get_service_model
from moto.iam.access_control import IAMRequest
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition
from werkzeug.exceptions import HTTPException

from controller.local.patching import Patches

IAM_PREFIXES = {"monitoring": "cloudwatch", "tagging": "tag"}  # signing name -> IAM service prefix, where they differ
XML_PROTOCOLS = ("query", "ec2", "rest-xml")  # whose services call a denial AccessDenied, not AccessDeniedException
# AWS's "Common Errors", which every service may answer and service models omit (moto warns about each otherwise)
COMMON_DENIALS = ("AccessDenied", "AccessDeniedException")
EXECUTION_SESSION_NAME = "states-execution"  # the role session a state machine's tasks run as

_patches = Patches()
original = _patches.original  # moto's implementation of a patched attribute (tests check moto still needs it)

Parameters = Mapping[str, Any]


def enforced() -> bool:
    """Whether moto checks credentials and policies now (it has served INITIAL_NO_AUTH_ACTION_COUNT requests)."""
    return bool(ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT)


# --- the resources a request names ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a request is served: builds the ARNs of its resources."""

    partition: str
    region: str
    account: str

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"


def _arn_or(name: str, make: Callable[[str], str]) -> str:
    return name if name.startswith("arn:") else make(name)


def _ssm(action: str, params: Parameters, at: Place) -> list[str]:
    names = list(params.get("Names", []))
    names += [params["Name"]] if "Name" in params else []
    names += [params["ResourceId"]] if params.get("ResourceType") == "Parameter" else []
    # a selector (name:version, name:label) names a version of the parameter, authorized as the parameter
    return [_arn_or(n, lambda n: at.arn("ssm", "parameter/" + n.split(":")[0].lstrip("/"))) for n in names]


def _dynamodb(action: str, params: Parameters, at: Place) -> list[str]:
    tables = [*params.get("RequestItems", {}), *([params["TableName"]] if "TableName" in params else [])]
    arns = [_arn_or(t, lambda t: at.arn("dynamodb", f"table/{t}")) for t in tables]
    if "IndexName" in params:
        arns = [f"{arn}/index/{params['IndexName']}" for arn in arns]
    return arns + ([params["ResourceArn"]] if "ResourceArn" in params else [])


SAGEMAKER_NAMES = (  # request member -> resource type, the first present naming the resource
    ("EndpointName", "endpoint"),
    ("EndpointConfigName", "endpoint-config"),
    ("ModelName", "model"),
    ("TrainingJobName", "training-job"),
    ("TransformJobName", "transform-job"),
    ("ModelPackageName", "model-package"),
    ("ModelPackageGroupName", "model-package-group"),
)
SAGEMAKER_UNSCOPED = frozenset({"ListModelPackages"})  # filters by group, but has no resource type
SAGEMAKER_TYPE_OF = {"CreateModelPackage": "model-package"}  # named by its group, creates a package in it


def _sagemaker(action: str, params: Parameters, at: Place) -> list[str]:
    if action in SAGEMAKER_UNSCOPED:
        return []
    if "ResourceArn" in params:
        return [params["ResourceArn"]]
    for member, kind in SAGEMAKER_NAMES:
        if name := params.get(member):
            resource_type = SAGEMAKER_TYPE_OF.get(action, kind)
            lowercase = name.lower()  # SageMaker's ARNs spell names in lowercase
            return [name if name.startswith("arn:") else at.arn("sagemaker", f"{resource_type}/{lowercase}")]
    return []


def _states(action: str, params: Parameters, at: Place) -> list[str]:
    for member in ("executionArn", "stateMachineArn", "resourceArn"):
        if arn := params.get(member):
            return [arn]
    return [at.arn("states", f"stateMachine:{params['name']}")] if action == "CreateStateMachine" else []


def _scheduler(action: str, params: Parameters, at: Place) -> list[str]:
    if "ResourceArn" in params:
        return [params["ResourceArn"]]
    if action.endswith("ScheduleGroup"):
        return [at.arn("scheduler", f"schedule-group/{params['Name']}")]
    if action.endswith("Schedule"):
        return [at.arn("scheduler", f"schedule/{params.get('GroupName') or 'default'}/{params['Name']}")]
    return []


def _codebuild(action: str, params: Parameters, at: Place) -> list[str]:
    projects = [*params.get("names", []), *(params[m] for m in ("name", "projectName") if m in params)]
    # a build id is <project>:<uuid>, a build ARN arn:...:build/<project>:<uuid>
    projects += [build.split(":build/")[-1].split(":")[0] for build in params.get("ids", [])]
    return [_arn_or(p, lambda p: at.arn("codebuild", f"project/{p}")) for p in projects]


def _cloudwatch(action: str, params: Parameters, at: Place) -> list[str]:
    if "ResourceARN" in params:
        return [params["ResourceARN"]]
    names = [*params.get("AlarmNames", []), *([params["AlarmName"]] if "AlarmName" in params else [])]
    return [at.arn("cloudwatch", f"alarm:{name}") for name in names]


def _sns(action: str, params: Parameters, at: Place) -> list[str]:
    for member in ("TopicArn", "TargetArn", "ResourceArn"):
        if arn := params.get(member):
            return [arn]
    return [at.arn("sns", params["Name"])] if action == "CreateTopic" else []


def _lambda(action: str, params: Parameters, at: Place) -> list[str]:
    name = params.get("FunctionName")
    return [_arn_or(name, lambda n: at.arn("lambda", f"function:{n}"))] if name else []


# boto3 service name -> the ARNs of the resources an action names, from the request's parameters
RESOURCE_RULES: dict[str, Callable[[str, Parameters, Place], list[str]]] = {
    "ssm": _ssm,
    "dynamodb": _dynamodb,
    "sagemaker": _sagemaker,
    "sagemaker-runtime": _sagemaker,
    "stepfunctions": _states,
    "scheduler": _scheduler,
    "codebuild": _codebuild,
    "cloudwatch": _cloudwatch,
    "sns": _sns,
    "lambda": _lambda,
}


def _request_protocol(service_model: Any, request: Any) -> str:
    """The wire protocol of `request`: moto 5.2.6 reads it from the request itself (content type and the
    smithy-protocol header); moto 5.2.5 took the content type alone."""
    if "request" in inspect.signature(determine_request_protocol).parameters:
        return str(determine_request_protocol(service_model, request))
    return str(determine_request_protocol(service_model, request.content_type))


def request_parameters(response: Any) -> Parameters:
    """The request's parameters by API member name, parsed as moto's automated parameter parsing does."""
    service_model = get_service_model(response.boto3_service_name)
    operation = service_model.operation_model(response._get_action())  # also matches a REST route's URI labels
    request = response.normalized_request
    protocol = _request_protocol(service_model, request)
    parser = PROTOCOL_PARSERS[protocol](operation, map_type=dict)
    parsed: Parameters = parser.parse(
        {
            "method": request.method,
            "values": request.values,
            "headers": request.headers,
            "body": request.data,
            "url_path": request.path,
            "url_params": response.uri_match,
        }
    )
    return parsed


def named_resources(response: Any) -> list[str]:
    """The ARNs the request served by `response` (a moto BaseResponse) acts on; ["*"] when it names none."""
    rule = RESOURCE_RULES.get(response.boto3_service_name)
    if rule is None:
        return ["*"]
    place = Place(response.partition, response.region, response.current_account)
    return rule(response._get_action(), request_parameters(response), place) or ["*"]


# --- authorization as AWS does it -----------------------------------------------------------------------------


class AccessDeniedError(ServiceException):
    """The AWS error of a denied request (a ServiceException of ours: moto serializes it with the serving service's
    model rather than looking the error up in a moto service package)."""


class DeniedResponse(HTTPException):
    """A denial in the request's protocol: moto's call_action answers an authorization failure with its
    `description` as the body and its `code` as the status."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(description=body)
        self.code = status


def _denial(response: Any, message: str) -> DeniedResponse:
    """The AccessDenied error of the service serving `response`, serialized in the request's protocol."""
    service_model = get_service_model(response.boto3_service_name)
    protocol = response.determine_response_protocol(service_model)
    code = "AccessDenied" if protocol in XML_PROTOCOLS else "AccessDeniedException"
    status, _headers, body = response.serialized(ActionResult(AccessDeniedError(code, message)))
    return DeniedResponse(status, body)


def _common_denials() -> None:
    """Serialize AccessDenied(Exception) as the common error it is, for services whose model omits it."""
    _patches.replace(moto_errors, "COMMON_ERROR_CODES", [*moto_errors.COMMON_ERROR_CODES, *COMMON_DENIALS])


class AwsLikeIAMRequest(IAMRequest):
    """moto's IAMRequest with the action's IAM prefix, the signature of body-less requests and the denial made as
    AWS makes them (module docstring). `response`: the moto response being served."""

    def __init__(self, *, response: Any, **request: Any) -> None:
        super().__init__(**request)
        signing_name, operation = self._action.split(":", 1)
        self._action = f"{IAM_PREFIXES.get(signing_name, signing_name)}:{operation}"
        self._response = response
        self._resource = "*"

    def check_action_permitted(self, resource: str) -> None:
        self._resource = resource
        super().check_action_permitted(resource)

    def _create_aws_request(self) -> Any:
        request = super()._create_aws_request()
        form = self._headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
        if not self._body and not form:  # no body was sent: moto's `data` holds the query string or headers
            request.data = b""
        return request

    def _raise_access_denied(self) -> None:
        message = (
            f"User: {self._access_key.arn} is not authorized to perform: {self._action} on resource: {self._resource}"
        )
        raise _denial(self._response, message)


def _named_resources() -> None:
    """Authorize a request on each resource it names, with AwsLikeIAMRequest (module docstring)."""

    def authorize(self: Any, resource: str = "*") -> None:
        if not enforced():
            moto_authorize(self, resource)  # counts the request towards INITIAL_NO_AUTH_ACTION_COUNT
            return
        request_class = functools.partial(AwsLikeIAMRequest, response=self)
        for each in named_resources(self) if resource == "*" else [resource]:
            self._authenticate_and_authorize_action(request_class, each)

    moto_authorize = _patches.replace(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action", authorize)


# --- Step Functions tasks as the execution role ---------------------------------------------------------------


def role_credentials(role_arn: str, region: str) -> dict[str, str]:
    """boto3 credential arguments of a new session of `role_arn`, issued by moto's STS in the role's account."""
    account = role_arn.split(":")[4]
    role = sts_backends[account][get_partition(region)].assume_role(
        region_name=region,
        role_session_name=EXECUTION_SESSION_NAME,
        role_arn=role_arn,
        policy="",
        duration=3600,
        external_id="",
    )
    return {
        "aws_access_key_id": role.access_key_id,
        "aws_secret_access_key": role.secret_access_key,
        "aws_session_token": role.session_token,
    }


def _tasks_as_execution_role() -> None:
    """Sign the interpreter's task calls as the execution's role while enforced (module docstring)."""

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        client = moto_client_for(region, service, state_credentials)
        role_arn = getattr(state_credentials, "role_arn", None)
        if not enforced() or not role_arn:
            return client
        return boto3.client(  # boto3's default session, as moto's: service models load once
            service,
            region_name=region,
            endpoint_url=client.meta.endpoint_url,
            config=client.meta.config,
            **role_credentials(role_arn, region),
        )

    # Modules bind boto_client_for at import: replace it at its source, and in those already imported.
    moto_client_for = _patches.replace(boto_client, "boto_client_for", boto_client_for)
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "boto_client_for", None) is moto_client_for:
            _patches.replace(module, "boto_client_for", boto_client_for)


def install() -> None:
    """Apply every patch of this module (idempotent)."""
    if _patches.installed:
        return
    _named_resources()
    _common_denials()
    _tasks_as_execution_role()
