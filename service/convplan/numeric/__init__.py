"""The NumPy numeric core: one function per compute op, as ``torch.nn.functional``.

Float64 arrays in and out, batched ``(N, C, *spatial)`` or unbatched
``(C, *spatial)`` when the spatial rank is known. Result sizes come from the
shape engine, values agree with PyTorch's float64 results (relative 1e-9),
including where PyTorch is not plain float64 (the float32 source index of
``nearest`` interpolation).
"""

from __future__ import annotations

from convplan.numeric._functions import (
    adaptive_avg_pool,
    adaptive_max_pool,
    avg_pool,
    conv,
    conv_transpose,
    explain_conv_transpose,
    max_pool,
    max_unpool,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
)

__all__ = [
    "adaptive_avg_pool",
    "adaptive_max_pool",
    "avg_pool",
    "conv",
    "conv_transpose",
    "explain_conv_transpose",
    "max_pool",
    "max_unpool",
    "pixel_shuffle",
    "pixel_unshuffle",
    "upsample",
]
