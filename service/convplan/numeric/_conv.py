"""Convolution and transposed convolution kernels (float64, batched, 1-3-D).

Pure NumPy, no convplan imports: the callers pass sizes already resolved by
the shape engine (per-axis ``(before, after)`` paddings, output sizes), so the
kernels never re-derive a size rule.

- ``conv_nd``: im2col as a strided window view (``sliding_window_view`` then
  a stride/dilation slice), one batched ``matmul`` per group. This is the
  same im2col + GEMM scheme as ATen's ``slow_conv2d`` (the float64 CPU path).
- ``conv_transpose_nd``: the scatter (col2im) form of ATen's
  ``slow_conv_transpose2d``: one GEMM gives every tap's contribution
  ``x ⊗ w_tap``, then a loop over kernel taps (not pixels) adds each into a
  strided slice of the output, ``y[m*s - p + t*d] += x[m] * w[t]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from math import prod

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["conv_nd", "conv_transpose_nd", "pad_nd", "windows"]

Pairs = Sequence[tuple[int, int]]

# Most elements of a copied column matrix (im2col) held at once; larger
# problems are done in blocks (output rows, or one kernel tap at a time).
_COLUMN_BUDGET = 1 << 22

# padding_mode -> np.pad mode. torch's reflect excludes the edge (np "reflect"),
# replicate repeats it (np "edge"), circular wraps (np "wrap"); F.pad's limits
# (reflect < size, circular <= size) are enforced by the shape engine.
_NP_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_nd(x: np.ndarray, pads: Pairs, mode: str = "zeros", value: float = 0.0) -> np.ndarray:
    """Pad the spatial axes of ``(N, C, *spatial)``; negative amounts crop."""
    grow = [(0, 0), (0, 0)] + [(max(a, 0), max(b, 0)) for a, b in pads]
    if any(a or b for a, b in grow):
        if mode == "zeros":
            x = np.pad(x, grow, mode="constant", constant_values=value)
        else:
            x = np.pad(x, grow, mode=_NP_PAD_MODE[mode])  # type: ignore[call-overload]
    if any(a < 0 or b < 0 for a, b in pads):
        crop = tuple(slice(-min(a, 0), n - (-min(b, 0))) for (a, b), n in zip(pads, x.shape[2:]))
        x = x[(slice(None), slice(None), *crop)]
    return x


def windows(
    xp: np.ndarray, kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int], out: Sequence[int]
) -> np.ndarray:
    """A read-only view ``(N, C, *out, *kernel)`` of the windows of a padded input.

    ``xp`` must cover ``(o-1)*s + d*(k-1) + 1`` on every axis.
    """
    rank = len(kernel)
    k_eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    view = sliding_window_view(xp, k_eff, axis=tuple(range(2, 2 + rank)))
    select = (
        (slice(None), slice(None))
        + tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(out, stride))
        + tuple(slice(None, None, d) for d in dilation)
    )
    return view[select]


def conv_nd(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    *,
    pads: Pairs,
    stride: Sequence[int],
    dilation: Sequence[int],
    groups: int,
    out: Sequence[int],
    padding_mode: str = "zeros",
) -> np.ndarray:
    """``x (N, C_in, *i)``, ``weight (C_out, C_in/groups, *k)`` -> ``(N, C_out, *out)``."""
    n, c_in = x.shape[:2]
    rank = x.ndim - 2
    kernel = weight.shape[2:]
    c_out = weight.shape[0]
    cg, og = c_in // groups, c_out // groups
    taps, pixels = prod(kernel), prod(out)
    win = windows(pad_nd(x, pads, padding_mode), kernel, stride, dilation, out)  # (N, C, *O, *K)
    # (N, C, *K, *O): the column matrix of each sample, rows (c, taps), columns pixels.
    order = (0, 1, *range(2 + rank, 2 + 2 * rank), *range(2, 2 + rank))
    win = win.transpose(order)
    y = np.empty((n, c_out, *out))
    # Bound the copied columns: split the first output axis into row blocks.
    rest = pixels // out[0]
    rows = max(1, _COLUMN_BUDGET // max(1, n * cg * taps * rest))
    for g in range(groups):
        w = weight[g * og : (g + 1) * og].reshape(og, cg * taps)
        for r0 in range(0, out[0], rows):
            r1 = min(out[0], r0 + rows)
            block = win[:, g * cg : (g + 1) * cg, ..., r0:r1, *([slice(None)] * (rank - 1))]
            cols = block.reshape(n, cg * taps, (r1 - r0) * rest)
            y[:, g * og : (g + 1) * og, r0:r1] = np.matmul(w, cols).reshape(n, og, r1 - r0, *out[1:])
    y = y.reshape(n, c_out, pixels)
    if bias is not None:
        y += bias[None, :, None]
    return y.reshape(n, c_out, *out)


def conv_transpose_nd(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    *,
    pads: Pairs,
    stride: Sequence[int],
    dilation: Sequence[int],
    groups: int,
    out: Sequence[int],
) -> np.ndarray:
    """``x (N, C_in, *i)``, ``weight (C_in, C_out/groups, *k)`` -> ``(N, C_out, *out)``.

    ``out`` already includes ``output_padding``: the extra high-side rows are
    real computed values (taps landing there), not zeros.
    """
    n, c_in = x.shape[:2]
    size = x.shape[2:]
    kernel = weight.shape[2:]
    og = weight.shape[1]
    c_out, cg = og * groups, c_in // groups
    pixels = prod(size)
    # Uncropped extent: index m*s + t*d for every m, t; the buffer also reaches
    # p_before + out (output_padding may read past the last tap).
    extent = [
        max((i - 1) * s + d * (k - 1) + 1, pl + o)
        for i, s, d, k, (pl, _), o in zip(size, stride, dilation, kernel, pads, out)
    ]
    buf = np.zeros((n, c_out, *extent))
    for g in range(groups):
        xg = x[:, g * cg : (g + 1) * cg].reshape(n, cg, pixels)
        wg = weight[g * cg : (g + 1) * cg].reshape(cg, -1)  # (cg, og * taps)
        target = buf[:, g * og : (g + 1) * og]
        taps = list(product(*(range(k) for k in kernel)))
        whole = n * og * len(taps) * pixels <= _COLUMN_BUDGET
        if whole:  # one GEMM: every tap's x ⊗ w_tap
            cols = np.matmul(wg.T, xg).reshape(n, og, *kernel, *size)
        wk = weight[g * cg : (g + 1) * cg]
        for tap in taps:
            dest = tuple(slice(t * d, t * d + (i - 1) * s + 1, s) for t, d, i, s in zip(tap, dilation, size, stride))
            if whole:
                part = cols[(slice(None), slice(None), *tap)]
            else:
                part = np.matmul(wk[(slice(None), slice(None), *tap)].T, xg).reshape(n, og, *size)
            target[(slice(None), slice(None), *dest)] += part
    crop = tuple(slice(pl, pl + o) for (pl, _), o in zip(pads, out))
    y = np.ascontiguousarray(buf[(slice(None), slice(None), *crop)])
    if bias is not None:
        y += bias.reshape(1, c_out, *([1] * len(size)))
    return y
