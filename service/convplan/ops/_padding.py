"""Resolving every padding form to per-axis `(before, after)` pairs.

Forms (contract section 1): an int or expression; ``"valid"``; PyTorch's
``"same"`` (conv, stride 1 only, odd extra after: ``F._conv_forward`` pads
``total // 2`` before); ONNX/TensorFlow ``"same_upper"``/``"same_lower"``
(output ``ceil(i/s)``, total ``max((o-1)*s + k_eff - i, 0)``, odd extra
after/before, as TensorFlow's ``GetWindowedOutputSizeVerbose``); or a list
of ints / ``[before, after]`` pairs.
"""

from __future__ import annotations

from typing import Any

from convplan.ops._context import LayerContext, show
from convplan.ops._fields import PAD_MODES
from convplan.ops._values import Value, all_ints, cdiv, fdiv, norm, vmax

__all__ = ["check_circular", "resolve_padding", "same_split"]


def same_split(total: Value, lower: bool) -> tuple[Value, Value]:
    """Split a total padding; the odd extra goes after (upper) or before (lower)."""
    small = norm(fdiv(total, 2))
    large = norm(total - small)
    return (large, small) if lower else (small, large)


def resolve_padding(
    ctx: LayerContext,
    value: Any,
    *,
    size: list[Value],
    kernel_eff: list[Value],
    stride: list[Value],
    dilation: list[Value] | None = None,
    kernel: list[Value] | None = None,
    allow_same: bool = False,
    allow_negative: bool = False,
) -> tuple[list[tuple[Value, Value]], str | None]:
    """Per-axis (before, after) pairs and the mode name (None for explicit amounts).

    ``allow_negative``: conv with a non-zeros padding_mode pads through ``F.pad``,
    which crops on negative amounts instead of refusing them."""
    if isinstance(value, str) and value in PAD_MODES:
        if value == "valid":
            return [(0, 0)] * ctx.rank, value
        if value == "same":
            if not allow_same:
                ctx.fail(
                    "padding='same' is PyTorch's conv-only mode; use 'same_upper' (ONNX SAME_UPPER, "
                    "TensorFlow SAME) or 'same_lower'",
                    param="padding",
                    type="value_error.padding",
                )
            for a, s in enumerate(stride):
                ctx.require(s, "==", 1, "padding='same' is not supported for strided convolutions",
                            axis=a, param="stride", listed=False, type="value_error.padding")
            assert dilation is not None and kernel is not None
            return [same_split(norm(d * (k - 1)), lower=False) for d, k in zip(dilation, kernel)], value
        lower = value == "same_lower"
        out = []
        for i, k, s in zip(size, kernel_eff, stride):
            o = cdiv(i, s)
            out.append(same_split(norm(vmax(norm((o - 1) * s + k - i), 0)), lower))
        return out, value
    pairs = ctx.pairs("padding", value)
    if allow_negative:
        return pairs, None
    for a, (before, after) in enumerate(pairs):
        listed = isinstance(value, list)
        ctx.require(before, ">=", 0, "negative padding is not supported", axis=a, param="padding",
                    listed=listed, type="value_error.padding")
        if after is not before:
            ctx.require(after, ">=", 0, "negative padding is not supported", axis=a, param="padding",
                        listed=listed, type="value_error.padding")
    return pairs, None


def check_circular(ctx: LayerContext, axis: int, size: Value, before: Value, after: Value, *, listed: bool) -> None:
    """``F.pad(mode="circular")`` (ATen ``_pad_circular_symint``, aten/src/ATen/native/PadNd.cpp): each pad at
    most the input size ("Padding value causes wrapping around more than once"), and, where a negative amount
    crops more rows than the input has, the copies that build the output agreeing in size (``_circular_copies``).

    Not modelled: when one side crops and the other pads, PyTorch copies
    overlapping slices and may raise a memory-overlap error whose outcome
    depends on the tensor's memory layout, not on sizes; no size rule can
    reproduce it, so such pads are accepted here."""
    reason = f"circular padding ({show(before)}, {show(after)}) wraps around more than once (input size {show(size)})"
    amounts = {id(before): before, id(after): after}.values()
    for amount in amounts:
        ctx.require(amount, "<=", size, reason, axis=axis, param="padding", listed=listed)
    def cropped() -> str:  # worded only where a crop is checked (most circular pads crop nothing)
        return f"circular padding ({show(before)}, {show(after)}) crops more rows than the input has ({show(size)})"

    if not all_ints((size, before, after)):
        # Symbolic: each crop at most the input (then every copy agrees); below that bound PyTorch runs for a
        # scattered few sizes only (its slices wrap around), which this condition leaves out.
        for amount in amounts:
            if amount.__class__ is not int or amount < 0:
                ctx.require(norm(-amount), "<=", size, cropped, axis=axis, param="padding", listed=listed)
    elif min(before, after) < -size and size + before + after >= 1 and not _circular_copies(size, before, after):
        ctx.fail(f"{cropped()}: PyTorch's wrap-around copies then differ in size", axis=axis, param="padding",
                 listed=listed)


def _circular_copies(n: int, before: int, after: int) -> bool:
    """Whether ``_pad_circular_symint``'s three copies on an axis of ``n`` rows fit: the input's kept rows into
    the output's middle, then the wrapped rows before and after, each a slice with Python's rules (a negative
    bound counts from the end, then both are clamped) and a source of the target's length or of 1 (broadcast).
    Only a crop deeper than the input can break them (checked over every case against torch 2.13)."""
    out = n + before + after
    fits = _fits(_slice(out, max(before, 0), out - max(after, 0)), _slice(n, max(-before, 0), n - max(-after, 0)))
    if before > 0:
        fits = fits and _fits(_slice(out, 0, before), _slice(out, out - before - max(after, 0), out - max(after, 0)))
    if after > 0:
        fits = fits and _fits(_slice(out, out - after, out), _slice(out, max(before, 0), max(before, 0) + after))
    return fits


def _slice(length: int, start: int, end: int) -> int:
    """Rows of ``tensor.slice(dim, start, end)`` on an axis of ``length`` (ATen's ``slice``)."""
    start, end = start + length if start < 0 else start, end + length if end < 0 else end
    start = min(max(start, 0), length)
    return min(max(end, start), length) - start


def _fits(target: int, source: int) -> bool:
    return source == target or source == 1
