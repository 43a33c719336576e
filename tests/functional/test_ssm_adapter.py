"""The SSM adapter against the in-process emulator: shapes, batching, ownership, missing names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.stub import Stubber

from controller.aws.session import AwsClients
from controller.aws.ssm import Parameters
from controller.resources import MANAGED_TAG, Kind, Ref


def test_observe_reads_values_types_versions_and_ownership(clients: AwsClients, raw: Callable[[str], Any]) -> None:
    ssm = raw("ssm")
    ssm.put_parameter(
        Name="/modelctl/churn/dev/eta", Value="0.2", Type="String", Tags=[{"Key": MANAGED_TAG, "Value": "true"}]
    )
    ssm.put_parameter(Name="/modelctl/churn/dev/eta", Value="0.3", Type="String", Overwrite=True)
    ssm.put_parameter(Name="/modelctl/churn/dev/cols", Value="a,b", Type="StringList")
    ssm.put_parameter(Name="/modelctl/churn/dev/key", Value="s3cr3t", Type="SecureString")

    observed = Parameters(clients).observe(
        ["/modelctl/churn/dev/eta", "/modelctl/churn/dev/cols", "/modelctl/churn/dev/key", "/modelctl/missing"]
    )

    assert sorted(observed) == ["/modelctl/churn/dev/cols", "/modelctl/churn/dev/eta", "/modelctl/churn/dev/key"]
    eta = observed["/modelctl/churn/dev/eta"]
    assert eta.ref == Ref(Kind.PARAMETER, "/modelctl/churn/dev/eta")
    assert eta.properties == {"value": "0.3", "type": "String"}
    assert eta.extra == {"version": 2}
    assert eta.managed
    assert observed["/modelctl/churn/dev/cols"].properties == {"value": "a,b", "type": "StringList"}
    assert not observed["/modelctl/churn/dev/cols"].managed
    assert observed["/modelctl/churn/dev/key"].properties == {"value": "s3cr3t", "type": "SecureString"}


def test_observe_batches_by_ten_and_reads_ownership_fifty_at_a_time(
    clients: AwsClients, raw: Callable[[str], Any]
) -> None:
    ssm = raw("ssm")
    names = [f"/modelctl/m/dev/p{i:02d}" for i in range(25)]
    for name in names:
        ssm.put_parameter(Name=name, Value="1", Type="String", Tags=[{"Key": MANAGED_TAG, "Value": "true"}])

    observed = Parameters(clients).observe(names)

    assert sorted(observed) == names
    assert all(item.managed for item in observed.values())
    assert clients.calls["ssm.GetParameters"] == 3
    assert clients.calls["ssm.DescribeParameters"] == 1  # 25 names in one filter of up to 50 (controller.local.ssm_ext)
    assert clients.calls.writes == 0


def test_ownership_read_asks_for_fifty_names_per_call(offline: AwsClients) -> None:
    names = [f"/modelctl/m/dev/p{i:02d}" for i in range(12)]
    with Stubber(offline.ssm) as stub:
        for batch in (names[:10], names[10:]):
            found = [{"Name": name, "Type": "String", "Value": "1", "Version": 1} for name in batch]
            stub.add_response("get_parameters", {"Parameters": found}, {"Names": batch, "WithDecryption": True})
        filters = [
            {"Key": "Name", "Option": "Equals", "Values": names},
            {"Key": f"tag:{MANAGED_TAG}", "Values": ["true"]},
        ]
        stub.add_response(
            "describe_parameters",
            {"Parameters": [{"Name": names[0]}]},
            {"ParameterFilters": filters, "MaxResults": 50},
        )
        observed = Parameters(offline).observe(names)
        stub.assert_no_pending_responses()

    assert [name for name, item in observed.items() if item.managed] == [names[0]]


def test_observe_of_nothing_found_skips_ownership_read(clients: AwsClients) -> None:
    assert Parameters(clients).observe(["/modelctl/none"]) == {}
    assert clients.calls.snapshot() == {"ssm.GetParameters": 1}
