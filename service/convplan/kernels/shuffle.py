"""Pixel shuffle / unshuffle (``torch.nn.PixelShuffle`` / ``PixelUnshuffle``).

2-D: ``out[c, h*r + i, w*r + j] = in[c*r^2 + i*r + j, h, w]`` (ATen's
``pixel_shuffle``: a reshape to ``(C, r, r, H, W)`` and a permute to
``(C, H, r, W, r)``). 1-D and 3-D are the contract's extension: the same
rule with ``r^rank`` sub-channels, one factor per spatial axis.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pixel_shuffle_nd", "pixel_unshuffle_nd"]


def pixel_shuffle_nd(x: np.ndarray, r: int) -> np.ndarray:
    n, c = x.shape[:2]
    size = x.shape[2:]
    rank = len(size)
    y = x.reshape(n, c // r**rank, *([r] * rank), *size)
    # (N, C, r_0..r_k, S_0..S_k) -> (N, C, S_0, r_0, S_1, r_1, ...)
    order = [0, 1] + [axis for a in range(rank) for axis in (2 + rank + a, 2 + a)]
    return np.ascontiguousarray(y.transpose(order)).reshape(n, c // r**rank, *(s * r for s in size))


def pixel_unshuffle_nd(x: np.ndarray, r: int) -> np.ndarray:
    n, c = x.shape[:2]
    size = x.shape[2:]
    rank = len(size)
    split = [v for s in size for v in (s // r, r)]
    y = x.reshape(n, c, *split)
    # (N, C, S_0, r_0, S_1, r_1, ...) -> (N, C, r_0..r_k, S_0..S_k)
    order = [0, 1] + [2 + 2 * a + 1 for a in range(rank)] + [2 + 2 * a for a in range(rank)]
    return np.ascontiguousarray(y.transpose(order)).reshape(n, c * r**rank, *(s // r for s in size))
