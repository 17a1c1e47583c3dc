"""Graph bodies of real network shapes, written as the papers and libraries build them (for the tests)."""

from __future__ import annotations

from typing import Any

Node = dict[str, Any]


def body(size: list[Any], nodes: list[Node], channels: Any = None, **extra: Any) -> dict[str, Any]:
    return {"inputs": [{"name": "x", "size": size, "channels": channels}], "nodes": nodes, **extra}


def unet(depth: int, *, padded: bool, convs: int = 2, base: int = 8) -> list[Node]:
    """Ronneberger et al.'s U-Net: per level `convs` 3x3 convs (padding 1 if `padded`), 2x2 max-pools, 2x2
    up-convs, concatenated skips."""
    pad = 1 if padded else 0
    nodes: list[Node] = []
    prev, ch = "x", base
    skips = []
    for level in range(depth + 1):
        for k in range(convs):
            nid = f"enc{level}.conv{k}"
            nodes.append({"id": nid, "op": "conv", "inputs": [prev], "kernel_size": 3, "padding": pad,
                          "out_channels": ch})
            prev = nid
        if level < depth:
            skips.append((prev, ch))
            nodes.append({"id": f"enc{level}.pool", "op": "max_pool", "inputs": [prev], "kernel_size": 2})
            prev = f"enc{level}.pool"
            ch *= 2
    for level in reversed(range(depth)):
        skip, ch = skips[level]
        nodes.append({"id": f"dec{level}.up", "op": "conv_transpose", "inputs": [prev], "kernel_size": 2,
                      "stride": 2, "out_channels": ch})
        nodes.append({"id": f"dec{level}.cat", "op": "concat", "inputs": [skip, f"dec{level}.up"]})
        prev = f"dec{level}.cat"
        for k in range(convs):
            nid = f"dec{level}.conv{k}"
            nodes.append({"id": nid, "op": "conv", "inputs": [prev], "kernel_size": 3, "padding": pad,
                          "out_channels": ch})
            prev = nid
    return nodes


def resnet_fpn() -> list[Node]:
    """A ResNet stem and four stages (3x3 stride-2 convs, 1x1 stride-2 shortcuts), an FPN top-down path with
    nearest x2 upsampling and adds, and a x4 head (as torchvision's FPN segmentation heads)."""
    nodes: list[Node] = [
        {"id": "stem", "op": "conv", "inputs": ["x"], "kernel_size": 7, "stride": 2, "padding": 3},
        {"id": "pool", "op": "max_pool", "inputs": ["stem"], "kernel_size": 3, "stride": 2, "padding": 1},
    ]
    prev = "pool"
    levels = []
    for s in range(4):
        stride = 1 if s == 0 else 2
        nodes += [
            {"id": f"c{s + 2}.conv1", "op": "conv", "inputs": [prev], "kernel_size": 3, "stride": stride, "padding": 1},
            {"id": f"c{s + 2}.relu", "op": "relu", "inputs": [f"c{s + 2}.conv1"]},
            {"id": f"c{s + 2}.conv2", "op": "conv", "inputs": [f"c{s + 2}.relu"], "kernel_size": 3, "padding": 1},
            {"id": f"c{s + 2}.down", "op": "conv", "inputs": [prev], "kernel_size": 1, "stride": stride},
            {"id": f"c{s + 2}.add", "op": "add", "inputs": [f"c{s + 2}.conv2", f"c{s + 2}.down"]},
        ]
        prev = f"c{s + 2}.add"
        levels.append(prev)
    top = "p5"
    nodes.append({"id": "p5", "op": "conv", "inputs": [levels[3]], "kernel_size": 1})
    for s in (2, 1, 0):
        nodes += [
            {"id": f"p{s + 2}.lateral", "op": "conv", "inputs": [levels[s]], "kernel_size": 1},
            {"id": f"p{s + 2}.up", "op": "upsample", "inputs": [top], "scale_factor": 2, "mode": "nearest"},
            {"id": f"p{s + 2}", "op": "add", "inputs": [f"p{s + 2}.lateral", f"p{s + 2}.up"]},
        ]
        top = f"p{s + 2}"
    nodes.append({"id": "head", "op": "upsample", "inputs": [top], "scale_factor": 4, "mode": "linear"})
    return nodes


def basic_unet(depth: int = 4) -> list[Node]:
    """MONAI's BasicUNet shape: two 3x3 p1 convs per level, 2x2 max-pools, k2 s2 up-convs, and the
    replicate pad by one row at the end where the up-conv's output is smaller than the skip (UpCat)."""
    nodes: list[Node] = []
    prev = "x"
    skips = []
    for level in range(depth + 1):
        if level:
            nodes.append({"id": f"down{level}.pool", "op": "max_pool", "inputs": [prev], "kernel_size": 2})
            prev = f"down{level}.pool"
        for k in range(2):
            nid = f"down{level}.conv{k}"
            nodes.append({"id": nid, "op": "conv", "inputs": [prev], "kernel_size": 3, "padding": 1})
            prev = nid
        skips.append(prev)
    for level in reversed(range(depth)):
        nodes += [
            {"id": f"up{level}.deconv", "op": "conv_transpose", "inputs": [prev], "kernel_size": 2, "stride": 2},
            {"id": f"up{level}.pad", "op": "pad", "inputs": [f"up{level}.deconv"], "size_of": skips[level],
             "anchor": "start", "mode": "replicate"},
            {"id": f"up{level}.cat", "op": "concat", "inputs": [skips[level], f"up{level}.pad"]},
            {"id": f"up{level}.conv", "op": "conv", "inputs": [f"up{level}.cat"], "kernel_size": 3, "padding": 1},
        ]
        prev = f"up{level}.conv"
    return nodes
