"""Graphs run in PyTorch and in convplan from one description: runs / output sizes agree at every size.

Each node is interpreted with ``torch.nn.functional`` on meta tensors (shapes only), size by size; what
PyTorch refuses must be outside ``runs``, what it runs inside with the same output sizes. Random graphs
(convs with dilation and padding, pools with ceil_mode, transposed convs, nearest upsampling, adds with
broadcasting, concats) and the named networks of ``tests/graph/networks.py``.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from convplan.graph.schema import GraphRequest
from convplan.run.graph import run_graph
from tests.analyses.test_valid_size_sets import _members, _random_graph
from tests.graph.networks import basic_unet, body, resnet_fpn, unet

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.torch


def _torch_run(request: dict[str, Any], n: int) -> dict[str, list[int]] | None:
    """Output sizes of the graph's outputs at input size n (1-D or square 2-D), or None where PyTorch refuses."""
    rank = len(request["inputs"][0]["size"])
    conv = (F.conv1d, F.conv2d)[rank - 1]
    convt = (F.conv_transpose1d, F.conv_transpose2d)[rank - 1]
    pool = (F.max_pool1d, F.max_pool2d)[rank - 1]
    values: dict[str, Any] = {"x": torch.empty((1, 1) + (n,) * rank, device="meta")}
    try:
        for node in request["nodes"]:
            x = values[node["inputs"][0]]
            op = node["op"]
            if op == "conv":
                k = node["kernel_size"]
                w = torch.empty((1, x.shape[1]) + (k,) * rank, device="meta")
                y = conv(x, w, stride=node.get("stride", 1), padding=node.get("padding", 0),
                         dilation=node.get("dilation", 1))
            elif op == "conv_transpose":
                k = node["kernel_size"]
                w = torch.empty((x.shape[1], 1) + (k,) * rank, device="meta")
                y = convt(x, w, stride=node.get("stride", 1), padding=node.get("padding", 0))
            elif op == "max_pool":
                y = pool(x, node["kernel_size"], stride=node.get("stride"), padding=node.get("padding", 0),
                         ceil_mode=node.get("ceil_mode", False))
            elif op == "upsample":
                mode = node.get("mode", "nearest")
                y = F.interpolate(x, scale_factor=node["scale_factor"], mode=mode)
            elif op == "relu":
                y = x
            elif op == "add":
                y = x + values[node["inputs"][1]]
            elif op == "concat":
                y = torch.cat([values[name] for name in node["inputs"]], dim=1)
            elif op == "pad":
                target = values[node["size_of"]].shape[2:]
                diff = [t - s for t, s in zip(target, x.shape[2:])]
                if any(d < 0 for d in diff):
                    return None
                amounts = [v for d in reversed(diff) for v in (0, d)]
                y = F.pad(x, amounts, mode="replicate") if any(diff) else x
            else:
                raise AssertionError(f"no torch form for {op}")
            values[node["id"]] = y
    except RuntimeError:
        return None
    read = {name for node in request["nodes"] for name in node["inputs"]}
    return {node["id"]: list(values[node["id"]].shape[2:]) for node in request["nodes"] if node["id"] not in read}


def _compare(request: dict[str, Any], upto: int) -> int:
    # Channels known (1 in, 1 out of every conv) so that convplan checks them as PyTorch does.
    request = dict(request, inputs=[dict(request["inputs"][0], channels=1)],
                   nodes=[dict(n, out_channels=1) if n["op"] in ("conv", "conv_transpose") else n
                          for n in request["nodes"]])
    out = run_graph(GraphRequest.model_validate(request), symbolic=False)
    sets = out["valid_input_sizes"][0]
    if sets is None:
        pytest.skip(out["valid_input_sizes_reason"][0])
    runs = _members(sets["runs"], upto)
    agreed = 0
    for n in range(1, upto):
        torch_out = _torch_run(request, n)
        assert (torch_out is not None) == (n in runs), (n, request)
        if torch_out is not None:
            probe = dict(request, inputs=[dict(request["inputs"][0], size=[n] * len(request["inputs"][0]["size"]))],
                         valid_sizes=False)
            ours = run_graph(GraphRequest.model_validate(probe), symbolic=False)
            assert {o["id"]: o["size"] for o in ours["outputs"]} == torch_out, n
            agreed += 1
    return agreed


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_agree_with_pytorch(seed: int) -> None:
    request = _random_graph(random.Random(seed))
    request["align"] = "none"  # PyTorch has no align fix: the network must run as written
    _compare(request, 160)


@pytest.mark.parametrize(("name", "request_body", "upto"), [
    ("resnet_fpn", body([256], resnet_fpn()), 140),
    ("basic_unet", body([96], basic_unet()), 120),
    ("padded_unet_depth_4", body([96], unet(4, padded=True)), 120),
])
def test_named_networks_agree_with_pytorch(name: str, request_body: dict[str, Any], upto: int) -> None:
    nodes = [dict(n, mode="nearest") if n["op"] == "upsample" else n for n in request_body["nodes"]]
    assert _compare(dict(request_body, nodes=nodes), upto) > 0
