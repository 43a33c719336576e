"""The bad-input corpus: every file in tests/unit/corpus/*.yaml is one mistake a user makes (or one hostile input).

Each case runs `modelctl validate` on the shared environment plus that file and asserts the exit code (1), the
file, the line, the field path and the message. `valid-model.yaml.txt` is the file every case was derived from; it
must itself be valid, so each case fails for exactly the reason it names.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from controller.cli.main import main

CORPUS = Path(__file__).parent / "corpus"
ENVIRONMENT = CORPUS / "environment.yaml.txt"

# case -> (line, field path, message fragment); path "" for problems with the whole file or document
EXPECTED: dict[str, tuple[int, str, str]] = {
    "alias-bomb": (1, "", "expands to more than 50000 values (YAML alias bomb?)"),
    "autoscaling-bounds": (27, "spec.deployment.realtime.autoscaling.min", "min 5 is above max 4"),
    "bad-alarm-statistic": (31, "spec.monitoring.alarms[0].statistic", "'Median' is not valid: Sum, Average"),
    "bad-cron-fields": (22, "spec.training.schedule.expression", "cron needs 6 fields"),
    "bad-cron-question-mark": (22, "spec.training.schedule.expression", "exactly one of day-of-month and day-of-week"),
    "bad-duration": (15, "spec.training.maxRuntime", "'2 hours' is not valid: a positive whole number followed by"),
    "bad-email": (5, "metadata.owner", "must be an e-mail address"),
    "bad-instance-type": (14, "spec.training.instanceType", "'m5.xlarge' is not valid: a SageMaker instance type"),
    "bad-name": (4, "metadata.name", "'M_One' is not valid: 3-32 chars"),
    "bad-rate": (22, "spec.training.schedule.expression", "use the singular unit for 1"),
    "bad-s3-uri": (18, "spec.training.inputs.train.uri", "is not valid: s3://bucket/prefix"),
    "bad-timezone": (22, "spec.training.schedule.timezone", "'Mars/Olympus' is not an IANA time zone"),
    "binary-junk": (1, "", "binary content (NUL bytes)"),
    "branch-ref": (9, "spec.source.ref", "'main' looks like a branch name"),
    "canary-percent-range": (28, "spec.deployment.realtime.rollout.canaryPercent", "less than or equal to 50"),
    "count-outside-autoscaling": (26, "spec.deployment.realtime.variants[0].instanceCount", "outside the autoscaling"),
    "custom-tag": (3, "", "YAML syntax error: could not determine a constructor for the tag '!Ref'"),
    "duplicate-key": (5, "metadata.name", "duplicate key (first defined on line 4)"),
    "duplicate-variant": (25, "spec.deployment.realtime.variants", "variant name 'primary' is used more than once"),
    "feature-branch-ref": (9, "spec.source.ref", "'feature/new-loss' looks like a branch name"),
    "missing-owner": (3, "metadata.owner", "required field is missing"),
    "not-a-mapping": (1, "", "document 1 is a list; expected a mapping"),
    "not-utf8": (2, "", "not UTF-8 text"),
    "overlay-bad-variant": (
        37,
        "spec.environments.dev.deployment.realtime.variants[0].instanceType",
        "'large' is not valid",
    ),
    "overlay-typo": (34, "spec.environments.dev.training.instanceCont", "unknown key; did you mean 'instanceCount'?"),
    "pinned-model-foreign": (
        26,
        "spec.deployment.realtime.variants[0].model",
        "must be `current`, a training config id",
    ),
    "recursive-alias": (1, "", "nesting deeper than 64 levels"),
    "retrain-unknown-channel": (23, "spec.training.retrainOnNewData.channel", "'fresh' is not a channel in inputs"),
    "secret-aws-key": (16, "spec.training.hyperparameters.key", "looks like an AWS access key id: committed secrets"),
    "secret-by-name": (16, "spec.training.hyperparameters.db_password", "SSM Parameter Store as a SecureString"),
    "secret-private-key": (16, "spec.training.hyperparameters.cert", "looks like a private key"),
    "short-sha": (9, "spec.source.ref", "abbreviated commit SHA"),
    "spot-maxwait-short": (16, "spec.training.spot.maxWait", "must be at least maxRuntime (2h)"),
    "spot-no-maxwait": (16, "spec.training.spot.maxWait", "required when spot is enabled"),
    "step-with-canary": (28, "spec.deployment.realtime.rollout.stepPercent", "only applies to strategy: linear"),
    "syntax-error": (5, "", "YAML syntax error: did not find expected ',' or ']'"),
    "two-image-kinds": (11, "spec.images.training", "give exactly one of uri, build, framework (got uri, framework)"),
    "typo-key": (14, "spec.training.instanceTyp", "unknown key; did you mean 'instanceType'?"),
    "undeclared-gate-metric": (21, "spec.training.qualityGate.metric", "'validation:f1' is not declared"),
    "undeclared-rollback-alarm": (28, "spec.deployment.realtime.rollout.rollbackOnAlarms[0]", "alarm 'latency' is not"),
    "unknown-environment": (34, "spec.environments.staging", "environment 'staging' is not defined (defined: dev)"),
    "unknown-kind": (2, "kind", "must be one of Environment, ModelSpec (got 'Model')"),
    "unknown-top-key": (3, "status", "unknown key (allowed: apiVersion, kind, metadata, spec)"),
    "unpinned-image": (11, "spec.images.training.uri", "is not pinned"),
    "unquoted-date": (17, "spec.training.dataVersion", 'as a date; quote it: "2026-11-01"'),
    "wrong-api-version": (1, "apiVersion", "must be 'modelctl/v1' (got 'modelctl/v2')"),
    "zero-weights": (25, "spec.deployment.realtime.variants", "weights are all zero"),
    # issue 13: what AWS refuses, refused first (controller.spec.aws_checks, aws_names, safe_text, coercions)
    "hp-too-many": (16, "spec.training.hyperparameters", "101 hyperparameters; SageMaker takes at most 100"),
    "hp-key-too-long": (16, "spec.training.hyperparameters." + "k" * 257, "key must be 1 to 256 characters"),
    "hp-value-too-long": (
        16,
        "spec.training.hyperparameters.notes",
        "value is 2501 characters; SageMaker takes at most",
    ),
    "hp-ssm-too-big": (16, "spec.training.hyperparameters", "in SSM Parameter Store are 5006 bytes; a standard"),
    "hp-octal": (16, "spec.training.hyperparameters.seed", 'reads the unquoted 012 as a number; quote it: "012"'),
    "hp-float-text": (16, "spec.training.hyperparameters.version", 'the unquoted 1.10 as a number; quote it: "1.10"'),
    "hp-sexagesimal": (16, "spec.training.hyperparameters.window", 'the unquoted 1:30 as a number; quote it: "1:30"'),
    "hp-hex": (16, "spec.training.hyperparameters.mask", 'the unquoted 0x1F as a number; quote it: "0x1F"'),
    "hp-yes": (16, "spec.training.hyperparameters.shuffle", 'the unquoted yes as a boolean; quote it: "yes"'),
    "hp-nan": (16, "spec.training.hyperparameters.eta", "must be a finite number"),
    "hp-key-bidi-override": (16, "spec.training.hyperparameters", "contains U+202E RIGHT-TO-LEFT OVERRIDE"),
    "label-reserved-aws": (6, "metadata.labels.aws:team", "label key prefix 'aws:' is reserved for AWS"),
    "label-reserved-modelctl": (6, "metadata.labels.modelctl:model", "label key prefix 'modelctl:' is reserved"),
    "labels-too-many": (6, "metadata.labels", "plus modelctl's own 7, exceed AWS's 50 tags per resource"),
    "label-empty-value": (6, "metadata.labels.team", "label value must not be empty"),
    "label-bad-character": (6, "metadata.labels.team", "label value may hold letters, digits, spaces and"),
    "label-coerced-bool": (6, "metadata.labels.critical", "a boolean; quote it"),
    "label-zero-width": (6, "metadata.labels.team", "contains U+200B ZERO WIDTH SPACE"),
    "owner-c1-control": (5, "metadata.owner", "contains U+009B control character"),
    "bake-too-long": (28, "spec.deployment.realtime.rollout.bakeMinutes", "beyond SageMaker's 60-minute bake"),
    "linear-too-long": (28, "spec.deployment.realtime.rollout.bakeMinutes", "10 linear steps of 50 minutes take 30000"),
    "rollback-alarms-too-many": (29, "spec.deployment.realtime.rollout.rollbackOnAlarms", "12 CloudWatch alarms"),
    "alarm-window-too-long": (31, "spec.monitoring.alarms[0].evaluationPeriods", "CloudWatch allows at most 86400 s"),
    "alarm-threshold-inf": (31, "spec.monitoring.alarms[0].threshold", "must be a finite number"),
    "statistic-unicode-digits": (31, "spec.monitoring.alarms[0].statistic", "is not valid: Sum, Average"),
    "alarm-name-collision": (
        33,
        "spec.monitoring.alarms[1].name",
        "the alarm name 'modelctl-m-one-dev-errors-a-b' of alarm errors-a on variant b of model m-one in environment "
        "dev is also the name of alarm errors on variant a-b",
    ),
    "training-instance-by-use": (14, "spec.training.instanceType", "'ml.inf2.xlarge' is not a SageMaker training"),
    "hosting-instance-unknown": (26, "spec.deployment.realtime.variants[0].instanceType", "not a SageMaker hosting"),
    "transform-instance-by-use": (
        24,
        "spec.deployment.batch.instanceType",
        "'ml.t3.medium' is not a SageMaker transform",
    ),
    "bucket-ip-address": (18, "spec.training.inputs.train.uri", "must not be formatted as an IP address"),
    "bucket-xn-prefix": (16, "spec.training.outputPath", "must not start with 'xn--'"),
    "bucket-s3alias-suffix": (24, "spec.deployment.batch.output", "must not end with '-s3alias'"),
    "bucket-adjacent-dots": (18, "spec.training.inputs.train.uri", "must not contain two adjacent periods"),
    "image-other-region": (11, "spec.images.training.uri", "the image is in eu-west-1, not the environment's region"),
    "image-not-ecr": (11, "spec.images.training.uri", "SageMaker pulls images from Amazon ECR"),
    "repo-file-url": (8, "spec.source.repo", "'file:///etc/passwd' is not an https:// or ssh Git URL"),
    "repo-ext-transport": (8, "spec.source.repo", "is not an https:// or ssh Git URL"),
    "repo-credentials": (8, "spec.source.repo", "carries credentials"),
    "buildspec-absolute": (11, "spec.images.training.build.buildspec", "must be a relative path inside the source"),
    "buildspec-escapes-repo": (11, "spec.images.training.build.buildspec", "must stay inside the source repository"),
    "buildspec-inline": (13, "spec.images.training.build.buildspec", "an inline buildspec is refused"),
    "context-escapes-repo": (11, "spec.images.training.build.context", "must stay inside the source repository"),
    "data-version-nul": (16, "spec.training.dataVersion", "contains U+0000"),
    "ref-trailing-newline": (9, "spec.source.ref", "contains U+000A"),
    "ref-coerced-float": (9, "spec.source.ref", "a number; quote it"),
    "rate-unicode-digit": (22, "spec.training.schedule.expression", "must be cron(minutes hours"),
    "env-unknown-region": (6, "spec.region", "'us-east-9' is not a region where SageMaker is offered"),
    "env-role-other-account": (7, "spec.executionRoleArn", "the role is in account 999988887777, not the"),
    "env-role-partition": (7, "spec.executionRoleArn", "the role's partition 'aws' is not cn-north-1's 'aws-cn'"),
    "env-bucket-ol-suffix": (8, "spec.artifactBucket", "must not end with '--ol-s3'"),
    "env-tag-too-long": (9, "spec.tags." + "k" * 128, "tag key is 128 characters; at most 127 (codebuild.KeyInput)"),
}


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(p.stem for p in CORPUS.glob("*.yaml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 25


def test_the_base_of_the_corpus_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "model.yaml"
    model.write_text((CORPUS / "valid-model.yaml.txt").read_text())
    assert main(["validate", str(ENVIRONMENT), str(model)]) == 0
    assert capsys.readouterr().out.startswith("valid: 2 file(s), 1 environment(s), 1 model(s)")


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_is_reported_with_file_line_path_and_message(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    line, path, message = EXPECTED[case]
    file = str(CORPUS / f"{case}.yaml")
    assert main(["validate", str(ENVIRONMENT), file]) == 1
    output = capsys.readouterr().out.splitlines()
    prefix = f"{file}:{line}: {path}: " if path else f"{file}:{line}: "
    matching = [row for row in output if row.startswith(prefix) and message in row]
    assert matching, f"expected {prefix}...{message} in:\n" + "\n".join(output)
    assert output[-1].startswith("invalid: ")


def test_the_whole_corpus_in_one_run_never_prints_a_traceback() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "controller.cli", "validate", str(CORPUS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stdout + run.stderr
    # the environment and the valid base are *.txt, so every problem reported comes from a corpus file
    reported_files = {row.split(":", 1)[0] for row in run.stdout.splitlines()[:-1]}
    assert len(reported_files) == len(EXPECTED)
