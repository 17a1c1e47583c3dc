"""Real networks exported by PyTorch (tests/fixtures/onnx, made by make_models.py): imported with no
per-model code, analysed, and compared with what PyTorch ran at every size of the range (expected.json)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from convplan.frontends.onnx import import_onnx
from convplan.graph.schema import GraphRequest
from convplan.run.graph import run_graph
from convplan.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "onnx"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text())

# MONAI's UpCat pads the decoder map only when the sizes differ: a Python branch, which the TorchScript
# exporter traces at the example size (no pad there), so the exported graph is not the module at other sizes.
TRACED_BRANCHES = frozenset({"monai_basicunet"})


def in_set(entry: dict[str, Any], i: int) -> bool:
    """Membership in the contract's eventually periodic form."""
    if i in entry["extra"]:
        return True
    low, high = entry["min"], entry["max"]
    return (low is None or i >= low) and (high is None or i <= high) and i % entry["modulus"] in entry["residues"]


@cache
def analysed(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = EXPECTED[name]
    size = spec["example_size"]
    result = import_onnx((FIXTURES / f"{name}.onnx").read_bytes(),
                         inputs=[f"1x{spec['in_channels']}x{size}x{size}"])
    return result.graph, run_graph(GraphRequest.model_validate(result.graph), Settings.model_construct())


@pytest.mark.parametrize("name", sorted(EXPECTED))
class TestExportedNetworks:
    def test_imports_as_a_valid_graph_whose_output_has_pytorchs_size(self, name: str) -> None:
        _, analysis = analysed(name)
        spec = EXPECTED[name]
        assert analysis["ok"] is True
        (output,) = analysis["outputs"]
        assert output["size"] == spec["output_size"][str(spec["example_size"])]

    def test_runs_agrees_with_pytorch_at_every_size(self, name: str) -> None:
        if name in TRACED_BRANCHES:
            pytest.skip("the export traced a size-dependent Python branch (see TRACED_BRANCHES)")
        _, analysis = analysed(name)
        runs = analysis["valid_input_sizes"][0]["runs"]
        low, high = EXPECTED[name]["brute_force_sizes"]
        tried = range(low, high + 1)
        assert [i for i in tried if in_set(runs, i)] == EXPECTED[name]["runs"]


# torch's dynamo exporter computes every bound from the input's sizes (and declares each tensor's dims in
# them); the TorchScript one from the shapes of the tensors involved: both give the same size_of nodes.
EXPORTERS = pytest.mark.parametrize("suffix", ["", "_dynamo"])


@EXPORTERS
def test_the_crops_of_the_unet_paper_are_size_of_centre_crops(suffix: str) -> None:
    graph, _ = analysed(f"unet_paper{suffix}")
    crops = [n for n in graph["nodes"] if n["op"] == "crop"]
    assert len(crops) == 4 and all(n["anchor"] == "center" and "size_of" in n for n in crops)


@EXPORTERS
def test_fcn_caffe_crops_are_an_offset_then_a_crop_to_the_target(suffix: str) -> None:
    graph, _ = analysed(f"fcn8s{suffix}")
    crops = [n for n in graph["nodes"] if n["op"] == "crop"]
    assert [n["crop"] for n in crops if "crop" in n][:2] == [[[5, 0], [0, 0]], [[0, 0], [5, 0]]]
    assert {n["size_of"] for n in crops if "size_of" in n} >= {"x"}


@EXPORTERS
def test_the_fpn_interpolates_to_the_lateral_sizes(suffix: str) -> None:
    graph, _ = analysed(f"resnet_fpn{suffix}")
    assert [n.get("size_of") is not None for n in graph["nodes"] if n["op"] == "upsample"] == [True] * 3
