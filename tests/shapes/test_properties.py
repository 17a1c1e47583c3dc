"""Hypothesis properties of the size rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.shapes.conftest import sizes


@settings(max_examples=300, deadline=None)
@given(i=st.integers(1, 200), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3))
def test_conv_then_conv_transpose_with_remainder_restores_the_size(i, k, s, p, d):
    span = i + 2 * p - d * (k - 1) - 1
    if span < 0:
        return
    r = span % s
    if not (r < s or r < d):
        return
    conv = {"op": "conv", "kernel_size": k, "stride": s, "padding": p, "dilation": d}
    up = {"op": "conv_transpose", "kernel_size": k, "stride": s, "padding": p, "dilation": d, "output_padding": r}
    if (span // s) * s - 2 * p + d * (k - 1) + r + 1 < 1:
        return
    assert sizes([i], conv, up) == [i]


@settings(max_examples=300, deadline=None)
@given(i=st.integers(1, 300), k=st.integers(1, 6), s=st.integers(1, 4), ceil=st.booleans(), data=st.data())
def test_pool_ceil_never_more_than_one_above_floor(i, k, s, ceil, data):
    p = data.draw(st.integers(0, k // 2))
    if i + 2 * p < k:
        return
    floor_size = sizes([i], {"op": "max_pool", "kernel_size": k, "stride": s, "padding": p})[0]
    if ceil:
        ceil_size = sizes([i], {"op": "max_pool", "kernel_size": k, "stride": s, "padding": p, "ceil_mode": True})[0]
        assert floor_size <= ceil_size <= floor_size + 1
        # The last window starts inside the input or the left padding (PyTorch's rule).
        assert (ceil_size - 1) * s < i + p


@settings(max_examples=200, deadline=None)
@given(i=st.integers(1, 100), k=st.integers(1, 7), s=st.integers(1, 4))
def test_same_upper_gives_ceil_i_over_s(i, k, s):
    assert sizes([i], {"op": "conv", "kernel_size": k, "stride": s, "padding": "same_upper"}) == [-(-i // s)]
    assert sizes([i], {"op": "max_pool", "kernel_size": k, "stride": s, "padding": "same_lower"}) == [-(-i // s)]
