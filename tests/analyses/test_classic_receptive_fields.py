"""The classic networks' receptive fields, from layer lists, through the general machinery (/v1/shapes).

Reference: Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural Networks" (Distill
2019), table of size / effective stride / effective padding, computed by google-research/receptive_field on
the TF-slim models at 224x224. Effective padding is ``-start``: the field of output 0 begins ``padding``
pixels before input pixel 0. TF-slim's SAME padding is ``same_upper`` (odd extra after): at 224 a strided
3x3 SAME window pads 0 before; ``conv2d_same`` (ResNet's strided convs) pads explicitly ``(k-1)//2`` before.
"""

from __future__ import annotations

from typing import Any

from convplan.shapes import ShapesRequest, run_shapes


def _field(layers: list[dict[str, Any]], size: int = 224) -> tuple[int, int, int]:
    """(size, jump, effective padding) of the last layer's output on axis 0 of a size x size input."""
    result = run_shapes(ShapesRequest.model_validate({"input_size": [size, size], "layers": layers}))
    fields = result["layers"][-1]["receptive_field"]
    assert fields[0] == fields[1]
    rf = fields[0]
    assert rf["period"] == 1 and rf["size"] == rf["size_min"]
    return rf["size"], rf["jump"], -rf["start"]


def conv(k: int, s: int = 1, padding: Any = "same_upper") -> dict[str, Any]:
    return {"op": "conv", "kernel_size": k, "stride": s, "padding": padding}


def pool(k: int, s: int, padding: Any = 0) -> dict[str, Any]:
    return {"op": "max_pool", "kernel_size": k, "stride": s, "padding": padding}


RELU = {"op": "relu"}


def alexnet_v2() -> list[dict[str, Any]]:
    """TF-slim alexnet_v2 up to pool5: conv1 11x11/4 VALID, 3x3/2 VALID pools, SAME convs."""
    return [conv(11, 4, "valid"), RELU, pool(3, 2), conv(5), RELU, pool(3, 2), conv(3), RELU, conv(3), RELU,
            conv(3), RELU, pool(3, 2)]


def alexnet_torchvision() -> list[dict[str, Any]]:
    """torchvision.models.alexnet features: conv1 11x11/4 pad 2, conv2 5x5 pad 2, 3x3 pad 1."""
    return [conv(11, 4, 2), RELU, pool(3, 2), conv(5, 1, 2), RELU, pool(3, 2), conv(3, 1, 1), RELU,
            conv(3, 1, 1), RELU, conv(3, 1, 1), RELU, pool(3, 2)]


def vgg16() -> list[dict[str, Any]]:
    """VGG16 (torchvision features, = slim vgg_16) up to pool5: 3x3 pad 1 convs, 2x2 pools."""
    layers: list[dict[str, Any]] = []
    for convs in (2, 2, 3, 3, 3):
        layers += [conv(3, 1, 1), RELU] * convs + [pool(2, 2)]
    return layers


def _bottleneck(stride: int, strided: dict[str, Any]) -> list[dict[str, Any]]:
    """The main path of a bottleneck unit (the 1x1 shortcut reads a subset of it: its field is inside)."""
    middle = strided if stride > 1 else conv(3, 1, 1)
    return [conv(1), {"op": "batch_norm"}, RELU, middle, {"op": "batch_norm"}, RELU, conv(1), {"op": "batch_norm"}]


def resnet_v1_50_slim() -> list[dict[str, Any]]:
    """TF-slim resnet_v1_50: conv2d_same 7x7/2, 3x3/2 SAME pool, blocks of 3, 4, 6, 3 units with the
    stride 2 in the 3x3 conv (conv2d_same) of the LAST unit of blocks 1-3."""
    layers = [conv(7, 2, 3), RELU, pool(3, 2, "same_upper")]
    for units, stride in ((3, 2), (4, 2), (6, 2), (3, 1)):
        for u in range(units):
            s = stride if u == units - 1 else 1
            layers += _bottleneck(s, conv(3, s, [[1, 1], [1, 1]]))
    return layers


def resnet50_torchvision() -> list[dict[str, Any]]:
    """torchvision resnet50 (v1.5): conv1 7x7/2 pad 3, maxpool 3x3/2 pad 1, layers of 3, 4, 6, 3 units with
    the stride 2 in the 3x3 conv of the FIRST unit of layers 2-4."""
    layers = [conv(7, 2, 3), RELU, pool(3, 2, 1)]
    for units, stride in ((3, 1), (4, 2), (6, 2), (3, 2)):
        for u in range(units):
            s = stride if u == 0 else 1
            layers += _bottleneck(s, conv(3, s, 1))
    return layers


def mobilenet_v1() -> list[dict[str, Any]]:
    """TF-slim mobilenet_v1: conv 3x3/2 SAME, then 13 depthwise-separable blocks (3x3 depthwise SAME with the
    block's stride, 1x1 pointwise)."""
    layers = [conv(3, 2), RELU]
    for stride in (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1):
        layers += [conv(3, stride), RELU, conv(1), RELU]
    return layers


def test_alexnet() -> None:
    assert _field(alexnet_v2()) == (195, 32, 64)  # the paper's table
    assert _field(alexnet_torchvision()) == (195, 32, 66)  # conv1's padding 2 adds 2 before


def test_vgg16() -> None:
    assert _field(vgg16()) == (212, 32, 90)


def test_resnet50() -> None:
    assert _field(resnet_v1_50_slim()) == (483, 32, 239)  # the paper's table (TF-slim)
    # torchvision strides the first unit of each stage: 3 fewer 3x3 convs at the coarser jumps
    assert _field(resnet50_torchvision()) == (427, 32, 213)


def test_mobilenet_v1() -> None:
    assert _field(mobilenet_v1()) == (315, 32, 126)
