"""AWS's default API rate limits (us-east-1) for the calls a reconcile makes, and the time they impose.

AWS throttles each API with a token bucket per account and Region: `burst` calls at once, then `per_second`.
Step Functions publishes both for every API; Parameter Store publishes a shared throughput; most SageMaker,
Scheduler, Tagging and Application Auto Scaling read APIs have no published per-API figure. Every entry says which
it is: `documented` (with where) or `assumed` (a deliberately modest figure, so the estimate errs slow). Limits
are per account and Region, shared with everything else calling the same API there; the estimate assumes the
controller has them to itself.

`throttled_seconds(counts)` turns per-operation call counts (as AwsClients' CallCounter reports them, e.g.
{"stepfunctions.ListExecutions": 1000}) into the minimum time AWS would take to serve them: per bucket,
max(0, calls - burst) / per_second. Buckets refill independently and the controller reads every kind at once,
so a reconcile can finish no sooner than its slowest bucket (`Estimate.bound_s`); `Estimate.serial_s`, the sum,
is what it would cost if the buckets were drained one after another. Used by bench/reconcile_cost.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SFN_QUOTAS = "Step Functions Developer Guide, Quotas related to API action throttling (us-east-1, us-west-2, eu-west-1)"
SSM_QUOTAS = "AWS General Reference, Systems Manager endpoints and quotas: Parameter Store max throughput (default)"
CLOUDWATCH_QUOTAS = "CloudWatch User Guide, CloudWatch service quotas: DescribeAlarms 9 TPS"
ASSUMED = "assumed: no published per-API default"


@dataclass(frozen=True)
class Limit:
    """One token bucket: `bucket` names it (APIs that share a quota share a bucket)."""

    bucket: str
    burst: float
    per_second: float
    source: str


def _assumed(bucket: str, per_second: float) -> Limit:
    return Limit(bucket, burst=per_second, per_second=per_second, source=ASSUMED)


LIMITS: dict[str, Limit] = {
    # Step Functions: every API has its own documented bucket
    "stepfunctions.ListStateMachines": Limit("states:ListStateMachines", 100, 5, SFN_QUOTAS),
    "stepfunctions.DescribeStateMachine": Limit("states:DescribeStateMachine", 200, 20, SFN_QUOTAS),
    "stepfunctions.ListExecutions": Limit("states:ListExecutions", 200, 5, SFN_QUOTAS),
    "stepfunctions.ListTagsForResource": Limit("states:ListTagsForResource", 100, 1, SFN_QUOTAS),
    "stepfunctions.DescribeExecution": Limit("states:DescribeExecution", 300, 15, SFN_QUOTAS),
    # Parameter Store: GetParameter, GetParameters and GetParametersByPath share 40 TPS (standard throughput)
    "ssm.GetParameters": Limit("ssm:GetParameter*", 40, 40, SSM_QUOTAS),
    "ssm.GetParameter": Limit("ssm:GetParameter*", 40, 40, SSM_QUOTAS),
    "ssm.DescribeParameters": _assumed("ssm:DescribeParameters", 10),
    "cloudwatch.DescribeAlarms": Limit("cloudwatch:DescribeAlarms", 9, 9, CLOUDWATCH_QUOTAS),
    "cloudwatch.ListTagsForResource": _assumed("cloudwatch:ListTagsForResource", 10),
    # SageMaker publishes no per-API control-plane rates
    "sagemaker.ListModelPackageGroups": _assumed("sagemaker:ListModelPackageGroups", 10),
    "sagemaker.ListModelPackages": _assumed("sagemaker:ListModelPackages", 10),
    "sagemaker.ListTags": _assumed("sagemaker:ListTags", 10),
    "sagemaker.ListEndpoints": _assumed("sagemaker:ListEndpoints", 10),
    "sagemaker.ListEndpointConfigs": _assumed("sagemaker:ListEndpointConfigs", 10),
    "sagemaker.ListModels": _assumed("sagemaker:ListModels", 10),
    "sagemaker.DescribeEndpoint": _assumed("sagemaker:DescribeEndpoint", 10),
    "sagemaker.DescribeEndpointConfig": _assumed("sagemaker:DescribeEndpointConfig", 10),
    "scheduler.ListSchedules": _assumed("scheduler:ListSchedules", 10),
    "scheduler.GetSchedule": _assumed("scheduler:GetSchedule", 50),
    "scheduler.ListTagsForResource": _assumed("scheduler:ListTagsForResource", 10),
    "resourcegroupstaggingapi.GetResources": _assumed("tag:GetResources", 5),
}
DEFAULT = 10.0  # per second, for an operation missing from LIMITS (reported as such)


def limit_for(operation: str) -> Limit:
    """The bucket `operation` ("<service>.<Operation>") draws from; unknown ones get an assumed DEFAULT bucket."""
    return LIMITS.get(operation) or Limit(operation, DEFAULT, DEFAULT, f"{ASSUMED} (not in the table)")


@dataclass(frozen=True)
class BucketTime:
    bucket: str
    calls: int
    limit: Limit

    @property
    def documented(self) -> bool:
        return not self.limit.source.startswith(ASSUMED)

    @property
    def seconds(self) -> float:
        return max(0.0, self.calls - self.limit.burst) / self.limit.per_second


@dataclass(frozen=True)
class Estimate:
    buckets: tuple[BucketTime, ...]  # slowest first

    @property
    def bound_s(self) -> float:
        """The slowest bucket: no reconcile making these calls can finish sooner under these limits."""
        return max((b.seconds for b in self.buckets), default=0.0)

    @property
    def serial_s(self) -> float:
        """Every bucket drained one after another."""
        return sum(b.seconds for b in self.buckets)


def throttled_seconds(counts: Mapping[str, int]) -> Estimate:
    """The throttle-weighted time of serving `counts` (see the module docstring)."""
    calls: dict[str, int] = {}
    limits: dict[str, Limit] = {}
    for operation, n in counts.items():
        limit = limit_for(operation)
        calls[limit.bucket] = calls.get(limit.bucket, 0) + n
        limits[limit.bucket] = limit
    buckets = (BucketTime(bucket, n, limits[bucket]) for bucket, n in calls.items())
    return Estimate(tuple(sorted(buckets, key=lambda b: (-b.seconds, b.bucket))))
