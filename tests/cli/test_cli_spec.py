"""The compact layer syntax of the command line."""

from __future__ import annotations

import pytest

from convplan.commands._spec import SpecError, parse_assumption, parse_layer, parse_size, parse_value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("-2", -2),
        ("3x5", [3, 5]),
        ("572x572x64", [572, 572, 64]),
        ("[3,5]", [3, 5]),
        ("[H, W]", ["H", "W"]),
        ("[[1,2],0]", [[1, 2], 0]),
        ("2.5", 2.5),
        ("true", True),
        ("False", False),
        ("none", None),
        ("16*n", "16*n"),
        ("max(a,b)", "max(a,b)"),
        ("same", "same"),
        ("x", "x"),
    ],
)
def test_values(text: str, value: object) -> None:
    assert parse_value(text) == value


def test_layers_with_aliases() -> None:
    assert parse_layer("conv:k=3,c=64") == {"op": "conv", "kernel_size": 3, "out_channels": 64}
    assert parse_layer("conv:3,p=1,s=2,d=2,g=2") == {
        "op": "conv", "kernel_size": 3, "padding": 1, "stride": 2, "dilation": 2, "groups": 2,
    }
    assert parse_layer("convt:k=4,s=2,p=1,op=1,out=8") == {
        "op": "conv_transpose", "kernel_size": 4, "stride": 2, "padding": 1, "output_padding": 1, "out_channels": 8,
    }
    assert parse_layer("max_pool:2") == {"op": "max_pool", "kernel_size": 2}
    assert parse_layer("mp:k=3,s=2,p=1,ceil=true") == {
        "op": "max_pool", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
    }
    assert parse_layer("conv:k=3x5,p=[[1,2],0]") == {"op": "conv", "kernel_size": [3, 5], "padding": [[1, 2], 0]}
    assert parse_layer("conv:k=max(a,b),p=same") == {"op": "conv", "kernel_size": "max(a,b)", "padding": "same"}
    assert parse_layer("up:2,m=bilinear") == {"op": "upsample", "scale_factor": 2, "mode": "bilinear"}
    assert parse_layer("pixel_unshuffle:r=2") == {"op": "pixel_unshuffle", "downscale_factor": 2}
    assert parse_layer("adaptive_avg_pool:1x1") == {"op": "adaptive_avg_pool", "output_size": [1, 1]}
    assert parse_layer("relu") == {"op": "relu"}
    assert parse_layer("bn") == {"op": "batch_norm"}


@pytest.mark.parametrize("text", ["conv:", ":k=3", "conv:k=3,,s=1", "conv:k=3,k=5", "relu:3", "conv:k=[3,5",
                                  "conv:k=3,zz"])
def test_layer_errors(text: str) -> None:
    with pytest.raises(SpecError):
        parse_layer(text)


def test_sizes_and_assumptions() -> None:
    assert parse_size("572") == [572]
    assert parse_size("572x572") == [572, 572]
    assert parse_size("16*n") == ["16*n"]
    assert parse_size("[H,W]") == ["H", "W"]
    for bad in ("true", "2.5", "[[1,2]]", "[]"):
        with pytest.raises(SpecError):
            parse_size(bad)
    assert parse_assumption("p>=0") == ("p", {"min": 0})
    with pytest.raises(SpecError):
        parse_assumption("p>0")


def test_shared_fixture_with_the_page() -> None:
    """tests/fixtures/layer_syntax.json: the same cases run through the page's layers.js (tests/web)."""
    import json
    from pathlib import Path

    cases = json.loads((Path(__file__).parent.parent / "fixtures" / "layer_syntax.json").read_text())["cases"]
    assert any(c.get("error") for c in cases) and any("layers" in c for c in cases)
    for case in cases:
        if case.get("error"):
            with pytest.raises(SpecError):
                [parse_layer(t) for t in case["text"].split()]
        else:
            assert [parse_layer(t) for t in case["text"].split()] == case["layers"], case["text"]
