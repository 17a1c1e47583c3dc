"""Convolution and transposed convolution kernels (float64, batched, 1-3-D).

Pure NumPy, no convplan imports: the callers pass sizes already resolved by
the shape engine (per-axis ``(before, after)`` paddings, output sizes), so the
kernels never re-derive a size rule.

- ``prepare_conv``: im2col as a strided view of the padded input, one
  batched ``matmul`` per group. This is the same im2col + GEMM scheme as
  ATen's ``slow_conv2d`` (the float64 CPU path).
- ``prepare_conv_transpose``: the scatter (col2im) form of ATen's
  ``slow_conv_transpose2d``: one GEMM gives every tap's contribution
  ``x ⊗ w_tap``, then a loop over kernel taps (not pixels) adds each into a
  strided slice of the output, ``y[m*s - p + t*d] += x[m] * w[t]``.

Each works out once everything that depends only on shapes and parameters
(paddings, view strides, tap slices) and returns a closure that does only the
array work. The library caches plans, and the closure with them, so small
problems pay almost no Python per call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from math import prod

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["pad_nd", "padder", "prepare_conv", "prepare_conv_transpose", "strided", "windows"]

Pairs = Sequence[tuple[int, int]]

# Most elements of a copied column matrix (im2col) held at once; larger
# problems are done in blocks (output rows, or one kernel tap at a time).
_COLUMN_BUDGET = 1 << 22

# Strided transposed convolutions up to this many column elements (im2col of
# the zero-inserted input) run as a convolution: cheaper in Python than the
# per-tap scatter, and still small in wasted multiplies by zero.
_AS_CONV_BUDGET = 1 << 15

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


def strided(a: np.ndarray, shape: Sequence[int], strides: Sequence[int]) -> np.ndarray:
    """A strided view of C-contiguous ``a`` (strides in bytes): what ``as_strided``
    gives, without its ~4 µs of Python (this is ~0.5 µs). Callers only read it,
    and keep every window inside ``a``."""
    return np.ndarray(tuple(shape), a.dtype, a, 0, tuple(strides))


def contiguous_strides(shape: Sequence[int], itemsize: int = 8) -> list[int]:
    out, step = [], itemsize
    for n in reversed(shape):
        out.append(step)
        step *= n
    return out[::-1]


def padder(shape: Sequence[int], pads: Pairs, mode: str = "zeros", value: float = 0.0
           ) -> tuple[Callable[[np.ndarray], np.ndarray], tuple[int, ...]]:
    """``pad_nd`` for a fixed input shape: a function giving a C-contiguous
    padded array, and that array's shape. Constant padding writes the input
    into a filled buffer (np.pad spends ~30 µs in Python on a tiny array)."""
    grow = [(max(a, 0), max(b, 0)) for a, b in pads]
    kept = [n + min(a, 0) + min(b, 0) for (a, b), n in zip(pads, shape[2:])]
    padded = (*shape[:2], *(k + a + b for k, (a, b) in zip(kept, grow)))
    crop = (slice(None), slice(None), *(slice(-min(a, 0), -min(a, 0) + k) for (a, _), k in zip(pads, kept)))
    if mode != "zeros" and any(a or b for a, b in grow):
        # reflect/replicate/circular pad before cropping (pad_nd's order matters there): rare, keep np.pad.
        return (lambda x: np.ascontiguousarray(pad_nd(x, pads, mode, value))), padded
    if not any(a or b for a, b in grow):
        if all(a == 0 and b == 0 for a, b in pads):
            return np.ascontiguousarray, padded
        return (lambda x: np.ascontiguousarray(x[crop])), padded
    inner = (slice(None), slice(None), *(slice(a, a + k) for (a, _), k in zip(grow, kept)))

    def pad(x: np.ndarray) -> np.ndarray:
        buf = np.zeros(padded) if value == 0 else np.full(padded, value)
        buf[inner] = x[crop]
        return buf

    return pad, padded


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
        slice(None),
        slice(None),
        *tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(out, stride)),
        *tuple(slice(None, None, d) for d in dilation),
    )
    return view[select]


Conv = Callable[[np.ndarray, np.ndarray, "np.ndarray | None"], np.ndarray]


def prepare_conv(
    shape: Sequence[int],
    kernel: Sequence[int],
    c_out: int,
    *,
    pads: Pairs,
    stride: Sequence[int],
    dilation: Sequence[int],
    groups: int,
    out: Sequence[int],
    padding_mode: str = "zeros",
) -> Conv:
    """The convolution of an input of ``shape`` with a kernel of size ``kernel``: the closure takes
    ``x (N, C_in, *i)``, ``weight (C_out, C_in/groups, *k)`` and an optional bias, gives ``(N, C_out, *out)``."""
    n, c_in = shape[:2]
    rank = len(kernel)
    cg, og = c_in // groups, c_out // groups
    taps, pixels = prod(kernel), prod(out)
    pad, padded = padder(shape, pads, padding_mode)
    # The column view (N, C, *K, *O) straight from the padded buffer's strides.
    st = contiguous_strides(padded)
    view_shape = (n, c_in, *kernel, *out)
    view_strides = (
        st[0],
        st[1],
        *(st[2 + a] * dilation[a] for a in range(rank)),
        *(st[2 + a] * stride[a] for a in range(rank)),
    )
    # Bound the copied columns: split the first output axis into row blocks.
    rest = pixels // out[0]
    rows = max(1, _COLUMN_BUDGET // max(1, n * cg * taps * rest))
    whole = groups == 1 and rows >= out[0]

    def conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        win = strided(pad(x), view_shape, view_strides)
        if whole:  # the usual case: one GEMM over every sample
            y = np.matmul(weight.reshape(c_out, cg * taps), win.reshape(n, cg * taps, pixels))
        else:
            y = np.empty((n, c_out, *out))
            for g in range(groups):
                w = weight[g * og : (g + 1) * og].reshape(og, cg * taps)
                for r0 in range(0, out[0], rows):
                    r1 = min(out[0], r0 + rows)
                    block = win[:, g * cg : (g + 1) * cg, ..., r0:r1, *([slice(None)] * (rank - 1))]
                    cols = block.reshape(n, cg * taps, (r1 - r0) * rest)
                    y[:, g * og : (g + 1) * og, r0:r1] = np.matmul(w, cols).reshape(n, og, r1 - r0, *out[1:])
            y = y.reshape(n, c_out, pixels)
        if bias is not None:
            y += bias[:, None]
        return y.reshape(n, c_out, *out)

    return conv


@dataclass(frozen=True, slots=True)
class _TransposedConv:
    """A transposed convolution's input shape, kernel size, ``og`` output channels per group and the
    geometry the shape engine resolved: what both ways of running it (``_transpose_as_conv``,
    ``_transpose_by_scatter``) are prepared from."""

    shape: Sequence[int]
    kernel: Sequence[int]
    og: int
    pads: Pairs
    stride: Sequence[int]
    dilation: Sequence[int]
    groups: int
    out: Sequence[int]

    @property
    def n(self) -> int:
        return self.shape[0]

    @property
    def c_in(self) -> int:
        return self.shape[1]

    @property
    def size(self) -> Sequence[int]:
        return self.shape[2:]

    @property
    def c_out(self) -> int:
        return self.og * self.groups

    @property
    def cg(self) -> int:
        """Input channels per group."""
        return self.c_in // self.groups


def prepare_conv_transpose(
    shape: Sequence[int],
    kernel: Sequence[int],
    og: int,
    *,
    pads: Pairs,
    stride: Sequence[int],
    dilation: Sequence[int],
    groups: int,
    out: Sequence[int],
) -> Conv:
    """The transposed convolution of an input of ``shape`` with a kernel of size ``kernel`` and ``og``
    output channels per group: the closure takes ``x (N, C_in, *i)``, ``weight (C_in, C_out/groups, *k)``
    and an optional bias, gives ``(N, C_out, *out)``.

    ``out`` already includes ``output_padding``: the extra high-side rows are
    real computed values (taps landing there), not zeros.
    """
    spec = _TransposedConv(shape, kernel, og, pads, stride, dilation, groups, out)
    if all(s == 1 for s in stride) or spec.n * spec.c_in * prod(kernel) * prod(out) <= _AS_CONV_BUDGET:
        return _transpose_as_conv(spec)
    return _transpose_by_scatter(spec)


def _transpose_by_scatter(spec: _TransposedConv) -> Conv:
    """Per kernel tap, the GEMM ``x ⊗ w_tap`` added into a strided slice of the output (col2im)."""
    n, c_out, cg, og, groups = spec.n, spec.c_out, spec.cg, spec.og, spec.groups
    kernel, size, pads, stride, dilation, out = spec.kernel, spec.size, spec.pads, spec.stride, spec.dilation, spec.out
    pixels = prod(size)
    # Uncropped extent: index m*s + t*d for every m, t; the buffer also reaches
    # p_before + out (output_padding may read past the last tap).
    extent = [
        max((i - 1) * s + d * (k - 1) + 1, pl + o)
        for i, s, d, k, (pl, _), o in zip(size, stride, dilation, kernel, pads, out)
    ]
    taps = list(product(*(range(k) for k in kernel)))
    whole = n * og * len(taps) * pixels <= _COLUMN_BUDGET
    # Where each tap's contribution lands in the buffer, and where it sits in
    # the GEMM result (N, og, *K, *size).
    dest = [
        (
            slice(None),
            slice(None),
            *(slice(t * d, t * d + (i - 1) * s + 1, s) for t, d, i, s in zip(tap, dilation, size, stride)),
        )
        for tap in taps
    ]
    source = [(slice(None), slice(None), *tap) for tap in taps]
    crop = (slice(None), slice(None), *(slice(pl, pl + o) for (pl, _), o in zip(pads, out)))
    bias_shape = (1, c_out, *([1] * len(size)))

    def conv_transpose(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        buf = np.zeros((n, c_out, *extent))
        for g in range(groups):
            xg = x[:, g * cg : (g + 1) * cg].reshape(n, cg, pixels)
            wk = weight[g * cg : (g + 1) * cg]
            target = buf[:, g * og : (g + 1) * og] if groups > 1 else buf
            if whole:  # one GEMM: every tap's x ⊗ w_tap
                cols = np.matmul(wk.reshape(cg, -1).T, xg).reshape(n, og, *kernel, *size)
            for to, where in zip(dest, source):
                if whole:
                    part = cols[where]
                else:
                    part = np.matmul(wk[where].T, xg).reshape(n, og, *size)
                target[to] += part
        y = np.ascontiguousarray(buf[crop])
        if bias is not None:
            y += bias.reshape(bias_shape)
        return y

    return conv_transpose


def _transpose_as_conv(spec: _TransposedConv) -> Conv:
    """The transposed convolution as a stride-1 convolution (``_explain``'s
    view): zeros inserted between inputs, ``d*(k-1) - p`` padding per side
    (the high side also takes ``output_padding``), the kernel flipped with in
    and out channels swapped per group. With stride 1 nothing is inserted and
    this is just ``prepare_conv``'s im2col + one GEMM, which beats the
    per-tap scatter; with a stride it multiplies by zeros, so only small
    problems (where per-tap Python overhead dominates) come here."""
    n, c_in, c_out, cg, og, groups = spec.n, spec.c_in, spec.c_out, spec.cg, spec.og, spec.groups
    kernel, size, pads, stride, dilation, out = spec.kernel, spec.size, spec.pads, spec.stride, spec.dilation, spec.out
    rank = len(size)
    inserted = [(i - 1) * s + 1 for i, s in zip(size, stride)]
    low = [d * (k - 1) - pl for k, d, (pl, _) in zip(kernel, dilation, pads)]
    # The high side follows from the output size: z + low + high - d*(k-1) = out.
    sides = [(lo, o + d * (k - 1) - z - lo) for lo, o, d, k, z in zip(low, out, dilation, kernel, inserted)]
    conv = prepare_conv(
        (n, c_in, *inserted), kernel, c_out, pads=sides, stride=[1] * rank, dilation=dilation, groups=groups, out=out
    )
    spread = (slice(None), slice(None), *(slice(None, None, s) for s in stride))
    strided_input = any(s > 1 for s in stride)
    flip = (slice(None), slice(None), *([slice(None, None, -1)] * rank))

    def conv_transpose(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        if strided_input:
            z = np.zeros((n, c_in, *inserted))
            z[spread] = x
            x = z
        # (C_in, og, *K) -> (groups, og, cg, *K) -> (C_out, cg, *K), flipped.
        w = weight.reshape(groups, cg, og, *kernel).swapaxes(1, 2).reshape(c_out, cg, *kernel)[flip]
        return conv(x, np.ascontiguousarray(w), bias)

    return conv_transpose
