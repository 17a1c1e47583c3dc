"""Template expansion: `unet` and `fcn` to the explicit form (shown as `expanded`).

The expansion is plain JSON (what a client could have sent); the planner then
validates it exactly as an explicit request, so a template adds no rules.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from convplan.plan.models import FcnTemplate, UnetTemplate

__all__ = ["expand_template"]

Json = dict[str, Any]


def expand_template(template: UnetTemplate | FcnTemplate) -> Json:
    """`{"encoder": [...], "decoder": [...], "head": [...]}` for a template."""
    if isinstance(template, UnetTemplate):
        return _unet(template)
    return _fcn(template)


def _as_json(layer: Any) -> Json:
    if isinstance(layer, BaseModel):
        return layer.model_dump(mode="json", exclude_unset=True)
    return dict(layer)


def _per_level(value: Any, depth: int, what: str) -> list[Json]:
    if isinstance(value, list):
        if len(value) != depth:
            from convplan.errors import ErrorItem, InvalidRequest

            msg = f"{what} lists {len(value)} layers but depth is {depth}"
            raise InvalidRequest(msg, [ErrorItem(("template", what), msg, "value_error.template")])
        return [_as_json(v) for v in value]
    return [_as_json(value)] * depth


def _convs(t: UnetTemplate, channels: int) -> list[Json]:
    # kernel_size and padding always shown (the template's defaults, 3 and 0, are not PyTorch's).
    spec = {"kernel_size": t.conv.kernel_size, "padding": t.conv.padding,
            **t.conv.model_dump(mode="json", exclude_defaults=True)}
    out: list[Json] = []
    for _ in range(t.convs_per_stage):
        out.append({"op": "conv", **spec, "out_channels": channels})
        if t.batch_norm:
            out.append({"op": "batch_norm"})
        if t.relu:
            out.append({"op": "relu"})
    return out


def _unet(t: UnetTemplate) -> Json:
    """Level j has base * multiplier**j channels; encoder stage j ends at level j (skip source j), stage
    `depth` is the bottleneck; decoder stage t climbs back to level depth-1-t (U-Net paper, Fig. 1)."""
    channels = [t.base_channels * t.channel_multiplier**j for j in range(t.depth + 1)]
    downs = _per_level(t.down, t.depth, "down")
    ups = _per_level(t.up, t.depth, "up")
    encoder = [{"layers": _convs(t, channels[0])}]
    for j in range(1, t.depth + 1):
        down = dict(downs[j - 1])
        if down.get("op") == "conv" and "out_channels" not in down:
            down["out_channels"] = channels[j - 1]  # a strided conv keeps the level's channels
        encoder.append({"layers": [down, *_convs(t, channels[j])]})
    decoder = []
    for step in range(t.depth):
        level = t.depth - 1 - step
        up = dict(ups[level])
        if up.get("op") == "conv_transpose" and "out_channels" not in up:
            up["out_channels"] = channels[level]  # the paper's up-conv halves the channels
        decoder.append({"up": [up], "skip": level, "skip_layers": [], "merge": t.merge,
                        "layers": _convs(t, channels[level])})
    head = [] if t.out_channels is None else [{"op": "conv", "kernel_size": 1, "out_channels": t.out_channels}]
    return {"encoder": encoder, "decoder": decoder, "head": head}


# VGG16 blocks: (convs, channels); voc-fcn*s/net.py of shelhamer/fcn.berkeleyvision.org.
_VGG16 = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))


def _fcn(t: FcnTemplate) -> Json:
    """Encoder stage 0 is empty (skip source 0 = the input, for the final crop); stage b (1..5) is VGG block b
    ending in its pool (stage 3 = pool3, stage 4 = pool4); stage 5 goes on with fc6 (7x7), fc7 and score_fr."""
    encoder: list[Json] = [{"layers": []}]
    for block, (convs, channels) in enumerate(_VGG16, start=1):
        layers: list[Json] = []
        for c in range(convs):
            # conv1_1 pads by 100 so the output can be cropped back onto any input (FCN README).
            pad = 100 if block == 1 and c == 0 else 1
            layers += [{"op": "conv", "kernel_size": 3, "padding": pad, "out_channels": channels}, {"op": "relu"}]
        # Caffe's pooling rounds up (pooling_layer.cpp): ceil_mode.
        layers.append({"op": "max_pool", "kernel_size": 2, "stride": 2, "ceil_mode": True})
        encoder.append({"layers": layers})
    encoder[5]["layers"] += [
        {"op": "conv", "kernel_size": 7, "out_channels": 4096}, {"op": "relu"}, {"op": "dropout"},
        {"op": "conv", "kernel_size": 1, "out_channels": 4096}, {"op": "relu"}, {"op": "dropout"},
        {"op": "conv", "kernel_size": 1, "out_channels": t.num_classes},
    ]
    n = t.num_classes

    def upscore(k: int, s: int) -> Json:
        return {"op": "conv_transpose", "kernel_size": k, "stride": s, "out_channels": n, "bias": False}

    def score(stage: int) -> Json:
        return {"up": [upscore(4, 2)], "skip": stage, "skip_layers": [{"op": "conv", "kernel_size": 1,
                                                                        "out_channels": n}],
                "merge": "add", "layers": []}

    final = {"8s": (16, 8), "16s": (32, 16), "32s": (64, 32)}[t.variant]
    decoder = {"8s": [score(4), score(3)], "16s": [score(4)], "32s": []}[t.variant]
    decoder.append({"up": [upscore(*final)], "skip": 0, "skip_layers": [], "merge": "none", "layers": []})
    return {"encoder": encoder, "decoder": decoder, "head": []}
