"""Plan requests for the architectures of planners.md (U-Net, FCN, SegNet, hourglass, FPN) and a helper
that runs them through the library entry point."""

from __future__ import annotations

from typing import Any

from convplan.plan import PlanRequest, run_plan


def plan(body: dict[str, Any]) -> dict[str, Any]:
    return run_plan(PlanRequest.model_validate(body))


def conv(k: Any = 3, p: Any = 0, c: int | None = None, **kw: Any) -> dict[str, Any]:
    out = {"op": "conv", "kernel_size": k, "padding": p, **kw}
    if c is not None:
        out["out_channels"] = c
    return out


def unet(**template: Any) -> dict[str, Any]:
    return {"name": "unet", **template}


#: T5: strided-conv U-Net (Conv k3 s2 p1 down, ConvTranspose k3 s2 p1 up), no convs per level.
STRIDED = unet(depth=3, convs_per_stage=0, out_channels=None,
               down={"op": "conv", "kernel_size": 3, "stride": 2, "padding": 1},
               up={"op": "conv_transpose", "kernel_size": 3, "stride": 2, "padding": 1})


def segnet(sizes: list[int], depth: int = 5) -> dict[str, Any]:
    """SegNet: conv + Caffe (ceil) 2x2 pool per level; the decoder unpools with each pool's indices."""
    pool = {"op": "max_pool", "kernel_size": 2, "stride": 2, "ceil_mode": True}
    encoder = [{"layers": [conv(3, 1, 8), {"op": "relu"}, pool]} for _ in range(depth)]
    decoder = [{"up": [{"op": "max_unpool", "kernel_size": 2, "indices_from": depth - 1 - t}],
                "layers": [conv(3, 1, 8)]} for t in range(depth)]
    return {"input_size": sizes, "in_channels": 3, "encoder": encoder, "decoder": decoder}


def hourglass(n: int, align: str = "crop") -> dict[str, Any]:
    """Stacked hourglass (princeton-vl): 7x7/2 stem + pool (/4), then depth 4 of pool / nearest x2 + add."""
    stem = [conv(7, 3, 8, stride=2), {"op": "relu"}, {"op": "max_pool", "kernel_size": 2}]
    encoder = [{"layers": stem}] + [{"layers": [{"op": "max_pool", "kernel_size": 2}, conv(3, 1, 8)]}
                                    for _ in range(4)]
    decoder = [{"up": [{"op": "upsample", "scale_factor": 2, "mode": "nearest"}], "skip": 3 - t, "merge": "add",
                "layers": [conv(3, 1, 8)]} for t in range(4)]
    return {"input_size": [n, n], "in_channels": 3, "encoder": encoder, "decoder": decoder, "align": align}


def fpn(n: int, align: str = "none") -> dict[str, Any]:
    """FPN top-down path on a ResNet-style backbone (7x7/2, pool 3/2, then 3x3/2 per level): nearest x2 of
    the coarser map + a 1x1 lateral of the finer one, summed (detectron2's fpn.py)."""
    stem = [conv(7, 3, 64, stride=2), {"op": "max_pool", "kernel_size": 3, "stride": 2, "padding": 1}]
    down = [conv(3, 1, 64, stride=2)]
    encoder = [{"layers": stem}, {"layers": down}, {"layers": down},
               {"layers": [*down, conv(1, 0, 32)]}]  # the last 1x1 is P5's lateral
    decoder = [{"up": [{"op": "upsample", "scale_factor": 2}], "skip": 2 - t, "skip_layers": [conv(1, 0, 32)],
                "merge": "add"} for t in range(3)]
    return {"input_size": [n], "in_channels": 3, "encoder": encoder, "decoder": decoder, "align": align}
