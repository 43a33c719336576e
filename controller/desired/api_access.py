"""The inference API's allow-list as desired state: which models `POST /models/{name}/invocations` may reach.

One SSM parameter per environment, `/modelctl/<env>/api/allowed`, whose value is the JSON object
`{model: {"endpoint": "<model>-<env>", "auth": "iam" | "apiKey"}}` for every model whose spec enables
`deployment.realtime.api` there. The inference Lambda (reconciler_lambda.inference) answers 404 for any other name
before calling SageMaker, so a path parameter never reaches an endpoint the specs do not expose.

The parameter belongs to no single model, so its owner is the pseudo-model API_OWNER (`_api`: the leading
underscore cannot be a spec name), which keeps it out of every model's status and history line while the usual
machinery plans, applies and prunes it: it is wanted only while at least one model enables the API, and once none
does, the inventory prunes it and the Lambda, finding no parameter, exposes nothing. Pure; called by
controller.desired.
"""

from __future__ import annotations

import json

from controller import naming
from controller.resources import ENV_TAG, GIT_SHA_TAG, MANAGED, MODEL_TAG, Kind, Ref, Resource
from controller.spec.catalog import Catalog

API_OWNER = "_api"


def allow_list(catalog: Catalog, env: str, git_sha: str) -> Resource | None:
    """The allow-list parameter of `env`, or None when no model there enables the API."""
    allowed = {}
    for entry in catalog.models_in(env):
        realtime = entry.configs[env].deployment.realtime
        if realtime is not None and realtime.api.enabled:
            allowed[entry.name] = {"endpoint": naming.endpoint(env, entry.name), "auth": realtime.api.auth}
    if not allowed:
        return None
    tags = {
        **catalog.environments[env].spec.tags,
        **MANAGED,
        MODEL_TAG: API_OWNER,
        ENV_TAG: env,
        GIT_SHA_TAG: git_sha,
    }
    return Resource(
        Ref(Kind.PARAMETER, naming.api_allow_list(env)),
        API_OWNER,
        {"value": allowed, "type": "String"},
        tags,
        payload={"text": json.dumps(allowed, sort_keys=True, separators=(",", ":"))},
    )
