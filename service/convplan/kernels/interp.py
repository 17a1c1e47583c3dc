"""Interpolation kernels (``F.interpolate``), separable per spatial axis.

Every mode is a per-axis weighted gather: for each output index a few source
indices and weights, applied along one axis at a time. The per-axis rules
reproduce ATen's CPU helpers (aten/src/ATen/native/UpSample.h and
cpu/UpSampleKernel.cpp), including where they are not plain float64:

- ``nearest`` / ``nearest-exact``: the source index is
  ``floorf(dst * scale)`` / ``floorf((dst + 0.5) * scale)``: a double product
  rounded to float32 before the floor; a float64 floor picks a different
  pixel (input 18 -> output 66: output 55 reads 15, not 14).
  2-D ``nearest`` also takes ``nearest_idx``'s shortcuts (equal size: copy;
  double size: ``dst >> 1``) whatever the scale_factor; 1-D/3-D do not.
- ``linear`` modes: ``src = scale*(dst + 0.5) - 0.5`` clamped at 0 (not for
  cubic); the index is ``floorf`` of it (through float32), the weight is
  clamped to [0, 1]; equal sizes copy (``compute_source_index_and_lambda``).
- ``bicubic``: Keys' kernel with ``A = -0.75``, 4 taps, reads clamped to the
  border (``get_cubic_upsample_coefficients``).
- ``antialias`` (``_upsample_bilinear2d_aa`` / ``_upsample_bicubic2d_aa``):
  PIL-style filters (triangle; cubic with ``A = -0.5``) whose support is
  stretched by the scale when downsampling, normalised weights
  (``_compute_index_ranges_weights``); an output one column wide repeats
  row 0, as ATen's kernel does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["axis_weights", "interpolate_nd", "prepare_interpolate"]


def _scale(i: int, o: int, align_corners: bool, scale: float | None) -> float:
    """``area_pixel_compute_scale`` in double (opmath of float64)."""
    if align_corners:
        return (i - 1) / (o - 1) if o > 1 else 0.0
    if scale is not None and scale > 0:
        return 1.0 / scale
    return i / o


def _nearest(i: int, o: int, scale: float | None, exact: bool, shortcuts: bool) -> np.ndarray:
    dst = np.arange(o)
    if shortcuts:
        # nearest_idx: equal size copies, double size reads dst >> 1, whatever
        # the scale_factor. Observed in torch 2.13 for 2-D `nearest` only
        # (1-D and 3-D apply the float32 rule: 6 x 1.1 reads [0,0,1,2,3,4]).
        if o == i:
            return dst
        if o == 2 * i:
            return dst >> 1
    # The scale is a double (1/scale_factor, or i/o), the product is a double,
    # and floorf() first rounds it to float32: 18 -> 66 reads 15 at output 55
    # (the double product is 14.999999999999998). Checked against torch 2.13
    # on 600 random sizes; float32 arithmetic throughout or a float64 floor
    # each miss some.
    ratio = 1.0 / scale if (scale is not None and scale > 0) else i / o
    offset = 0.5 if exact else 0.0
    src = np.floor(((dst + offset) * ratio).astype(np.float32))
    return np.minimum(src.astype(np.int64), i - 1)


def _guard(real: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray]:
    """``guard_index_and_lambda``: index through floorf (float32), lambda clamped to [0, 1]."""
    index = np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), i - 1)
    lam = np.clip(real - index, 0.0, 1.0)
    return index, lam


def _linear(i: int, o: int, align_corners: bool, scale: float | None) -> tuple[np.ndarray, np.ndarray]:
    dst = np.arange(o)
    if o == i:
        return dst[:, None], np.ones((o, 1))
    ratio = _scale(i, o, align_corners, scale)
    real = ratio * dst if align_corners else np.maximum(ratio * (dst + 0.5) - 0.5, 0.0)
    i0, lam1 = _guard(real, i)
    i1 = i0 + (i0 < i - 1)
    return np.stack([i0, i1], axis=1), np.stack([1.0 - lam1, lam1], axis=1)


def _cubic_coefficients(t: np.ndarray, a: float = -0.75) -> np.ndarray:
    def near(x: np.ndarray) -> np.ndarray:  # cubic_convolution1, |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: np.ndarray) -> np.ndarray:  # cubic_convolution2, 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)], axis=1)


def _cubic(i: int, o: int, align_corners: bool, scale: float | None) -> tuple[np.ndarray, np.ndarray]:
    dst = np.arange(o)
    ratio = _scale(i, o, align_corners, scale)
    real = ratio * dst if align_corners else ratio * (dst + 0.5) - 0.5  # no clamp at 0 for cubic
    index, lam = _guard(real, i)
    taps = np.clip(index[:, None] - 1 + np.arange(4)[None, :], 0, i - 1)
    return taps, _cubic_coefficients(lam)


def _aa_filter(mode: str, x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    if mode == "bilinear":
        return np.where(x < 1.0, 1.0 - x, 0.0)
    a = -0.5  # PIL's bicubic, as ATen's HelperInterpCubic::aa_filter
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _antialias(i: int, o: int, align_corners: bool, scale: float | None, mode: str) -> tuple[np.ndarray, np.ndarray]:
    interp_size = 2 if mode == "bilinear" else 4
    ratio = _scale(i, o, align_corners, scale)
    support = interp_size * 0.5 * ratio if ratio >= 1.0 else interp_size * 0.5
    max_size = int(np.ceil(support)) * 2 + 1
    invscale = 1.0 / ratio if ratio >= 1.0 else 1.0
    center = ratio * (np.arange(o) + 0.5)
    # static_cast<int64_t> truncates toward zero.
    xmin = np.maximum(np.trunc(center - support + 0.5).astype(np.int64), 0)
    xsize = np.clip(np.minimum(np.trunc(center + support + 0.5).astype(np.int64), i) - xmin, 0, max_size)
    j = np.arange(max_size)[None, :]
    w = _aa_filter(mode, (j + xmin[:, None] - center[:, None] + 0.5) * invscale)
    w = np.where(j < xsize[:, None], w, 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=np.zeros_like(w), where=total != 0)
    return np.minimum(xmin[:, None] + j, i - 1), w


def axis_weights(
    mode: str, i: int, o: int, *, align_corners: bool, scale: float | None, antialias: bool, rank: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Source indices ``(o, taps)`` and weights (None for nearest modes) of one axis."""
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        return _nearest(i, o, scale, exact, shortcuts=not exact and rank == 2)[:, None], None
    if antialias:
        return _antialias(i, o, align_corners, scale, mode)
    if mode == "bicubic":
        return _cubic(i, o, align_corners, scale)
    return _linear(i, o, align_corners, scale)


def prepare_interpolate(
    shape: Sequence[int],
    out: Sequence[int],
    *,
    mode: str,
    scales: Sequence[float | None],
    align_corners: bool = False,
    antialias: bool = False,
) -> Callable[[np.ndarray], np.ndarray]:
    """``interpolate_nd`` for an input of ``shape``, with every axis's source
    indices and weights worked out once (they depend only on sizes)."""
    ndim = len(shape)
    steps: list[tuple[int, list[np.ndarray], list[np.ndarray] | None]] = []
    # The last axis first: its gather is element by element (the costly one),
    # so it runs while the other axes still have their input sizes; the later
    # axes move whole rows. The order only changes rounding (separable weights).
    for a, (o, scale) in reversed(list(enumerate(zip(out, scales)))):
        axis = 2 + a
        i = shape[axis]
        if antialias and o == i:
            continue  # the separable aa kernel skips axes whose size is unchanged
        index, weight = axis_weights(mode, i, o, align_corners=align_corners, scale=scale, antialias=antialias,
                                     rank=len(out))
        if antialias and axis == ndim - 2 and out[-1] == 1:
            # ATen's aa kernel (2.13, CPU) gives every output row row 0's taps when the output is one column
            # wide: F.interpolate((1, 1, 5, 4), size=(3, 1), mode="bilinear", antialias=True) answers row 0
            # three times, while the transposed problem gives three rows. PyTorch is the reference, so its
            # values are reproduced (tests/numeric/test_examples.py; the golden fixtures hold such cases).
            index, weight = np.repeat(index[:1], o, axis=0), np.repeat(weight[:1], o, axis=0)
        wshape = (-1,) + (1,) * (ndim - axis - 1)
        columns = [np.ascontiguousarray(index[:, t]) for t in range(index.shape[1])]
        weights = None if weight is None else [weight[:, t].reshape(wshape).copy() for t in range(index.shape[1])]
        steps.append((axis, columns, weights))

    def interpolate(x: np.ndarray) -> np.ndarray:
        y = x
        for axis, columns, weights in steps:
            if weights is None:
                y = np.take(y, columns[0], axis=axis)
                continue
            acc = np.take(y, columns[0], axis=axis)
            acc *= weights[0]
            for index, weight in zip(columns[1:], weights[1:]):  # a loop over taps (2, 4, or the aa support)
                part = np.take(y, index, axis=axis)
                part *= weight
                acc += part
            y = acc
        return y if y is not x else x.copy()

    return interpolate


def interpolate_nd(
    x: np.ndarray,
    out: Sequence[int],
    *,
    mode: str,
    scales: Sequence[float | None],
    align_corners: bool = False,
    antialias: bool = False,
) -> np.ndarray:
    """``x (N, C, *i)`` -> ``(N, C, *out)``; ``scales`` are PyTorch's per-axis
    ``scale_factor`` as passed to the kernel (None when sizes were given or
    recomputed)."""
    return prepare_interpolate(x.shape, out, mode=mode, scales=scales, align_corners=align_corners,
                               antialias=antialias)(x)
