"""Desired state: for one environment, every AWS resource the specs imply. Pure: no boto3, no clock.

Input: the validated Catalog, the environment's name, the git SHA of the specs, the model versions the registry
already holds (read by observe, since `model: current` means "the newest version of the current training config"),
and an image resolver for `framework` images. Output: a DesiredState of Resource values with deterministic names
(controller.naming), ownership and lineage tags (SPEC.md "Ownership"), and the notes a reviewer needs about what
cannot happen yet (a variant waiting for its first training, a promotion waiting for approval upstream).

Per model: the hyperparameters and training-config parameters; in a training environment the model package group,
the pipeline state machine, the retraining schedule, and a pipeline run when no version of the current config
exists; in a promoted environment a promoted version when an (Approved, where required) version exists upstream,
and the batch transform of the version it serves (controller.desired.promoted_batch);
and for realtime deployments the content-named endpoint config, the endpoint, autoscaling and alarms. Per
environment: the inference API's allow-list (controller.desired.api_access). The values it returns are in
controller.desired.values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from controller import naming
from controller.desired.api_access import allow_list
from controller.desired.promoted_batch import promoted_batch
from controller.desired.training import ImageResolver, TrainingSide
from controller.desired.values import DesiredState, ModelVersion, Notify, Registry
from controller.pipeline.definition import (
    Trigger,
    build_definition,
    encode_input,
    execution_input,
)
from controller.resources import (
    CONFIG_TAG,
    ENV_TAG,
    GIT_SHA_TAG,
    MANAGED,
    MODEL_TAG,
    SPEC_DIGEST_TAG,
    Kind,
    Ref,
    Resource,
    config_id_of,
)
from controller.spec.catalog import Catalog, ModelEntry
from controller.spec.identity import (
    digest,
    hyperparameter_string,
    training_config_id,
    training_identity,
)
from controller.spec.models import Environment, ModelConfig, Realtime
from controller.spec.types import duration_seconds

__all__ = ["DesiredState", "ImageResolver", "ModelVersion", "Notify", "Registry", "desired_state"]


def desired_state(
    catalog: Catalog,
    env: str,
    *,
    git_sha: str,
    registry: Registry,
    resolve_image: ImageResolver,
    poll_seconds: int = 60,
) -> DesiredState:
    """Everything `env` should contain according to the specs (see the module docstring). `poll_seconds`: how
    long the pipeline waits between polls of a build or job (60 on AWS; 1 on the emulator)."""
    environment = catalog.environments[env]
    resources: list[Resource] = []
    config_ids: dict[str, str] = {}
    notes: dict[str, tuple[str, ...]] = {}
    held: set[Ref] = set()
    claimed: list[Resource] = []
    notify: dict[str, Notify] = {}
    for entry in catalog.models_in(env):
        approval_downstream = any(
            other.spec.promotion is not None
            and other.spec.promotion.from_env == env
            and other.spec.promotion.require_approval
            and other.metadata.name in entry.configs
            for other in catalog.environments.values()
        )
        builder = _ModelBuilder(
            entry, env, environment, git_sha, registry, resolve_image, poll_seconds, approval_downstream
        )
        resources.extend(builder.build())
        config_ids[entry.name] = builder.config_id
        if builder.notes:
            notes[entry.name] = tuple(builder.notes)
        held.update(builder.held)
        claimed.extend(builder.claimed)
        settings = entry.configs[env].notifications
        notify[entry.name] = Notify(
            settings.topic_arn or environment.spec.notification_topic_arn, frozenset(settings.on)
        )
    api = allow_list(catalog, env, git_sha)  # the inference API's allow-list, owned by no single model
    if api is not None:
        resources.append(api)
    return DesiredState(env, tuple(resources), config_ids, notes, frozenset(held), notify, tuple(claimed))


class _ModelBuilder:
    """Builds one model's resources in one environment; small steps, each a method."""

    def __init__(
        self,
        entry: ModelEntry,
        env: str,
        environment: Environment,
        git_sha: str,
        registry: Registry,
        resolve_image: ImageResolver,
        poll_seconds: int,
        approval_downstream: bool,
    ) -> None:
        self.name = entry.name
        self.poll_seconds = poll_seconds
        self.env = env
        self.environment = environment.spec
        self.config: ModelConfig = entry.configs[env]
        self.registry = registry
        self.resolve_image = resolve_image
        self.notes: list[str] = []
        self.promotions: dict[str, Resource] = {}  # version -> its PROMOTED_VERSION resource
        self.approval_downstream = approval_downstream  # an environment promoting from here requires approval
        self.held: list[Ref] = []
        self.claimed: list[Resource] = []  # names wanted once a version exists (DesiredState.claimed)
        self.training = TrainingSide(self.name, env, self.config, self.environment, resolve_image)
        self.training_image = self.training.image_identity(self.config.images.training, "training")
        self.config_id = training_config_id(self.name, self.config, self.training_image)
        metadata = entry.spec.metadata.model_dump(mode="json", by_alias=True)
        spec_digest = digest({"metadata": metadata, "spec": self.config.model_dump(mode="json", by_alias=True)}, 16)
        self.tags = {
            **self.environment.tags,
            **entry.spec.metadata.labels,
            **MANAGED,
            MODEL_TAG: self.name,
            ENV_TAG: env,
            CONFIG_TAG: self.config_id,
            GIT_SHA_TAG: git_sha,
            SPEC_DIGEST_TAG: spec_digest,
        }
        promotion = self.environment.promotion
        self.source_env = promotion.from_env if promotion else None
        self.require_approval = bool(promotion and promotion.require_approval)

    # --- the steps -------------------------------------------------------------------------------------------

    def build(self) -> list[Resource]:
        resources = [*self._parameters(), self._resource(Kind.MODEL_PACKAGE_GROUP, self._group(self.env), {})]
        if self.source_env is None:
            resources.extend(self._training())
        else:
            self._promotion()
        realtime = self.config.deployment.realtime
        if realtime is not None:
            resources.extend(self._realtime(realtime))
        return [*resources, *self.promotions.values(), *self._promoted_batch()]

    def _hyperparameters(self) -> dict[str, str]:
        """The hyperparameters as the strings SageMaker receives."""
        return {k: hyperparameter_string(v) for k, v in sorted(self.config.training.hyperparameters.items())}

    def _parameters(self) -> list[Resource]:
        hyperparameters = self._hyperparameters()
        identity = {"configId": self.config_id, "identity": training_identity(self.config, self.training_image)}
        return [
            self._resource(
                Kind.PARAMETER,
                naming.hyperparameter_parameter(self.env, self.name),
                {"value": hyperparameters, "type": "String"},
                # the pipeline reads `<name>:<config id>` (an SSM label): exactly this value, whatever came later
                payload={"text": _json(hyperparameters), "label": self.config_id},
            ),
            self._resource(
                Kind.PARAMETER,
                naming.training_config_parameter(self.env, self.name),
                {"value": identity, "type": "String"},
                payload={"text": _json(identity)},
            ),
        ]

    def _training(self) -> list[Resource]:
        machine_name = naming.state_machine(self.env, self.name)
        definition = build_definition(
            self.training.pipeline_params(
                machine_name=machine_name,
                config_id=self.config_id,
                group=self._group(self.env),
                approval_required=self.approval_downstream,
                # no git SHA (each run tags its own, from its input) nor spec digest: a commit that leaves training
                # alone leaves the pipeline alone
                tags={k: v for k, v in self.tags.items() if k not in (GIT_SHA_TAG, SPEC_DIGEST_TAG)},
            )
        )
        builds = [
            self._resource(Kind.IMAGE_BUILD, project, properties)
            for project, properties in self.training.image_builds().items()
        ]
        machine = self._resource(
            Kind.STATE_MACHINE,
            machine_name,
            {"definitionDigest": digest(definition), "roleArn": self.environment.execution_role_arn},
            payload={"definition": definition},
            depends_on=(Ref(Kind.MODEL_PACKAGE_GROUP, self._group(self.env)), *(b.ref for b in builds)),
        )
        resources = [*builds, machine]
        schedule = self.config.training.schedule
        if schedule is not None:
            resources.append(
                self._resource(
                    Kind.SCHEDULE,
                    naming.schedule(self.env, self.name),
                    {
                        "expression": schedule.expression,
                        "timezone": schedule.timezone,
                        "state": "ENABLED" if schedule.enabled else "DISABLED",
                        "target": {
                            "arn": self._arn("states", f"stateMachine:{machine_name}"),
                            "roleArn": self.environment.execution_role_arn,
                            "input": self._execution_input("schedule"),
                        },
                    },
                    depends_on=(machine.ref,),
                )
            )
        if not self._versions_of(self.config_id, self._group(self.env), approved_only=False):
            training = self.config.training
            resources.append(
                self._resource(
                    Kind.PIPELINE_RUN,
                    naming.pipeline_run(self.env, self.name, self.config_id),
                    {"configId": self.config_id, "stateMachine": machine_name},
                    payload={
                        "input": self._execution_input("reconcile"),
                        # the run reads `<name>:<config id>`: StartExecution makes sure that label exists first
                        "hyperparameters": {
                            "name": naming.hyperparameter_parameter(self.env, self.name),
                            "label": self.config_id,
                            "text": _json(self._hyperparameters()),
                        },
                        "training": training_identity(self.config, self.training_image),
                        "capacity": {
                            "instanceType": training.instance_type,
                            "instanceCount": training.instance_count,
                            "maxRuntimeSeconds": duration_seconds(training.max_runtime),
                            "spot": training.spot.enabled,
                        },
                    },
                    depends_on=(machine.ref, Ref(Kind.PARAMETER, naming.hyperparameter_parameter(self.env, self.name))),
                )
            )
        return resources

    def _promotion(self) -> None:
        """In a promoted environment, the current config's newest (Approved, where required) upstream version is
        registered here, never retrained; or a note says what it waits for."""
        assert self.source_env is not None
        if self._versions_of(self.config_id, self._group(self.env), approved_only=False):
            return
        upstream = self._versions_of(self.config_id, self._group(self.source_env), approved_only=self.require_approval)
        if upstream:
            self._promote(upstream[0].version)
            return
        wanted = "an Approved version" if self.require_approval else "a version"
        self.notes.append(f"waiting for {wanted} of {self.config_id} in {self.source_env}; {self.env} never trains")

    def _promoted_batch(self) -> list[Resource]:
        """In a promoted environment, the batch transform of the version it serves for the current config."""
        if self.source_env is None:
            return []
        here = self._versions_of(self.config_id, self._group(self.env), approved_only=False)
        promoted = [v for v in self.promotions if config_id_of(v) == self.config_id]
        version = here[0].version if here else (promoted[0] if promoted else None)
        promotion = self.promotions[version].ref if version in self.promotions else None
        return promoted_batch(self.training, self.config_id, self.tags, version, promotion, self.poll_seconds)

    def _promote(self, version: str) -> Ref:
        """Copy `version` from the promotion source's registry into this environment's (with its SageMaker model)."""
        assert self.source_env is not None
        if version not in self.promotions:
            self.promotions[version] = self._resource(
                Kind.PROMOTED_VERSION,
                version,
                {"sourceGroup": self._group(self.source_env), "targetGroup": self._group(self.env)},
                depends_on=(Ref(Kind.MODEL_PACKAGE_GROUP, self._group(self.env)),),
                payload={"executionRoleArn": self.environment.execution_role_arn},
            )
        return self.promotions[version].ref

    def _realtime(self, realtime: Realtime) -> list[Resource]:
        endpoint_name = naming.endpoint(self.env, self.name)
        versions = [self._serving_version(variant.model) for variant in realtime.variants]
        if any(v is None for v in versions):
            self.held.extend(self._endpoint_and_guards(endpoint_name, realtime))
            self.claimed.append(self._resource(Kind.ENDPOINT, endpoint_name, {}))
            self.notes.append(
                f"endpoint {endpoint_name} keeps serving what it serves until every variant's version exists"
            )
            return []
        variants = sorted(
            (
                {
                    "name": v.name,
                    "model": version,
                    "instanceType": v.instance_type,
                    "instanceCount": v.instance_count,
                    "weight": v.weight,
                }
                for v, version in zip(realtime.variants, versions, strict=True)
            ),
            key=lambda item: str(item["name"]),
        )
        capture = realtime.data_capture
        data_capture = (
            {
                "samplingPercent": capture.sampling_percent,
                "destination": f"s3://{self.environment.artifact_bucket}/capture/{self.name}/",
            }
            if capture
            else None
        )
        fleet = {
            "variants": [{k: v[k] for k in ("name", "model", "instanceType")} for v in variants],
            "dataCapture": data_capture,
        }
        config_name = naming.endpoint_config(self.env, self.name, digest(fleet))
        promoted = tuple(self.promotions[str(v)].ref for v in versions if str(v) in self.promotions)
        config = self._resource(
            Kind.ENDPOINT_CONFIG,
            config_name,
            {"variants": variants, "dataCapture": data_capture},
            depends_on=promoted,
        )
        alarms = self._alarms(endpoint_name, variants)
        scaling = realtime.autoscaling
        endpoint = self._resource(
            Kind.ENDPOINT,
            endpoint_name,
            {
                "endpointConfigName": config_name,
                "variants": variants,
                "autoscaled": [v["name"] for v in variants] if scaling else [],
            },
            payload={"deploymentConfig": self._deployment_config(realtime, alarms)},
            depends_on=(config.ref, *(resource.ref for _, resource in alarms)),
        )
        resources = [config, *(resource for _, resource in alarms), endpoint]
        if scaling is None:
            return resources
        for variant in variants:
            target = naming.scaling_target(endpoint_name, str(variant["name"]))
            resources.append(
                self._resource(
                    Kind.SCALING_TARGET, target, {"min": scaling.min, "max": scaling.max}, depends_on=(endpoint.ref,)
                )
            )
            resources.append(
                self._resource(
                    Kind.SCALING_POLICY,
                    naming.scaling_policy(endpoint_name, str(variant["name"])),
                    {
                        "resourceId": target,
                        "targetValue": float(scaling.target_invocations_per_instance),
                        "metric": "SageMakerVariantInvocationsPerInstance",
                    },
                    depends_on=(Ref(Kind.SCALING_TARGET, target),),
                )
            )
        return resources

    # --- pieces ------------------------------------------------------------------------------------------------

    def _endpoint_and_guards(self, endpoint_name: str, realtime: Realtime) -> list[Ref]:
        """The endpoint and what guards and scales it (its alarms, scalable targets and scaling policies): while
        it keeps serving what it serves, none of them is pruned."""
        variants = [variant.name for variant in realtime.variants]
        refs = [Ref(Kind.ENDPOINT, endpoint_name)]
        refs += [
            Ref(Kind.ALARM, naming.alarm(endpoint_name, f"{alarm.name}-{variant}"))
            for alarm in self.config.monitoring.alarms
            for variant in variants
        ]
        if realtime.autoscaling is not None:
            refs += [Ref(Kind.SCALING_TARGET, naming.scaling_target(endpoint_name, v)) for v in variants]
            refs += [Ref(Kind.SCALING_POLICY, naming.scaling_policy(endpoint_name, v)) for v in variants]
        return refs

    def _serving_version(self, wanted: str) -> str | None:
        """SPEC.md "What a variant serves": `current`, a config id (its newest version) or an exact version."""
        config_id = self.config_id if wanted == "current" else wanted
        groups = [self._group(self.env)] + ([self._group(self.source_env)] if self.source_env else [])
        for group in groups:
            upstream = group != self._group(self.env)
            exact = [v for v in self.registry.get(group, ()) if v.version == wanted]
            found = exact or self._versions_of(config_id, group, approved_only=upstream and self.require_approval)
            if found:
                if upstream:
                    self._promote(found[0].version)  # served here, so registered here first
                return found[0].version
        if wanted != "current":
            self.notes.append(f"pinned model {wanted!r} is not in the registry of {self.env}")
        return None

    def _versions_of(self, config_id: str, group: str, *, approved_only: bool) -> list[ModelVersion]:
        return [
            v
            for v in self.registry.get(group, ())
            if v.config_id == config_id and v.approval != "Rejected" and (v.approval == "Approved" or not approved_only)
        ]

    def _alarms(self, endpoint_name: str, variants: list[dict[str, Any]]) -> list[tuple[str, Resource]]:
        """One CloudWatch alarm per declared alarm and variant (SageMaker publishes per EndpointName+VariantName),
        paired with the spec's alarm name so rollouts can name the ones to roll back on."""
        topic = self.config.notifications.topic_arn or self.environment.notification_topic_arn
        resources = []
        for alarm in self.config.monitoring.alarms:
            statistic_key = "extendedStatistic" if alarm.statistic.startswith("p") else "statistic"
            for variant in variants:
                resources.append(
                    (
                        alarm.name,
                        self._resource(
                            Kind.ALARM,
                            naming.alarm(endpoint_name, f"{alarm.name}-{variant['name']}"),
                            {
                                "metric": alarm.metric,
                                "namespace": "AWS/SageMaker",
                                statistic_key: alarm.statistic,
                                "threshold": alarm.threshold,
                                "periodSeconds": alarm.period_minutes * 60,
                                "evaluationPeriods": alarm.evaluation_periods,
                                "comparison": _COMPARISONS[alarm.comparison],
                                "dimensions": {"EndpointName": endpoint_name, "VariantName": variant["name"]},
                                "alarmActions": [topic] if topic else [],
                            },
                        ),
                    )
                )
        return resources

    def _deployment_config(self, realtime: Realtime, alarms: list[tuple[str, Resource]]) -> dict[str, Any]:
        rollout = realtime.rollout
        routing: dict[str, Any] = {
            "Type": _ROUTING[rollout.strategy],
            "WaitIntervalInSeconds": rollout.bake_minutes * 60,
        }
        if rollout.strategy == "canary":
            routing["CanarySize"] = {"Type": "CAPACITY_PERCENT", "Value": rollout.canary_percent or 10}
        elif rollout.strategy == "linear":
            routing["LinearStepSize"] = {"Type": "CAPACITY_PERCENT", "Value": rollout.step_percent or 20}
        wanted = set(rollout.rollback_on_alarms)
        names = [resource.ref.key for spec_name, resource in alarms if spec_name in wanted]
        config: dict[str, Any] = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing}}
        if names:
            config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": n} for n in names]}
        return config

    def _execution_input(self, trigger: Trigger) -> str:
        """Hyperparameters are read by the SSM label `<config id>`, which apply puts on the matching version.

        A reconcile-started run records the commit that asked for it. The schedule's fixed input cannot name a
        commit without changing on every commit, so scheduled runs carry `spec-<spec digest>` instead, which
        `modelctl history` maps back to the commits that applied that spec."""
        source = self.tags[GIT_SHA_TAG] if trigger != "schedule" else f"spec-{self.tags[SPEC_DIGEST_TAG]}"
        return encode_input(execution_input(self.config_id, source, trigger, self.poll_seconds))

    def _group(self, env: str) -> str:
        return naming.model_package_group(env, self.name)

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.environment.region}:{self.environment.account}:{resource}"

    def _resource(
        self,
        kind: Kind,
        key: str,
        properties: Mapping[str, Any],
        *,
        depends_on: tuple[Ref, ...] = (),
        payload: Mapping[str, Any] | None = None,
    ) -> Resource:
        return Resource(Ref(kind, key), self.name, properties, dict(self.tags), depends_on, payload or {})


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


_ROUTING = {"allAtOnce": "ALL_AT_ONCE", "canary": "CANARY", "linear": "LINEAR"}
_COMPARISONS = {
    "greaterThan": "GreaterThanThreshold",
    "greaterThanOrEqual": "GreaterThanOrEqualToThreshold",
    "lessThan": "LessThanThreshold",
    "lessThanOrEqual": "LessThanOrEqualToThreshold",
}
