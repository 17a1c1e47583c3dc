"""The graph-only ops: merges with PyTorch broadcasting, other_size, size_of, flatten and linear heads."""

from __future__ import annotations

from typing import Any

import pytest

from convplan.errors import LayerError
from convplan.graph.schema import GraphRequest
from convplan.run.graph import run_graph
from tests.graph.networks import body


def _run(size: list[Any], nodes: list[dict[str, Any]], channels: Any = None, **extra: Any) -> dict[str, Any]:
    request = body(size, nodes, channels=channels, valid_sizes=False, **extra)
    return run_graph(GraphRequest.model_validate(request), symbolic=False)


class TestMerges:
    def test_concat_sums_channels(self) -> None:
        out = _run([8], [{"id": "a", "op": "conv", "inputs": ["x"], "kernel_size": 1, "out_channels": 5},
                         {"id": "c", "op": "concat", "inputs": ["x", "a", "x"]}], channels=3)
        assert out["outputs"][0]["channels"] == 11

    def test_add_broadcasts_a_size_one_axis_and_takes_the_larger(self) -> None:
        out = _run([8, 8], [{"id": "g", "op": "adaptive_avg_pool", "inputs": ["x"], "output_size": [1, None]},
                            {"id": "m", "op": "mul", "inputs": ["x", "g"]}], channels=4)
        assert out["ok"] and out["outputs"][0]["size"] == [8, 8]
        assert out["merges"][0]["broadcast"] == [[False, False], [True, False]]
        assert out["merges"][0]["aligned"] is True

    def test_other_size_fixes_the_input(self) -> None:
        nodes = [{"id": "pos", "op": "add", "inputs": ["x"], "other_size": [14, 14]}]
        assert _run([14, 14], nodes)["ok"] is True
        out = _run([16, 14], nodes)
        assert out["ok"] is False and "non-singleton" in out["failure"]["detail"]

    def test_add_with_unequal_channels_is_a_failing_node(self) -> None:
        nodes = [{"id": "a", "op": "conv", "inputs": ["x"], "kernel_size": 1, "out_channels": 5},
                 {"id": "s", "op": "add", "inputs": ["x", "a"]}]
        out = _run([8], nodes, channels=3)
        assert out["ok"] is False and out["failure"]["node"] == "s" and "must match" in out["failure"]["detail"]


class TestSizeOf:
    def test_interpolate_to_another_tensors_size(self) -> None:
        nodes = [{"id": "p", "op": "max_pool", "inputs": ["x"], "kernel_size": 2},
                 {"id": "c", "op": "conv", "inputs": ["p"], "kernel_size": 3},
                 {"id": "u", "op": "upsample", "inputs": ["c"], "size_of": "x", "mode": "nearest"}]
        assert _run([37], nodes)["outputs"][0]["size"] == [37]

    @pytest.mark.parametrize(("anchor", "before"), [("center", 2), ("start", 0), ("end", 5)])
    def test_crop_to_a_smaller_tensor(self, anchor: str, before: int) -> None:
        nodes = [{"id": "c", "op": "conv", "inputs": ["x"], "kernel_size": 6},
                 {"id": "k", "op": "crop", "inputs": ["x"], "size_of": "c", "anchor": anchor}]
        out = _run([20], nodes)
        assert out["nodes"][1]["output_size"] == [15]
        assert out["nodes"][1]["padding_resolved"] == [[-before, -(5 - before)]]

    def test_crop_to_a_larger_tensor_fails(self) -> None:
        nodes = [{"id": "p", "op": "max_pool", "inputs": ["x"], "kernel_size": 2},
                 {"id": "k", "op": "crop", "inputs": ["p"], "size_of": "x"}]
        out = _run([20], nodes)
        assert out["ok"] is False and "smaller than the target" in out["failure"]["detail"]

    def test_pad_to_size_on_chosen_axes(self) -> None:
        nodes = [{"id": "p", "op": "max_pool", "inputs": ["x"], "kernel_size": 2},
                 {"id": "u", "op": "conv_transpose", "inputs": ["p"], "kernel_size": 2, "stride": 2},
                 {"id": "f", "op": "pad", "inputs": ["u"], "size_of": "x", "axes": [1]}]
        out = _run([21, 21], nodes)
        assert out["outputs"][0]["size"] == [20, 21]

    def test_size_of_outside_a_graph_is_refused(self) -> None:
        from convplan.shapes import ShapesRequest, run_shapes

        with pytest.raises(LayerError, match="only meaningful in /v1/graph"):
            run_shapes(ShapesRequest.model_validate({"input_size": [8], "layers": [
                {"op": "upsample", "size_of": "x"}]}))


class TestHeads:
    def test_flatten_then_linear(self) -> None:
        nodes = [{"id": "f", "op": "flatten", "inputs": ["x"]},
                 {"id": "fc", "op": "linear", "inputs": ["f"], "in_features": 3 * 7 * 7, "out_features": 10}]
        out = _run([7, 7], nodes, channels=3)
        assert out["ok"] and out["outputs"] == [{"id": "fc", "size": [], "size_latex": [], "channels": 10,
                                                 "channels_latex": None}]
        assert out["params"] == 147 * 10 + 10

    def test_a_head_fixes_the_input_size(self) -> None:
        nodes = [{"id": "c", "op": "conv", "inputs": ["x"], "kernel_size": 3, "out_channels": 2},
                 {"id": "p", "op": "max_pool", "inputs": ["c"], "kernel_size": 2},
                 {"id": "f", "op": "flatten", "inputs": ["p"]},
                 {"id": "fc", "op": "linear", "inputs": ["f"], "in_features": 2 * 5, "out_features": 4}]
        out = run_graph(GraphRequest.model_validate(body([12], nodes, channels=1)), symbolic=False)
        runs = out["valid_input_sizes"][0]["runs"]
        assert runs["residues"] == [] and runs["extra"] == [12, 13]

    @pytest.mark.parametrize("op", [
        {"op": "conv", "kernel_size": 1, "out_channels": 2}, {"op": "max_pool", "kernel_size": 1},
        {"op": "upsample", "scale_factor": 2}, {"op": "pad", "padding": 1}, {"op": "instance_norm"},
        {"op": "local_response_norm", "size": 2}, {"op": "adaptive_avg_pool", "output_size": 1}])
    def test_a_spatial_op_after_a_flatten_is_refused(self, op: dict) -> None:
        # PyTorch refuses the (N, F) features in its 2-d and 3-d layers (and LocalResponseNorm in any); its 1-d
        # ones would read them as one unbatched (C, L) sample
        nodes = [{"id": "f", "op": "flatten", "inputs": ["x"]}, {"id": "s", "inputs": ["f"], **op}]
        with pytest.raises(LayerError, match="it needs spatial axes, but its input has none: it follows a flatten"):
            _run([7], nodes, channels=3)

    @pytest.mark.parametrize("op", [{"op": "relu"}, {"op": "dropout"}, {"op": "batch_norm"},
                                    {"op": "group_norm", "num_groups": 3}, {"op": "layer_norm", "normalized_shape": 21},
                                    {"op": "softmax", "dim": 1}, {"op": "flatten"}])
    def test_feature_ops_after_a_flatten_run(self, op: dict) -> None:
        nodes = [{"id": "f", "op": "flatten", "inputs": ["x"]}, {"id": "s", "inputs": ["f"], **op}]
        out = _run([7], nodes, channels=3)
        assert out["ok"] and out["outputs"][0]["size"] == [] and out["outputs"][0]["channels"] == 21

    def test_linear_needs_a_flattened_input(self) -> None:
        nodes = [{"id": "fc", "op": "linear", "inputs": ["x"], "in_features": 3, "out_features": 4}]
        with pytest.raises(LayerError, match="flattened input"):
            _run([7], nodes, channels=3)
