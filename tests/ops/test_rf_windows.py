"""Per-op receptive-field windows (contract section 9's examples and every op family)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Literal

import pytest

from convplan.ops import OPS, LayerShape, OpModel, SymbolicWindow
from convplan.shapes import infer_layer, make_resolver


def window(layer: dict[str, Any], size: list[Any] | None = None, channels: int = 4, axis: int = 0) -> Any:
    resolver = make_resolver(None)
    size = [resolver.scalar(v, ("size",)) for v in size or [16]]
    model = OPS[layer["op"]].model_validate(layer)
    shape = infer_layer(model, size, channels, resolver=resolver)
    return model.rf_window(shape, axis, size[axis])


def phases(layer: dict[str, Any], size: list[Any] | None = None, channels: int = 4) -> tuple[str, list[Any]]:
    w = window(layer, size, channels)
    return str(w.jump), [None if p is None else [str(p[0]), str(p[1])] for p in w.phases]


@pytest.mark.parametrize(("layer", "expected"), [
    ({"op": "conv", "kernel_size": 3, "stride": 2}, ("2", [["0", "2"]])),
    ({"op": "conv", "kernel_size": 3, "dilation": 2, "padding": 2}, ("1", [["-2", "2"]])),
    ({"op": "conv_transpose", "kernel_size": 3, "stride": 2}, ("1/2", [["-1", "0"], ["-1/2", "-1/2"]])),
    ({"op": "conv_transpose", "kernel_size": 4, "stride": 2, "padding": 1}, ("1/2", [["-1", "0"], ["-1/2", "1/2"]])),
    ({"op": "conv_transpose", "kernel_size": 3, "stride": 2, "dilation": 2}, ("1/2", [["-2", "0"], None])),
    ({"op": "upsample", "scale_factor": 2, "mode": "linear"}, ("1/2", [["-1", "0"], ["-1/2", "1/2"]])),
    ({"op": "upsample", "scale_factor": 3, "mode": "linear"},
     ("1/3", [["-1", "0"], ["-1/3", "-1/3"], ["-2/3", "1/3"]])),
    ({"op": "upsample", "scale_factor": 2}, ("1/2", [["0", "0"], ["-1/2", "-1/2"]])),
    ({"op": "upsample", "scale_factor": 3, "mode": "nearest-exact"}, ("1/3", [["0", "0"], ["-1/3", "-1/3"],
                                                                              ["-2/3", "-2/3"]])),
    ({"op": "upsample", "scale_factor": 0.5}, ("2", [["0", "0"]])),
    # align_corners: taken at the actual sizes, 16 -> 31: src = y/2
    ({"op": "upsample", "size": 31, "mode": "linear", "align_corners": True}, ("1/2", [["0", "0"], ["-1/2", "1/2"]])),
    # explicit size: the scale is in/out, 16 -> 24
    ({"op": "upsample", "size": 24}, ("2/3", [["0", "0"], ["-2/3", "-2/3"], ["-1/3", "-1/3"]])),
    # recomputed: 16 * 1.5 = 24, then in/out = 2/3 as with size
    ({"op": "upsample", "scale_factor": 1.5, "recompute_scale_factor": True},
     ("2/3", [["0", "0"], ["-2/3", "-2/3"], ["-1/3", "-1/3"]])),
    ({"op": "max_pool", "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True},
     ("2", [["-1", "3"]])),
    ({"op": "avg_pool", "kernel_size": 2}, ("2", [["0", "1"]])),
    ({"op": "max_unpool", "kernel_size": 3, "stride": 2, "padding": 1}, ("1/2", [["0", "0"], ["-1/2", "1/2"]])),
    ({"op": "pixel_unshuffle", "downscale_factor": 2}, ("2", [["0", "1"]])),
    ({"op": "pad", "padding": [[2, -1]]}, ("1", [["-2", "-2"]])),
    ({"op": "crop", "crop": [[3, 1]]}, ("1", [["3", "3"]])),
    ({"op": "relu"}, ("1", [["0", "0"]])),
    ({"op": "dropout"}, ("1", [["0", "0"]])),
])
def test_window(layer: dict[str, Any], expected: tuple[str, list[Any]]) -> None:
    assert phases(layer) == expected


def test_bicubic_reads_four_pixels_except_on_integer_sources() -> None:
    assert phases({"op": "upsample", "scale_factor": 2, "mode": "bicubic"}, [16, 16]) == (
        "1/2", [["-2", "1"], ["-3/2", "3/2"]])
    w = window({"op": "upsample", "scale_factor": 3, "mode": "bicubic"}, [16, 16])
    assert [len(w.taps(r)) for r in range(3)] == [4, 1, 4]


def test_pixel_shuffle_is_nearest_by_its_factor() -> None:
    assert phases({"op": "pixel_shuffle", "upscale_factor": 2}, [8, 8]) == ("1/2", [["0", "0"], ["-1/2", "-1/2"]])


def test_dilation_leaves_holes_in_the_taps() -> None:
    w = window({"op": "conv", "kernel_size": 3, "dilation": 3})
    assert w.taps(0) == (0, 3, 6)
    assert window({"op": "conv_transpose", "kernel_size": 3, "stride": 2, "dilation": 2}).taps(1) == ()


def test_no_window_through_adaptive_pools_or_symbolic_sizes() -> None:
    assert window({"op": "adaptive_avg_pool", "output_size": 3}) is None
    # sizes matter with align_corners: unknown while symbolic
    assert window({"op": "upsample", "scale_factor": 2, "mode": "linear", "align_corners": True}, ["H"]) is None
    # ... but a given factor's window does not depend on the size
    assert window({"op": "upsample", "scale_factor": 2, "mode": "linear"}, ["H"]).phases[1] == (
        Fraction(-1, 2), Fraction(1, 2))


def text(value: Any) -> Any:
    return None if value is None else str(value)


def closed_forms(layer: dict[str, Any], size: list[Any] | None = None, channels: int = 36) -> tuple[Any, ...]:
    w = window(layer, size or [64], channels)
    assert isinstance(w, SymbolicWindow)
    return (text(w.jump), w.period, text(w.lo), text(w.hi), text(w.widest), text(w.narrowest), w.holes)


@pytest.mark.parametrize(("layer", "expected"), [
    # symbolic parameters: closed forms instead of taps
    ({"op": "conv", "kernel_size": "k", "stride": "s", "dilation": "d", "padding": "p"},
     ("s", 1, "-p", "d*(k - 1) - p", "d*(k - 1)", "d*(k - 1)", False)),
    ({"op": "max_pool", "kernel_size": "k"}, ("k", 1, "0", "k - 1", "k - 1", "k - 1", False)),
    ({"op": "pad", "padding": "q"}, ("1", 1, "-q", "-q", "0", "0", False)),
    ({"op": "pixel_unshuffle", "downscale_factor": "r"}, ("r", 1, "0", "r - 1", "r - 1", "r - 1", False)),
    # nearest by f: f phases (a symbolic period), each reading one pixel
    ({"op": "pixel_shuffle", "upscale_factor": "f"}, ("1/f", None, "0", "0", "0", "0", False)),
    # k = 2s taps over stride s: every output reads exactly 2 inputs
    ({"op": "conv_transpose", "kernel_size": "2*s", "stride": "s"}, ("1/s", None, "-floor((2*s - 1)/s)", "0",
                                                                     "1", "1", False)),
    # k 3 over stride s: 1 to ceil(3/s) inputs, none for some phases when s > 3 (unknown: no size_min)
    ({"op": "conv_transpose", "kernel_size": 3, "stride": "s"}, ("1/s", None, "-floor(2/s)", "0",
                                                                 "ceiling(3/s) - 1", None, None)),
    # a dilation shares factors with a symbolic stride: only the jump is known
    ({"op": "conv_transpose", "kernel_size": 3, "stride": "s", "dilation": 2}, ("1/s", None, None, None, None,
                                                                                None, None)),
    ({"op": "max_unpool", "kernel_size": "s", "stride": "s"}, ("1/s", None, "-floor((s - 1)/s)", "0", "0", "0",
                                                               False)),
])
def test_symbolic_window(layer: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert closed_forms(layer) == expected


def test_every_registered_op_defines_its_window() -> None:
    for model in set(OPS.values()):
        assert "rf_window" in vars(model) or any("rf_window" in vars(base) for base in model.__mro__[1:-1]
                                                  if base is not OpModel), model


def test_an_op_without_a_window_raises() -> None:
    class Throwaway(OpModel):
        op: Literal["throwaway"]

    shape = LayerShape([1], None, [(0, 0)], [1], [0], [0])
    with pytest.raises(NotImplementedError, match="Throwaway"):
        Throwaway(op="throwaway").rf_window(shape, 0, 1)
