"""Benchmark: a no-op `plan` of N converged models on the emulator, against bare boto3 doing the minimal reads.

Layout. N training-only models generated from specs/demand-forecast.yaml (pinned training image, nightly schedule,
no deployment), each with its own name, all living in the `stage` environment of specs/environments.yaml. In
`stage` each model owns five resources: two SSM parameters (hyperparameters, training config), a model package
group, a pipeline state machine and a schedule in the shared group `modelctl-stage`. The emulator runs in its own
process (`modelctl local serve --port <free> --account 111122223333`, so it and the clients do not share a GIL),
started and waited for before, and always terminated after, the run. It is seeded concurrently (--seed-workers)
with plain boto3 calls made from `controller.desired.desired_state` (with a registry holding one Approved version
of every model's current config, so no pipeline run is wanted), so the environment is converged: the plan must
have no changes and the controller must make no write. Seeding costs the emulator about 0.3 s a model, most of it
moto parsing each state machine definition (CreateStateMachine validates the ASL with an ANTLR parser).

"Minimum" is what a hand-written reader needs to learn the same facts the adapters return, given the AWS API
limits (P = 2N parameters, N groups, N machines, N schedules in one schedule group):

    ssm             ceil(P/10) GetParameters (10 names a call) + ceil(P/50) DescribeParameters (filter on Name
                    Equals, 50 values, and tag:modelctl:managed: ownership)
    sagemaker       ceil(N/100) ListModelPackageGroups (100 a page) + per group ListModelPackages (the versions):
                    no batch describe exists
    stepfunctions   ceil(N/1000) ListStateMachines (1000 a page) + per machine DescribeStateMachine (definition,
                    role) and ListExecutions (recent runs, for status)
    tagging         ownership tags of the groups and of the machines: ceil(N/100) GetResources each (the Resource
                    Groups Tagging API, 100 resources a page, filtered by type and the managed tag), as the
                    emulator now pages them (controller.local.tagging_ext; moto alone applied a TagsPerPage of 100
                    nobody asked for, ~12 of these resources a page: ~8x the calls).
    scheduler       ceil(N/100) ListSchedules (100 a page) + 1 ListTagsForResource on the group (Scheduler tags
                    groups, not schedules) + per schedule GetSchedule

The bare reader makes exactly those calls with boto3 on a ThreadPoolExecutor of the controller's worker count
(lists first, then every per-resource read in one pool), counting them with the same `before-call` hook as
AwsClients. Both sides start from a fresh Session and fresh clients inside the timed region; the controller's
time also includes computing the desired state and the plan (reported separately as "desired s").

Budgets (DESIGN.md "Performance budgets"; issue): controller calls <= 1.1x the minimum; controller wall time
<= 1.25x bare boto3; zero writes. Wall times are the best of `--repeats` runs (`--large-repeats` from N =
`--large`: by default 3 below N=1000, 1 at N=1000), the two sides alternating.

Throttle-weighted time: the emulator does not throttle, AWS does. bench/rate_limits.py holds AWS's default
per-API limits (documented, or assumed where AWS publishes none) and turns each side's measured calls per
operation into the least time AWS would need to serve them (the slowest token bucket; and the sum of all buckets
as the serial upper bound), printed per N for the controller and the minimal reader side by side.

Realtime layout (`--realtime`, issue 19). N realtime models generated from specs/churn-xgb.yaml with its images
pinned (no image builds): each also owns an endpoint config, an endpoint, two alarms, a scalable target and a
scaling policy, and serves a SageMaker model of its version. The training-layout resources are seeded as above;
the SageMaker models with plain boto3; the serving resources with the controller's own adapters (their `create`,
as a finished apply leaves them; endpoints come up in 0.05 s). The bare reader and "minimum" still cover only the
training-layout reads, so for this layout the report to read is the controller's calls per model and by operation.

Run: `.venv/bin/python bench/reconcile_cost.py [--sizes 10,100,1000] [--repeats 3] [--large-repeats 1]
[--workers 8] [--seed-workers 8] [--max-seconds 900] [--realtime]`. Everything talks to 127.0.0.1 only; seeding is
incremental (the models of size 100 include those of size 10); --max-seconds is a hard bound on the whole run: a
watchdog prints what was measured, stops the emulator and exits (status 3).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rate_limits import throttled_seconds

from controller import naming
from controller.aws.connect import connect
from controller.aws.registry import build_registry
from controller.aws.session import AwsClients, is_read
from controller.desired.state import DesiredState, ModelVersion, Registry, desired_state
from controller.local.control import CONTROL_PATH
from controller.reconcile.orchestrate import plan_environment
from controller.resources import MANAGED_TAG, Kind, Resource
from controller.spec.catalog import Catalog
from controller.spec.loader import load_catalog
from controller.spec.models import FrameworkImage

REPO = Path(__file__).resolve().parents[1]
ENV = "stage"
ACCOUNT = "111122223333"  # the examples' account: the emulator acts as it (moto reads MOTO_ACCOUNT_ID per request)
REGION = "us-east-1"
GIT_SHA = "0123456789abcdef0123456789abcdef01234567"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RUN_ID = "20261125T030007Z"  # the run part of every seeded version id
CALLS_BUDGET = 1.1
TIME_BUDGET = 1.25


# --- specs ------------------------------------------------------------------------------------------------------


REALTIME = {"on": False}  # --realtime: the layout of realtime models (module docstring)
PINNED_IMAGES = """  images:
    training:
      uri: 111122223333.dkr.ecr.us-east-1.amazonaws.com/churn-train:v1
    inference:
      uri: 111122223333.dkr.ecr.us-east-1.amazonaws.com/churn-serve:v1
"""


def model_name(i: int) -> str:
    return f"churn-{i:04d}" if REALTIME["on"] else f"demand-{i:04d}"


def _realtime_template() -> str:
    """specs/churn-xgb.yaml with pinned images (no CodeBuild image builds)."""
    text = (REPO / "specs" / "churn-xgb.yaml").read_text()
    head, rest = text.split("\n  images:\n", 1)
    return head + "\n" + PINNED_IMAGES + "  training:\n" + rest.split("\n  training:\n", 1)[1]


def generate(folder: Path, count: int) -> None:
    """`count` models plus the environments: training-only models modelled on demand-forecast (no deployment
    block), or with --realtime realtime models modelled on churn-xgb."""
    for old in folder.glob("model-*.yaml"):
        old.unlink()
    (folder / "environments.yaml").write_text((REPO / "specs" / "environments.yaml").read_text())
    if REALTIME["on"]:
        template, name, knob = _realtime_template(), "name: churn-xgb", "num_round: 200"
    else:
        template = (REPO / "specs" / "demand-forecast.yaml").read_text()
        head, rest = template.split("  deployment:\n", 1)
        template = head + "  notifications:\n" + rest.split("  notifications:\n", 1)[1]
        name, knob = "name: demand-forecast", "epochs: 40"
    for i in range(count):
        text = template.replace(name, f"name: {model_name(i)}").replace(knob, f"{knob.split(':')[0]}: {i + 1}")
        (folder / f"model-{i:04d}.yaml").write_text(text)


def no_framework_images(framework: FrameworkImage, region: str, role: str, instance_type: str) -> str:
    raise AssertionError("the generated specs pin their images; nothing should resolve a framework image")


def converged_registry(catalog: Catalog) -> Registry:
    """One Approved version of every model's current training config, in its stage group."""
    fresh = desired_state(catalog, ENV, git_sha=GIT_SHA, registry={}, resolve_image=no_framework_images)
    return {
        naming.model_package_group(ENV, model): (ModelVersion(f"{config_id}-{RUN_ID}", "Approved"),)
        for model, config_id in fresh.config_ids.items()
    }


def desired(catalog: Catalog) -> DesiredState:
    return desired_state(
        catalog, ENV, git_sha=GIT_SHA, registry=converged_registry(catalog), resolve_image=no_framework_images
    )


# --- the emulator, in its own process ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """Linux: SIGTERM the server when the benchmark dies (even by SIGKILL), so no emulator outlives it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ServedEmulator:
    """`modelctl local serve --port <free> --account ACCOUNT` in a child process (its own interpreter and GIL),
    started and waited for on enter, terminated (then killed) on exit; its output goes to files in `logs`."""

    def __init__(self, logs: Path, timeout: float = 60) -> None:
        self.logs, self.timeout = logs, timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def __enter__(self) -> ServedEmulator:
        modelctl = Path(sys.executable).with_name("modelctl")
        command = [str(modelctl)] if modelctl.exists() else [sys.executable, "-m", "controller.cli"]
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        out = (self.logs / "emulator.out").open("wb")
        err = (self.logs / "emulator.err").open("wb")  # werkzeug logs every request there
        try:
            self.process = subprocess.Popen(
                [*command, "local", "serve", "--port", str(port), "--account", ACCOUNT],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        finally:
            out.close()
            err.close()
        try:
            self._wait()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait(self) -> None:
        """Until the server printed its URL (moto's config is posted by then) and answers HTTP."""
        assert self.process is not None
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (self.logs / "emulator.err").read_text(errors="replace")[-2000:]
                raise SystemExit(f"the emulator exited with {self.process.returncode}:\n{tail}")
            if "listening on" in (self.logs / "emulator.out").read_text(errors="replace"):
                try:
                    with urllib.request.urlopen(self.url + CONTROL_PATH, timeout=2):
                        return
                except urllib.error.HTTPError:
                    return
                except (urllib.error.URLError, OSError):
                    pass
            time.sleep(0.1)
        raise SystemExit(f"the emulator did not answer on {self.url} within {self.timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- seeding ----------------------------------------------------------------------------------------------------


def _tags(resource: Resource, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in sorted(resource.tags.items())]


class Seeder:
    """Creates desired resources exactly as desired, with plain boto3 calls (what a finished apply leaves)."""

    def __init__(self, url: str, workers: int) -> None:
        self.clients = connect(REGION, local_url=url, max_workers=workers)
        self.registry = build_registry(self.clients)
        self.workers = workers
        self.group_made = False

    def seed(self, state: DesiredState, models: set[str]) -> None:
        """Create every resource of `models` (pipeline runs are not wanted: a version exists)."""
        by_model: dict[str, list[Resource]] = {}
        for resource in state.resources:
            if resource.model in models:
                by_model.setdefault(resource.model, []).append(resource)
        if not self.group_made:
            self._schedule_group(state)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            list(pool.map(self._model, by_model.values()))
        for resource in state.resources:
            if resource.model.startswith("_") and resource.ref.kind is Kind.PARAMETER:  # shared: e.g. `_api`
                self._shared_parameter(resource)

    def _shared_parameter(self, resource: Resource) -> None:
        """A parameter every model contributes to (the realtime layout's API routes): made, or rewritten."""
        ssm, key = self.clients.ssm, resource.ref.key
        try:
            ssm.put_parameter(Name=key, Value=resource.payload["text"], Type="String", Tags=_tags(resource))
        except ssm.exceptions.ParameterAlreadyExists:
            ssm.put_parameter(Name=key, Value=resource.payload["text"], Type="String", Overwrite=True)

    def _schedule_group(self, state: DesiredState) -> None:
        """The shared group carries the managed tag and the tags every model shares (Scheduler tags groups)."""
        shared = {k: v for k, v in state.resources[0].tags.items() if all(r.tags.get(k) == v for r in state.resources)}
        self.clients.scheduler.create_schedule_group(
            Name=naming.schedule_group(ENV), Tags=[{"Key": k, "Value": v} for k, v in sorted(shared.items())]
        )
        self.group_made = True

    def _model(self, resources: Sequence[Resource]) -> None:
        ordered = sorted(resources, key=lambda r: list(Kind).index(r.ref.kind))
        for resource in ordered:
            self._create(resource)

    def _create(self, resource: Resource) -> None:
        c = self.clients
        kind, key = resource.ref.kind, resource.ref.key
        if kind is Kind.PARAMETER:
            c.ssm.put_parameter(Name=key, Value=resource.payload["text"], Type="String", Tags=_tags(resource))
        elif kind is Kind.MODEL_PACKAGE_GROUP:
            c.sagemaker.create_model_package_group(ModelPackageGroupName=key, Tags=_tags(resource))
            c.sagemaker.create_model_package(
                ModelPackageGroupName=key,
                ModelPackageDescription=f"{resource.tags['modelctl:config']}-{RUN_ID}",
                ModelApprovalStatus="Approved",
                InferenceSpecification={
                    "Containers": [{"Image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/demand-forecast-serve:v2"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
            )
        elif kind is Kind.STATE_MACHINE:
            c.stepfunctions.create_state_machine(
                name=key,
                definition=json.dumps(resource.payload["definition"]),
                roleArn=resource.properties["roleArn"],
                tags=_tags(resource, "key", "value"),
            )
        elif kind is Kind.ENDPOINT_CONFIG:
            for variant in resource.properties["variants"]:
                c.sagemaker.create_model(
                    ModelName=variant["model"],
                    PrimaryContainer={"Image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/churn-serve:v1"},
                    ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/modelctl-sagemaker",
                    Tags=_tags(resource),
                )
            self.registry[kind].create(resource)
        elif kind in (Kind.ENDPOINT, Kind.ALARM, Kind.SCALING_TARGET, Kind.SCALING_POLICY):
            self.registry[kind].create(resource)
        elif kind is Kind.SCHEDULE:
            group, name = key.split("/", 1)
            p = resource.properties
            c.scheduler.create_schedule(
                GroupName=group,
                Name=name,
                ScheduleExpression=p["expression"],
                ScheduleExpressionTimezone=p["timezone"],
                State=p["state"],
                FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": p["target"]["arn"], "RoleArn": p["target"]["roleArn"], "Input": p["target"]["input"]},
            )
        else:
            raise AssertionError(f"the benchmark layout has no {kind}")


# --- the bare boto3 reader --------------------------------------------------------------------------------------


def minimum_calls(n: int) -> dict[str, int]:
    """The minimal reads for n converged models of this layout (see the module docstring), by service."""
    p = 2 * n
    return {
        "ssm": math.ceil(p / 10) + math.ceil(p / 50),
        "sagemaker": math.ceil(n / 100) + n,
        "stepfunctions": math.ceil(n / 1000) + 2 * n,
        "resourcegroupstaggingapi": 2 * math.ceil(n / 100),
        "scheduler": math.ceil(n / 100) + 1 + n,
    }


def bare_read(url: str, catalog: Catalog, workers: int) -> tuple[AwsClients, dict[str, int]]:
    """Every fact the adapters read, with the minimal calls; returns the clients (for the count) and what was found."""
    clients = connect(REGION, local_url=url, max_workers=workers)
    models = [entry.name for entry in catalog.models_in(ENV)]
    parameters = sorted(
        name
        for m in models
        for name in (naming.hyperparameter_parameter(ENV, m), naming.training_config_parameter(ENV, m))
    )
    groups = {naming.model_package_group(ENV, m) for m in models}
    machines = {naming.state_machine(ENV, m) for m in models}
    schedule_group = naming.schedule_group(ENV)
    schedules = {naming.schedule(ENV, m).split("/", 1)[1] for m in models}
    ssm, sagemaker, sfn, scheduler = clients.ssm, clients.sagemaker, clients.stepfunctions, clients.scheduler
    tagging = clients.tagging

    def get_parameters(batch: Sequence[str]) -> list[Any]:
        return list(ssm.get_parameters(Names=list(batch), WithDecryption=True)["Parameters"])

    def managed_parameters(batch: Sequence[str]) -> list[Any]:
        filters = [
            {"Key": "Name", "Option": "Equals", "Values": list(batch)},
            {"Key": f"tag:{MANAGED_TAG}", "Values": ["true"]},
        ]
        pages = ssm.get_paginator("describe_parameters").paginate(
            ParameterFilters=filters, PaginationConfig={"PageSize": 50}
        )
        return [item for page in pages for item in page["Parameters"]]

    def list_groups() -> dict[str, str]:
        pages = sagemaker.get_paginator("list_model_package_groups").paginate(
            NameContains=f"-{ENV}", PaginationConfig={"PageSize": 100}
        )
        return {
            s["ModelPackageGroupName"]: s["ModelPackageGroupArn"]
            for page in pages
            for s in page["ModelPackageGroupSummaryList"]
            if s["ModelPackageGroupName"] in groups
        }

    def list_machines() -> dict[str, str]:
        pages = sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 1000})
        return {
            m["name"]: m["stateMachineArn"] for page in pages for m in page["stateMachines"] if m["name"] in machines
        }

    def managed(resource_type: str) -> set[str]:
        pages = tagging.get_paginator("get_resources").paginate(
            TagFilters=[{"Key": MANAGED_TAG, "Values": ["true"]}],
            ResourceTypeFilters=[resource_type],
            ResourcesPerPage=100,
        )
        return {m["ResourceARN"] for page in pages for m in page["ResourceTagMappingList"]}

    def list_schedules() -> tuple[list[str], dict[str, str]]:
        pages = scheduler.get_paginator("list_schedules").paginate(
            GroupName=schedule_group, PaginationConfig={"PageSize": 100}
        )
        names = [s["Name"] for page in pages for s in page["Schedules"] if s["Name"] in schedules]
        arn = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{schedule_group}"
        tags = {t["Key"]: t["Value"] for t in scheduler.list_tags_for_resource(ResourceArn=arn)["Tags"]}
        return names, tags

    found: Counter[str] = Counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # 1. the batch reads and lists, all at once
        values = [pool.submit(get_parameters, parameters[i : i + 10]) for i in range(0, len(parameters), 10)]
        owned = [pool.submit(managed_parameters, parameters[i : i + 50]) for i in range(0, len(parameters), 50)]
        listed_groups, listed_machines, listed_schedules = (
            pool.submit(list_groups),
            pool.submit(list_machines),
            pool.submit(list_schedules),
        )
        owned_groups = pool.submit(managed, "sagemaker:model-package-group")
        owned_machines = pool.submit(managed, "states:stateMachine")
        # 2. every per-resource read, in one pool
        reads: list[Callable[[], Any]] = []
        for name in listed_groups.result():
            reads.append(
                lambda name=name: sagemaker.list_model_packages(
                    ModelPackageGroupName=name, SortBy="CreationTime", SortOrder="Descending", MaxResults=100
                )
            )
        for arn in listed_machines.result().values():
            reads.append(lambda arn=arn: sfn.describe_state_machine(stateMachineArn=arn))
            reads.append(lambda arn=arn: sfn.list_executions(stateMachineArn=arn, maxResults=20))
        names, _ = listed_schedules.result()
        for name in names:
            reads.append(lambda name=name: scheduler.get_schedule(GroupName=schedule_group, Name=name))
        answers = [pool.submit(read) for read in reads]
        found["parameters"] = sum(len(f.result()) for f in values)
        found["managed parameters"] = sum(len(f.result()) for f in owned)
        found["managed groups"] = len(owned_groups.result() & set(listed_groups.result().values()))
        found["managed machines"] = len(owned_machines.result() & set(listed_machines.result().values()))
        for answer in answers:
            answer.result()
    found["groups"], found["machines"] = len(listed_groups.result()), len(listed_machines.result())
    found["schedules"] = len(names)
    return clients, dict(found)


# --- measuring --------------------------------------------------------------------------------------------------


@dataclass
class Row:
    n: int
    calls: int
    per_operation: dict[str, int]
    minimum: int
    controller_s: float
    bare_s: float
    desired_s: float
    writes: int
    bare_calls: int
    bare_per_operation: dict[str, int]
    repeats: int


def by_service(counts: Mapping[str, int]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for name, n in counts.items():
        totals[name.split(".", 1)[0]] += n
    return dict(totals)


def measure(url: str, catalog: Catalog, n: int, repeats: int, workers: int) -> Row:
    controller_times, bare_times = [], []
    counts: dict[str, int] = {}
    bare_counts: dict[str, int] = {}
    writes = 0
    for _ in range(repeats):
        start = time.perf_counter()
        clients = connect(REGION, local_url=url, max_workers=workers)
        result = plan_environment(
            catalog, ENV, build_registry(clients), git_sha=GIT_SHA, resolve_image=no_framework_images, now=NOW
        )
        controller_times.append(time.perf_counter() - start)
        if result.plan.has_changes or result.plan.conflicts:
            for change in result.plan.changes[:20]:
                print(f"  unexpected change: {change.action} {change.ref} {change.reason}", file=sys.stderr)
            for conflict in result.plan.conflicts[:20]:
                print(f"  unexpected conflict: {conflict}", file=sys.stderr)
            raise SystemExit(f"N={n}: the seeded environment does not plan as converged (a real bug)")
        counts, writes = clients.calls.snapshot(), clients.calls.writes

        start = time.perf_counter()
        bare, found = bare_read(url, catalog, workers)
        bare_times.append(time.perf_counter() - start)
        bare_counts = bare.calls.snapshot()
        expected = {"parameters": 2 * n, "managed parameters": 2 * n, "groups": n, "machines": n, "schedules": n}
        expected |= {"managed groups": n, "managed machines": n}
        if found != expected:
            raise SystemExit(f"N={n}: the bare reader found {found}, expected {expected}")
    start = time.perf_counter()
    desired(catalog)
    desired_s = time.perf_counter() - start
    return Row(
        n=n,
        calls=sum(counts.values()),
        per_operation=counts,
        minimum=sum(minimum_calls(n).values()),
        controller_s=min(controller_times),
        bare_s=min(bare_times),
        desired_s=desired_s / 2,  # desired() computes the desired state twice (to find config ids first)
        writes=writes,
        bare_calls=sum(bare_counts.values()),
        bare_per_operation=bare_counts,
        repeats=repeats,
    )


def print_table(rows: Sequence[Row], workers: int) -> None:
    repeats = ", ".join(f"{r.repeats} at N={r.n}" for r in rows)
    layout = "realtime (serving kinds not in the minimum)" if REALTIME["on"] else "training-only"
    print(f"\nreconcile cost benchmark: no-op plan of `{ENV}`, N converged {layout} models, emulator on")
    print(f"127.0.0.1 (its own process), {workers} workers, wall time best of {repeats} (controller and bare")
    print("boto3 alternating)")
    header = (
        f"{'N':>5} | {'ctl calls':>9} | {'calls/model':>11} | {'min calls':>9} | {'ratio':>5} | "
        f"{'ctl s':>7} | {'bare s':>7} | {'ratio':>5} | {'writes':>6} | {'desired s':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.n:>5} | {r.calls:>9} | {r.calls / r.n:>11.2f} | {r.minimum:>9} | {r.calls / r.minimum:>5.2f} | "
            f"{r.controller_s:>7.3f} | {r.bare_s:>7.3f} | {r.controller_s / r.bare_s:>5.2f} | {r.writes:>6} | "
            f"{r.desired_s:>9.3f}"
        )
    print("\ncalls by service (controller / minimum):")
    for r in rows:
        ctl, low = by_service(r.per_operation), minimum_calls(r.n)
        parts = ", ".join(f"{s} {ctl.get(s, 0)}/{low.get(s, 0)}" for s in sorted(set(ctl) | set(low)))
        print(f"  N={r.n}: {parts}; bare boto3 made {r.bare_calls} (minimum {r.minimum})")
    largest = rows[-1]
    print(f"\ncontroller calls by operation at N={largest.n}:")
    for name, n in sorted(largest.per_operation.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {name:<42}{n:>6}  {'read' if is_read(name.split('.', 1)[1]) else 'WRITE'}")
    print_throttle_weighted(rows)
    calls_ok = all(r.calls <= CALLS_BUDGET * r.minimum for r in rows)
    time_ok = all(r.controller_s <= TIME_BUDGET * r.bare_s for r in rows)
    writes_ok = all(r.writes == 0 for r in rows)
    verdict = {True: "met", False: "NOT met"}
    print(f"\nbudget calls <= {CALLS_BUDGET}x minimum: {verdict[calls_ok]}")
    print(f"budget wall time <= {TIME_BUDGET}x bare boto3: {verdict[time_ok]}")
    print(f"budget zero writes on a no-op plan: {verdict[writes_ok]}")


def print_throttle_weighted(rows: Sequence[Row]) -> None:
    """Each side's calls served under AWS's default rate limits (bench/rate_limits.py), side by side."""
    print("\nthrottle-weighted time under AWS default API rate limits (us-east-1; bench/rate_limits.py):")
    header = (
        f"{'N':>5} | {'ctl bound s':>11} | {'ctl serial s':>12} | {'min bound s':>11} | {'ratio':>5} | slowest bucket"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        ctl, low = throttled_seconds(r.per_operation), throttled_seconds(r.bare_per_operation)
        slowest = ctl.buckets[0]
        ratio = f"{ctl.bound_s / low.bound_s:>5.2f}" if low.bound_s else f"{'-':>5}"
        note = f"{slowest.bucket} ({slowest.calls} calls, {'documented' if slowest.documented else 'assumed'})"
        print(f"{r.n:>5} | {ctl.bound_s:>11.1f} | {ctl.serial_s:>12.1f} | {low.bound_s:>11.1f} | {ratio} | {note}")
    largest = rows[-1]
    print(f"\ncontroller's buckets at N={largest.n} (burst, then per second):")
    for b in throttled_seconds(largest.per_operation).buckets:
        source = "documented" if b.documented else "assumed"
        print(
            f"  {b.bucket:<36}{b.calls:>6} calls  {b.limit.burst:>5.0f} + {b.limit.per_second:>4.0f}/s  "
            f"{b.seconds:>7.1f} s  {source}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated model counts (default 10,100,1000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each side for N < --large (default 3)")
    parser.add_argument("--large", type=int, default=1000, help="N from which --large-repeats applies (default 1000)")
    parser.add_argument("--large-repeats", type=int, default=1, help="timed runs for N >= --large (default 1)")
    parser.add_argument("--workers", type=int, default=8, help="the controller's max_workers, and the bare pool's")
    parser.add_argument("--seed-workers", type=int, default=8, help="concurrent seeding threads (default 8)")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=900,
        help="hard bound: stop the emulator and exit when passed (default 900)",
    )
    parser.add_argument("--realtime", action="store_true", help="realtime models (module docstring)")
    args = parser.parse_args(argv)
    REALTIME["on"] = args.realtime
    os.environ.setdefault("MODELCTL_LOCAL_ENDPOINT_SECONDS", "0.05")  # the served emulator inherits it
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    started = time.perf_counter()
    rows: list[Row] = []
    print(
        f"sizes {sizes}; best of {args.repeats} for N < {args.large}, of {args.large_repeats} for N >= {args.large}; "
        f"hard bound {args.max_seconds:.0f} s",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp, ServedEmulator(Path(tmp)) as emulator:

        def give_up() -> None:
            """The watchdog: past --max-seconds, report what was measured, stop the emulator, exit."""
            print(f"\nstopped: the run passed --max-seconds={args.max_seconds:.0f}", file=sys.stderr, flush=True)
            if rows:
                print_table(list(rows), args.workers)
            emulator.stop()
            sys.stdout.flush()
            os._exit(3)

        watchdog = threading.Timer(args.max_seconds, give_up)
        watchdog.daemon = True
        watchdog.start()
        try:
            folder = Path(tmp) / "specs"
            folder.mkdir()
            seeder = Seeder(emulator.url, args.seed_workers)
            seeded = 0
            for n in sizes:
                generate(folder, n)
                catalog = load_catalog([str(folder)])
                t = time.perf_counter()
                seeder.seed(desired(catalog), {model_name(i) for i in range(seeded, n)})
                print(f"N={n}: seeded models {seeded}..{n - 1} in {time.perf_counter() - t:.1f} s", flush=True)
                seeded = n
                repeats = args.large_repeats if n >= args.large else args.repeats
                t = time.perf_counter()
                row = measure(emulator.url, catalog, n, repeats, args.workers)
                rows.append(row)
                print(
                    f"N={n}: measured (best of {repeats}) in {time.perf_counter() - t:.1f} s: {row.calls} calls "
                    f"(minimum {row.minimum}), controller {row.controller_s:.2f} s, bare boto3 {row.bare_s:.2f} s, "
                    f"{row.writes} writes",
                    flush=True,
                )
        finally:
            watchdog.cancel()
    if rows:
        print_table(rows, args.workers)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
