"""The explain identities, as Hypothesis properties over small random configs:
the equivalent convolution applied to ``padded`` and ``C^T @ x`` (per sample)
both reproduce the transposed convolution's result."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import convplan.numeric as cn


@st.composite
def configs(draw: st.DrawFn) -> dict:
    rank = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    c_in = groups * draw(st.integers(1, 2))
    og = draw(st.integers(1, 2))
    k = [draw(st.integers(1, 3)) for _ in range(rank)]
    s = [draw(st.integers(1, 3)) for _ in range(rank)]
    d = [draw(st.integers(1, 2)) for _ in range(rank)]
    size = [draw(st.integers(1, 4)) for _ in range(rank)]
    pads = [draw(st.integers(0, 3)) for _ in range(rank)]
    op = [draw(st.integers(0, max(a, b) - 1)) for a, b in zip(s, d)]
    outs = [(i - 1) * a - 2 * p + b * (kk - 1) + o + 1 for i, a, p, b, kk, o in zip(size, s, pads, d, k, op)]
    if min(outs) < 1:
        pads = [0] * rank
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((2, c_in, *size)),
        "w": rng.standard_normal((c_in, og, *k)),
        "b": rng.standard_normal(og * groups) if draw(st.booleans()) else None,
        "kw": {"stride": s, "padding": pads, "output_padding": op, "dilation": d, "groups": groups},
    }


@settings(max_examples=120, deadline=None)
@given(configs())
def test_equivalent_conv_and_matrix_reproduce_the_result(cfg: dict) -> None:
    result = cn.explain_conv_transpose(cfg["x"], cfg["w"], cfg["b"], **cfg["kw"])
    y, view = result["output"], result["explain"]
    np.testing.assert_allclose(y, cn.conv_transpose(cfg["x"], cfg["w"], cfg["b"], **cfg["kw"]), rtol=1e-12)
    eq = view["equivalent_conv"]
    direct = cn.conv(view["padded"], eq["weight"], eq["bias"], stride=1, dilation=eq["dilation"], groups=eq["groups"])
    scale = max(1.0, float(np.abs(y).max()))
    np.testing.assert_allclose(direct, y, rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_array_equal(eq["output"], y)
    c = view["conv_matrix"]
    bias = 0 if cfg["b"] is None else np.repeat(cfg["b"], np.prod(y.shape[2:]))
    np.testing.assert_allclose(c.T @ cfg["x"][0].ravel() + bias, y[0].ravel(), rtol=1e-9, atol=1e-12 * scale)
    # zero_inserted keeps the input on a stride grid
    zi = view["zero_inserted"]
    grid = (slice(None), slice(None), *(slice(None, None, s) for s in cfg["kw"]["stride"]))
    np.testing.assert_array_equal(zi[grid], cfg["x"])


@settings(max_examples=60, deadline=None)
@given(configs())
def test_conv_matrix_is_the_forward_convs_matrix(cfg: dict) -> None:
    view = cn.explain_conv_transpose(cfg["x"], cfg["w"], None, **cfg["kw"])["explain"]
    if not view["conv_matrix_is_forward_conv"]:
        return
    kw = cfg["kw"]
    y = view["equivalent_conv"]["output"]
    # The forward conv (weight as given: (C_in as out channels, C_out/g, *k)) maps y back to x's size.
    z = cn.conv(y[:1], cfg["w"], stride=kw["stride"], padding=kw["padding"], dilation=kw["dilation"],
                groups=kw["groups"])
    np.testing.assert_allclose(view["conv_matrix"] @ y[0].ravel(), z[0].ravel(), rtol=1e-9, atol=1e-9)


def test_worked_example() -> None:
    view = cn.explain_conv_transpose(np.array([[[1.0, 2, 3]]]), np.ones((1, 1, 3)), stride=2, padding=1,
                                     output_padding=1)["explain"]
    assert view["zero_inserted"].tolist() == [[[1, 0, 2, 0, 3]]]
    assert view["equivalent_conv"]["padding"] == [[1, 2]]
    assert view["padded"].tolist() == [[[0, 1, 0, 2, 0, 3, 0, 0]]]
    assert view["conv_matrix"].shape == (3, 6)
    assert view["conv_matrix_is_forward_conv"] is True


def test_negative_side_padding_crops() -> None:
    view = cn.explain_conv_transpose(np.array([[[1.0, 2, 3, 4]]]), np.ones((1, 1, 2)), padding=2)["explain"]
    assert view["equivalent_conv"]["padding"] == [[-1, -1]]
    assert view["padded"].tolist() == [[[2, 3]]]
