"""Pooling and unpooling kernels (float64, batched ``(N, C, *spatial)``).

Sizes and per-axis ``(before, after)`` paddings come from the shape engine.
Rules follow ATen's CPU kernels (aten/src/ATen/native/cpu/MaxPoolKernel.cpp,
AvgPoolKernel.cpp, AdaptiveMaxPoolKernel.cpp, AdaptiveAvgPoolKernel.cpp,
MaxUnpoolKernel.cpp), noted where they matter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import product
from math import prod

import numpy as np

from convplan.kernels.conv import contiguous_strides, pad_nd, padder, strided

__all__ = [
    "adaptive_avg_pool_nd",
    "adaptive_max_pool_nd",
    "max_pool_nd",
    "max_unpool_nd",
    "padding_only_window",
    "prepare_avg_pool",
    "prepare_max_pool",
    "torch_argmax",
]

Pairs = Sequence[tuple[int, int]]

# Most window elements copied at once by the one-argmax max pool; larger
# problems take the tap loop (memory of one output, not of every window).
_WINDOW_BUDGET = 1 << 22


def torch_argmax(values: np.ndarray) -> np.ndarray:
    """Argmax over the last axis as ATen's pooling loops pick it.

    The loops update on ``val > maxval || isnan(val)``: the first maximum in
    scan order wins a tie, and the last NaN wins over everything.
    """
    arg = values.argmax(axis=-1)
    nan = np.isnan(values)
    if nan.any():
        last_nan = values.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
        arg = np.where(nan.any(axis=-1), last_nan, arg)
    return arg


def _cover(size: Sequence[int], pads: Pairs, kernel_eff: Sequence[int], stride: Sequence[int],
           out: Sequence[int]) -> list[tuple[int, int]]:
    """Paddings that make every window fit: a ceil_mode window may run past the right padding."""
    return [
        (pl, max(0, (o - 1) * s + ke - i - pl)) for i, (pl, _), ke, s, o in zip(size, pads, kernel_eff, stride, out)
    ]


def padding_only_window(
    size: Sequence[int], pads: Pairs, kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int],
    out: Sequence[int],
) -> tuple[int, int] | None:
    """``(axis, window)`` of the first window with no tap on the input, or None.

    Such a window reads only padding: ATen's ``cpu_max_pool`` finds no
    in-bounds tap, so its maximum stays ``-inf`` (and its index points outside
    the input). PyTorch's "pad should be at most half of effective kernel
    size" check does not exclude it: with dilation the taps can straddle a
    small input (size 2, kernel 2, dilation 3, padding 1: taps at -1 and 2).
    """
    for axis, (i, (pl, _), k, s, d, o) in enumerate(zip(size, pads, kernel, stride, dilation, out)):
        taps = np.arange(o)[:, None] * s - pl + np.arange(k)[None, :] * d
        empty = ~((taps >= 0) & (taps < i)).any(axis=1)
        if empty.any():
            return axis, int(empty.argmax())
    return None


def _tap_views(
    xp: np.ndarray, tap: Sequence[int], stride: Sequence[int], dilation: Sequence[int], out: Sequence[int]
) -> np.ndarray:
    """The input value under kernel tap ``tap`` for every output position: ``(N, C, *out)``."""
    sl = tuple(slice(t * d, t * d + (o - 1) * s + 1, s) for t, d, o, s in zip(tap, dilation, out, stride))
    return xp[(slice(None), slice(None), *sl)]


def _grid(out: Sequence[int], a: int) -> np.ndarray:
    rank = len(out)
    return np.arange(out[a]).reshape((1,) * a + (out[a],) + (1,) * (rank - 1 - a))


def max_pool_nd(
    x: np.ndarray,
    *,
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    pads: Pairs,
    out: Sequence[int],
) -> tuple[np.ndarray, np.ndarray]:
    """Values and flat per-plane indices (row-major over the unpadded input plane).

    A loop over kernel taps (memory of one output, not of every window)
    replaying ATen's scan (MaxPoolKernel.cpp ``cpu_max_pool``): start at
    ``-inf`` with the index of the first in-bounds tap, walk the taps in
    row-major order and update on ``val > maxval || isnan(val)``. So a tie
    keeps the first maximum, a NaN wins (the last one), and a window whose
    maximum is ``-inf`` reports its first in-bounds position.
    """
    size = x.shape[2:]
    rank = len(size)
    k_eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    xp = pad_nd(x, _cover(size, pads, k_eff, stride, out), value=-np.inf)
    best = np.full((*x.shape[:2], *out), -np.inf)
    chosen = np.full(best.shape, -1, dtype=np.int64)  # -1: still the first in-bounds tap
    has_nan = bool(np.isnan(x).any())
    taps = list(product(*(range(k) for k in kernel)))
    for number, tap in enumerate(taps):
        values = _tap_views(xp, tap, stride, dilation, out)
        update = values > best
        if has_nan:
            update |= np.isnan(values)
            np.copyto(best, values, where=update)
        else:
            np.maximum(best, values, out=best)
        np.copyto(chosen, number, where=update)
    # Flat per-plane index of the chosen tap (or of the first in-bounds one).
    index = np.zeros(best.shape, dtype=np.int64)
    tap_axes = np.unravel_index(np.maximum(chosen, 0), tuple(kernel))
    for a in range(rank):
        start = _grid(out, a) * stride[a] - pads[a][0]
        coord = np.where(chosen >= 0, start + tap_axes[a] * dilation[a], np.maximum(start, start % dilation[a]))
        index = index * size[a] + coord
    return best, index


def prepare_max_pool(
    shape: Sequence[int],
    *,
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    pads: Pairs,
    out: Sequence[int],
) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``max_pool_nd`` for an input of ``shape``: one argmax over a copy of every
    window, with the per-window flat indices worked out once.

    ``argmax`` keeps the first maximum in row-major tap order, as ATen's
    ``val > maxval`` does. It differs from ATen's scan in two rare cases,
    fixed up only when the output shows them: a NaN (argmax takes the first,
    ATen the last) and a ``-inf`` maximum (argmax may land on the ``-inf``
    padding, ATen reports the first in-bounds tap).
    """
    n, c = shape[:2]
    size = shape[2:]
    rank = len(size)
    taps, pixels, planes = prod(kernel), prod(out), n * c
    if planes * pixels * taps > _WINDOW_BUDGET:
        return lambda x: max_pool_nd(x, kernel=kernel, stride=stride, dilation=dilation, pads=pads, out=out)
    k_eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    pad, padded = padder(shape, _cover(size, pads, k_eff, stride, out), value=-np.inf)
    st = contiguous_strides(padded)
    view_shape = (n, c, *out, *kernel)
    view_strides = (
        st[0],
        st[1],
        *(st[2 + a] * stride[a] for a in range(rank)),
        *(st[2 + a] * dilation[a] for a in range(rank)),
    )
    # Per output position and tap: the flat index in the unpadded plane, and
    # whether the tap is in bounds; laid out (*out, *kernel) like the view.
    # Per output position and tap: the flat index in the unpadded plane, laid
    # out (*out, *kernel) like the view; and ATen's starting index (the first
    # in-bounds tap: the window start stepped up by the dilation past 0).
    index = np.zeros((1,) * (2 * rank), dtype=np.int64)
    first = np.zeros((1,) * rank, dtype=np.int64)
    for a in range(rank):
        start = np.arange(out[a]) * stride[a] - pads[a][0]
        pos = start[:, None] + np.arange(kernel[a]) * dilation[a]
        index = index * size[a] + pos.reshape(
            [out[a] if b == a else 1 for b in range(rank)] + [kernel[a] if b == a else 1 for b in range(rank)]
        )
        first = first * size[a] + np.maximum(start, start % dilation[a]).reshape(_grid(out, a).shape)
    index = np.ascontiguousarray(np.broadcast_to(index, (*out, *kernel))).reshape(pixels, taps)
    first = np.broadcast_to(first, tuple(out)).reshape(pixels)
    at_tap = np.arange(pixels) * taps  # + argmax: position in (pixels, taps)
    at_window = (np.arange(planes) * (pixels * taps))[:, None] + at_tap  # in (planes, pixels, taps)
    flat_index = index.reshape(-1)

    def max_pool(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cols = strided(pad(x), view_shape, view_strides).reshape(planes, pixels, taps)
        arg = cols.argmax(axis=2)
        values = np.take(cols, arg + at_window)
        special = not values.min() > -np.inf  # a NaN or a -inf maximum somewhere (min is NaN if any is)
        if special:
            nan = np.isnan(values)
            if nan.any():
                arg[nan] = taps - 1 - np.isnan(cols[nan][:, ::-1]).argmax(axis=1)
        where = np.take(flat_index, arg + at_tap)
        if special:
            where = np.where(values == -np.inf, first, where)
        return values.reshape(n, c, *out), where.reshape(n, c, *out)

    return max_pool


def prepare_avg_pool(
    shape: Sequence[int],
    *,
    kernel: Sequence[int],
    stride: Sequence[int],
    pads: Pairs,
    out: Sequence[int],
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Callable[[np.ndarray], np.ndarray]:
    """The average pool of an input of ``shape``: window sums one axis at a
    time (k adds per axis rather than k**rank; the same values, summed in a
    different order), over a precomputed divisor."""
    size = shape[2:]
    pad, _ = padder(shape, _cover(size, pads, kernel, stride, out))
    steps = [
        [(slice(None),) * (2 + a) + (slice(t, t + (o - 1) * s + 1, s),) for t in range(k)]
        for a, (k, s, o) in enumerate(zip(kernel, stride, out))
    ]
    divisor: np.ndarray | int
    if divisor_override is not None:
        divisor = divisor_override
    else:
        divisor = _avg_divisor(size, kernel, stride, pads, out, count_include_pad)

    def avg_pool(x: np.ndarray) -> np.ndarray:
        y = pad(x)
        for axis in steps:
            if len(axis) == 1:
                y = y[axis[0]]
                continue
            total = y[axis[0]] + y[axis[1]]
            for step in axis[2:]:
                total += y[step]
            y = total
        return y / divisor

    return avg_pool


def _avg_divisor(
    size: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    pads: Pairs,
    out: Sequence[int],
    count_include_pad: bool,
) -> np.ndarray:
    """AvgPoolKernel.cpp: the window is clipped to [-p, i + p) for the
    include-pad divisor and to [0, i) for the exclude-pad one. Windows with no
    real element give 0: their sum is of padding zeros, so a divisor of 1 does."""
    rank = len(size)
    divisor: np.ndarray | int = 1
    empty: np.ndarray | bool = False
    for a in range(rank):
        (pl, pr), o = pads[a], np.arange(out[a])
        start = o * stride[a] - pl
        end = np.minimum(start + kernel[a], size[a] + pr)
        lo, hi = np.maximum(start, 0), np.minimum(end, size[a])
        length = (end - start) if count_include_pad else (hi - lo)
        shape = (1,) * a + (out[a],) + (1,) * (rank - 1 - a)
        divisor = divisor * length.reshape(shape)
        empty = np.logical_or(empty, (hi <= lo).reshape(shape))
    return np.where(empty, 1, divisor).astype(np.float64)


def _adaptive_windows(i: int, o: int) -> tuple[np.ndarray, np.ndarray]:
    """Gather indices ``(o, L)`` and validity mask for windows
    ``[floor(j*i/o), ceil((j+1)*i/o))`` (integer arithmetic, as ATen's
    ``start_index`` / ``end_index``). Padded slots repeat the last element."""
    j = np.arange(o, dtype=np.int64)
    start = (j * i) // o
    end = -((-(j + 1) * i) // o)
    span = int((end - start).max())
    idx = start[:, None] + np.arange(span)[None, :]
    valid = idx < end[:, None]
    return np.minimum(idx, (end - 1)[:, None]), valid


def adaptive_avg_pool_nd(x: np.ndarray, out: Sequence[int]) -> np.ndarray:
    """Separable: sum over each axis's window, then divide by the window volume."""
    rank = x.ndim - 2
    y = x
    counts: np.ndarray | int = 1
    for a in range(rank):
        axis = 2 + a
        idx, valid = _adaptive_windows(x.shape[axis], out[a])
        gathered = np.take(y, idx, axis=axis)  # (..., o, L, ...)
        mask = valid.reshape(valid.shape + (1,) * (y.ndim - axis - 1))
        y = np.where(mask, gathered, 0.0).sum(axis=axis + 1)
        counts = counts * valid.sum(axis=1).reshape((1,) * a + (out[a],) + (1,) * (rank - 1 - a))
    return y / counts


def adaptive_max_pool_nd(x: np.ndarray, out: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Values and flat per-plane indices, first maximum in row-major order.

    Reducing the last axis first, then the earlier ones, keeps ATen's row-major
    scan order (the smallest row holding the maximum, then its first column).
    """
    rank = x.ndim - 2
    size = x.shape[2:]
    values = x
    position = np.broadcast_to(np.arange(prod(size), dtype=np.int64).reshape(size), x.shape)
    for a in reversed(range(rank)):
        axis = 2 + a
        idx, _ = _adaptive_windows(size[a], out[a])
        gathered = np.moveaxis(np.take(values, idx, axis=axis), axis + 1, -1)
        where = np.moveaxis(np.take(position, idx, axis=axis), axis + 1, -1)
        arg = torch_argmax(gathered)[..., None]
        values = np.take_along_axis(gathered, arg, axis=-1)[..., 0]
        position = np.take_along_axis(where, arg, axis=-1)[..., 0]
    return values, position


def max_unpool_nd(x: np.ndarray, indices: np.ndarray, out: Sequence[int]) -> np.ndarray:
    """Scatter each value to its flat per-plane index; a repeated index keeps
    the last write (MaxUnpoolKernel.cpp walks each plane in order).
    Indices must already be checked to lie in ``[0, prod(out))``."""
    n, c = x.shape[:2]
    plane = prod(out)
    y = np.zeros(n * c * plane)
    keys = (np.arange(n * c, dtype=np.int64)[:, None] * plane + indices.reshape(n * c, -1)).ravel()
    values = x.reshape(-1)
    # np.unique on the reversed keys finds each key's last occurrence.
    _, first_in_reversed = np.unique(keys[::-1], return_index=True)
    keep = keys.size - 1 - first_in_reversed
    y[keys[keep]] = values[keep]
    return y.reshape(n, c, *out)
