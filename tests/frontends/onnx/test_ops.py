"""ONNX ops to graph nodes: attribute variants across opsets (models written with onnx.helper)."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from convplan.errors import InvalidModel, InvalidRequest, UnsupportedModel
from convplan.frontends.onnx import import_onnx
from convplan.graph.schema import GraphRequest
from convplan.ops import OPS
from convplan.run.graph import run_graph
from convplan.settings import Settings
from tests.frontends.onnx.builders import const, model, node, weight


def known(op: str) -> str:
    """The op the importer writes for a shape-neutral torch.nn op: its name once this service has it,
    ``identity`` (with a warning) until then."""
    return op if op in OPS else "identity"


def nodes_of(data: bytes, **kwargs: Any) -> list[dict[str, Any]]:
    return import_onnx(data, **kwargs).graph["nodes"]


def only(data: bytes) -> dict[str, Any]:
    (n,) = nodes_of(data)
    return {k: v for k, v in n.items() if k not in ("id", "inputs")}


class TestConv:
    def test_asymmetric_pads_are_pairs_and_channels_come_from_the_weight(self) -> None:
        data = model([node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[0, 1, 2, 1], strides=[2, 2],
                           group=1)], inits=[weight("w", [8, 3, 3, 3]), weight("b", [8])])
        assert only(data) == {"op": "conv", "out_channels": 8, "groups": 1, "bias": True, "kernel_size": 3,
                              "stride": 2, "padding": [[0, 2], [1, 1]], "dilation": 1}

    def test_kernel_shape_from_the_weight_and_auto_pad(self) -> None:
        data = model([node("Conv", ["x", "w"], ["c"], auto_pad="SAME_UPPER", dilations=[2, 1])],
                     inits=[weight("w", [4, 3, 5, 3])])
        n = only(data)
        assert (n["kernel_size"], n["padding"], n["dilation"]) == ([5, 3], "same_upper", [2, 1])

    def test_conv_transpose_output_padding_groups_and_output_shape(self) -> None:
        data = model([node("ConvTranspose", ["x", "w"], ["u"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                           output_padding=[1, 0], group=3)], inits=[weight("w", [3, 2, 3, 3])])
        n = only(data)
        assert (n["out_channels"], n["output_padding"], n["padding"], n["groups"]) == (6, [1, 0], 1, 3)
        data = model([node("ConvTranspose", ["x", "w"], ["u"], kernel_shape=[2, 2], strides=[2, 2],
                           output_shape=[33, 34])], inits=[weight("w", [3, 2, 2, 2])])
        n = only(data)
        assert n["output_size"] == [33, 34] and "output_padding" not in n


class TestPools:
    def test_max_pool_ceil_dilations_pairs_and_onnx_default_stride_1(self) -> None:
        data = model([node("MaxPool", ["x"], ["p"], kernel_shape=[3, 3], pads=[0, 0, 1, 1], ceil_mode=1,
                           dilations=[2, 2])])
        assert only(data) == {"op": "max_pool", "kernel_size": 3, "stride": 1, "padding": [[0, 1], [0, 1]],
                              "dilation": 2, "ceil_mode": True}

    def test_average_pool_count_include_pad_defaults_to_onnx_false(self) -> None:
        n = only(model([node("AveragePool", ["x"], ["p"], kernel_shape=[2, 2], strides=[2, 2])]))
        assert n["count_include_pad"] is False and n["op"] == "avg_pool" and "dilation" not in n
        n = only(model([node("AveragePool", ["x"], ["p"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                             count_include_pad=1)]))
        assert n["count_include_pad"] is True

    @pytest.mark.parametrize(("op", "expected"), [("GlobalAveragePool", "adaptive_avg_pool"),
                                                  ("GlobalMaxPool", "adaptive_max_pool")])
    def test_global_pools_are_adaptive_to_1(self, op: str, expected: str) -> None:
        assert only(model([node(op, ["x"], ["g"])])) == {"op": expected, "output_size": 1}

    @pytest.mark.parametrize("opset", [13, 18])
    def test_reduce_mean_over_spatial_axes_attribute_or_input(self, opset: int) -> None:
        if opset < 18:
            n = node("ReduceMean", ["x"], ["r"], axes=[2, 3], keepdims=1)
            inits = []
        else:
            n = node("ReduceMean", ["x", "axes"], ["r"], keepdims=1)
            inits = [const("axes", [-2, -1])]
        assert only(model([n], opset=opset, inits=inits)) == {"op": "adaptive_avg_pool", "output_size": 1}

    def test_reduce_without_keepdims_is_a_pool_then_flatten(self) -> None:
        ops = [n["op"] for n in nodes_of(model([node("ReduceMax", ["x"], ["r"], axes=[2, 3], keepdims=0)], opset=13))]
        assert ops == ["adaptive_max_pool", "flatten"]

    def test_reduce_over_channels_is_unsupported(self) -> None:
        with pytest.raises(UnsupportedModel, match="ReduceMean"):
            import_onnx(model([node("ReduceMean", ["x"], ["r"], axes=[1])], opset=13))

    def test_max_unpool(self) -> None:
        nodes = [node("MaxPool", ["x"], ["p", "i"], kernel_shape=[2, 2], strides=[2, 2]),
                 node("MaxUnpool", ["p", "i"], ["u"], kernel_shape=[2, 2], strides=[2, 2])]
        assert nodes_of(model(nodes))[1]["op"] == "max_unpool"


class TestResize:
    def scales(self, values: list[float]) -> Any:
        return const("s", values, np.float32)

    def test_opset_13_nearest_scales(self) -> None:
        data = model([node("Resize", ["x", "", "s"], ["r"], mode="nearest", coordinate_transformation_mode="asymmetric",
                           nearest_mode="floor")], opset=13, inits=[self.scales([1, 1, 2, 2])])
        assert only(data) == {"op": "upsample", "scale_factor": 2, "mode": "nearest"}

    def test_opset_10_scales_are_input_1(self) -> None:
        data = model([node("Resize", ["x", "s"], ["r"], mode="linear")], opset=10, inits=[self.scales([1, 1, 2, 3])])
        n = only(data)
        assert (n["scale_factor"], n["mode"], n["align_corners"]) == ([2, 3], "bilinear", False)

    @pytest.mark.parametrize("opset", [7, 9])
    def test_upsample_attribute_or_input(self, opset: int) -> None:
        if opset == 7:
            data = model([node("Upsample", ["x"], ["u"], scales=[1.0, 1.0, 2.0, 2.0])], opset=7)
        else:
            data = model([node("Upsample", ["x", "s"], ["u"])], opset=9, inits=[self.scales([1, 1, 2, 2])])
        assert only(data)["scale_factor"] == 2

    @pytest.mark.parametrize(("attrs", "expected"), [
        ({"mode": "linear", "coordinate_transformation_mode": "align_corners"}, {"mode": "bilinear",
                                                                                 "align_corners": True}),
        ({"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, {"mode": "bilinear",
                                                                                      "align_corners": False}),
        ({"mode": "nearest", "coordinate_transformation_mode": "half_pixel", "nearest_mode": "round_prefer_ceil"},
         {"mode": "nearest-exact"}),
        ({"mode": "cubic", "coordinate_transformation_mode": "half_pixel"}, {"mode": "bicubic",
                                                                             "align_corners": False}),
    ])
    def test_pytorch_combinations(self, attrs: dict[str, str], expected: dict[str, Any]) -> None:
        result = import_onnx(model([node("Resize", ["x", "", "s"], ["r"], **attrs)], opset=13,
                                   inits=[self.scales([1, 1, 2, 2])]))
        (n,) = result.graph["nodes"]
        assert {k: n[k] for k in expected} == expected and result.warnings == []

    def test_other_combination_is_the_closest_with_a_warning(self) -> None:
        result = import_onnx(model([node("Resize", ["x", "", "s"], ["r"], mode="nearest",
                                         coordinate_transformation_mode="tf_half_pixel_for_nn")],
                                   opset=13, inits=[self.scales([1, 1, 2, 2])]))
        assert result.graph["nodes"][0]["mode"] == "nearest" and "no PyTorch equivalent" in result.warnings[0]

    def test_opset_18_axes_and_constant_sizes_warn(self) -> None:
        result = import_onnx(model([node("Resize", ["x", "", "", "z"], ["r"], axes=[2, 3], mode="nearest",
                                         coordinate_transformation_mode="asymmetric", nearest_mode="floor")],
                                   opset=18, inits=[const("z", [16, 24])]))
        assert result.graph["nodes"][0]["size"] == [16, 24] and "constants" in result.warnings[0]

    def test_sizes_of_another_tensor_are_size_of(self) -> None:
        nodes = [node("MaxPool", ["x"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
                 node("Shape", ["x"], ["sh"]), node("Slice", ["sh", "two", "four"], ["hw"]),
                 node("Shape", ["p"], ["psh"]), node("Slice", ["psh", "zero", "two"], ["nc"]),
                 node("Concat", ["nc", "hw"], ["sizes"], axis=0),
                 node("Resize", ["p", "", "", "sizes"], ["r"], mode="nearest")]
        data = model(nodes, opset=13, inits=[const("zero", [0]), const("two", [2]), const("four", [4])])
        assert nodes_of(data)[-1]["size_of"] == "x"

    def test_sizes_from_the_input_alone_find_a_tensor_past_a_pad(self) -> None:
        # torch's dynamo exporter: F.interpolate(x, size=y.shape[2:]) with y = conv(pad(pool(x))) computes the
        # sizes from x's (1 + H//9) and declares y's in the same symbols. The Resize is ready long before the
        # Pad on y's path (which is walked late); walked first, it missed y and kept the example's size.
        nodes = [node("AveragePool", ["x"], ["p"], kernel_shape=[2, 2], strides=[3, 3], ceil_mode=1),
                 node("Pad", ["p", "zeros8"], ["padded"], mode="wrap"),
                 node("Conv", ["padded", "w"], ["y"], kernel_shape=[1, 1], strides=[3, 3]),
                 node("Shape", ["x"], ["sh"], start=2), node("Div", ["sh", "nine"], ["q"]),
                 node("Add", ["q", "one"], ["hw"]), node("Concat", ["nc", "hw"], ["sizes"], axis=0),
                 node("Resize", ["x", "", "", "sizes"], ["r"], mode="nearest"),
                 node("Add", ["y", "r"], ["out"])]
        data = model(nodes, opset=18, shape=(1, 3, "s53", "s0"),
                     inits=[const("zeros8", [0] * 8), weight("w", [3, 3, 1, 1]), const("nine", [9]),
                            const("one", [1]), const("nc", [1, 3])],
                     value_info=[("p", (1, 3, "((s53//3)) + 1", "((s0//3)) + 1")),
                                 ("padded", (1, 3, "((s53//3)) + 1", "((s0//3)) + 1")),
                                 ("y", (1, 3, "((s53//9)) + 1", "((s0//9)) + 1"))])
        for given in ((), ("1x3x64x64",)):
            (resize,) = [n for n in nodes_of(data, inputs=given) if n["op"] == "upsample"]
            assert resize["size_of"] == "y" and "size" not in resize

    def test_sizes_from_the_input_alone_find_a_tensor_walked_after_them(self) -> None:
        # The dynamo exporter again: r2 = F.interpolate(p, size=r1.shape[2:]) with r1 = F.interpolate(p, x2), both
        # into one Mul. Both resizes wait until nothing else is ready, and r2 can be walked before r1: its sizes
        # (2*H + 12, 2*W + 6) match r1 once the walk is done.
        nodes = [node("Shape", ["x"], ["sh"], start=2), node("Mul", ["sh", "two"], ["twice"]),
                 node("Add", ["twice", "extra"], ["hw"]), node("Concat", ["nc", "hw"], ["sizes"], axis=0),
                 node("Pad", ["x", "pads"], ["p"], mode="reflect"),
                 node("Resize", ["p", "", "scales"], ["r1"], mode="linear",
                      coordinate_transformation_mode="align_corners"),
                 node("Resize", ["p", "", "", "sizes"], ["r2"], mode="nearest"),
                 node("Mul", ["r1", "r2"], ["out"])]
        data = model(nodes, opset=18, shape=(1, 3, "s53", "s0"),
                     inits=[const("pads", [0, 0, 3, 1, 0, 0, 3, 2]), const("two", [2]), const("extra", [12, 6]),
                            const("nc", [1, 3]), const("scales", [1.0, 1.0, 2.0, 2.0], np.float32)],
                     value_info=[("p", (1, 3, "s53 + 6", "s0 + 3")), ("r1", (1, 3, "2*s53 + 12", "2*s0 + 6")),
                                 ("r2", (1, 3, "2*s53 + 12", "2*s0 + 6"))])
        for given in ((), ("1x3x64x64",)):
            r2 = next(n for n in nodes_of(data, inputs=given) if n["id"] == "r2")
            assert r2["size_of"] == "r1" and "size" not in r2

    def test_sizes_computed_from_the_input_are_expressions(self) -> None:
        nodes = [node("Shape", ["x"], ["sh"]), node("Slice", ["sh", "two", "four"], ["hw"]),
                 node("Mul", ["hw", "three"], ["hw3"]), node("Concat", ["nc", "hw3"], ["sizes"], axis=0),
                 node("Resize", ["x", "", "", "sizes"], ["r"], mode="nearest")]
        data = model(nodes, opset=13, inits=[const("two", [2]), const("four", [4]), const("three", [3]),
                                             const("nc", [1, 3])])
        assert nodes_of(data)[-1]["size"] == ["H*3", "W*3"]


class TestPadAndSlice:
    @pytest.mark.parametrize("opset", [2, 11, 18])
    def test_pad_as_attribute_input_or_with_axes(self, opset: int) -> None:
        if opset == 2:
            n, inits = node("Pad", ["x"], ["p"], pads=[0, 0, 1, 2, 0, 0, 3, 4], mode="reflect"), []
        elif opset == 11:
            n, inits = node("Pad", ["x", "pads"], ["p"], mode="reflect"), [const("pads", [0, 0, 1, 2, 0, 0, 3, 4])]
        else:
            n = node("Pad", ["x", "pads", "", "axes"], ["p"], mode="reflect")
            inits = [const("pads", [1, 2, 3, 4]), const("axes", [2, 3])]
        assert only(model([n], opset=opset, inits=inits)) == {"op": "pad", "padding": [[1, 3], [2, 4]],
                                                              "mode": "reflect"}

    def test_edge_is_replicate_and_channel_pads_are_unsupported(self) -> None:
        n = only(model([node("Pad", ["x", "pads"], ["p"], mode="edge")], opset=13,
                       inits=[const("pads", [0, 0, 1, 1, 0, 0, 1, 1])]))
        assert n["mode"] == "replicate"
        with pytest.raises(UnsupportedModel, match="batch or channels"):
            import_onnx(model([node("Pad", ["x", "pads"], ["p"])], opset=13,
                              inits=[const("pads", [0, 1, 0, 0, 0, 0, 0, 0])]))

    def test_pad_to_another_tensors_size_is_size_of(self) -> None:
        # F.pad(p, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2]) to x's size, as the exporters compute it.
        nodes = [node("MaxPool", ["x"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
                 node("Shape", ["x"], ["sx"]), node("Shape", ["p"], ["sp"]),
                 node("Sub", ["sx", "sp"], ["d"]), node("Div", ["d", "two"], ["half"]),
                 node("Sub", ["d", "half"], ["rest"]),
                 node("Slice", ["half", "two1", "four"], ["before"]),
                 node("Slice", ["rest", "two1", "four"], ["after"]),
                 node("Concat", ["zeros", "before", "zeros", "after"], ["pads"], axis=0),
                 node("Pad", ["p", "pads"], ["padded"])]
        data = model(nodes, opset=13, inits=[const("two", 2), const("two1", [2]), const("four", [4]),
                                             const("zeros", [0, 0])])
        assert nodes_of(data)[-1] == {"id": "padded", "op": "pad", "inputs": ["p"], "size_of": "x",
                                      "anchor": "center", "mode": "constant"}

    def test_the_torchscript_exporters_circular_padding_is_a_circular_pad(self) -> None:
        # Conv2d(padding_mode="circular") / F.pad(x, [1, 2, 3, 0], mode="circular"): per axis a Concat of
        # x[-p:], x and x[:q] (torch/onnx/symbolic_opset9.py, _pad_circular), with dynamic sizes or fixed ones
        def part(name: str, src: str) -> onnx.NodeProto:
            return node("Slice", [src, f"{name}_s", f"{name}_e", f"{name}_a"], [name])

        inits = []
        for name, start, end, axis in (("h0", -3, 2**63 - 1, 2), ("w0", -1, 2**63 - 1, 3), ("w1", 0, 2, 3)):
            inits += [const(f"{name}_s", [start]), const(f"{name}_e", [end]), const(f"{name}_a", [axis])]
        nodes = [part("h0", "x"), node("Concat", ["h0", "x"], ["ph"], axis=2), part("w0", "ph"), part("w1", "ph"),
                 node("Concat", ["w0", "ph", "w1"], ["pw"], axis=3), node("Relu", ["pw"], ["y"])]
        for shape in ((1, 3, "H", "W"), (1, 3, 16, 16)):
            result = import_onnx(model(nodes, opset=13, shape=shape, inits=inits))
            assert [(n["op"], n.get("padding"), n.get("mode")) for n in result.graph["nodes"]] == [
                ("pad", [[3, 0], [0, 0]], "circular"), ("pad", [[0, 0], [1, 2]], "circular"), ("relu", None, None)]
            assert "circular padding as the TorchScript exporter writes it" in result.warnings[0]
        # a Concat of other slices on a spatial axis has no meaning here
        other = [part("w1", "x"), node("Concat", ["w1", "w1"], ["y"], axis=3)]
        with pytest.raises(UnsupportedModel, match="Concat on an axis other than channels"):
            import_onnx(model(other, opset=13, inits=inits))

    @pytest.mark.parametrize("opset", [9, 13])
    def test_constant_slice_is_a_crop_at_the_declared_size_with_a_warning(self, opset: int) -> None:
        if opset == 9:
            n, inits = node("Slice", ["x"], ["s"], starts=[4, 2], ends=[12, -2], axes=[2, 3]), []
        else:
            n = node("Slice", ["x", "st", "en", "ax"], ["s"])
            inits = [const("st", [4, 2]), const("en", [12, -2]), const("ax", [2, 3])]
        result = import_onnx(model([n], opset=opset, shape=(1, 3, 16, 16), inits=inits))
        assert result.graph["nodes"][0]["crop"] == [[4, 4], [2, 2]] and "constant Slice" in result.warnings[0]

    def test_slice_with_step_or_on_channels_is_unsupported(self) -> None:
        nodes = [node("Slice", ["x", "st", "en", "ax", "step"], ["s"]),
                 node("Slice", ["s", "st", "en", "ch"], ["t"])]
        data = model(nodes, opset=13, inits=[const("st", [0]), const("en", [4]), const("ax", [2]),
                                             const("step", [2]), const("ch", [1])])
        with pytest.raises(UnsupportedModel, match="step other than 1"):
            import_onnx(data)


class TestNeutralAndMerges:
    def test_norms_activations_dropout_identity_softmax(self) -> None:
        nodes = [node("BatchNormalization", ["x", "s", "b", "m", "v"], ["bn"]), node("LeakyRelu", ["bn"], ["lr"]),
                 node("Dropout", ["lr"], ["d"]), node("Identity", ["d"], ["i"]), node("Sigmoid", ["i"], ["sg"]),
                 node("Softmax", ["sg"], ["sm"], axis=1), node("Clip", ["sm"], ["cl"], min=0.0, max=6.0)]
        data = model(nodes, opset=11, inits=[weight(k, [3]) for k in "sbmv"])
        assert [n["op"] for n in nodes_of(data)] == ["batch_norm", known("leaky_relu"), "dropout", "identity",
                                                     known("sigmoid"), known("softmax"), "identity"]

    @pytest.mark.parametrize(("opset", "bounds", "expected"), [
        (6, {"min": 0.0, "max": 6.0}, "relu6"), (11, (0.0, 6.0), "relu6"), (11, (0.0, None), "relu"),
        (13, (-1.0, 2.0), "hardtanh"), (13, (None, 2.0), "identity")])
    def test_clip_as_pytorch_writes_relu6_relu_hardtanh(self, opset: int, bounds: Any, expected: str) -> None:
        if opset < 11:
            data = model([node("Clip", ["x"], ["c"], **bounds)], opset=opset)
        else:
            names = [f"b{k}" if b is not None else "" for k, b in enumerate(bounds)]
            inits = [const(n, b, np.float32) for n, b in zip(names, bounds) if b is not None]
            data = model([node("Clip", ["x", *names], ["c"])], opset=opset, inits=inits)
        assert nodes_of(data)[0]["op"] == known(expected)

    def test_softmax_default_axis_of_opset_13_is_the_last(self) -> None:
        with pytest.raises(UnsupportedModel, match="only over channels"):
            import_onnx(model([node("Softmax", ["x"], ["s"])], opset=13))

    def test_group_normalization_and_instance_norm(self) -> None:
        nodes = [node("GroupNormalization", ["x", "s", "b"], ["g"], num_groups=3),
                 node("InstanceNormalization", ["g", "s", "b"], ["i"])]
        result = import_onnx(model(nodes, opset=18, inits=[weight("s", [3]), weight("b", [3])]))
        expected = [("group_norm", 3, True), ("instance_norm", None, True)]
        got = [(n["op"], n.get("num_groups"), n.get("affine")) for n in result.graph["nodes"]]
        assert got == [e if e[0] in OPS else ("identity", None, None) for e in expected]
        assert len(result.warnings) == sum(e[0] not in OPS for e in expected)

    def test_merges_and_constant_operands(self) -> None:
        nodes = [node("Conv", ["x", "w"], ["c"], kernel_shape=[1, 1]), node("Add", ["c", "x"], ["a"]),
                 node("Mul", ["a", "pos"], ["m"]), node("Concat", ["m", "x"], ["cat"], axis=1),
                 node("Div", ["cat", "two"], ["half"])]
        ns = nodes_of(model(nodes, inits=[weight("w", [3, 3, 1, 1]), weight("pos", [1, 1, 16, 1]),
                                          const("two", 2.0, np.float32)]))
        assert [(n["op"], n["inputs"], n.get("other_size")) for n in ns[1:]] == [
            ("add", ["c", "x"], None), ("mul", ["a"], [16, 1]), ("concat", ["m", "x"], None), ("mul", ["cat"], [1, 1])]

    def test_tile_and_expand_on_channels_are_concats_of_copies(self) -> None:
        nodes = [node("Tile", ["x", "reps"], ["t"])]
        assert nodes_of(model(nodes, inits=[const("reps", [1, 2, 1, 1])]))[0]["inputs"] == ["x", "x"]
        nodes = [node("Expand", ["x", "shape"], ["e"])]
        data = model(nodes, shape=(1, 1, "H", "W"), inits=[const("shape", [1, 3, 1, 1])])
        assert nodes_of(data)[0] == {"id": "e", "op": "concat", "inputs": ["x", "x", "x"]}

    def test_depth_to_space_and_space_to_depth(self) -> None:
        nodes = [node("SpaceToDepth", ["x"], ["s"], blocksize=2), node("DepthToSpace", ["s"], ["d"], blocksize=2,
                                                                       mode="CRD")]
        assert [(n["op"], n.get("downscale_factor", n.get("upscale_factor"))) for n in nodes_of(model(nodes))] == [
            ("pixel_unshuffle", 2), ("pixel_shuffle", 2)]


class TestPixelShufflesAsReshapes:
    """nn.PixelUnshuffle has no ONNX op: the exporters write Reshape / Transpose chains (and so may a
    hand-written space-to-depth); recognised by replaying them on shapes."""

    def test_the_torchscript_exporters_pixel_unshuffle(self) -> None:
        # torch/onnx/symbolic_opset9.py pixel_unshuffle, for a map with dynamic sizes
        nodes = [node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                 node("Unsqueeze", ["c", "three"], ["u"]), node("Reshape", ["u", "t1"], ["r1"]),
                 node("Reshape", ["r1", "t2"], ["r2"]), node("Transpose", ["r2"], ["t"], perm=[0, 1, 3, 5, 2, 4]),
                 node("Reshape", ["t", "t3"], ["r3"]), node("Squeeze", ["r3", "two_three"], ["s"]),
                 node("Relu", ["s"], ["y"])]
        data = model(nodes, opset=13, inits=[weight("w", [8, 3, 3, 3]), const("three", [3]),
                                             const("t1", [0, 0, -1, 3, 0]), const("t2", [0, 0, 0, 0, -1, 3]),
                                             const("t3", [0, -1, 1, 1, 0, 0]), const("two_three", [2, 3])])
        result = import_onnx(data, inputs=["1x3x96x96"])
        assert [(n["op"], n.get("downscale_factor")) for n in result.graph["nodes"]] == [
            ("conv", None), ("pixel_unshuffle", 3), ("relu", None)]
        analysis = run_graph(GraphRequest.model_validate(result.graph), Settings.model_construct())
        assert analysis["ok"] and analysis["nodes"][-1]["out_channels"] == 72
        assert analysis["valid_input_sizes"][0]["runs"]["residues"] == [0]  # divisible by 3 only
        assert analysis["valid_input_sizes"][0]["runs"]["modulus"] == 3

    def test_an_export_at_fixed_sizes_with_constant_targets(self) -> None:
        # the TorchScript exporter's static form: Reshape to [-1, C, H/f, f, W/f, f] at the declared sizes of a
        # map inside the network (its ONNX name is not its node id)
        nodes = [node("Conv", ["x", "w"], ["/conv/out"], kernel_shape=[1, 1]),
                 node("Reshape", ["/conv/out", "split"], ["r1"]),
                 node("Transpose", ["r1"], ["t"], perm=[0, 1, 3, 5, 2, 4]), node("Reshape", ["t", "merged"], ["y"])]
        data = model(nodes, opset=13, shape=(1, 3, 8, 12),
                     inits=[weight("w", [8, 3, 1, 1]), const("split", [-1, 8, 4, 2, 6, 2]),
                            const("merged", [-1, 32, 4, 6])])
        assert [(n["op"], n.get("downscale_factor")) for n in nodes_of(data)] == [("conv", None),
                                                                                  ("pixel_unshuffle", 2)]

    def _dynamo_like(self, perm: list[int], split: list[str], merged: list[str]) -> bytes:
        """Targets computed from the map's own Shape, as the dynamo exporter's pixel_(un)shuffle: ``split`` and
        ``merged`` name, per target dim, a constant or ``C``, ``H``, ``W`` (times or over 2)."""
        def dims(names: list[str], prefix: str) -> list[onnx.NodeProto]:
            out, parts = [], []
            for k, name in enumerate(names):
                part = f"{prefix}{k}"
                if name.lstrip("-").isdigit():
                    out.append(node("Constant", [], [part], value=numpy_helper.from_array(
                        np.array([int(name)], dtype=np.int64))))
                else:
                    axis, op = {"C": 1, "H": 2, "W": 3}[name[0]], name[1:]
                    out.append(node("Shape", ["x"], [f"{part}s"], start=axis, end=axis + 1))
                    if op:
                        out.append(node({"*": "Mul", "/": "Div"}[op[0]], [f"{part}s", "two"], [part]))
                    else:
                        out.append(node("Identity", [f"{part}s"], [part]))
                parts.append(part)
            return [*out, node("Concat", parts, [f"{prefix}shape"], axis=0)]

        nodes = [*dims(split, "a"), *dims(merged, "b"), node("Reshape", ["x", "ashape"], ["r1"]),
                 node("Transpose", ["r1"], ["t"], perm=perm), node("Reshape", ["t", "bshape"], ["y"])]
        return model(nodes, opset=13, shape=(1, 8, "H", "W"), inits=[const("two", [2])])

    def test_a_dynamo_like_pixel_unshuffle_and_pixel_shuffle(self) -> None:
        unshuffle = self._dynamo_like([0, 1, 3, 5, 2, 4], ["-1", "C", "H/", "2", "W/", "2"], ["1", "-1", "H/", "W/"])
        assert [(n["op"], n.get("downscale_factor")) for n in nodes_of(unshuffle)] == [("pixel_unshuffle", 2)]
        shuffle = self._dynamo_like([0, 1, 4, 2, 5, 3], ["1", "-1", "2", "2", "H", "W"], ["1", "-1", "H*", "W*"])
        assert [(n["op"], n.get("upscale_factor")) for n in nodes_of(shuffle)] == [("pixel_shuffle", 2)]
        # the channels' order among themselves (DCR) changes no size and no pixel position
        dcr = self._dynamo_like([0, 3, 4, 1, 5, 2], ["1", "2", "2", "-1", "H", "W"], ["1", "-1", "H*", "W*"])
        assert [n["op"] for n in nodes_of(dcr)] == ["pixel_shuffle"]

    def test_a_reshape_back_to_the_same_shape_is_the_map_itself(self) -> None:
        data = self._dynamo_like([0, 1, 2, 3], ["-1", "C", "H", "W"], ["1", "C", "H", "W"])
        assert nodes_of(data) == []

    def test_other_rearrangements_are_refused_listing_their_nodes(self) -> None:
        # H and W swapped: sizes a pixel shuffle does not give (and no op of this service)
        swapped = model([node("Transpose", ["x"], ["t"], perm=[0, 1, 3, 2]), node("Relu", ["t"], ["y"])], opset=13)
        with pytest.raises(UnsupportedModel) as caught:
            import_onnx(swapped)
        assert caught.value.extra["unsupported"] == {"Transpose": ["t"]}
        # a chain that is the model's output
        with pytest.raises(UnsupportedModel) as caught:
            import_onnx(model([node("Reshape", ["x", "s"], ["y"])], opset=13, inits=[const("s", [0, 0, -1, 2, 0])]))
        assert caught.value.extra["unsupported"] == {"Reshape": ["y"]}


class TestHeads:
    def test_flatten_gemm_relu_gemm_softmax(self) -> None:
        nodes = [node("GlobalAveragePool", ["x"], ["g"]), node("Flatten", ["g"], ["f"], axis=1),
                 node("Gemm", ["f", "w1", "b1"], ["h"], transB=1), node("Relu", ["h"], ["r"]),
                 node("Gemm", ["r", "w2"], ["o"]), node("Softmax", ["o"], ["p"], axis=1)]
        ns = nodes_of(model(nodes, opset=11, inits=[weight("w1", [10, 3]), weight("b1", [10]),
                                                    weight("w2", [10, 4])]))
        assert [(n["op"], n.get("in_features"), n.get("out_features")) for n in ns] == [
            ("adaptive_avg_pool", None, None), ("flatten", None, None), ("linear", 3, 10), ("relu", None, None),
            ("linear", 10, 4), (known("softmax"), None, None)]

    def test_reshape_to_batch_by_features_and_matmul_add_is_linear_with_bias(self) -> None:
        nodes = [node("Reshape", ["x", "shape"], ["f"]), node("MatMul", ["f", "w"], ["mm"]),
                 node("Add", ["mm", "b"], ["o"])]
        ns = nodes_of(model(nodes, shape=(1, 3, 4, 4), inits=[const("shape", [1, -1]), weight("w", [48, 5]),
                                                              weight("b", [5])]))
        assert [(n["op"], n.get("bias")) for n in ns] == [("flatten", None), ("linear", True)]

    def test_group_norm_pattern_of_the_exporters(self) -> None:
        nodes = [node("Reshape", ["x", "groups"], ["r"]), node("InstanceNormalization", ["r", "ones", "zeros"], ["i"]),
                 node("Shape", ["x"], ["sh"]), node("Reshape", ["i", "sh"], ["back"]),
                 node("Mul", ["back", "gamma"], ["m"]), node("Add", ["m", "beta"], ["gn"]), node("Relu", ["gn"], ["y"])]
        data = model(nodes, shape=(1, 4, "H", "W"), inits=[
            const("groups", [1, 2, -1]), const("ones", [1.0, 1.0], np.float32), const("zeros", [0.0, 0.0], np.float32),
            weight("gamma", [4, 1, 1]), weight("beta", [4, 1, 1])])
        expected = ("group_norm", 2, True) if "group_norm" in OPS else ("identity", None, None)
        assert [(n["op"], n.get("num_groups"), n.get("affine")) for n in nodes_of(data)] == [
            expected, ("relu", None, None)]


class TestInputsAndNames:
    def test_dim_params_become_legal_symbols_and_ids_legal_unique(self) -> None:
        data = model([node("Relu", ["in put"], ["9 out"]), node("Relu", ["9 out"], ["9_out"])],
                     inputs=[("in put", [1, 3, "height-px", None])])
        result = import_onnx(data)
        assert result.graph["inputs"] == [{"name": "in_put", "size": ["height_px", "in_put_1"], "channels": 3}]
        assert [n["id"] for n in result.graph["nodes"]] == ["_9_out", "_9_out_2"]
        assert result.model["inputs"] == [{"name": "in put", "shape": [1, 3, "height-px", None]}]

    def test_one_name_on_two_axes_is_one_symbol(self) -> None:
        data = model([node("Relu", ["x"], ["y"])], shape=("N", 3, "S", "S", 8))
        assert import_onnx(data).graph["inputs"][0]["size"] == ["S", "S", 8]

    def test_nhwc_input_through_its_transpose(self) -> None:
        nodes = [node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]), node("Relu", ["t"], ["y"])]
        result = import_onnx(model(nodes, shape=(1, "H", "W", 3)))
        assert result.graph["inputs"] == [{"name": "x", "size": ["H", "W"], "channels": 3}]
        assert result.graph["nodes"] == [{"id": "y", "op": "relu", "inputs": ["x"]}]

    def test_input_override(self) -> None:
        data = model([node("Relu", ["x"], ["y"])])
        assert import_onnx(data, inputs=["1x3x64x48"]).graph["inputs"][0]["size"] == [64, 48]
        assert import_onnx(data, inputs=["x:1x3xAxB"]).graph["inputs"][0]["size"] == ["A", "B"]
        with pytest.raises(InvalidRequest, match="channels 4 differs"):  # the request's fault, not the model's
            import_onnx(data, inputs=["1x4x64x64"])
        with pytest.raises(InvalidRequest, match="rank"):
            import_onnx(data, inputs=["1x3x64"])

    @pytest.mark.parametrize("shape", [(1, 3), (1, 3, 2, 2, 2, 2)])
    def test_other_ranks_are_refused(self, shape: tuple[int, ...]) -> None:
        with pytest.raises(InvalidModel, match="rank"):
            import_onnx(model([node("Relu", ["x"], ["y"])], shape=shape))


class TestUnsupported:
    def test_every_unsupported_op_is_listed_with_its_nodes(self) -> None:
        nodes = [node("Relu", ["x"], ["a"]), node("LpNormalization", ["a"], ["b"]), node("Relu", ["b"], ["c"]),
                 node("LpNormalization", ["c"], ["d"]), node("Custom", ["x"], ["e"], domain="acme"),
                 node("Concat", ["d", "e"], ["y"], axis=1)]
        with pytest.raises(UnsupportedModel) as caught:
            import_onnx(model(nodes, opset=13))
        assert caught.value.extra["unsupported"] == {"LpNormalization": ["b", "d"], "Custom": ["e"]}
        assert len(caught.value.errors) == 3

    def test_local_functions_are_inlined(self) -> None:
        body = [helper.make_node("Relu", ["a"], ["r"]), helper.make_node("Sigmoid", ["r"], ["o"])]
        fn = helper.make_function("local", "Act", ["a"], ["o"], body, [helper.make_opsetid("", 13)])
        data = model([node("Act", ["x"], ["y"], domain="local")], opset=13, functions=[fn])
        assert [n["op"] for n in nodes_of(data)] == ["relu", known("sigmoid")]


    @pytest.mark.parametrize(("nodes", "inits"), [
        # found by mutating exported models: each was a 500 (NumPy's error escaped the importer)
        ([node("Shape", ["x"], ["s"]), node("Gather", ["s", "i"], ["g"], axis=3),
          node("Reshape", ["x", "g"], ["y"])], [const("i", [0])]),
        ([node("Shape", ["x"], ["s"]), node("Concat", ["s", "s"], ["c"], axis=9),
          node("Reshape", ["x", "c"], ["y"])], []),
        ([node("ConstantOfShape", ["n"], ["z"]), node("Reshape", ["x", "z"], ["y"])], [const("n", [-2])]),
        ([node("Reshape", ["k", "two"], ["r"]), node("Reshape", ["x", "r"], ["y"])],
         [const("k", [1, 2, 3, 4, 5, 6, 7]), const("two", [2])]),
    ])
    def test_shape_computations_that_cannot_be_evaluated_are_listed(self, nodes: list[Any], inits: list[Any]) -> None:
        with pytest.raises(UnsupportedModel, match="cannot be evaluated"):
            import_onnx(model(nodes, opset=13, inits=inits))

    @pytest.mark.parametrize("repeats", [0, 65, 10**12])
    def test_a_repeat_beyond_a_concats_inputs_is_listed(self, repeats: int) -> None:
        # a Tile of 10**12 copies built a list of 10**12 input names (memory, then a 500)
        data = model([node("Tile", ["x", "reps"], ["y"])], opset=13, inits=[const("reps", [1, repeats, 1, 1])])
        with pytest.raises(UnsupportedModel, match="copies on channels"):
            import_onnx(data)

    @pytest.mark.parametrize("nodes", [
        [node("Expand", ["k", "huge"], ["e"]), node("Reshape", ["x", "e"], ["y"])],
        [node("Mul", ["col", "row"], ["m"]), node("Reshape", ["x", "m"], ["y"])],
    ])
    def test_shape_computations_too_large_are_refused_before_they_are_made(self, nodes: list[Any]) -> None:
        inits = [const("k", [2]), const("huge", [10**6, 10**6]), const("col", np.ones((4096, 1), dtype=np.int64)),
                 const("row", np.ones((1, 4096), dtype=np.int64))]
        with pytest.raises(UnsupportedModel, match="at most 4096"):
            import_onnx(model(nodes, opset=13, inits=inits))

    @pytest.mark.parametrize("op", ["Add", "Mul"])
    def test_shape_computations_that_grow_without_bound_are_refused(self, op: str) -> None:
        # s = s + s fifty times: a tree of 2**50 terms (a 20-fold chain took 7 s); c = c * c: a number of
        # 2**50 digits. Both are bounded (500 terms, int64) and listed.
        source = ["s"] if op == "Add" else ["c"]
        nodes = [node("Shape", ["x"], ["s"], start=2)]
        prev = source[0]
        for k in range(50):
            nodes.append(node(op, [prev, prev], [f"a{k}"]))
            prev = f"a{k}"
        nodes += [node("Concat", ["nc", prev], ["sizes"], axis=0), node("Resize", ["x", "", "", "sizes"], ["y"])]
        data = model(nodes, opset=13, inits=[const("nc", [1, 3]), const("c", [3, 3])])
        with pytest.raises(UnsupportedModel, match="TooLarge"):
            import_onnx(data, inputs=["1x3x64x64"])
