"""The explain view of a transposed convolution (contract section 4).

A transposed convolution is (1) the input with ``s - 1`` zeros inserted
between neighbours, (2) padded per side by ``d*(k-1) - p_before`` and
``d*(k-1) - p_after + output_padding`` (negative = cropped), (3) convolved
with stride 1 by the kernel flipped in every spatial axis, with in/out
channels swapped per group (the docs of ``torch.nn.ConvTranspose2d``). It is
also ``y = C^T x`` with ``C`` the matrix of the forward convolution with the
same parameters, whenever that convolution maps the output size back to the
input size.
"""

from __future__ import annotations

from itertools import product
from math import prod
from typing import Any

import numpy as np

from convplan.kernels.conv import pad_nd
from convplan.numeric._plan import Plan

__all__ = ["conv_matrix", "equivalent_weight", "explain_sizes", "explain_view", "side_padding"]


def _geometry(plan: Plan) -> tuple[list[int], list[int], list[int], list[tuple[int, int]], list[int], int]:
    r = plan.shape.resolved
    k = [int(v) for v in r["kernel_size"]]
    s = [int(v) for v in r["stride"]]
    d = [int(v) for v in r["dilation"]]
    pads = [(int(a), int(b)) for a, b in plan.shape.padding]
    op = [int(v) for v in r["output_padding"]]
    return k, s, d, pads, op, int(r["groups"])


def side_padding(plan: Plan) -> list[tuple[int, int]]:
    """Per side ``d*(k-1) - p_before`` and ``d*(k-1) - p_after + output_padding``."""
    k, _, d, pads, op, _ = _geometry(plan)
    return [(dd * (kk - 1) - pl, dd * (kk - 1) - pr + o) for kk, dd, (pl, pr), o in zip(k, d, pads, op)]


def _spatial_in(plan: Plan) -> list[int]:
    return list(plan.input_shape[-plan.rank :])


def explain_sizes(plan: Plan, weight_shape: tuple[int, ...], with_bias: bool) -> dict[str, int]:
    """Elements of each explain array, known before anything is allocated."""
    _, s, _, _, _, _ = _geometry(plan)
    lead = prod(plan.input_shape[: len(plan.input_shape) - plan.rank])  # (N,) C_in
    inserted = [(i - 1) * st + 1 for i, st in zip(_spatial_in(plan), s)]
    padded = [n + a + b for n, (a, b) in zip(inserted, side_padding(plan))]
    c_in = plan.input_shape[-plan.rank - 1]
    c_out = plan.output_shape[-plan.rank - 1]
    return {
        "zero_inserted": lead * prod(inserted),
        "padded": lead * prod(padded),
        "equivalent_conv": prod(weight_shape) + (c_out if with_bias else 0) + plan.output_elements,
        "conv_matrix": c_in * prod(_spatial_in(plan)) * c_out * prod(int(v) for v in plan.shape.output_size),
    }


def equivalent_weight(weight: np.ndarray, groups: int) -> np.ndarray:
    """``(C_in, C_out/g, *k)`` -> ``(C_out, C_in/g, *k)``, flipped in every spatial axis."""
    c_in, og = weight.shape[:2]
    kernel = weight.shape[2:]
    cg = c_in // groups
    w = weight.reshape(groups, cg, og, *kernel).swapaxes(1, 2).reshape(groups * og, cg, *kernel)
    return np.ascontiguousarray(np.flip(w, axis=tuple(range(2, w.ndim))))


def conv_matrix(plan: Plan, weight: np.ndarray) -> np.ndarray:
    """``C`` of shape ``(C_in * prod(i), C_out * prod(o))`` with ``y = C^T x`` (one sample, no bias).

    Entry ``[(ci, m), (co, n)]`` is ``w[ci, co, t]`` where ``n = m*s - p_before + t*d``
    on every axis (the scatter form); one tap per pair, so plain assignment.
    """
    k, s, d, pads, _, groups = _geometry(plan)
    size_in = _spatial_in(plan)
    size_out = [int(v) for v in plan.shape.output_size]
    c_in, og = weight.shape[:2]
    cg = c_in // groups
    p_in, p_out = prod(size_in), prod(size_out)
    matrix = np.zeros((c_in * p_in, og * groups * p_out))
    for tap in product(*(range(v) for v in k)):
        rows, cols = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
        for a in range(plan.rank):
            m = np.arange(size_in[a])
            n = m * s[a] - pads[a][0] + tap[a] * d[a]
            ok = (n >= 0) & (n < size_out[a])
            rows = (rows[:, None] * size_in[a] + m[ok][None, :]).ravel()
            cols = (cols[:, None] * size_out[a] + n[ok][None, :]).ravel()
        if rows.size == 0:
            continue
        for g in range(groups):
            ci = np.arange(g * cg, (g + 1) * cg)
            co = np.arange(g * og, (g + 1) * og)
            r = ci[:, None, None] * p_in + rows[None, None, :]
            c = co[None, :, None] * p_out + cols[None, None, :]
            matrix[r, c] = weight[(slice(g * cg, (g + 1) * cg), slice(None), *tap)][:, :, None]
    return matrix


def is_forward_conv(plan: Plan) -> bool:
    """Whether the forward conv with the same parameters maps the output size back to the input size."""
    k, s, d, pads, _, _ = _geometry(plan)
    return all(
        (o + pl + pr - dd * (kk - 1) - 1) // st + 1 == i
        for o, i, kk, st, dd, (pl, pr) in zip(
            (int(v) for v in plan.shape.output_size), _spatial_in(plan), k, s, d, pads
        )
    )


def explain_view(
    plan: Plan, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, output: np.ndarray,
    *, matrix: bool, omitted: str | None = None,
) -> dict[str, Any]:
    """Arrays in the input's layout; ``x`` and ``output`` as given (batched or not)."""
    _, s, d, _, _, groups = _geometry(plan)
    bx = x if plan.batched else x[None]
    inserted_size = [(i - 1) * st + 1 for i, st in zip(bx.shape[2:], s)]
    inserted = np.zeros((*bx.shape[:2], *inserted_size))
    inserted[(slice(None), slice(None), *(slice(None, None, st) for st in s))] = bx
    sides = side_padding(plan)
    padded = pad_nd(inserted, sides)
    unbatch = (lambda a: a) if plan.batched else (lambda a: a[0])
    view: dict[str, Any] = {
        "zero_inserted": unbatch(inserted),
        "padded": unbatch(padded),
        "equivalent_conv": {
            "weight": equivalent_weight(weight, groups),
            "bias": bias,
            "stride": 1,
            "padding": [list(p) for p in sides],
            "dilation": d,
            "groups": groups,
            "output": output,
        },
        "conv_matrix": conv_matrix(plan, weight) if matrix else None,
        "conv_matrix_is_forward_conv": is_forward_conv(plan),
    }
    if not matrix:
        view["conv_matrix_omitted"] = omitted or "omitted"
    return view
