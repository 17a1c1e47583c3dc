"""A merge's inputs compared and aligned at symbolic sizes: the answer holds, as the numeric one, wherever its
conditions do (sweeps of random graphs at ``H`` against every numeric size found each of these)."""

from __future__ import annotations

from typing import Any, ClassVar

from convplan.expr import SymbolTable, parse_expression, substitute
from convplan.graph.schema import GraphRequest
from convplan.run.graph import run_graph
from tests.graph.networks import body


def _run(size: list[Any], nodes: list[dict[str, Any]], align: str) -> dict[str, Any]:
    return run_graph(GraphRequest.model_validate(body(size, nodes, align=align, valid_sizes=False)),
                     symbolic=any(isinstance(s, str) for s in size))


def _node(out: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in out["nodes"] if n["id"] == node_id)


class TestSymbolicOrder:
    #: H against 4*(H - 1): equal at no size, smaller at H = 1, larger from H = 2 (which the up-conv needs).
    NODES: ClassVar[list[dict[str, Any]]] = [
        {"id": "up", "op": "conv_transpose", "inputs": ["x"], "kernel_size": 2, "stride": 2, "padding": 1},
        {"id": "up2", "op": "upsample", "inputs": ["up"], "scale_factor": 2},
        {"id": "cat", "op": "concat", "inputs": ["x", "up2"]},
    ]

    def test_a_pad_goes_to_the_size_that_is_the_largest_past_a_small_size_flip(self) -> None:
        out = _run(["H"], self.NODES, "pad")
        assert _node(out, "cat")["output_size"] == ["4*(H - 1)"]  # was H: input 0, a "pad" that cropped
        assert any("is the largest" in c["where"] and c["expr"] == "H >= 2" for c in out["conditions"])
        assert _node(_run([5], self.NODES, "pad"), "cat")["output_size"] == [16]

    def test_a_crop_goes_to_the_smallest(self) -> None:
        out = _run(["H"], self.NODES, "crop")
        assert _node(out, "cat")["output_size"] == ["H"]
        assert _node(_run([5], self.NODES, "crop"), "cat")["output_size"] == [5]


def test_a_size_that_may_be_1_is_compared_only_where_it_is_not() -> None:
    # add(x, conv3(x)): at H = 3 the conv gives 1, which PyTorch broadcasts (the add is 3 wide, not 1).
    nodes = [{"id": "c", "op": "conv", "inputs": ["x"], "kernel_size": 3},
             {"id": "sum", "op": "add", "inputs": ["x", "c"]}]
    out = _run(["H"], nodes, "crop")
    assert _node(out, "sum")["output_size"] == ["H - 2"]
    assert [c["expr"] for c in out["conditions"] if "broadcast" in c["where"]] == ["H >= 2", "H >= 4"]
    assert _node(_run([3], nodes, "crop"), "sum")["output_size"] == [3]
    assert _node(_run([4], nodes, "crop"), "sum")["output_size"] == [2]


def test_sizes_equal_where_the_answer_holds_need_no_fix() -> None:
    # floor(H/3) and H - 4 are equal at H = 5 and 6 only: under "none" the graph holds there, and there nothing
    # is to be cropped or padded.
    nodes = [{"id": "p", "op": "max_pool", "inputs": ["x"], "kernel_size": 3},
             {"id": "c", "op": "conv", "inputs": ["x"], "kernel_size": 5},
             {"id": "cat", "op": "concat", "inputs": ["p", "c"]}]
    out = _run(["H"], nodes, "none")
    assert any(c["expr"] == "H == floor(H/3) + 4" for c in out["conditions"])
    merge = out["merges"][0]
    assert merge["crop"] == merge["pad"] == [[[0, 0]], [[0, 0]]]  # were null for input 1
    assert _run([6], nodes, "none")["merges"][0]["crop"] == [[[0, 0]], [[0, 0]]]


def test_a_symbolic_offset_that_is_0_at_every_size_registers() -> None:
    # The centred pad moves the strided conv's map by an amount in H; concatenated with itself it registers.
    nodes = [{"id": "a", "op": "conv", "inputs": ["x"], "kernel_size": 3, "stride": 2, "padding": 1},
             {"id": "b", "op": "concat", "inputs": ["a", "x"]},
             {"id": "twice", "op": "concat", "inputs": ["b", "b"]}]
    out = _run(["H"], nodes, "pad")
    offset = _node(out, "b")["map"][0]["offset"]
    assert isinstance(offset, str) and "floor" in offset
    assert out["merges"][1]["registered"] is True  # was null: the offset is an expression


def test_an_upsampling_factors_map_holds_at_symbolic_sizes() -> None:
    nodes = [{"id": "up", "op": "upsample", "inputs": ["x"], "scale_factor": 2},
             {"id": "exact", "op": "upsample", "inputs": ["x"], "scale_factor": 2, "recompute_scale_factor": True}]
    out = _run(["H"], nodes, "none")
    assert _node(out, "up")["map"] == [{"scale": 0.5, "offset": -0.25}]  # was null
    assert _node(out, "exact")["map"] is None  # in/out: needs the sizes as numbers


def test_a_crop_registers_by_an_offset_in_the_symbols() -> None:
    # The centred crops before move x's map against the pooled path by floor((H - 1)/2)/2 + ...: the crop that
    # registers them is floor of that offset, as at every numeric size (was null).
    nodes = [{"id": "up", "op": "conv_transpose", "inputs": ["x"], "kernel_size": 3, "stride": 2, "padding": 1},
             {"id": "a", "op": "concat", "inputs": ["x", "up"]},
             {"id": "b", "op": "concat", "inputs": ["up", "a"]},
             {"id": "pool", "op": "max_pool", "inputs": ["b"], "kernel_size": 2},
             {"id": "cat", "op": "concat", "inputs": ["pool", "x"]}]
    crop = _run(["H"], nodes, "crop")["merges"][2]["crop"][1][0]
    assert crop is not None
    for n in (20, 59, 60, 61, 62):
        numeric = _run([n], nodes, "crop")["merges"][2]["crop"][1][0]
        assert [substitute(parse_expression(v, SymbolTable()), {"H": n}) for v in crop] == numeric


def test_an_applied_crop_that_registers_at_some_sizes_holds_where_it_does() -> None:
    # The shifted upsampling sits 1 pixel into x and is 0 or 1 smaller: the registering crop [1, D - 1] exists
    # at odd H only. Applied, the answer holds there (a condition); the pad, not applied, is null.
    nodes = [{"id": "pool", "op": "max_pool", "inputs": ["x"], "kernel_size": 2},
             {"id": "up", "op": "upsample", "inputs": ["pool"], "scale_factor": 2},
             {"id": "shift", "op": "pad", "inputs": ["up"], "padding": [[-1, 1]]},
             {"id": "cat", "op": "concat", "inputs": ["x", "shift"]}]
    out = _run(["H"], nodes, "crop")
    merge = out["merges"][0]
    assert merge["crop"][0][0][0] == 1 and merge["pad"][1] == [None]
    assert any(c["expr"] == "H >= 2*floor(H/2) + 1" for c in out["conditions"])  # H odd
    assert merge["registered"] is True
    numeric = _run([9], nodes, "crop")["merges"][0]
    assert numeric["crop"][0] == [[1, 0]] and numeric["registered"] is True


class TestCropNodesAtSymbolicSizes:
    """A crop or pad node with an amount in the symbols (``size_of`` centred on H, an ONNX Slice) moves the map
    by that amount: merges after it relate their inputs exactly (offsets and ``registered`` were null)."""

    @staticmethod
    def _level(anchor: str, pool_kernel: int) -> list[dict[str, Any]]:
        # a valid U-Net level: the skip cropped to the upsampled path, as the paper's x[..., d:d+n] does
        return [{"id": "a", "op": "conv", "inputs": ["x"], "kernel_size": 3},
                {"id": "p", "op": "max_pool", "inputs": ["a"], "kernel_size": pool_kernel},
                {"id": "b", "op": "conv", "inputs": ["p"], "kernel_size": 3},
                {"id": "u", "op": "conv_transpose", "inputs": ["b"], "kernel_size": pool_kernel,
                 "stride": pool_kernel},
                {"id": "c", "op": "crop", "inputs": ["a"], "size_of": "u", "anchor": anchor},
                {"id": "cat", "op": "concat", "inputs": ["c", "u"]}]

    def test_the_papers_centred_crop_registers_at_every_size(self) -> None:
        merge = _run(["H"], self._level("center", 2), "none")["merges"][0]
        assert merge["offset"] == [[0], [0]] and merge["registered"] is True
        assert all(_run([n], self._level("center", 2), "none")["merges"][0]["registered"] for n in range(12, 40))

    def test_offsets_and_registration_agree_with_every_numeric_size(self) -> None:
        for anchor in ("center", "start", "end"):
            for kernel in (2, 3):
                nodes = self._level(anchor, kernel)
                symbolic = _run(["H"], nodes, "none")["merges"][0]
                numeric = [_run([n], nodes, "none")["merges"][0] for n in range(16, 52)]
                offset = symbolic["offset"][1][0]
                assert offset is not None, (anchor, kernel)
                for n, merge in zip(range(16, 52), numeric, strict=True):
                    value = offset if not isinstance(offset, str) else substitute(
                        parse_expression(offset, SymbolTable()), {"H": n})
                    assert value == merge["offset"][1][0], (anchor, kernel, n)
                seen = {merge["registered"] for merge in numeric}
                assert symbolic["registered"] == (seen.pop() if len(seen) == 1 else None), (anchor, kernel)
