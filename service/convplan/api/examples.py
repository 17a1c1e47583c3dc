"""Request examples for the OpenAPI document: what Swagger UI's "Try it out" sends.

Every example here answers 200 when sent (tests/api/test_openapi.py sends
each one). ``openapi_examples`` is the media type's ``examples`` map.
"""

from __future__ import annotations

from typing import Any

__all__ = ["COMPUTE_EXAMPLES", "PLAN_EXAMPLES", "SHAPES_EXAMPLES", "openapi_examples"]

_GRID_4X4 = [[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]]

#: One example per compute op, keyed by the op (the path's ``{op}``).
COMPUTE_EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "conv": (
        "1-D, a difference kernel: (1, 1, 5) -> (1, 1, 3)",
        {"input": [[[1, 2, 4, 7, 11]]], "weight": [[[1, 0, -1]]]},
    ),
    "conv_transpose": (
        "2x2 input, 3x3 kernel of ones, stride 2, with the zero-inserted view and conv matrix",
        {"input": [[[[1, 2], [3, 4]]]], "weight": [[[[1, 1, 1], [1, 1, 1], [1, 1, 1]]]], "stride": 2, "explain": True},
    ),
    "max_pool": ("2x2 windows of a 4x4 grid, with the indices of the maxima", {"input": _GRID_4X4, "kernel_size": 2}),
    "avg_pool": ("2x2 windows of a 4x4 grid", {"input": _GRID_4X4, "kernel_size": 2}),
    "lp_pool": ("2-norms of 2x2 windows of a 4x4 grid", {"input": _GRID_4X4, "norm_type": 2, "kernel_size": 2}),
    "adaptive_avg_pool": ("5 samples to 2 (overlapping windows)", {"input": [[[1, 2, 3, 4, 5]]], "output_size": 2}),
    "adaptive_max_pool": ("5 samples to 2 (overlapping windows)", {"input": [[[1, 5, 2, 4, 3]]], "output_size": 2}),
    "max_unpool": (
        "the maxima of a 2x2 max_pool of the 4x4 grid, back in place",
        {"input": [[[[6, 8], [14, 16]]]], "indices": [[[[5, 7], [13, 15]]]], "kernel_size": 2},
    ),
    "upsample": ("2x2 to 4x4, bilinear", {"input": [[[[1, 2], [3, 4]]]], "scale_factor": 2, "mode": "bilinear"}),
    "pixel_shuffle": (
        "4 channels of 1x1 to 1 channel of 2x2",
        {"input": [[[[1]], [[2]], [[3]], [[4]]]], "upscale_factor": 2},
    ),
    "pixel_unshuffle": (
        "1 channel of 2x2 to 4 channels of 1x1",
        {"input": [[[[1, 2], [3, 4]]]], "downscale_factor": 2},
    ),
}

SHAPES_EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "unet_first_level": (
        "U-Net's first level: two valid 3x3 convs and a 2x2 pool on 572x572",
        {
            "input_size": [572, 572],
            "in_channels": 1,
            "layers": [
                {"op": "conv", "kernel_size": 3, "out_channels": 64},
                {"op": "conv", "kernel_size": 3, "out_channels": 64},
                {"op": "max_pool", "kernel_size": 2},
            ],
        },
    ),
    "symbolic": (
        "A symbolic input size: a strided conv on 16*n",
        {"input_size": ["16*n"], "layers": [{"op": "conv", "kernel_size": 3, "stride": 2, "padding": 1}]},
    ),
}

PLAN_EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "unet_template": (
        "The U-Net paper's network (valid convs, depth 4) at 572x572",
        {"input_size": [572, 572], "in_channels": 1, "template": {"name": "unet", "depth": 4, "out_channels": 2}},
    ),
}


def openapi_examples(examples: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """An OpenAPI ``examples`` map (name -> ``{summary, value}``)."""
    return {name: {"summary": summary, "value": value} for name, (summary, value) in examples.items()}
