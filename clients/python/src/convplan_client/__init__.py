"""Python client for the convplan HTTP API.

    from convplan_client import Client

    with Client("http://localhost:8000") as client:      # or Client(): in process
        result = client.shapes(input_size=[572], layers=[{"op": "conv", "kernel_size": 3}])
        result.output_size                                # [570]

``AsyncClient`` has the same methods as coroutines. Errors: ``ApiError``
(``status``, ``type``, ``title``, ``detail``, ``errors``) with one subclass
per status, ``TransportError`` when no answer comes, ``ConfigurationError``
when there is nowhere to send requests.
"""

from convplan_client._base import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, ENV_BASE_URL
from convplan_client._client import AsyncClient, Client
from convplan_client._errors import (
    ApiError,
    BadRequestError,
    ConfigurationError,
    ConvplanError,
    InternalServerError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitError,
    RequestTimeoutError,
    ResponseValidationError,
    TransportError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
)
from convplan_client._models import (
    CaptureGuard,
    ComputeResult,
    Condition,
    Culprit,
    ErrorItem,
    Explain,
    GraphFailure,
    GraphMerge,
    GraphMismatch,
    GraphNodeResult,
    GraphOutput,
    GraphResult,
    GraphValidSizes,
    Health,
    LayerResult,
    Limit,
    Limits,
    Mismatch,
    MismatchLayer,
    Model,
    ModuleCheck,
    Nearest,
    PlanLayerResult,
    PlanResult,
    Problem,
    ShapesResult,
    SizeSet,
    Skip,
    StageResult,
    ValidInputSizes,
)
from convplan_client._version import __version__

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ENV_BASE_URL",
    "ApiError",
    "AsyncClient",
    "BadRequestError",
    "CaptureGuard",
    "Client",
    "ComputeResult",
    "Condition",
    "ConfigurationError",
    "ConvplanError",
    "Culprit",
    "ErrorItem",
    "Explain",
    "GraphFailure",
    "GraphMerge",
    "GraphMismatch",
    "GraphNodeResult",
    "GraphOutput",
    "GraphResult",
    "GraphValidSizes",
    "Health",
    "InternalServerError",
    "LayerResult",
    "Limit",
    "Limits",
    "MethodNotAllowedError",
    "Mismatch",
    "MismatchLayer",
    "Model",
    "ModuleCheck",
    "Nearest",
    "NotFoundError",
    "PayloadTooLargeError",
    "PlanLayerResult",
    "PlanResult",
    "Problem",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseValidationError",
    "ShapesResult",
    "SizeSet",
    "Skip",
    "StageResult",
    "TransportError",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "ValidInputSizes",
    "__version__",
]
