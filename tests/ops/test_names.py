"""``ops/_names.py``: what an op name that is none of ours meant."""

from __future__ import annotations

import pytest

from convplan.ops import OPS, suggest_op, unknown_op_message


class TestSuggestOp:
    @pytest.mark.parametrize(("typed", "meant"), [
        ("Conv2d", "conv"), ("conv3d", "conv"), ("ConvTranspose2d", "conv_transpose"), ("MaxPool1d", "max_pool"),
        ("AvgPool2d", "avg_pool"), ("LPPool2d", "lp_pool"), ("AdaptiveAvgPool3d", "adaptive_avg_pool"),
        ("MaxUnpool2d", "max_unpool"), ("BatchNorm2d", "batch_norm"), ("InstanceNorm3d", "instance_norm"),
        ("GroupNorm", "group_norm"), ("ReLU", "relu"), ("LeakyReLU", "leaky_relu"), ("PReLU", "prelu"),
        ("SiLU", "silu"), ("GELU", "gelu"), ("Upsample", "upsample"), ("interpolate", "upsample"),
        ("PixelShuffle", "pixel_shuffle"), ("ZeroPad2d", "pad"), ("ReflectionPad2d", "pad"), ("cat", "concat"),
        ("Linear", "linear"), ("Flatten", "flatten"), ("Identity", "identity"),
        ("deconv", "conv_transpose"), ("convolution", "conv"),  # the command line's aliases
        ("max_pol", "max_pool"), ("instnace_norm", "instance_norm"),  # a slip of the keyboard
    ])
    def test_torch_names_and_slips(self, typed: str, meant: str) -> None:
        assert suggest_op(typed) == meant

    def test_a_rank_suffix_that_is_part_of_a_name_stays(self) -> None:
        assert suggest_op("Dropout2d") == "dropout2d"

    @pytest.mark.parametrize("typed", ["foo", "Transformer", "matmul", "x"])
    def test_nothing_close(self, typed: str) -> None:
        assert suggest_op(typed) is None

    def test_only_among_the_ops_given(self) -> None:
        assert suggest_op("ReLU", ["conv", "max_pool"]) is None
        assert suggest_op("Conv2d", ["conv", "max_pool"]) == "conv"

    def test_every_op_is_its_own_answer(self) -> None:
        assert all(suggest_op(name) == name for name in OPS)


class TestUnknownOpMessage:
    def test_names_the_guess(self) -> None:
        message = unknown_op_message("Conv2d")
        assert message.startswith("unknown op 'Conv2d': did you mean 'conv'? ")
        assert "without 1d/2d/3d" in message

    def test_lists_the_ops_where_nothing_is_close(self) -> None:
        assert unknown_op_message("relu", ["conv", "max_pool"], "compute ops") == (
            "unknown op 'relu'; compute ops: conv, max_pool")
        assert unknown_op_message("foo").startswith("unknown op 'foo'; ops: ")
        assert all(name in unknown_op_message("foo") for name in OPS)
