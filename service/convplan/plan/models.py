"""Request schema of `POST /v1/plan` (contract section 5): the explicit form
(encoder stages, decoder stages, head) and the templates that expand to it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from convplan.errors import ErrorItem, LimitExceeded
from convplan.ops import Layer
from convplan.ops._fields import Padding, PerAxis, Scalar
from convplan.shapes.models import (
    InputSize,
    LayerCount,
    Symbols,
    Training,
    check_layer_count,
    count_raw_layers,
    raw_count,
)

__all__ = [
    "Align",
    "ConvSpec",
    "DecoderStage",
    "EncoderStage",
    "FcnTemplate",
    "Merge",
    "PlanRequest",
    "Template",
    "UnetTemplate",
    "check_volume",
]

Merge = Annotated[
    Literal["concat", "add", "none"],
    Field(description="`concat` sums channels, `add` needs equal channels, `none` only aligns the decoder map to "
                      "the skip's size and position (FCN's final crop to the input)."),
]
Align = Annotated[
    Literal["crop", "pad", "none"],
    Field(description="Fix applied where a skip and the decoder map differ in size: crop the larger map "
                      "(U-Net, FCN), pad the smaller one, or none (report and stop: `ok: false`)."),
]
StageIndex = Annotated[StrictInt, Field(ge=0, description="An encoder stage: its output is this skip source.")]
Layers = Annotated[list[Layer], Field(default_factory=list, description="Applied in order.")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EncoderStage(_Model):
    """Layers run in order; the stage's output is skip source `j` (its index)."""

    layers: Layers


class DecoderStage(_Model):
    """`up` runs on the map from below, skip source `skip` runs through `skip_layers`, the two are merged
    (after the fix `align` chooses), then `layers` run."""

    up: Layers
    skip: StageIndex | None = Field(default=None, description="Encoder stage whose output is merged; null = none.")
    skip_layers: Layers
    merge: Merge = "concat"
    layers: Layers


class ConvSpec(_Model):
    """The parameters of every template conv (channels are filled in by the template)."""

    kernel_size: PerAxis = 3
    padding: Padding = 0
    dilation: PerAxis = 1
    bias: StrictBool = True
    padding_mode: Literal["zeros", "reflect", "replicate", "circular"] = "zeros"


PerLevel = Annotated[
    Layer | Annotated[list[Layer], Field(min_length=1, max_length=16)],
    Field(description="One layer for every level, or a list with one layer per level (shallowest first), "
                      "e.g. anisotropic strides per level as nnU-Net plans them."),
]


class UnetTemplate(_Model):
    """U-Net (Ronneberger et al. 2015): per level `convs_per_stage` convs (+ ReLU), `down` between levels,
    `up` then merge with the level's skip then convs in the decoder, a 1x1 conv head. Defaults are the
    paper's: valid 3x3 convs, 2x2 max-pool, 2x2 up-conv, 64 channels doubling, 2 classes."""

    name: Literal["unet"]
    depth: Annotated[StrictInt, Field(ge=1, le=16, description="Number of downsamplings.")] = 4
    convs_per_stage: Annotated[StrictInt, Field(ge=0, le=8)] = 2
    conv: ConvSpec = Field(default_factory=ConvSpec)
    down: PerLevel = Field(default_factory=lambda: {"op": "max_pool", "kernel_size": 2},
                           description="Downsampling layer (`out_channels` of a conv defaults to the level's).")
    up: PerLevel = Field(default_factory=lambda: {"op": "conv_transpose", "kernel_size": 2, "stride": 2},
                         description="Upsampling layer (`out_channels` of a conv_transpose defaults to the "
                                     "target level's channels).")
    merge: Literal["concat", "add"] = "concat"
    base_channels: Annotated[StrictInt, Field(ge=1)] = 64
    channel_multiplier: Annotated[StrictInt, Field(ge=1)] = 2
    out_channels: Annotated[StrictInt, Field(ge=1)] | None = Field(
        default=2, description="Channels of the 1x1 conv head; null = no head.")
    relu: StrictBool = Field(default=True, description="A ReLU after every conv.")
    batch_norm: StrictBool = Field(default=False, description="A batch_norm after every conv.")


class FcnTemplate(_Model):
    """FCN (Long, Shelhamer, Darrell) on VGG16 as in `shelhamer/fcn.berkeleyvision.org` (voc-fcn*s): pad 100 on
    conv1_1, 3x3 pad-1 convs, 2x2 max-pools rounding up as Caffe does, fc6 as a 7x7 conv, fc7 and score 1x1,
    transposed-conv upscoring, score_pool4 / score_pool3 skips summed, and a final crop to the input."""

    name: Literal["fcn"]
    variant: Literal["8s", "16s", "32s"] = "8s"
    num_classes: Annotated[StrictInt, Field(ge=1)] = 21


Template = Annotated[UnetTemplate | FcnTemplate, Field(discriminator="name")]


class PlanRequest(_Model):
    """An encoder/decoder stack (explicit stages, or a template that expands to them) on an input size."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {"input_size": [572, 572], "in_channels": 1, "template": {"name": "unet", "depth": 4}},
                {
                    "input_size": [101],
                    "in_channels": 1,
                    "encoder": [
                        {"layers": [{"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 8}]},
                        {"layers": [{"op": "max_pool", "kernel_size": 2},
                                    {"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 16}]},
                    ],
                    "decoder": [
                        {"up": [{"op": "conv_transpose", "kernel_size": 2, "stride": 2, "out_channels": 8}],
                         "skip": 0, "merge": "concat",
                         "layers": [{"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 8}]},
                    ],
                    "align": "pad",
                },
            ]
        },
    )

    input_size: InputSize
    in_channels: Scalar | None = Field(default=None, description="Channels of the input; null = unknown.")
    symbols: Symbols | None = None
    template: Template | None = Field(default=None, description="Expands to the explicit form (see `expanded`); "
                                      "not allowed together with explicit stages.")
    encoder: list[EncoderStage] | None = Field(default=None, description="Run in order; stage j's output is skip "
                                               "source j (an empty stage passes its input on).")
    decoder: list[DecoderStage] | None = Field(default=None, description="Run in order after the encoder.")
    head: Layers
    align: Align = "crop"
    training: Training = False

    @classmethod
    def check_raw_volume(cls, raw: Any, limits: Any) -> None:
        """Stage and layer limits on the parsed JSON, before any stage or layer is validated."""
        if not isinstance(raw, dict):
            return
        encoder, decoder = raw.get("encoder"), raw.get("decoder")
        stages = [s for s in (encoder if isinstance(encoder, list) else []) if isinstance(s, dict)]
        stages += [s for s in (decoder if isinstance(decoder, list) else []) if isinstance(s, dict)]
        counts = [count_raw_layers(raw.get("head"))] + [count_raw_layers(s.get(k)) for s in stages
                                                         for k in ("layers", "up", "skip_layers")]
        layers = (sum(full for full, _ in counts), sum(neutral for _, neutral in counts))
        check_volume(raw_count(encoder), raw_count(decoder), layers, limits)


def check_volume(encoder_stages: int, decoder_stages: int, layers: LayerCount, limits: Any) -> None:
    if limits is None:
        return
    for name, count in (("encoder", encoder_stages), ("decoder", decoder_stages)):
        if count > limits.max_stages:
            raise LimitExceeded(f"{count} {name} stages is over the limit {limits.max_stages}",
                                [ErrorItem((name,), f"at most {limits.max_stages} stages", "limit.stages")])
    check_layer_count(layers, limits, ())
