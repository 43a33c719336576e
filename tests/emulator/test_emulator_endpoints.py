"""SageMaker endpoints on the emulator, served and in-process: lifecycle, UpdateEndpoint, guardrails, errors.

Expected shapes and codes follow the SageMaker API reference (CreateEndpoint, UpdateEndpoint, DescribeEndpoint,
DeploymentConfig) and the deployment guardrails guide; see controller.local.endpoint_lifecycle.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from emulator_kit import SageMakerKit, canary, error_of, wait_until

ARN = "arn:aws:sagemaker:us-east-1:123456789012"


def _two_configs(kit: SageMakerKit) -> None:
    kit.model("m1")
    kit.model("m2")
    kit.config("c1", ("primary", "m1", 2, 1.0))
    kit.config("c2", ("primary", "m2", 2, 1.0))


def test_create_goes_creating_then_in_service_with_a_pending_deployment(kit: SageMakerKit) -> None:
    _two_configs(kit)
    kit.sm.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    seen = kit.settle("e")
    assert [d["EndpointStatus"] for d in seen] == ["Creating", "InService"]
    pending = seen[0]["PendingDeploymentSummary"]
    assert pending["EndpointConfigName"] == "c1"
    assert pending["ProductionVariants"][0]["VariantName"] == "primary"
    assert pending["ProductionVariants"][0]["DesiredInstanceCount"] == 2
    assert "PendingDeploymentSummary" not in seen[-1]
    assert seen[-1]["ProductionVariants"] == [
        {
            "VariantName": "primary",
            "CurrentWeight": 1.0,
            "DesiredWeight": 1.0,
            "CurrentInstanceCount": 2,
            "DesiredInstanceCount": 2,
        }
    ]
    assert [e["EndpointStatus"] for e in kit.sm.list_endpoints()["Endpoints"]] == ["InService"]


def test_duplicate_names_are_rejected_like_aws(kit: SageMakerKit) -> None:
    _two_configs(kit)
    kit.endpoint("e", "c1")
    assert error_of(lambda: kit.model("m1")) == (
        "ValidationException",
        f'Cannot create already existing model "{ARN}:model/m1".',
    )
    assert error_of(lambda: kit.config("c1")) == (
        "ValidationException",
        f'Cannot create already existing endpoint configuration "{ARN}:endpoint-config/c1".',
    )
    assert error_of(lambda: kit.sm.create_endpoint(EndpointName="e", EndpointConfigName="c2")) == (
        "ValidationException",
        f'Cannot create already existing endpoint "{ARN}:endpoint/e".',
    )
    assert kit.describe("e")["EndpointConfigName"] == "c1"


def test_update_switches_config_when_done_and_reports_the_old_one_meanwhile(watched_kit: SageMakerKit) -> None:
    _two_configs(watched_kit)
    watched_kit.endpoint("e", "c1")
    arn = watched_kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="c2")["EndpointArn"]
    assert arn == f"{ARN}:endpoint/e"
    seen = watched_kit.settle("e")
    assert [(d["EndpointStatus"], d["EndpointConfigName"]) for d in seen] == [
        ("Updating", "c1"),
        ("InService", "c2"),
    ]
    assert seen[0]["PendingDeploymentSummary"]["EndpointConfigName"] == "c2"
    assert "FailureReason" not in seen[-1]


def test_update_errors(kit: SageMakerKit) -> None:
    _two_configs(kit)
    assert error_of(lambda: kit.sm.update_endpoint(EndpointName="nope", EndpointConfigName="c1")) == (
        "ValidationException",
        f'Could not find endpoint "{ARN}:endpoint/nope".',
    )
    kit.sm.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    assert error_of(lambda: kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="nope")) == (
        "ValidationException",
        f'Could not find endpoint configuration "{ARN}:endpoint-config/nope".',
    )
    in_progress = ("ValidationException", f'Cannot update in-progress endpoint "{ARN}:endpoint/e".')
    assert error_of(lambda: kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="c2")) == in_progress
    assert error_of(lambda: kit.sm.delete_endpoint(EndpointName="e")) == in_progress
    kit.settle("e")
    kit.sm.delete_endpoint(EndpointName="e")
    assert kit.sm.list_endpoints()["Endpoints"] == []


def test_canary_rolls_back_to_the_old_config_when_an_alarm_trips(watched_kit: SageMakerKit) -> None:
    _two_configs(watched_kit)
    watched_kit.alarm("errors-5xx")
    watched_kit.endpoint("e", "c1")
    config = canary(alarms=("errors-5xx",), TerminationWaitInSeconds=60, MaximumExecutionTimeoutInSeconds=1800)
    watched_kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="c2", DeploymentConfig=config)
    watched_kit.alarm("errors-5xx", "ALARM")
    seen = watched_kit.settle("e")
    assert [(d["EndpointStatus"], d["EndpointConfigName"]) for d in seen] == [
        ("Updating", "c1"),
        ("RollingBack", "c1"),
        ("InService", "c1"),
    ]
    final = seen[-1]
    assert "errors-5xx" in final["FailureReason"] and "rolled back" in final["FailureReason"]
    assert final["LastDeploymentConfig"] == config
    assert final["ProductionVariants"][0]["CurrentInstanceCount"] == 2


def test_an_alarm_that_trips_and_clears_during_the_bake_still_rolls_back(kit: SageMakerKit) -> None:
    _two_configs(kit)
    kit.alarm("latency")
    kit.endpoint("e", "c1")
    kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="c2", DeploymentConfig=canary(alarms=("latency",)))

    def baking() -> bool:
        pending = kit.describe("e")["PendingDeploymentSummary"]
        return bool(pending["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Baking")

    wait_until(baking)
    kit.alarm("latency", "ALARM")
    kit.alarm("latency", "OK")
    final = kit.settle("e")[-1]
    assert (final["EndpointStatus"], final["EndpointConfigName"]) == ("InService", "c1")


def test_a_quiet_canary_completes_with_the_new_config(kit: SageMakerKit) -> None:
    _two_configs(kit)
    kit.alarm("errors-5xx")
    kit.endpoint("e", "c1")
    config = canary(alarms=("errors-5xx",))
    kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="c2", DeploymentConfig=config)
    seen = kit.settle("e")
    assert [d["EndpointStatus"] for d in seen] == ["Updating", "InService"]
    assert seen[-1]["EndpointConfigName"] == "c2"
    assert seen[-1]["LastDeploymentConfig"] == config


def test_bakes_set_how_long_an_update_takes(kit: SageMakerKit) -> None:
    _two_configs(kit)
    kit.endpoint("e", "c1")
    linear = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "LINEAR",
                "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                "WaitIntervalInSeconds": 250,
            }
        }
    }
    kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="c2", DeploymentConfig=linear)
    started = time.monotonic()
    seen = kit.settle("e")
    # provisioning 0.2 s, then one 0.25 s baking period per 50% step
    assert time.monotonic() - started >= 0.65
    assert [(d["EndpointStatus"], d["EndpointConfigName"]) for d in seen] == [("Updating", "c1"), ("InService", "c2")]


def test_exceeding_the_execution_timeout_rolls_back(kit: SageMakerKit, aws: Any) -> None:
    _two_configs(kit)
    kit.endpoint("e", "c1")
    aws.configure({"delays": {"bakeScale": 0.0005}})  # the 600 s timeout: 0.3 s
    config = canary(wait_seconds=400, MaximumExecutionTimeoutInSeconds=600)
    kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="c2", DeploymentConfig=config)
    final = kit.settle("e")[-1]
    assert final["EndpointConfigName"] == "c1"
    assert "MaximumExecutionTimeoutInSeconds" in final["FailureReason"]


def test_invalid_deployment_configs_are_rejected(kit: SageMakerKit) -> None:
    _two_configs(kit)
    kit.endpoint("e", "c1")
    bad_type = canary()
    bad_type["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] = "SOMETIMES"
    no_size = canary()
    del no_size["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["CanarySize"]
    too_big = canary()
    too_big["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["CanarySize"]["Value"] = 60
    for config in (bad_type, no_size, too_big):
        update = partial(kit.sm.update_endpoint, EndpointName="e", EndpointConfigName="c2", DeploymentConfig=config)
        assert error_of(update)[0] == "ValidationException"
    assert kit.describe("e")["EndpointStatus"] == "InService"


def test_retain_all_variant_properties_keeps_weights_and_counts(kit: SageMakerKit) -> None:
    _two_configs(kit)
    kit.config("c3", ("primary", "m2", 5, 3.0))
    kit.endpoint("e", "c1")
    kit.sm.update_endpoint(
        EndpointName="e",
        EndpointConfigName="c3",
        RetainAllVariantProperties=True,
        ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DesiredWeight"}],
    )
    variant = kit.settle("e")[-1]["ProductionVariants"][0]
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (2, 2)
    assert (variant["CurrentWeight"], variant["DesiredWeight"]) == (3.0, 3.0)


def test_retain_deployment_config_reuses_the_one_given_at_creation(kit: SageMakerKit) -> None:
    _two_configs(kit)
    config = canary(alarms=("errors-5xx",))
    kit.alarm("errors-5xx")
    kit.alarm("errors-5xx", "ALARM")
    assert kit.endpoint("e", "c1", DeploymentConfig=config)["LastDeploymentConfig"] == config
    kit.sm.update_endpoint(EndpointName="e", EndpointConfigName="c2", RetainDeploymentConfig=True)
    assert kit.settle("e")[-1]["EndpointConfigName"] == "c1"  # the retained alarm rolled it back


def test_injected_failures(kit: SageMakerKit, aws: Any) -> None:
    _two_configs(kit)
    kit.endpoint("ok", "c1")
    aws.configure({"endpoints": {"fail": [{"namePrefix": "ok", "reason": "health check failed"}]}})
    kit.sm.create_endpoint(EndpointName="ok-bad", EndpointConfigName="c1")
    failed = kit.settle("ok-bad")[-1]
    assert (failed["EndpointStatus"], failed["FailureReason"]) == ("Failed", "health check failed")
    code, message = error_of(lambda: kit.sm.update_endpoint(EndpointName="ok-bad", EndpointConfigName="c2"))
    assert code == "ValidationException" and "failed endpoint" in message
    kit.sm.delete_endpoint(EndpointName="ok-bad")
    kit.sm.update_endpoint(EndpointName="ok", EndpointConfigName="c2")
    final = kit.settle("ok")[-1]
    assert (final["EndpointStatus"], final["EndpointConfigName"]) == ("InService", "c1")
    assert final["FailureReason"] == "health check failed"
