"""The kernels' alternative paths agree with each other and with torch.

Small inputs take the fast paths (one-argmax max pool, transposed conv as a
conv, one GEMM); the budgets that send large inputs elsewhere are lowered
here so the other paths (tap-loop max pool, per-tap scatter, row blocks) run
on small inputs too. NaN, -inf and ties in max pool follow ATen's scan.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import pytest

import convplan.numeric as cn
from convplan.kernels import conv as _conv
from convplan.kernels import pool as _pool
from convplan.numeric import _functions

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.torch


@pytest.fixture(autouse=True)
def fresh_plans() -> Iterator[None]:
    # Prepared kernels live on cached plans: start and end each test without them.
    _functions._cached_plan.cache_clear()
    yield
    _functions._cached_plan.cache_clear()


def close(a: np.ndarray, b: "torch.Tensor") -> None:
    e = b.numpy()
    np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-12 * max(1.0, float(np.abs(e).max(initial=0))))


def special_input(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Few distinct values (ties), with NaNs and runs of -inf."""
    x = rng.integers(-2, 3, shape).astype(np.float64)
    x[rng.random(shape) < 0.08] = np.nan
    x[rng.random(shape) < 0.3] = -np.inf
    return x


@pytest.mark.parametrize("budget", [None, 0])
@pytest.mark.parametrize("seed", range(25))
def test_max_pool_special_values(seed: int, budget: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if budget is not None:
        monkeypatch.setattr(_pool, "_WINDOW_BUDGET", budget)
    r, rng = random.Random(seed + 4000), np.random.default_rng(seed + 4000)
    rank = r.choice([1, 2, 3])
    k = [r.randint(1, 3) for _ in range(rank)]
    s = [r.randint(1, 3) for _ in range(rank)]
    d = [r.randint(1, 2) for _ in range(rank)]
    p = [r.randint(0, kk // 2) for kk in k]
    size = [r.randint(dd * (kk - 1) + 1, 7) for kk, dd in zip(k, d)]
    ceil = r.random() < 0.5
    x = special_input(rng, (2, 3, *size))
    v, i = getattr(F, f"max_pool{rank}d")(torch.from_numpy(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    ours, idx = cn.max_pool(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
    np.testing.assert_array_equal(idx, i.numpy())
    np.testing.assert_array_equal(ours, v.numpy())  # NaN == NaN here, and -inf exactly


def test_max_pool_all_negative_infinity_window_reports_first_in_bounds() -> None:
    x = np.full((1, 1, 5, 5), -np.inf)
    v, i = F.max_pool2d(torch.from_numpy(x), 3, 2, 1, return_indices=True)
    ours, idx = cn.max_pool(x, 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx, i.numpy())
    np.testing.assert_array_equal(ours, v.numpy())


@pytest.mark.parametrize("seed", range(30))
def test_conv_transpose_scatter_and_conv_paths(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    r, rng = random.Random(seed + 5000), np.random.default_rng(seed + 5000)
    rank = r.choice([1, 2, 3])
    g = r.choice([1, 2])
    cin, cout = g * r.randint(1, 2), g * r.randint(1, 3)
    k = [r.randint(1, 4) for _ in range(rank)]
    s = [r.randint(1, 3) for _ in range(rank)]
    d = [r.randint(1, 2) for _ in range(rank)]
    p = [r.randint(0, 3) for _ in range(rank)]
    op = [r.randint(0, max(a, b) - 1) for a, b in zip(s, d)]
    size = [r.randint(1, 7) for _ in range(rank)]
    if not all((i - 1) * a - 2 * pp + dd * (kk - 1) + o + 1 >= 1 for i, a, pp, dd, kk, o in zip(size, s, p, d, k, op)):
        pytest.skip("empty output")
    x, b = rng.standard_normal((2, cin, *size)), rng.standard_normal(cout)
    w = rng.standard_normal((cin, cout // g, *k))
    t = getattr(F, f"conv_transpose{rank}d")(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b),
                                             s, p, op, g, d)
    args = dict(stride=s, padding=p, output_padding=op, dilation=d, groups=g)
    close(cn.conv_transpose(x, w, b, **args), t)  # small: as a convolution
    _functions._cached_plan.cache_clear()
    monkeypatch.setattr(_conv, "_AS_CONV_BUDGET", 0)
    close(cn.conv_transpose(x, w, b, **args), t)  # the scatter when strided
    _functions._cached_plan.cache_clear()
    monkeypatch.setattr(_conv, "_COLUMN_BUDGET", 1)
    close(cn.conv_transpose(x, w, b, **args), t)  # the scatter one tap GEMM at a time


@pytest.mark.parametrize("seed", range(15))
def test_conv_row_blocks(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_conv, "_COLUMN_BUDGET", 64)
    r, rng = random.Random(seed + 6000), np.random.default_rng(seed + 6000)
    rank = r.choice([1, 2, 3])
    g = r.choice([1, 2])
    cin, cout = g * r.randint(1, 2), g * r.randint(1, 3)
    k = [r.randint(1, 3) for _ in range(rank)]
    s = [r.randint(1, 2) for _ in range(rank)]
    p = [r.randint(0, 2) for _ in range(rank)]
    size = [r.randint(max(1, kk - 2 * pp), 8) for kk, pp in zip(k, p)]
    x, w, b = rng.standard_normal((2, cin, *size)), rng.standard_normal((cout, cin // g, *k)), rng.standard_normal(cout)
    t = getattr(F, f"conv{rank}d")(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), s, p, 1, g)
    close(cn.conv(x, w, b, stride=s, padding=p, groups=g), t)


def test_repeated_calls_reuse_the_plan_and_stay_equal() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 2, 6, 6))
    first = cn.avg_pool(x, [3, 3], (2, 2), 1, count_include_pad=False)
    again = cn.avg_pool(x, (3, 3), [2, 2], 1, count_include_pad=False)  # tuple or list: one plan
    assert _functions._cached_plan.cache_info().hits == 1
    np.testing.assert_array_equal(first, again)
    y = rng.standard_normal((1, 2, 6, 6))  # same shape, new values: the prepared kernel recomputes
    close(cn.avg_pool(y, 3, 2, 1, count_include_pad=False),
          F.avg_pool2d(torch.from_numpy(y), 3, 2, 1, count_include_pad=False))


def test_non_contiguous_and_other_dtypes() -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 3, 9, 9))[:, :, ::2, ::2]
    close(cn.max_pool(x, 2), F.max_pool2d(torch.from_numpy(np.ascontiguousarray(x)), 2))
    xi = rng.integers(-5, 5, (1, 2, 5, 5))
    close(cn.avg_pool(xi, 2), F.avg_pool2d(torch.from_numpy(xi.astype(np.float64)), 2))
    x32 = x.astype(np.float32)
    close(cn.upsample(x32, scale_factor=2, mode="bilinear"),
          F.interpolate(torch.from_numpy(x32.astype(np.float64)), scale_factor=2, mode="bilinear"))
