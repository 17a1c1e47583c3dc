"""Random cases not in the fixtures, against an installed torch."""

from __future__ import annotations

import random

import numpy as np
import pytest

import convplan.numeric as cn

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.torch


def close(a: np.ndarray, b: torch.Tensor) -> None:
    e = b.numpy()
    np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-12 * max(1.0, float(np.abs(e).max(initial=0))))


@pytest.mark.parametrize("seed", range(40))
def test_conv_and_transpose(seed: int) -> None:
    r, rng = random.Random(seed + 1000), np.random.default_rng(seed + 1000)
    rank = r.choice([1, 2, 3])
    g = r.choice([1, 2])
    cin, cout = g * r.randint(1, 2), g * r.randint(1, 3)
    k = [r.randint(1, 3) for _ in range(rank)]
    s = [r.randint(1, 3) for _ in range(rank)]
    d = [r.randint(1, 2) for _ in range(rank)]
    p = [r.randint(0, 2) for _ in range(rank)]
    size = [r.randint(max(1, dd * (kk - 1) + 1 - 2 * pp), 8) for kk, dd, pp in zip(k, d, p)]
    x = rng.standard_normal((2, cin, *size))
    w, b = rng.standard_normal((cout, cin // g, *k)), rng.standard_normal(cout)
    t = getattr(F, f"conv{rank}d")(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), s, p, d, g)
    close(cn.conv(x, w, b, stride=s, padding=p, dilation=d, groups=g), t)
    wt = rng.standard_normal((cin, cout // g, *k))
    op = [r.randint(0, max(a, bb) - 1) for a, bb in zip(s, d)]
    if all((i - 1) * a - 2 * pp + dd * (kk - 1) + o + 1 >= 1 for i, a, pp, dd, kk, o in zip(size, s, p, d, k, op)):
        t = getattr(F, f"conv_transpose{rank}d")(torch.from_numpy(x), torch.from_numpy(wt), torch.from_numpy(b),
                                                 s, p, op, g, d)
        close(cn.conv_transpose(x, wt, b, stride=s, padding=p, output_padding=op, dilation=d, groups=g), t)


@pytest.mark.parametrize("seed", range(60))
def test_interpolate(seed: int) -> None:
    r, rng = random.Random(seed + 2000), np.random.default_rng(seed + 2000)
    rank = r.choice([1, 2, 3])
    mode = r.choice({1: ["nearest", "nearest-exact", "linear"], 2: ["nearest", "nearest-exact", "bilinear", "bicubic"],
                     3: ["nearest", "nearest-exact", "trilinear"]}[rank])
    size = [r.randint(1, 40 if rank == 1 else 9) for _ in range(rank)]
    out = [r.randint(1, 90 if rank == 1 else 15) for _ in range(rank)]
    x = rng.standard_normal((1, 2, *size))
    ac = None if mode.startswith("nearest") else r.choice([None, True, False])
    aa = mode in ("bilinear", "bicubic") and r.random() < 0.3
    t = F.interpolate(torch.from_numpy(x), size=out, mode=mode, align_corners=ac, antialias=aa)
    close(cn.upsample(x, out, mode=mode, align_corners=ac, antialias=aa), t)


@pytest.mark.parametrize("seed", range(30))
def test_pools(seed: int) -> None:
    r, rng = random.Random(seed + 3000), np.random.default_rng(seed + 3000)
    rank = r.choice([1, 2, 3])
    k = [r.randint(1, 3) for _ in range(rank)]
    s = [r.randint(1, 2) for _ in range(rank)]
    p = [r.randint(0, kk // 2) for kk in k]
    size = [r.randint(k_, 9) for k_ in k]
    ceil = r.random() < 0.5
    x = rng.integers(-2, 3, (2, 3, *size)).astype(np.float64)
    v, i = getattr(F, f"max_pool{rank}d")(torch.from_numpy(x), k, s, p, ceil_mode=ceil, return_indices=True)
    ours, idx = cn.max_pool(x, k, s, p, ceil_mode=ceil, return_indices=True)
    close(ours, v)
    np.testing.assert_array_equal(idx, i.numpy())
    close(cn.avg_pool(x, k, s, p, ceil_mode=ceil, count_include_pad=False),
          getattr(F, f"avg_pool{rank}d")(torch.from_numpy(x), k, s, p, ceil, False))
