"""The regions an Environment may name: those where SageMaker is offered, from botocore's endpoints data.

Found by the property test (tests/e2e/test_spec_properties.py): a region that only matched the pattern (e.g.
`aa-a-0`) passed `validate` and then crashed `plan`. botocore's `data/endpoints.json` lists every partition's
regions and, per service, where its endpoint exists (`api.sagemaker`, without the `-fips` variants). The file is
read, the package never imported (`validate` imports no AWS SDK: tests/unit/test_light_imports.py).
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path

SERVICE = "api.sagemaker"


@cache
def sagemaker_regions() -> frozenset[str]:
    """Every region, in any partition, where botocore's endpoints data lists SageMaker's API."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or spec.origin is None:
        return frozenset()
    data = json.loads((Path(spec.origin).parent / "data" / "endpoints.json").read_text(encoding="utf-8"))
    return frozenset(
        region
        for partition in data["partitions"]
        for region in partition["services"].get(SERVICE, {}).get("endpoints", {})
        if region in partition["regions"]
    )


def region_problem(region: str) -> str | None:
    """Why `region` cannot host the environment, or None (also None when botocore's data cannot be found)."""
    known = sagemaker_regions()
    if not known or region in known:
        return None
    return f"{region!r} is not a region where SageMaker is offered (botocore's endpoints data)"
