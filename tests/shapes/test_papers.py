"""Numbers from the papers, as named tests."""

from __future__ import annotations

from tests.shapes.conftest import shapes


def valid_unet(depth: int = 4) -> list[dict]:
    conv = {"op": "conv", "kernel_size": 3}
    down = [conv, {"op": "relu"}, conv, {"op": "relu"}, {"op": "max_pool", "kernel_size": 2}]
    return down * depth + [conv, conv]


def test_unet_encoder_572_gives_skips_568_280_136_64_and_bottleneck_28():
    out = shapes([572, 572], valid_unet(4), in_channels=1)
    before_pools = [layer["input_size"][0] for layer in out["layers"] if layer["op"] == "max_pool"]
    assert before_pools == [568, 280, 136, 64]
    assert out["output_size"] == [28, 28]


def test_unet_expanding_path_572_to_388_by_cropping():
    # Decoder of the paper after the bottleneck (28): up-conv 2x2, crop the skip, two valid convs.
    conv = {"op": "conv", "kernel_size": 3}
    up = {"op": "conv_transpose", "kernel_size": 2, "stride": 2}
    sizes = [28]
    for _skip in (64, 136, 280, 568):
        sizes = shapes(sizes, [up, conv, conv])["output_size"]
    assert sizes == [388]
