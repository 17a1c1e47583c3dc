"""``compare_upsamplers`` against an installed torch, on random cases not in the fixtures."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from convplan.compare import CompareUpsamplersRequest, compare_upsamplers
from convplan.settings import Settings

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.torch

LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


def close(actual: np.ndarray, expected: torch.Tensor) -> None:
    e = expected.numpy()
    assert actual.shape == e.shape
    np.testing.assert_allclose(actual, e, rtol=1e-9, atol=1e-12 * float(np.abs(e).max(initial=0)))


def fcn_weight(channels: int, f: int, rank: int) -> torch.Tensor:
    """FCN's surgery.get_upsampling_weight, on 1 to 3 axes."""
    size = 2 * f - f % 2
    factor = (size + 1) // 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    line = 1 - torch.abs(torch.arange(size, dtype=torch.float64) - center) / factor
    filt = line
    for _ in range(rank - 1):
        filt = torch.tensordot(filt, line, dims=0)
    weight = torch.zeros((channels, channels, *([size] * rank)), dtype=torch.float64)
    for c in range(channels):
        weight[c, c] = filt
    return weight


@pytest.mark.parametrize("seed", range(12))
def test_every_method_equals_torch(seed: int) -> None:
    r, rng = random.Random(seed + 7000), np.random.default_rng(seed + 7000)
    rank = r.choice([1, 2, 3])
    f = r.randint(1, 4)
    size = [r.randint(1, 4) for _ in range(rank)]
    x = rng.standard_normal((r.randint(1, 2), r.randint(1, 3), *size))
    pooled = rng.standard_normal((*x.shape[:2], *(f * i + r.randint(0, f - 1) for i in size)))
    body = {"input": x.tolist(), "scale_factor": f, "pooled_from": pooled.tolist()}
    got = compare_upsamplers(CompareUpsamplersRequest.model_validate(body), Settings.model_construct()).as_dict()
    t = torch.from_numpy(x)
    m = got["methods"]
    close(m["nearest"]["output"], F.interpolate(t, scale_factor=f, mode="nearest"))
    close(m["bilinear"]["output"], F.interpolate(t, scale_factor=f, mode=LINEAR[rank], align_corners=False))
    close(m["bilinear_align_corners"]["output"], F.interpolate(t, scale_factor=f, mode=LINEAR[rank],
                                                               align_corners=True))
    if rank == 2:
        close(m["bicubic"]["output"], F.interpolate(t, scale_factor=f, mode="bicubic", align_corners=False))
    k = 2 * f - f % 2
    p = math.ceil((k - f) / 2)
    convt = getattr(F, f"conv_transpose{rank}d")
    close(m["conv_transpose"]["output"], convt(t, fcn_weight(x.shape[1], f, rank), stride=f, padding=p,
                                               output_padding=2 * p - (k - f)))
    _, idx = getattr(F, f"max_pool{rank}d")(torch.from_numpy(pooled), f, return_indices=True)
    unpooled = getattr(F, f"max_unpool{rank}d")(t, idx, f, output_size=list(pooled.shape[2:]))
    close(m["max_unpool"]["output"], unpooled[(slice(None), slice(None), *(slice(0, f * i) for i in size))])


@pytest.mark.parametrize("f", [2, 3, 4])
def test_fcn_init_equals_interpolate_inside_and_differs_at_the_border(f: int) -> None:
    """Contract section 10, in torch itself: FCN's bilinear-initialised ConvTranspose2d equals
    F.interpolate(mode="bilinear", align_corners=False) except the first and last floor(f/2) rows and
    columns, where its taps reach the zero padding (interpolate repeats the edge pixel instead)."""
    x = torch.rand((1, 2, 5, 4), dtype=torch.float64) + 0.5
    k = 2 * f - f % 2
    p = math.ceil((k - f) / 2)
    convt = F.conv_transpose2d(x, fcn_weight(2, f, 2), stride=f, padding=p, output_padding=2 * p - (k - f))
    bilinear = F.interpolate(x, scale_factor=f, mode="bilinear", align_corners=False)
    m = f // 2
    inside = (slice(None), slice(None), slice(m, 5 * f - m), slice(m, 4 * f - m))
    torch.testing.assert_close(convt[inside], bilinear[inside], rtol=1e-12, atol=0)
    border = torch.ones_like(convt, dtype=torch.bool)
    border[inside] = False
    assert not torch.isclose(convt, bilinear, rtol=1e-12, atol=0)[border].any()
