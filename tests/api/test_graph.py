"""POST /v1/graph over HTTP: the route, ok/failure/mismatch, problem documents, the symbolic path."""

from __future__ import annotations

import httpx
import pytest

from tests.graph.networks import body, unet

pytestmark = pytest.mark.anyio


class TestGraphEndpoint:
    async def test_a_residual_block_with_a_strided_shortcut(self, api_client: httpx.AsyncClient) -> None:
        nodes = [
            {"id": "conv1", "op": "conv", "inputs": ["x"], "kernel_size": 3, "stride": 2, "padding": 1,
             "out_channels": 32},
            {"id": "conv2", "op": "conv", "inputs": ["conv1"], "kernel_size": 3, "padding": 1, "out_channels": 32},
            {"id": "shortcut", "op": "conv", "inputs": ["x"], "kernel_size": 1, "stride": 2, "out_channels": 32},
            {"id": "sum", "op": "add", "inputs": ["conv2", "shortcut"]},
        ]
        response = await api_client.post("/v1/graph", json=body([63, 64], nodes, channels=16))
        assert response.status_code == 200, response.text
        out = response.json()
        assert out["ok"] is True
        assert out["outputs"] == [{"id": "sum", "size": [32, 32], "size_latex": [None, None], "channels": 32,
                                   "channels_latex": None}]
        assert out["params"] == 16 * 32 * 9 + 32 + 32 * 32 * 9 + 32 + 16 * 32 + 32
        merge = out["merges"][0]
        assert merge["aligned"] and merge["registered"] is True
        assert [n["map"][0] for n in out["nodes"]][-1] == {"scale": 2, "offset": 0}
        clean = out["valid_input_sizes"][0]["clean"]
        assert (clean["modulus"], clean["residues"], clean["min"]) == (1, [0], 1)

    async def test_a_torch_class_name_is_422_saying_the_op(self, api_client: httpx.AsyncClient) -> None:
        nodes = [{"id": "c", "op": "Conv2d", "inputs": ["x"], "kernel_size": 3}]
        response = await api_client.post("/v1/graph", json=body([8], nodes))
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert error["loc"] == ["body", "nodes", 0]
        assert error["msg"].startswith("unknown op 'Conv2d': did you mean 'conv'? ")

    async def test_a_refusing_node_is_ok_false_with_the_failure(self, api_client: httpx.AsyncClient) -> None:
        nodes = [{"id": "c", "op": "conv", "inputs": ["x"], "kernel_size": 5},
                 {"id": "r", "op": "relu", "inputs": ["c"]}]
        response = await api_client.post("/v1/graph", json=body([3], nodes))
        assert response.status_code == 200
        out = response.json()
        assert out["ok"] is False and out["failure"]["node"] == "c"
        assert out["failure"]["errors"][0]["loc"] == ["nodes", 0, "kernel_size"]  # in the graph, as layers[].loc
        assert [n["output_size"] for n in out["nodes"]] == [None, None]
        assert out["valid_input_sizes"][0]["runs"]["min"] == 5

    async def test_a_mismatch_names_the_merge_and_the_culprit(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/graph", json=body([572], unet(4, padded=True)))
        out = response.json()
        assert out["ok"] is False
        assert out["mismatch"]["node"] == "dec3.cat"
        assert out["mismatch"]["culprit"]["node"] == "enc3.pool"
        assert "enc3.pool" in out["mismatch"]["detail"]

    async def test_align_crop_applies_the_registering_crop(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/graph", json=body([572], unet(4, padded=False), align="crop"))
        out = response.json()
        assert out["ok"] is True and out["outputs"][0]["size"] == [388]
        crops = {m["node"]: m["crop"][0] for m in out["merges"]}
        assert crops == {"dec3.cat": [[4, 4]], "dec2.cat": [[16, 16]], "dec1.cat": [[40, 40]],
                         "dec0.cat": [[88, 88]]}

    async def test_symbolic_sizes_go_through_the_worker(self, api_client: httpx.AsyncClient) -> None:
        nodes = [{"id": "c", "op": "conv", "inputs": ["x"], "kernel_size": 3, "padding": 1},
                 {"id": "p", "op": "max_pool", "inputs": ["c"], "kernel_size": 2},
                 {"id": "u", "op": "upsample", "inputs": ["p"], "size_of": "x"},
                 {"id": "m", "op": "mul", "inputs": ["x", "u"]}]
        response = await api_client.post("/v1/graph", json=body(["H"], nodes))
        assert response.status_code == 200, response.text
        out = response.json()
        assert out["outputs"][0]["size"] == ["H"]
        assert out["nodes"][1]["output_size"] == ["floor(H/2)"]

    async def test_a_cycle_is_a_located_422(self, api_client: httpx.AsyncClient) -> None:
        nodes = [{"id": "a", "op": "relu", "inputs": ["b"]}, {"id": "b", "op": "relu", "inputs": ["a"]}]
        response = await api_client.post("/v1/graph", json=body([8], nodes))
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["type"] == "value_error.graph.cycle"

    async def test_too_many_nodes_is_413(self, api_client: httpx.AsyncClient) -> None:
        nodes = [{"id": f"n{k}", "op": "relu", "inputs": ["x" if k == 0 else f"n{k - 1}"]} for k in range(2049)]
        response = await api_client.post("/v1/graph", json=body([8], nodes))
        assert response.status_code == 413

    async def test_limits_lists_the_graph_limits(self, api_client: httpx.AsyncClient) -> None:
        names = {item["name"] for item in (await api_client.get("/v1/limits")).json()["limits"]}
        assert {"max_graph_nodes", "max_graph_edges", "max_graph_inputs"} <= names

    async def test_where_keeps_the_valid_sizes_inside_the_conditions(self, api_client: httpx.AsyncClient) -> None:
        # a padded U-Net of depth 2 runs at multiples of 4; a traced path held only at sizes 8 mod 16 from 24
        request = body([40, 40], unet(2, padded=True))
        request["inputs"][0]["where"] = [{"axis": 0, "modulus": 16, "residues": [8], "min": 24, "note": "traced"}]
        out = (await api_client.post("/v1/graph", json=request)).json()
        runs = [out["valid_input_sizes"][axis]["runs"] for axis in (0, 1)]
        assert (runs[0]["modulus"], runs[0]["residues"], runs[0]["min"]) == (16, [8], 24)
        assert (runs[1]["modulus"], runs[1]["residues"], runs[1]["min"]) == (4, [0], 4)  # axis 1: no condition
        assert runs[0]["output_size"] == {next(iter(runs[0]["output_size"])): {"8": "i"}}
        assert "input x: valid_input_sizes on axis 0 kept inside where[0] (traced)" in out["warnings"]

    async def test_a_size_outside_its_condition_is_a_warning(self, api_client: httpx.AsyncClient) -> None:
        request = body([30], [{"id": "r", "op": "relu", "inputs": ["x"]}])
        request["inputs"][0]["where"] = [{"axis": 0, "modulus": 2, "residues": [0], "min": 2, "extra": [1]}]
        out = (await api_client.post("/v1/graph", json=request)).json()
        runs = out["valid_input_sizes"][0]["runs"]
        assert (runs["modulus"], runs["residues"], runs["min"], runs["extra"]) == (2, [0], 2, [1])
        assert not [w for w in out["warnings"] if "outside" in w]
        request["inputs"][0]["size"] = [31]
        out = (await api_client.post("/v1/graph", json=request)).json()
        assert "input x: its size 31 on axis 0 is outside where[0]: the graph may not be the network at this " \
               "size" in out["warnings"]

    @pytest.mark.parametrize(("where", "second", "loc"), [
        ([{"axis": 1}], False, ["body", "inputs", 0]),
        ([{"axis": 0, "modulus": 4, "residues": [4]}], False, ["body", "inputs", 0, "where", 0]),
        ([{"axis": 0, "min": 8, "max": 7}], False, ["body", "inputs", 0, "where", 0]),
        ([{"axis": 0, "min": 8, "extra": [8]}], False, ["body", "inputs", 0, "where", 0]),
        ([{"axis": 0}], True, ["body"]),
    ])
    async def test_a_bad_condition_is_a_located_422(self, api_client: httpx.AsyncClient, where: list[dict[str, int]],
                                                    second: bool, loc: list[object]) -> None:
        request = body([8], [{"id": "r", "op": "relu", "inputs": ["x"]}])
        request["inputs"][0]["where"] = where
        if second:
            request["inputs"].insert(0, {"name": "y", "size": [8]})
        response = await api_client.post("/v1/graph", json=request)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == loc

    async def test_a_classifier_head_after_a_flatten_is_analysed(self, api_client: httpx.AsyncClient) -> None:
        # VGG's head: a dropout on the flattened features kept the valid-size scan indexing spatial axes (a 500)
        nodes = [{"id": "c", "op": "conv", "inputs": ["x"], "kernel_size": 3, "padding": 1, "out_channels": 2},
                 {"id": "p", "op": "adaptive_avg_pool", "inputs": ["c"], "output_size": 7},
                 {"id": "f", "op": "flatten", "inputs": ["p"]},
                 {"id": "d", "op": "dropout", "inputs": ["f"]},
                 {"id": "fc", "op": "linear", "inputs": ["d"], "in_features": 98, "out_features": 10}]
        response = await api_client.post("/v1/graph", json=body([32, 32], nodes, channels=3))
        assert response.status_code == 200, response.text
        runs = response.json()["valid_input_sizes"][0]["runs"]
        assert (runs["modulus"], runs["residues"], runs["min"]) == (1, [0], 1)
