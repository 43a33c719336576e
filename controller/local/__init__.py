"""The embedded AWS emulator behind `--local`, `modelctl demo` and `modelctl local serve`.

moto (in-process `mock_aws`, or its threaded server on 127.0.0.1) with patches where moto differs from AWS,
one module per patched service, each exposing an idempotent `install()`:

    emulator            Emulator, ensure_emulator(), serve_forever(), in_process(), install_all()
    control             behaviour knobs (delays, injected failures, metric values), their HTTP API and client
    sagemaker_ext       SageMaker API gaps: UpdateEndpoint, duplicate names, weights and capacities, ...
    endpoint_lifecycle  endpoints: Creating/Updating/RollingBack/InService/Failed, deployment guardrails
    training_lifecycle  training jobs: InProgress -> Completed/Failed, FinalMetricDataList
    stepfunctions_ext, lambda_ext, codebuild_ext   the pipeline's other services
    response_check      every answer judged against botocore's output shape (response_shapes: the judge)
    sagemaker_shapes, autoscaling_ext, scheduler_ext   answers in the shapes AWS sends them
    tagging_ext         GetResources: AWS's paging, every type the controller tags
    bootstrap           what the real stack provides (bucket, role, topic, state table), created if missing
    patching            Patches: replace moto attributes, remembering what they were (for the tests)

    moto_support        the moto releases the patches are known to work with; importing this package with any
                        other release fails at once with one clear line (see require_supported_moto)

Nothing else in controller imports moto; `pip install modelctl[local]` brings it.
"""

from controller.local.moto_support import require_supported_moto

require_supported_moto()
