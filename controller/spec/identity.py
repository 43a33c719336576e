"""Training config ids and spec digests: the identities that decide when a model retrains.

The training config id is `<model name>-<12 hex>`: the first 12 hex digits of the SHA-256 of the canonical JSON
(sorted keys, no whitespace) of `training_identity(...)`, which holds exactly what changes what training produces:

- `source.repo` (normalised: scheme, `.git` suffix and case of the host dropped) and `source.ref`: the code;
- the resolved training image: a pinned URI as written, a framework image as its resolved regional URI, or for a
  CodeBuild image the build's buildspec and context (the image itself follows from repo + ref);
- `training` without `schedule` and `retrainOnNewData` (when or why a run starts does not change its output):
  instance type and count, volume, max runtime, spot, hyperparameters, inputs, `dataVersion`, output path,
  metric definitions and the quality gate.

Fields left at their defaults are omitted, so adding an optional field to the spec language later never changes
existing ids (which would retrain every model). Hyperparameters are compared as the strings SageMaker receives
(`0.2` and `"0.2"` are the same config; booleans become `true`/`false`).

Deployment, monitoring and notifications never change the id. Used by `controller.desired`; pure.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from controller.spec.models import HyperparameterValue, ModelConfig

ID_HEX_DIGITS = 12


def hyperparameter_string(value: HyperparameterValue) -> str:
    """How SageMaker receives a hyperparameter: always a string; booleans lower-case like JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalise_repo(repo: str) -> str:
    """`https://GitHub.com/acme/x.git` and `git@github.com:acme/x` name the same repository."""
    text = re.sub(r"^[a-z+]+://", "", repo.strip())
    text = re.sub(r"^[^@/]+@", "", text).replace(":", "/", 1)
    host, _, rest = text.partition("/")
    return f"{host.lower()}/{rest.removesuffix('/').removesuffix('.git')}"


def training_identity(config: ModelConfig, training_image: str) -> dict[str, Any]:
    """The canonical content a training config id is the digest of (see the module docstring)."""
    training = config.training.model_dump(
        mode="json", by_alias=True, exclude_defaults=True, exclude={"schedule", "retrain_on_new_data"}
    )
    training["hyperparameters"] = {
        key: hyperparameter_string(value) for key, value in sorted(config.training.hyperparameters.items())
    }
    return {
        "source": {"repo": normalise_repo(config.source.repo), "ref": config.source.ref},
        "trainingImage": training_image,
        "training": training,
    }


def digest(content: Any, length: int = 64) -> str:
    """SHA-256 hex of the canonical JSON of `content` (first `length` digits)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:length]


def training_config_id(name: str, config: ModelConfig, training_image: str) -> str:
    """`<name>-<12 hex>` for this model's training config (the image already resolved)."""
    return f"{name}-{digest(training_identity(config, training_image), ID_HEX_DIGITS)}"
