"""FCN (planners.md T6): Caffe's crop offsets come out of the composed coordinate maps."""

from __future__ import annotations

import pytest

from .stacks import plan


def _fcn(variant: str, n: int = 500) -> dict:
    return plan({"input_size": [n, n], "in_channels": 3, "template": {"name": "fcn", "variant": variant}})


@pytest.mark.parametrize(("variant", "offsets", "crops"), [
    ("8s", [5, 9, -31], [[5, 5], [9, 9], None]),
    ("16s", [5, -27], [[5, 5], None]),
    ("32s", [-19], [None]),
])
def test_crop_offsets(variant: str, offsets: list[int], crops: list) -> None:
    out = _fcn(variant)
    assert [s["offset"][0] for s in out["skips"]] == offsets
    assert [s["crop"][0] for s in out["skips"]] == crops
    assert all(s["scale"] == [1, 1] and s["registered"] for s in out["skips"])
    last = out["skips"][-1]  # the decoder's crop to the input (merge none, skip 0 = the input)
    assert last["merge"] == "none" and last["encoder_stage"] == 0
    assert last["crop_decoder"][0][0] == -offsets[-1]
    assert last["applied"] == "crop_decoder"
    assert out["output_size"] == [500, 500]


def test_fcn8s_sizes_at_500() -> None:
    out = _fcn("8s")
    # conv1 698 (pad 100), then Caffe's ceil pools 349 / 175 / 88 / 44 / 22, fc6 16
    assert [s["output_size"][0] for s in out["encoder"]][:5] == [500, 349, 175, 88, 44]
    assert out["encoder"][5]["layers"][-7]["output_size"] == [16, 16]
    assert [s["decoder_size"][0] for s in out["skips"]] == [34, 70, 568]
    assert [s["encoder_size"][0] for s in out["skips"]] == [44, 88, 500]
    assert out["skips"][2]["crop_decoder"] == [[31, 37], [31, 37]]
    assert out["out_channels"] == 21


def test_offsets_do_not_depend_on_the_input() -> None:
    for n in (256, 333, 500):
        assert [s["offset"][0] for s in _fcn("8s", n)["skips"]] == [5, 9, -31]


def test_valid_sizes_need_even_maps_at_every_caffe_pool() -> None:
    form = _fcn("32s")["valid_input_sizes"][0]
    # (n + 198) must halve evenly five times: n = 26 (mod 32); fc6's 7x7 needs n + 198 >= 224.
    assert form["modulus"] == 32 and form["residues"] == [26] and form["min"] == 26
    assert form["nearest"] == {"below": 474, "above": 506}
    assert form["output_size"] == "i"
