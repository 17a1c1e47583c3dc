"""The op registry and the protocol every op follows (``OpModel``).

Every op is one module in this package: a Pydantic model with PyTorch-named
parameters (its request schema) whose ``infer`` is the size rule. Modules are
discovered automatically, so adding an op is adding a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

from convplan.ops._compute import COMPUTE_ONLY, Runner, Shapes, TensorField
from convplan.ops._context import LayerContext
from convplan.ops._fields import LayerModel
from convplan.ops._overlap import AxisOverlap
from convplan.ops._plain import PlainRule, remembered_rule
from convplan.ops._shape import LayerShape
from convplan.ops._values import Value
from convplan.ops._window import SymbolicWindow, Window

__all__ = ["OPS", "LayerShape", "NoClosedForm", "OpModel", "OptionalOutputSize", "SizeSource", "register"]


#: Where a layer's output size on an axis comes from (``OpModel.size_source``).
SizeSource = Literal["input", "parameters", "size_of"]


class NoClosedForm(Exception):
    """An op whose sizes follow no periodic rule (valid input sizes then have no closed form): why."""


def _frozen(value: Any) -> Any:
    """A parameter value as part of a key (``OpModel.params_key``)."""
    kind = value.__class__
    if kind is list:
        return tuple(_frozen(v) for v in value)
    if kind is dict:
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return ("float", value) if kind is float else value


_FROZEN = frozenset((list, float, dict))


#: Parameters that may be given per spatial axis (a list of one entry per axis).
_PER_AXIS = ("kernel_size", "stride", "padding", "dilation", "output_padding", "output_size", "scale_factor",
             "size", "crop")


class OpModel(LayerModel):
    """A layer op: parameters, size rule, coordinate map, compute entry and command-line
    names, defined once: code outside ``convplan.ops`` asks the op, never switches on its name."""
    """A layer op: parameters, size rule, coordinate map and receptive-field window, defined once."""

    #: `op` names this model accepts (most ops have one).
    names: ClassVar[tuple[str, ...]] = ()
    #: Whether the op changes sizes with a stride (used by the planner's validity rule).
    strided: ClassVar[bool] = False
    #: Whether the op keeps sizes, channels and pixel positions whatever its parameters (activations, norms,
    #: dropout): such a layer counts only ``neutral_layer_weight`` against ``max_layers``.
    shape_neutral: ClassVar[bool] = False
    #: Whether each output row is a strided window over the input (conv and pools: the size ratio is
    #: 1/stride, and rows past the last window are left unread), with ``kernel_size``, ``stride`` and

    # -- the command line (convplan.commands) ------------------------------
    #: Other names of the op on the command line (``bn`` for ``batch_norm``), each to an op name.
    cli_names: ClassVar[Mapping[str, str]] = {}
    #: Short parameter names (``k`` for ``kernel_size``), each to a parameter of this model.
    cli_keys: ClassVar[Mapping[str, str]] = {}
    #: The parameter a bare first value stands for (``conv:3``); None: KEY=VALUE only.
    cli_main: ClassVar[str | None] = None

    # -- POST /v1/compute/{op} and convplan.numeric ------------------------
    #: The request's parameters (numbers only); None: not a compute op (404 on /v1/compute).
    compute_params: ClassVar[type[BaseModel] | None] = None
    #: The whole request body (parameters and tensors), for the OpenAPI document.
    compute_request: ClassVar[type[BaseModel] | None] = None
    #: Where the op stands in the compute listings (the OpenAPI document's order).
    compute_order: ClassVar[int] = 0
    #: The request's tensors in positional order; the first is the input.
    tensors: ClassVar[tuple[TensorField, ...]] = (TensorField("input"),)
    #: Whether ``explain: true`` is available (conv_transpose's view of itself as a convolution).
    explainable: ClassVar[bool] = False

    #: How many inputs a node of this op takes in a graph (``None``: no upper bound).
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    #: A merge (concat, add, mul with two or more inputs): its inputs are compared and aligned.
    merges: ClassVar[bool] = False
    #: Whether ``coord_map`` depends on nothing but the op's parameters and what its sizes' periodic parts
    #: decide (strides, kernels, pads; a merge's broadcast): never on the input size itself, as an
    #: ``align_corners`` interpolation's ``(in - 1)/(out - 1)`` does. The valid-size scan then trusts one period
    #: (``analyses/valid_sizes.py``, ``_Axis._one_period``); False where no one has checked.
    periodic_map: ClassVar[bool] = False
    #: False when the op leaves no spatial axes (flatten, linear).
    spatial_output: ClassVar[bool] = True
    #: Whether it runs on flattened features (an ``(N, F)`` tensor, no spatial axes), as torch.nn's
    #: activations, dropout, BatchNorm1d, GroupNorm, LayerNorm, Linear and the merges do. The others (conv,
    #: pools, resizes, pads, InstanceNorm, LocalResponseNorm) are refused there, as PyTorch refuses a 2-D input.
    reads_features: ClassVar[bool] = False
    #: The fields that give a value per spatial axis (a scalar or a list), when the op otherwise treats every
    #: axis alike (``axis_symmetric``); None where it does not, or where no one has checked.
    axis_fields: ClassVar[tuple[str, ...] | None] = None

    def infer(self, ctx: LayerContext, size: list[Value], channels: Value | None) -> LayerShape:
        raise NotImplementedError

    def infer_inputs(self, ctx: LayerContext, sizes: list[list[Value]], channels: list[Value | None]) -> LayerShape:
        """The size rule on all of a node's inputs; single-input ops take the first."""
        return self.infer(ctx, sizes[0], channels[0])

    def plain_rule(self, rank: int, channels: int | None, limit: int) -> PlainRule | None:
        """``infer`` on plain-int sizes for these parameters and input channels, all but the sizes worked out
        once (ops/_plain.py), or None where the op has none for them: a stack answered before is then run by
        the evaluator again at a new size (shapes/templates.py). ``limit``: the service's ``max_size``.
        Callers ask ``remembered_plain_rule``."""
        return None

    def remembered_plain_rule(self, rank: int, channels: int | None, limit: int) -> PlainRule | None:
        """``plain_rule``, built once per parameters, rank, channels and limit (``params_key``)."""
        return remembered_rule((self.params_key(), rank, channels, limit),
                               lambda: self.plain_rule(rank, channels, limit))

    def params_key(self) -> tuple[Any, ...]:
        """The op and its parameters as a hashable key: equal exactly where two layers are the same layer
        (lists as tuples, a float apart from the int it equals)."""
        values = self.__dict__.values()
        if _FROZEN.isdisjoint(map(type, values)):  # most layers: ints, strings, bools and None, as they are
            return (self.__class__, *values)
        return (self.__class__, *[_frozen(v) for v in values])

    def coord_map(self, shape: LayerShape, axis: int, in_size: Value) -> tuple[Fraction, Fraction] | None:
        """Output pixel ``y`` sits at input coordinate ``a*y + b`` (pixel centres; ``a`` and ``b`` exact
        rationals, ints where integral for conv and pools).

        None where no affine map exists (adaptive pools, explicit interpolation
        sizes with ``align_corners``... see each op)."""
        return None

    def size_ratio(self, shape: LayerShape, axis: int, in_size: Value) -> Fraction | None:
        """Output rows per input row in the long run (``f(n + q) = f(n) + p`` for the ratio ``p/q``), or
        None when the output size does not follow the input (a fixed ``output_size`` or ``size``).

        The inverse of the coordinate map's scale: conv and pools ``1/s``, transposed ``s``, interpolation
        ``f``, pads 1. Ops whose map is not their size rule's ratio override this."""
        step = self.coord_map(shape, axis, in_size)
        if step is None:
            return None
        return 1 / Fraction(step[0]) if step[0] != 0 else None  # an int where integral (convplan.exact)

    def output_ratio(self, shape: LayerShape, axis: int, in_sizes: list[list[Value]],
                     in_ratios: list[Fraction], *, align: str = "none") -> Fraction:
        """The output's ratio to the network input, given the inputs' (0 = fixed size) and the graph's
        ``align`` (what a merge does with unequal inputs); merges override."""
        own = self.size_ratio(shape, axis, in_sizes[0][axis])
        return Fraction(0) if own is None else in_ratios[0] * own

    def size_source(self, axis: int) -> SizeSource:
        """Where this layer's output size on ``axis`` comes from: ``"input"`` (a rule of its input's size),
        ``"parameters"`` (set by them whatever the input: a fixed ``output_size`` or ``size``, a constant
        operand's size) or ``"size_of"`` (the target's). Merges of several inputs: from those
        (``Graph.grows``)."""
        return "input"

    def fixed_input_reason(self, axis: int | None = None) -> str | None:
        """Why only a bounded range of input sizes can fit this op on a growing input (on ``axis``; None:
        on any axis), or None."""
        return None

    def axis_symmetric(self) -> bool:
        """Whether swapping two spatial axes of the input swaps them in everything this op computes and
        refuses: its per-axis fields hold one value for every axis. A graph of such nodes on an input with
        equal sizes has the same valid sizes on every axis (solved once)."""
        if self.axis_fields is None:
            return False
        return all(_uniform(getattr(self, name)) for name in self.axis_fields)

    def monotone(self) -> OpModel:
        """This layer for the valid-size scans' lenient run, whose refusals must be monotone in the input size
        (refusing a size, it refuses every smaller one: the smallest size that runs is found by bisection).
        An op with a refusal that is not (a divisibility; a fit to another tensor's size, ``size_of``) returns a
        twin that does not make it, of the same sizes, channels and coordinate map wherever the layer runs; the
        scan itself still runs the layer as it is."""
        return self

    def transparent(self, training: bool) -> bool:
        """Whether a node of this op passes its input on unchanged (sizes, channels, the identity coordinate
        map, so ratio 1 and no dropped rows) and refuses no input at all in this mode (``training``: PyTorch's
        ``module.train()``). The valid-size scans leave such nodes out: they cannot change a membership."""
        return False

    def along_axis(self, axis: int) -> OpModel:
        """This layer as a 1-D layer on spatial axis ``axis`` (a plan's valid sizes are solved axis by axis: every
        size rule is per axis): per-axis lists keep their entry for the axis. An op whose checks depend on the
        rank overrides this with a 1-D layer of the same size rule and coordinate map."""
        data = self.model_dump(mode="python", exclude_unset=True)
        data["op"] = self.op
        for name in {*_PER_AXIS, *(self.axis_fields or ())}:
            value = data.get(name)
            if isinstance(value, list):
                data[name] = [value[axis]]
        return type(self).model_validate(data)

    def accepted_sizes(self, axis: int) -> tuple[int, ...] | None:
        """The only input sizes this op accepts on ``axis``, where it fixes them to a few numbers (a constant
        operand's); None where it takes a range or says nothing."""
        return None

    def separable(self, training: bool) -> bool:
        """Whether this op on one spatial axis, its sizes, refusals and channels, depends on that axis's size
        and per-axis fields alone (``axis_fields``), so that ``along_axis`` is exact: a graph of such ops is
        solved on each axis's 1-D slice whatever the other axes' sizes are (a free symbol, say). Not so for
        ops with unchecked fields, nor where a refusal reads every axis (a norm's one-element statistics),
        nor where the channels follow the rank (pixel shuffles)."""
        return self.axis_fields is not None

    def drops_rows(self, shape: LayerShape, axis: int) -> bool:
        """Whether the layer discards input rows that a window would read (the valid-size ``clean`` rule;
        contract section 7), or a ceil-mode window overhangs. Only windowed strided ops can."""
        return False

    def size_of_target(self) -> str | None:
        """The node or input whose spatial size this op takes (``size_of``), if any."""
        return self.__dict__.get("size_of")  # a field's value; not getattr: a missing one raises inside pydantic

    def overlap(self, shape: LayerShape) -> list[AxisOverlap | None] | None:
        """Per axis, the taps reaching each output phase (contract section 10; None where symbolic);
        None for ops that do not scatter their input."""
        return None

    @classmethod
    def compute_fields(cls, op: str, params: Mapping[str, Any], shapes: Shapes, batched_input: tuple[int, ...],
                       rank: int, loc: tuple) -> dict[str, Any]:
        """The op model's fields from a compute request's parameters (and its tensors' shapes)."""
        fields = {k: v for k, v in params.items() if k not in COMPUTE_ONLY and v is not None}
        return {"op": op, **fields}

    @classmethod
    def returns_indices(cls, params: BaseModel) -> bool:
        """Whether the compute response carries ``indices``."""
        return False

    def compute_work(self, shape: LayerShape, shapes: Shapes, output_elements: int) -> int:
        """Multiply-adds (or window reads) of one compute request: the bound on its time."""
        return output_elements

    def kernel(self, shape: LayerShape, shapes: Shapes, batched: bool) -> Runner:
        """The NumPy kernel for this layer and these batched tensor shapes (values come later)."""
        raise NotImplementedError(f"{self.op} has no numeric kernel")
    def rf_window(self, shape: LayerShape, axis: int, in_size: Value) -> Window | SymbolicWindow | None:
        """The input pixels each output pixel reads on ``axis`` (receptive fields, contract section 9).

        None where no periodic window exists or a parameter it needs is symbolic. Every op says
        so explicitly: an op that does not define its window is a bug, not an identity."""
        raise NotImplementedError(f"{type(self).__name__} defines no receptive-field window")


def _uniform(value: Any) -> bool:
    """A scalar (every axis), or a list (one per axis) of equal entries."""
    return not isinstance(value, list) or all(v == value[0] for v in value)


class OptionalOutputSize:
    """Mixin of the ops whose optional ``output_size`` (PyTorch's forward argument) fixes their output: the
    output then no longer follows the input, and only a bounded range of input sizes fits it."""

    output_size: Any

    def size_ratio(self, shape: LayerShape, axis: int, in_size: Value) -> Fraction | None:
        if self.output_size is not None:
            return None
        return super().size_ratio(shape, axis, in_size)  # type: ignore[misc]

    def size_source(self, axis: int) -> SizeSource:
        return "input" if self.output_size is None else "parameters"

    def fixed_input_reason(self, axis: int | None = None) -> str | None:
        if self.output_size is None:
            return None
        return "its output_size is fixed, so only a bounded range of input sizes fits it"


OPS: dict[str, type[OpModel]] = {}


def register(cls: type[OpModel]) -> type[OpModel]:
    computes = cls.compute_params is not None
    if computes != (cls.compute_request is not None) or computes != (cls.kernel is not OpModel.kernel):
        raise RuntimeError(f"{cls.__name__}: a compute op declares compute_params, compute_request and kernel "
                           "together")
    for name in cls.names:
        if name in OPS:
            raise RuntimeError(f"op {name!r} registered twice")
        OPS[name] = cls
    return cls
