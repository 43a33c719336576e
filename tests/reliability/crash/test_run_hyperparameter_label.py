"""A pipeline run reads its hyperparameters as `<parameter>:<config id>` (an SSM label), so starting one first
makes sure that label exists (controller.aws.ssm.ensure_labelled), on the in-process emulator.

The label is put right after the value. An apply killed between the two (test_crash_kill.py's 3rd write) left the
value as wanted and the label missing: the next plan saw nothing to write and the run it started failed with
ParameterNotFound. A new training config with unchanged hyperparameters (a new source ref, instance type, data
version) lost its label the same way, without any crash.
"""

from __future__ import annotations

import boto3
import pytest

from controller.aws.session import AwsClients
from controller.aws.ssm import ensure_labelled
from controller.errors import PermanentError
from controller.resources import MANAGED_TAG

NAME, TEXT = "/modelctl/dev/scorer/hyperparameters", '{"eta":"0.2"}'


@pytest.fixture
def clients(in_process_aws: None) -> AwsClients:
    return AwsClients(boto3.session.Session(region_name="us-east-1"))


def _put(clients: AwsClients, *, managed: bool = True, label: str | None = None) -> None:
    tags = [{"Key": MANAGED_TAG, "Value": "true"}] if managed else []
    version = clients.ssm.put_parameter(Name=NAME, Value=TEXT, Type="String", Tags=tags)["Version"]
    if label is not None:
        clients.ssm.label_parameter_version(Name=NAME, ParameterVersion=version, Labels=[label])
    clients.calls.reset()


def _labelled(clients: AwsClients, label: str) -> str:
    return str(clients.ssm.get_parameter(Name=f"{NAME}:{label}")["Parameter"]["Value"])


def test_a_value_put_without_its_label_is_labelled_before_the_run(clients: AwsClients) -> None:
    _put(clients)  # the apply died after PutParameter, before LabelParameterVersion
    ensure_labelled(clients, {"name": NAME, "label": "scorer-aaaaaaaaaaaa", "text": TEXT})
    assert _labelled(clients, "scorer-aaaaaaaaaaaa") == TEXT


def test_a_new_config_with_the_same_hyperparameters_gets_its_own_label(clients: AwsClients) -> None:
    _put(clients, label="scorer-aaaaaaaaaaaa")
    ensure_labelled(clients, {"name": NAME, "label": "scorer-bbbbbbbbbbbb", "text": TEXT})
    assert _labelled(clients, "scorer-bbbbbbbbbbbb") == TEXT
    assert _labelled(clients, "scorer-aaaaaaaaaaaa") == TEXT  # the earlier config's runs still read theirs


def test_a_label_already_there_costs_one_read_and_no_write(clients: AwsClients) -> None:
    _put(clients, label="scorer-aaaaaaaaaaaa")
    ensure_labelled(clients, {"name": NAME, "label": "scorer-aaaaaaaaaaaa", "text": TEXT})
    assert clients.calls.snapshot() == {"ssm.GetParameters": 1}


def test_a_parameter_modelctl_does_not_own_is_not_labelled(clients: AwsClients) -> None:
    _put(clients, managed=False)
    with pytest.raises(PermanentError, match="no modelctl:managed=true tag"):
        ensure_labelled(clients, {"name": NAME, "label": "scorer-aaaaaaaaaaaa", "text": TEXT})
    assert clients.calls.writes == 0
