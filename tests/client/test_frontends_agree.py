"""The two frontends agree: a module captured by ``convplan_client.torch`` and the same module exported to ONNX
and imported by ``convplan.frontends.onnx`` give the same analysis (issue 12).

Both bodies are analysed by the graph core (``run_graph``) at the first size the capture tests try. Node ids
differ (module paths against ONNX output names) and so do node counts (ONNX writes a crop per axis, folds
batch norms...), so what is compared is what the designer reads: the outputs' sizes and channels, every merge's
input sizes and output size (as a multiset), and per axis the three valid-size sets with the outputs' sizes in
them.
"""

from __future__ import annotations

import io
import warnings
from functools import cache
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import torch_cases as cases  # noqa: E402 - after the torch skip
from torch_cases import NETWORKS  # noqa: E402

from convplan.frontends.onnx import import_onnx  # noqa: E402
from convplan.graph.schema import GraphRequest  # noqa: E402
from convplan.run.graph import run_graph  # noqa: E402

pytestmark = pytest.mark.torch

_SETS = ("runs", "clean", "same_size")


def _onnx_bytes(name: str) -> bytes:
    """The TorchScript exporter's model (every spatial dim dynamic, as a designer exports it)."""
    channels, size = NETWORKS[name][1], NETWORKS[name][2][0]
    axes = {2 + k: symbol for k, symbol in enumerate(cases.symbol_names(name))}
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer warnings
        torch.onnx.export(cases.module(name), torch.zeros(1, channels, *size), buffer, input_names=["x"],
                          dynamic_axes={"x": axes}, dynamo=False, opset_version=17)
    return buffer.getvalue()


@cache
def _imported(name: str) -> dict[str, Any]:
    channels, size = NETWORKS[name][1], NETWORKS[name][2][0]
    graph = import_onnx(_onnx_bytes(name), inputs=["x".join(map(str, (1, channels, *size)))]).graph
    return run_graph(GraphRequest.model_validate(graph))


def _merges(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    nodes = {node["id"]: node for node in answer["nodes"]}
    return sorted((tuple(map(tuple, merge["sizes"])), tuple(nodes[merge["node"]]["output_size"]),
                   nodes[merge["node"]]["out_channels"]) for merge in answer["merges"])


def _outputs(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(out["channels"], tuple(out["size"])) for out in answer["outputs"]]


def _valid_sets(answer: dict[str, Any]) -> list[dict[str, Any] | None]:
    """Per axis, the three sets, with ``output_size`` listed in the order of the outputs (ids differ)."""
    ids = [out["id"] for out in answer["outputs"]]
    out: list[dict[str, Any] | None] = []
    for axis in answer["valid_input_sizes"]:
        if axis is None:
            out.append(None)
            continue
        sets: dict[str, Any] = {}
        for kind in _SETS:
            entry = axis[kind]
            if entry is not None:
                entry = {**entry, "output_size": [entry["output_size"].get(i) for i in ids]}
            sets[kind] = entry
        out.append(sets)
    return out


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_outputs_and_merges_agree(name: str) -> None:
    captured, imported = cases.analysed_at_ints(name), _imported(name)
    assert captured["ok"] and imported["ok"]
    assert _outputs(captured) == _outputs(imported)
    assert _merges(captured) == _merges(imported)
    assert _merges(captured), "every network of the list merges"


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_valid_sizes_agree(name: str) -> None:
    """Also for BasicUNet, whose ``UpCat`` pads only where sizes differ (a Python branch): both exporters trace
    the branch the example size takes (no pad at 64), so both graphs are that path, and agree; the capture
    alone also says where the path holds (its guards, checked in test_torch_capture)."""
    captured, imported = cases.analysed_at_ints(name), _imported(name)
    assert _valid_sets(captured) == _valid_sets(imported)
    assert all(axis is not None and axis["runs"] is not None for axis in _valid_sets(captured))
