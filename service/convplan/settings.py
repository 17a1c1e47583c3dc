"""Service settings, read from ``CONVPLAN_*`` environment variables.

Every field whose schema carries a ``unit`` is a *limit*: ``GET /v1/limits``
lists those with their value and description, so a limit added here is
published without touching the route.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["LogLevel", "Settings", "get_settings", "limit_fields"]

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]


def _limit(default: Any, unit: str, description: str, **constraints: Any) -> Any:
    """A settings field that ``GET /v1/limits`` publishes."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **constraints)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONVPLAN_", extra="ignore", frozen=True)

    # --- service ---------------------------------------------------------
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Origins allowed by CORS (browser-based design tools). Environment: "
            "a JSON list or a comma-separated string; empty disables CORS."
        ),
    )
    log_level: LogLevel = Field("info", description="Log level of `convplan serve`.")
    symbolic_workers: int = Field(
        2, ge=1, description="Worker processes that run time-limited symbolic work."
    )
    symbolic_warm_up: bool = Field(
        True,
        description=(
            "Start the symbolic workers when the app starts (a server), rather than at the first symbolic "
            "request. The in-process client turns it off: a short script would otherwise exit while a worker "
            "is still starting, leaving it orphaned."
        ),
    )
    response_cache_bytes: int = Field(
        64_000_000, ge=0,
        description=(
            "Memory for answers kept to repeated requests (every POST is a pure function of its path, query, "
            "Content-Type, Accept and body); least recently used first out; 0 turns the cache off."
        ),
    )
    shapes_memo_layers: int = Field(
        8192, ge=0,
        description=(
            "Layers of numeric /v1/shapes stacks kept with their answers, keyed by everything before them (a "
            "re-sent stack with its last layers edited computes only those; about 4 kB each); 0 turns the memo off."
        ),
    )
    shapes_template_layers: int = Field(
        8192, ge=0,
        description=(
            "Layers of numeric /v1/shapes stacks kept as templates, keyed by the layers alone (a stack asked for "
            "a second time, at any input size, is answered by its layers' size rules alone, without the "
            "evaluator; about 4 kB each); 0 turns the templates off."
        ),
    )
    telemetry: bool = Field(
        False,
        description=(
            "FastAPI's native OpenTelemetry (request spans, metrics and logs, to the providers the deployment "
            "configures, e.g. with FASTAPI_OTEL_AUTO_CONFIGURE=true); off, no request pays for it."
        ),
    )
    response_cache_max_request_bytes: int = Field(
        262_144, ge=0, description="Largest request body whose answer is kept (larger ones are never looked up)."
    )

    # --- limits (published by GET /v1/limits) ---------------------------
    # 8 MB admits a compute body at max_input_elements: 250k floats printed to
    # full precision take about 22 bytes each in JSON (~5.5 MB).
    max_body_bytes: int = _limit(
        8_000_000, "bytes", "Largest request body; a larger one is refused with 413 before parsing.", ge=1
    )
    # Capped well below the depth at which a recursive JSON parser or Pydantic
    # could run out of stack: deeper bodies are a 413 before any parsing.
    max_json_depth: int = _limit(
        64, "levels", "Deepest nesting of JSON arrays and objects in a request body (413).", ge=1, le=200
    )
    max_layers: int = _limit(256, "layers", "Most layers in one request, summed over all stages (413); a "
                             "shape-neutral layer counts `neutral_layer_weight`.", ge=1)
    # Real networks are mostly norms and activations (UNETR: 283 layers, VNet 89), a few per conv: those count
    # lightly (UNETR's 71 convs and 212 neutral layers weigh 124 of 256); a stack of only activations does not.
    neutral_layer_weight: float = _limit(
        0.25, "layers", "What one shape-neutral layer (activation, norm, dropout, identity) counts against "
        "`max_layers`, for up to 3 per other layer (beyond that, 1).", gt=0, le=1)
    max_stages: int = _limit(32, "stages", "Most encoder or decoder stages in a plan (413).", ge=1)
    # A real VNet has 89 layers and UNETR 283; an exported model with its norms and activations several times more.
    max_graph_nodes: int = _limit(2048, "nodes", "Most nodes in one /v1/graph request (413).", ge=1)
    max_graph_edges: int = _limit(8192, "edges", "Most node inputs, summed over a /v1/graph request (413).", ge=1)
    max_graph_inputs: int = _limit(16, "inputs", "Most network inputs of a /v1/graph request (413).", ge=1)
    valid_sizes_max_period: int = _limit(
        4096, "sizes", "Largest period of a valid-size pattern that is scanned (above it the set is null, with "
        "the reason).", ge=1, le=1 << 20)
    valid_sizes_max_scan: int = _limit(
        20_000, "sizes", "Most input sizes tried per axis for the valid-size sets (above it the set is null).", ge=1)
    valid_sizes_max_extra: int = _limit(
        64, "sizes", "Most members a valid-size set may list outside its periodic pattern (`extra`).", ge=1)
    max_spatial_rank: Literal[3] = _limit(
        3, "axes", "Most spatial axes of a tensor or size (fixed by the contract: 1 to 3)."
    )
    max_size: int = _limit(
        1_000_000_000, "magnitude", "Largest magnitude of a size or integer parameter, given or computed (422 above).",
        ge=1,
        le=10**17,
    )
    # The ceilings below are the expression parser's own (convplan.expr.ExprLimits).
    max_expression_length: int = _limit(
        256, "characters", "Longest symbolic expression string (413).", ge=1, le=100_000
    )
    max_exponent: int = _limit(
        16, "exponent", "Largest integer exponent allowed after `**` in an expression (422 above).", ge=0, le=64
    )
    max_expression_depth: int = _limit(
        32, "levels", "Deepest nesting of parentheses, calls and signs in an expression (422 above).", ge=1, le=64
    )
    max_expression_nodes: int = _limit(
        200, "nodes", "Most numbers, names and operators in one expression (422 above).", ge=1, le=2000
    )
    max_integer_digits: int = _limit(
        18, "digits", "Most digits of an integer written in an expression; constants stay below 10**18 (422).",
        ge=1, le=18,
    )
    max_template_depth: Literal[16] = _limit(
        16, "downsamplings", "Largest `depth` of a plan template (fixed; 422 above)."
    )
    max_template_convs_per_stage: Literal[8] = _limit(
        8, "convolutions", "Largest `convs_per_stage` of a plan template (fixed; 422 above)."
    )
    max_input_elements: int = _limit(
        250_000, "elements", "Most numbers in the tensors of one compute request (413).", ge=1
    )
    max_output_elements: int = _limit(
        1_000_000, "elements", "Most numbers in a compute response, explain arrays included (413).", ge=1
    )
    max_conv_matrix_elements: int = _limit(
        4_000_000, "elements", "Largest explained convolution matrix; a larger one is omitted (null).", ge=1
    )
    max_compute_work: int = _limit(
        500_000_000, "multiply-adds",
        "Most multiply-adds (or window reads) of one compute request, a bound on its time (413).", ge=1,
    )
    rf_period: int = _limit(
        64, "phases",
        "Longest receptive-field period tracked: beyond it `phases` (and the sizes, start and centre they give) are "
        "null, only `jump` is reported (not an error).", ge=1, le=4096,
    )
    svg_panels: int = _limit(
        64, "panels", "Most output positions drawn as panels in a conv_transpose SVG; the rest are listed, not drawn.",
        ge=1, le=4096,
    )
    # Sized for real segmentation models with their weights (a 3-D U-Net in float32 is ~100-200 MB);
    # the import route is exempt from max_body_bytes and checked against this instead.
    max_model_bytes: int = _limit(
        256_000_000, "bytes", "Largest ONNX model accepted by POST /v1/import/onnx (413 before parsing).", ge=1
    )
    max_model_nodes: int = _limit(
        20_000, "nodes", "Most ONNX nodes in an imported model, local functions inlined (413).", ge=1
    )
    # protobuf's own decoder stops at 100 levels; ONNX nests graphs only in attributes (If, Loop, Scan).
    max_model_nesting: int = _limit(
        16, "levels", "Deepest nesting of graphs inside node attributes of an imported model (413).", ge=1, le=64
    )
    symbolic_timeout_seconds: float = _limit(
        5.0, "seconds", "Time budget of the symbolic work of one request (422 when exceeded).", gt=0
    )
    work_timeout_seconds: float = _limit(
        5.0, "seconds", "Time budget of the numeric work of one request, in a worker process (422 when exceeded).",
        gt=0,
    )
    # Cheap requests (nearly all) finish well inside this on the event loop; a heavy one
    # stops at the next layer or solver run after it and re-runs in a worker process.
    inline_work_seconds: float = _limit(
        0.05, "seconds",
        "Time numeric work may take on the event loop; longer work moves to a worker process (not a refusal).",
        gt=0,
    )
    max_queued_requests: int = _limit(
        16, "requests",
        "Most requests waiting for a worker process (symbolic or heavy numeric work); more are refused "
        "with 503 and Retry-After.", ge=0,
    )
    max_queue_wait_seconds: float = _limit(
        10.0, "seconds",
        "Longest wait for a worker process; a request still waiting then is refused with 503 and Retry-After.",
        gt=0,
    )

    # --- server (`convplan serve`; an in-process app has no sockets) -------
    # uvicorn arms no timer before a request head is complete and its
    # httptools parser has no header limit: convplan.commands._http_protocol
    # enforces these two below the app.
    max_header_bytes: int = _limit(
        32_768, "bytes", "Largest request line plus headers (`convplan serve`; 431 above).", ge=1024
    )
    request_timeout_seconds: float = _limit(
        30.0, "seconds",
        "Time a client has to send a whole request, head and body, from the connection or its first byte "
        "(`convplan serve`; 408, or the connection closed, after).",
        gt=0,
    )
    keep_alive_timeout_seconds: float = _limit(
        5.0, "seconds", "How long an idle keep-alive connection stays open (`convplan serve`).", gt=0
    )
    max_connections: int = _limit(
        1000, "connections",
        "Most concurrent connections or requests per server process (`convplan serve`; 503 above).", ge=1,
    )
    shutdown_grace_seconds: int = _limit(
        10, "seconds",
        "On SIGTERM, how long requests in flight may finish before their connections are closed "
        "(`convplan serve`).",
        ge=0,
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        # NoDecode hands us the raw env string: accept JSON or "a,b".
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value


def limit_fields() -> list[tuple[str, str, str]]:
    """``(name, unit, description)`` of every limit, in declaration order."""
    out = []
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and "unit" in extra:
            out.append((name, str(extra["unit"]), field.description or ""))
    return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (cached: the environment is read once)."""
    return Settings()
