"""``graph()`` and ``check_module()`` on both clients, against a scripted transport: the request, the typed answer."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest

from convplan_client import AsyncClient, Client, GraphResult, ModuleCheck

ANSWER: dict[str, Any] = {
    "ok": False,
    "outputs": [{"id": "cat", "size": None, "channels": None}],
    "params": 10,
    "conditions": [],
    "warnings": ["w"],
    "nodes": [{"id": "c1", "op": "conv", "inputs": ["x"], "input_size": [[9]], "output_size": [4],
               "in_channels": [1], "out_channels": 2, "map": [{"scale": 2, "offset": 0}], "new_field": 1}],
    "merges": [{"node": "cat", "inputs": ["c1", "x"], "sizes": [[4], [9]], "aligned": False,
                "culprit": {"node": "c1", "op": "conv", "reason": "drops_rows"}}],
    "mismatch": {"node": "cat", "axis": 0, "sizes": [4, 9], "culprit": {"node": "c1", "reason": "drops_rows"},
                 "detail": "4 vs 9"},
    "valid_input_sizes": [{"runs": {"modulus": 2, "residues": [0], "min": 2, "max": None, "extra": [1]},
                           "clean": None, "same_size": None}],
}


def _transport(seen: list[dict[str, Any]]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/graph"
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=ANSWER)

    return httpx.MockTransport(handler)


def test_graph_sends_the_fields_and_parses_the_answer() -> None:
    seen: list[dict[str, Any]] = []
    body = {"inputs": [{"name": "x", "size": [9], "channels": 1}],
            "nodes": [{"id": "c1", "op": "conv", "inputs": ["x"], "kernel_size": 3, "stride": 2}]}
    with Client(transport=_transport(seen)) as client:
        result = client.graph(**body, align=None)
    assert seen == [body]  # None-valued fields are not sent
    assert isinstance(result, GraphResult) and not result.ok
    assert result.node("c1").output_size == [4] and result.node("c1").new_field == 1
    assert result.mismatch is not None and result.mismatch.culprit is not None
    assert result.mismatch.culprit.reason == "drops_rows"
    runs = result.valid_input_sizes[0].runs
    assert 1 in runs and 4 in runs and 5 not in runs
    with pytest.raises(KeyError):
        result.node("nope")


def test_async_graph_gives_the_same_answer() -> None:
    seen: list[dict[str, Any]] = []

    async def main() -> GraphResult:
        async with AsyncClient(transport=_transport(seen)) as client:
            return await client.graph(inputs=[{"name": "x", "size": [9]}], nodes=[])

    assert anyio.run(main).merges[0].culprit.node == "c1"
    assert seen == [{"inputs": [{"name": "x", "size": [9]}], "nodes": []}]


def _net() -> Any:
    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 2, 3, stride=2)

        def forward(self, x: Any) -> Any:
            y = self.conv(x)
            if x.shape[2] % 2 == 0:  # size-dependent Python control flow: a guard
                y = y + 1
            return y

    return Net()


@pytest.mark.torch
def test_check_module_captures_sends_and_reports_the_guards() -> None:
    net = _net()
    seen: list[dict[str, Any]] = []
    with Client(transport=_transport(seen)) as client:
        result = client.check_module(net, ("H", "W"), 1, align="crop", valid_sizes=False)
    (sent,) = seen
    assert sent["align"] == "crop" and sent["valid_sizes"] is False
    assert [n["id"] for n in sent["nodes"]] == ["conv"]
    assert isinstance(result, ModuleCheck) and result.body == sent
    assert [g.text for g in result.guards] == ["H % 2 == 0"]
    assert [(c["axis"], c["modulus"], c["residues"]) for c in sent["inputs"][0]["where"]] == [(0, 2, [0])]
    assert "test_client_graph.py" in result.guards[0].where
    assert result.capture_seconds > 0


@pytest.mark.torch
def test_async_check_module() -> None:
    net = _net()
    seen: list[dict[str, Any]] = []

    async def main() -> ModuleCheck:
        async with AsyncClient(transport=_transport(seen)) as client:
            return await client.check_module(net, (33, 40), 1)

    result = anyio.run(main)
    assert [g.text for g in result.guards] == ["x_2 % 2 != 0"]
    where = {"axis": 0, "modulus": 2, "residues": [1], "min": 1, "max": None, "extra": [],
             "note": result.guards[0].text + f" ({result.guards[0].where})"}
    assert seen[0]["inputs"] == [{"name": "x", "size": [33, 40], "channels": 1, "where": [where]}]
