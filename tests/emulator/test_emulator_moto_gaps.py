"""Each patch is still needed: moto's own code, saved before patching, still has the gap it closes.

These run moto's original methods on a fresh, private backend, so the patched state of the process is not
disturbed. When one fails after a moto upgrade, moto has closed (or changed) that gap: check the patch in
controller.local.sagemaker_ext against the new behaviour and drop it if it is no longer needed.
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend

from controller.local import sagemaker_ext
from controller.local.emulator import install_all

ROLE = "arn:aws:iam::123456789012:role/r"


def original(name: str) -> Any:
    install_all()
    return sagemaker_ext.ORIGINALS[name]


def create_model_and_config(backend: Any) -> None:
    """CreateModel "m" and CreateEndpointConfig "c" (one variant "v" of 2 instances), as moto does them."""
    original("SageMakerModelBackend.create_model")(
        backend, model_name="m", execution_role_arn=ROLE, primary_container={}, vpc_config={}, containers=[], tags=[]
    )
    original("SageMakerModelBackend.create_endpoint_config")(
        backend,
        endpoint_config_name="c",
        production_variants=[
            {"VariantName": "v", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2}
        ],
        data_capture_config={},
        async_inference_config={},
        tags=[],
        kms_key_id="",
    )


@pytest.fixture
def backend() -> Any:
    """A private moto SageMaker backend with model "m" and endpoint config "c"."""
    fresh = SageMakerModelBackend(region_name="us-east-1", account_id="123456789012")
    create_model_and_config(fresh)
    return fresh


def test_moto_still_lacks_update_endpoint() -> None:
    assert original("SageMakerResponse.update_endpoint") is None
    assert original("SageMakerModelBackend.update_endpoint") is None


def test_moto_still_overwrites_duplicate_models_configs_and_endpoints(backend: Any) -> None:
    create_model = original("SageMakerModelBackend.create_model")
    create_model(
        backend, model_name="m", execution_role_arn=ROLE, primary_container={}, vpc_config={}, containers=[], tags=[]
    )
    create_endpoint = original("SageMakerModelBackend.create_endpoint")
    first = create_endpoint(backend, endpoint_name="e", endpoint_config_name="c", tags=[])
    assert first.endpoint_status == "InService"  # no Creating phase either
    second = create_endpoint(backend, endpoint_name="e", endpoint_config_name="c", tags=[])
    assert backend.endpoints["e"] is second


def test_moto_still_completes_training_at_once_and_replaces_metric_definitions(backend: Any) -> None:
    create = original("SageMakerModelBackend.create_training_job")
    arguments: dict[str, Any] = dict.fromkeys(
        [
            "hyper_parameters",
            "role_arn",
            "input_data_config",
            "vpc_config",
            "stopping_condition",
            "tags",
            "checkpoint_config",
            "debug_hook_config",
            "debug_rule_configurations",
            "tensor_board_output_config",
            "experiment_config",
        ]
    )
    arguments |= {
        "resource_config": {},
        "enable_network_isolation": False,
        "enable_inter_container_traffic_encryption": False,
        "enable_managed_spot_training": False,
        "output_data_config": {"S3OutputPath": "s3://b/"},
    }
    spec = {"TrainingImage": "i", "MetricDefinitions": [{"Name": "validation:auc", "Regex": "x"}]}
    job = create(backend, training_job_name="t", algorithm_specification=spec, **arguments)
    create(backend, training_job_name="t", algorithm_specification=dict(spec), **arguments)  # no ResourceInUse
    assert job.training_job_status == "Completed"
    assert job.algorithm_specification["MetricDefinitions"][0]["Name"] != "validation:auc"


def test_moto_still_erases_omitted_instance_counts(backend: Any) -> None:
    original("SageMakerModelBackend.create_endpoint")(backend, endpoint_name="e", endpoint_config_name="c", tags=[])
    update = original("SageMakerModelBackend.update_endpoint_weights_and_capacities")
    update(backend, endpoint_name="e", desired_weights_and_capacities=[{"VariantName": "v", "DesiredWeight": 0.5}])
    assert backend.endpoints["e"].production_variants[0]["DesiredInstanceCount"] is None


def test_moto_still_drops_a_zero_weight() -> None:
    process = original("FakeEndpoint._process_production_variants")
    summaries = process(FakeEndpoint, [{"VariantName": "v", "InitialVariantWeight": 0.0, "InitialInstanceCount": 1}])
    assert "CurrentWeight" not in summaries[0]


def test_moto_still_words_a_missing_training_job_its_own_way(backend: Any) -> None:
    from moto.sagemaker.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Could not find training job"):
        original("SageMakerModelBackend.describe_training_job")(backend, "nope")
