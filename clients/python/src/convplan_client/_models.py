"""Typed response models, one per response schema of ``openapi/openapi.json``.

Every model keeps fields it does not know (``extra="allow"``): a newer
service's additions are reachable as attributes and in ``model_dump()``.
``tests/client/test_models_drift.py`` checks, against the repository's
OpenAPI document, that every property of every response schema is a field
here, so the models cannot silently fall behind the service.

A *Scalar* is a JSON integer or, when symbolic, a string in the request
grammar (it can be sent back); ``<field>_latex`` siblings hold LaTeX or null.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AxisOverlap",
    "CaptureGuard",
    "CompareUpsamplersResult",
    "ComputeResult",
    "Condition",
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
    "LayerResult",
    "Limit",
    "Limits",
    "Mismatch",
    "MismatchLayer",
    "Model",
    "ModuleCheck",
    "Nearest",
    "PlanLayerResult",
    "PlanResult",
    "Problem",
    "ReceptiveField",
    "ShapesResult",
    "SizeSet",
    "Skip",
    "StageResult",
    "UpsamplerResult",
    "ValidInputSizes",
]

Scalar: TypeAlias = int | str
"""An integer, or an expression string such as ``"16*n"``."""

Latex: TypeAlias = str | None


class Model(BaseModel):
    """Base of the response models: unknown fields are kept, attribute access works."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    def to_dict(self) -> dict[str, Any]:
        """The response as plain JSON-compatible data (unknown fields included)."""
        return self.model_dump(mode="json")


# --- service -----------------------------------------------------------


class Health(Model):
    """``GET /v1/health``."""

    status: str
    version: str


class Limit(Model):
    name: str
    value: int | float
    unit: str
    description: str = ""


class Limits(Model):
    """``GET /v1/limits``: every limit in force. ``limits["max_layers"]`` gives a value."""

    limits: list[Limit] = Field(default_factory=list)

    def __getitem__(self, name: str) -> int | float:
        for limit in self.limits:
            if limit.name == name:
                return limit.value
        raise KeyError(name)

    def as_dict(self) -> dict[str, int | float]:
        """``{name: value}`` for every limit."""
        return {limit.name: limit.value for limit in self.limits}


# --- problems ------------------------------------------------------------


class ErrorItem(Model):
    """One reason a request was refused; ``loc`` points into the request body."""

    loc: list[str | int] = Field(default_factory=list)
    msg: str = ""
    type: str = ""
    layer: int | None = None
    axis: int | None = None


class Problem(Model):
    """An ``application/problem+json`` document (also available as ``ApiError.body``)."""

    type: str = "about:blank"
    title: str = ""
    status: int = 0
    detail: str = ""
    errors: list[ErrorItem] = Field(default_factory=list)


# --- shapes --------------------------------------------------------------


class Condition(Model):
    """A check that could not be decided symbolically and must hold (e.g. ``H >= 6``)."""

    layer: int | None = None
    axis: int | None = None
    expr: str
    expr_latex: Latex = None
    where: str | None = None


class AxisOverlap(Model):
    """One axis of a ``conv_transpose`` / ``max_unpool`` layer's ``overlap`` (contract section 10)."""

    taps: list[list[int]] | None = None
    """Entry ``r``: the taps reaching interior outputs ``y = r mod stride`` (null for huge kernels)."""
    uniform: bool
    holes: bool


class ReceptiveField(Model):
    """One axis of a layer's receptive field in the input (contract section 9).

    Output pixel ``y`` depends on input pixels spanning ``[jump*y + lo, jump*y + hi]`` with
    ``[lo, hi] = phases[y % period]`` (null: none). Rationals are integers, dyadic floats or
    ``"p/q"`` strings; over the service's ``rf_period`` limit only ``jump`` is given. Where layer
    parameters are symbols, values are expressions in them (strings), null where none is closed-form."""

    jump: int | float | str
    period: int | None = None
    phases: list[list[int | float | str] | None] | None = None
    size: int | str | None = None
    size_min: int | str | None = None
    start: int | str | None = None
    center: int | float | str | None = None
    #: LaTeX of the values that are expressions (symbolic fields only; null for numbers).
    jump_latex: str | None = None
    phases_latex: list[list[str | None] | None] | None = None
    size_latex: str | None = None
    size_min_latex: str | None = None
    start_latex: str | None = None
    center_latex: str | None = None


class LayerResult(Model):
    """One layer of a ``shapes`` (or plan stage) result."""

    index: int
    op: str
    input_size: list[Scalar]
    input_size_latex: list[Latex] = Field(default_factory=list)
    output_size: list[Scalar]
    output_size_latex: list[Latex] = Field(default_factory=list)
    in_channels: Scalar | None = None
    in_channels_latex: Latex = None
    out_channels: Scalar | None = None
    out_channels_latex: Latex = None
    padding_resolved: list[list[Scalar]] = Field(default_factory=list)
    padding_resolved_latex: list[list[Latex]] = Field(default_factory=list)
    formula: list[Scalar] = Field(default_factory=list)
    formula_latex: list[Latex] = Field(default_factory=list)
    unread: list[Scalar] = Field(default_factory=list)
    unread_latex: list[Latex] = Field(default_factory=list)
    overhang: list[Scalar] = Field(default_factory=list)
    overhang_latex: list[Latex] = Field(default_factory=list)
    params: Scalar | None = None
    params_latex: Latex = None
    macs: Scalar | None = None
    macs_latex: Latex = None
    overlap: list[AxisOverlap | None] | None = None
    warnings: list[str] = Field(default_factory=list)
    receptive_field: list[ReceptiveField | None] = Field(default_factory=list)


class ShapesResult(Model):
    """``POST /v1/shapes``: sizes after every layer."""

    output_size: list[Scalar]
    output_size_latex: list[Latex] = Field(default_factory=list)
    out_channels: Scalar | None = None
    out_channels_latex: Latex = None
    params: Scalar | None = None
    params_latex: Latex = None
    macs: Scalar | None = None
    macs_latex: Latex = None
    conditions: list[Condition] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    layers: list[LayerResult] = Field(default_factory=list)


# --- plan ----------------------------------------------------------------


class PlanLayerResult(LayerResult):
    """A layer of a plan stage: as in ``shapes``, plus ``loc`` (where it is in the request)."""

    loc: list[str | int] = Field(default_factory=list)


class StageResult(Model):
    """One encoder or decoder stage, or the head, of a plan (sizes null after an unfixed mismatch)."""

    input_size: list[Scalar | None] | None = None
    input_size_latex: list[Latex] | None = None
    output_size: list[Scalar | None] | None = None
    output_size_latex: list[Latex] | None = None
    in_channels: Scalar | None = None
    out_channels: Scalar | None = None
    layers: list[PlanLayerResult] = Field(default_factory=list)


class Skip(Model):
    """One skip connection of a plan: sizes, registration and every fix (contract section 5).

    Fixes are per axis ``[before, after]`` pairs, ``[0, 0]`` where nothing is
    needed and null where no registered fix exists.
    """

    index: int | None = None
    encoder_stage: int
    decoder_stage: int
    merge: str | None = None
    encoder_size: list[Scalar | None] | None = None
    decoder_size: list[Scalar | None] | None = None
    merged_size: list[Scalar | None] | None = None
    encoder_channels: Scalar | None = None
    decoder_channels: Scalar | None = None
    aligned: bool | None = None
    scale: list[Any] | None = None
    offset: list[Any] | None = None
    registered: bool | None = None
    rf_aligned: bool | None = None
    applied: str | None = None
    applied_skip: list[Any] | None = None
    applied_decoder: list[Any] | None = None
    crop: list[Any] | None = None
    pad: list[Any] | None = None
    crop_decoder: list[Any] | None = None
    pad_skip: list[Any] | None = None
    output_padding: list[Any] | None = None
    output_size_ok: list[Any] | bool | None = None


class Nearest(Model):
    """The valid sizes around the requested one: at or below, at or above (null where none)."""

    below: int | None = None
    above: int | None = None


class ValidInputSizes(Model):
    """Every input size one axis takes cleanly: ``i % modulus in residues`` and ``i >= min``."""

    modulus: int
    residues: list[int] = Field(default_factory=list)
    min: int | None = None
    nearest: Nearest | None = None
    output_size: Scalar | None = None

    def __contains__(self, size: object) -> bool:
        if not isinstance(size, int) or isinstance(size, bool):
            return False
        return size % self.modulus in self.residues and (self.min is None or size >= self.min)


class MismatchLayer(Model):
    """The first layer whose rounding caused a mismatch."""

    index: int
    op: str
    loc: list[str | int] = Field(default_factory=list)
    reason: str | None = None  # the culprit rule's reason (drops_rows, overhang, output_padding, border, scale)


class Mismatch(Model):
    """Under ``align: "none"``: the skip that does not line up, and why."""

    skip: int
    encoder_stage: int
    decoder_stage: int
    axis: int
    axes: list[int] = Field(default_factory=list)
    detail: str = ""
    layer: MismatchLayer | None = None


class PlanResult(Model):
    """``POST /v1/plan``: an encoder/decoder stack, its skips and valid input sizes."""

    ok: bool
    exact: bool | None = None
    output_size: list[Scalar | None] | None = None
    output_size_latex: list[Latex] | None = None
    out_channels: Scalar | None = None
    params: Scalar | None = None
    warnings: list[str] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)
    expanded: dict[str, Any] | None = None
    encoder: list[StageResult] = Field(default_factory=list)
    decoder: list[StageResult] = Field(default_factory=list)
    head: StageResult | None = None
    skips: list[Skip] = Field(default_factory=list)
    mismatch: Mismatch | None = None
    valid_input_sizes: list[ValidInputSizes | None] | None = None
    valid_input_sizes_reason: list[str | None] | str | None = None


# --- graph ---------------------------------------------------------------


class GraphOutput(Model):
    """One output of a graph: its node id, size and channels (null after a failing node)."""

    id: str
    size: list[Scalar | None] | None = None
    size_latex: list[Latex] | None = None
    channels: Scalar | None = None
    channels_latex: Latex = None


class GraphNodeResult(Model):
    """One node of a ``/v1/graph`` result: section 3's layer fields, one ``input_size`` per input, and maps.

    ``map`` per axis is ``{"scale", "offset"}`` (null at and below adaptive
    pools); ``receptive_field`` (section 9) and ``overlap`` (section 10) are
    per axis too.
    """

    id: str
    index: int | None = None
    op: str
    inputs: list[str] = Field(default_factory=list)
    input_size: list[list[Scalar | None] | None] | None = None
    input_size_latex: list[Any] | None = None
    output_size: list[Scalar | None] | None = None
    output_size_latex: list[Latex] | None = None
    in_channels: list[Scalar | None] | None = None  # one per input
    in_channels_latex: list[Latex] | None = None
    out_channels: Scalar | None = None
    out_channels_latex: Latex = None
    padding_resolved: list[Any] | None = None
    padding_resolved_latex: list[Any] | None = None
    formula: list[Any] | None = None
    formula_latex: list[Any] | None = None
    unread: list[Any] | None = None
    unread_latex: list[Any] | None = None
    overhang: list[Any] | None = None
    overhang_latex: list[Any] | None = None
    params: Scalar | None = None
    params_latex: Latex = None
    macs: Scalar | None = None
    macs_latex: Latex = None
    map: list[Any] | None = None
    receptive_field: list[Any] | None = None
    overlap: list[Any] | None = None
    warnings: list[str] = Field(default_factory=list)


class Culprit(Model):
    """The node that made a merge's sizes differ, and why (``drops_rows``, ``overhang``, ``output_padding``...)."""

    node: str
    op: str | None = None
    input_size: list[Scalar | None] | None = None
    unread: list[Any] | None = None
    overhang: list[Any] | None = None
    reason: str | None = None


class GraphMerge(Model):
    """One merge node (concat, add, mul): its inputs' sizes, registration and the fixes per input and axis."""

    node: str
    inputs: list[str] = Field(default_factory=list)
    sizes: list[Any] | None = None
    aligned: bool | None = None
    offset: list[Any] | None = None
    registered: bool | None = None
    rf_aligned: bool | None = None
    applied: str | None = None
    applied_pads: list[Any] | None = None
    broadcast: list[list[bool]] | None = None
    culprit: Culprit | None = None
    crop: list[Any] | None = None
    pad: list[Any] | None = None
    output_padding: list[Any] | None = None


class GraphMismatch(Model):
    """The first merge left unequal: where, on which axis, and its culprit."""

    node: str
    axis: int | None = None
    sizes: list[Any] | None = None
    culprit: Culprit | None = None
    detail: str = ""


class SizeSet(Model):
    """A set of input sizes: ``extra`` and ``{min <= i <= max : i % modulus in residues}``."""

    modulus: int
    residues: list[int] = Field(default_factory=list)
    min: int | None = None
    max: int | None = None
    extra: list[int] = Field(default_factory=list)
    nearest: Nearest | None = None
    output_size: dict[str, Any] | None = None

    def __contains__(self, size: object) -> bool:
        if not isinstance(size, int) or isinstance(size, bool):
            return False
        if size in self.extra:
            return True
        in_range = (self.min is None or size >= self.min) and (self.max is None or size <= self.max)
        return in_range and size % self.modulus in self.residues


class GraphValidSizes(Model):
    """The sizes of one axis of the first input at which the network ``runs``, is ``clean``, keeps ``same_size``."""

    runs: SizeSet | None = None
    clean: SizeSet | None = None
    same_size: SizeSet | None = None


class GraphFailure(Model):
    """The node PyTorch would refuse at these sizes: its id, why, and its errors, located in the graph
    (``["nodes", 0, "kernel_size"]``; an imported model's in the answer's ``graph``)."""

    node: str
    detail: str = ""
    errors: list[dict[str, Any]] = Field(default_factory=list)


class GraphResult(Model):
    """``POST /v1/graph``: every node's sizes, the merges, the first mismatch and its culprit, valid sizes."""

    ok: bool
    outputs: list[GraphOutput] = Field(default_factory=list)
    params: Scalar | None = None
    params_latex: Latex = None
    macs: Scalar | None = None
    macs_latex: Latex = None
    conditions: list[Condition] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    nodes: list[GraphNodeResult] = Field(default_factory=list)
    merges: list[GraphMerge] = Field(default_factory=list)
    mismatch: GraphMismatch | None = None
    valid_input_sizes: list[GraphValidSizes | None] | None = None
    valid_input_sizes_reason: list[str | None] | str | None = None
    failure: GraphFailure | None = None

    def node(self, node_id: str) -> GraphNodeResult:
        """The result of the node ``node_id`` (``KeyError`` when there is none)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)


class CaptureGuard(Model):
    """A size condition of the traced path of a module's Python code (``convplan_client.torch.Guard``)."""

    text: str
    where: str = ""


class ModuleCheck(GraphResult):
    """``check_module``: the ``/v1/graph`` result of the captured module, and what the capture found.

    ``guards``: the conditions under which the module's code takes the
    traced path (the result describes the network only where they hold);
    ``capture_warnings``: what the capture mapped approximately; ``body``:
    the request that was sent; ``capture_seconds``: time spent capturing.
    """

    guards: list[CaptureGuard] = Field(default_factory=list)
    capture_warnings: list[str] = Field(default_factory=list)
    capture_seconds: float = 0.0
    body: dict[str, Any] = Field(default_factory=dict)


# --- compute -------------------------------------------------------------


def _to_numpy(value: Any, dtype: Any = None) -> Any:
    try:
        import numpy as np
    except ImportError as exc:  # pragma: no cover - exercised in the no-NumPy venv test
        raise ImportError("to_numpy() needs NumPy: pip install numpy") from exc
    return np.asarray(value, dtype=dtype)


class Explain(Model):
    """``explain: true`` of ``conv_transpose``: the intermediate arrays (contract section 4)."""

    zero_inserted: Any = None
    padded: Any = None
    equivalent_conv: dict[str, Any] | None = None
    conv_matrix: Any = None
    conv_matrix_is_forward_conv: bool | None = None
    conv_matrix_omitted: str | None = None

    def to_numpy(self, field: str = "conv_matrix") -> Any:
        """One explain array as a float64 NumPy array (requires NumPy)."""
        value = getattr(self, field)
        if value is None:
            raise ValueError(f"explain.{field} is null")
        return _to_numpy(value, "float64")


class ComputeResult(Model):
    """``POST /v1/compute/{op}``: ``output`` (nested lists), ``shape``, and ``indices`` for ``max_pool``."""

    output: Any
    shape: list[int]
    indices: Any = None
    explain: Explain | None = None

    def to_numpy(self, field: str = "output") -> Any:
        """``output`` (float64) or ``indices`` (int64) as a NumPy array (requires NumPy)."""
        value = getattr(self, field)
        if value is None:
            raise ValueError(f"{field} is null")
        return _to_numpy(value, "int64" if field == "indices" else "float64")

    @property
    def output_array(self) -> Any:
        """``to_numpy("output")``."""
        return self.to_numpy("output")


# --- compare -------------------------------------------------------------


class UpsamplerResult(Model):
    """One method of ``compare_upsamplers``: ``output`` and ``shape``; conv_transpose adds ``coverage``,
    ``overlap``, ``kernel_size``, ``padding``, ``output_padding`` and ``weight_init``."""

    output: Any
    shape: list[int]
    coverage: Any = None
    overlap: list[AxisOverlap] | None = None
    kernel_size: list[int] | None = None
    padding: list[int] | None = None
    output_padding: list[int] | None = None
    weight_init: str | None = None

    def to_numpy(self, field: str = "output") -> Any:
        """``output`` (float64) or ``coverage`` (int64) as a NumPy array (requires NumPy)."""
        value = getattr(self, field)
        if value is None:
            raise ValueError(f"{field} is null")
        return _to_numpy(value, "int64" if field == "coverage" else "float64")


class CompareUpsamplersResult(Model):
    """``POST /v1/compare/upsamplers``: ``methods[name]`` for every method that ran, in order."""

    scale_factor: int
    input_shape: list[int]
    methods: dict[str, UpsamplerResult] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)

    def __getitem__(self, method: str) -> UpsamplerResult:
        return self.methods[method]
