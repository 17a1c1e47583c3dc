"""Pooling and unpooling kernels (float64, batched ``(N, C, *spatial)``).

Sizes and per-axis ``(before, after)`` paddings come from the shape engine.
Rules follow ATen's CPU kernels (aten/src/ATen/native/cpu/MaxPoolKernel.cpp,
AvgPoolKernel.cpp, AdaptiveMaxPoolKernel.cpp, AdaptiveAvgPoolKernel.cpp,
MaxUnpoolKernel.cpp), noted where they matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from math import prod

import numpy as np

from convplan.numeric._conv import pad_nd

__all__ = [
    "adaptive_avg_pool_nd",
    "adaptive_max_pool_nd",
    "avg_pool_nd",
    "max_pool_nd",
    "max_unpool_nd",
    "torch_argmax",
]

Pairs = Sequence[tuple[int, int]]


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
    return [(pl, max(0, (o - 1) * s + ke - i - pl)) for i, (pl, _), ke, s, o in zip(size, pads, kernel_eff, stride, out)]


def _tap_views(xp: np.ndarray, tap: Sequence[int], stride: Sequence[int], dilation: Sequence[int],
               out: Sequence[int]) -> np.ndarray:
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


def avg_pool_nd(
    x: np.ndarray,
    *,
    kernel: Sequence[int],
    stride: Sequence[int],
    pads: Pairs,
    out: Sequence[int],
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    size = x.shape[2:]
    rank = len(size)
    xp = pad_nd(x, _cover(size, pads, kernel, stride, out))
    total = np.zeros((*x.shape[:2], *out))
    for tap in product(*(range(k) for k in kernel)):
        total += _tap_views(xp, tap, stride, [1] * rank, out)
    if divisor_override is not None:
        return total / divisor_override
    # AvgPoolKernel.cpp: the window is clipped to [-p, i + p) for the
    # include-pad divisor and to [0, i) for the exclude-pad one; windows
    # with no real element give 0.
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
    with np.errstate(divide="ignore", invalid="ignore"):
        result = total / np.where(empty, 1, divisor)
    return np.where(empty, 0.0, result)


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
