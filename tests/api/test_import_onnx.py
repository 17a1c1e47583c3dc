"""POST /v1/import/onnx: bodies, query, limits and hostile files (each a clean 4xx)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from convplan.frontends.onnx.example import example_model
from tests.frontends.onnx.builders import model, node, weight

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "onnx"
OCTET = {"content-type": "application/octet-stream"}

pytestmark = pytest.mark.anyio


async def post(client: httpx.AsyncClient, data: bytes, query: str = "") -> httpx.Response:
    return await client.post(f"/v1/import/onnx{query}", content=data, headers=OCTET)


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith(f"/{slug}"), body
    return body


@pytest.fixture
async def small_limits_client() -> AsyncIterator[httpx.AsyncClient]:
    from convplan.app import create_app
    from convplan.settings import Settings

    app = create_app(Settings.model_construct(max_model_bytes=2000, max_model_nodes=3, max_model_nesting=1))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


class TestImportOnnx:
    async def test_octet_stream_answers_model_graph_and_warnings(self, api_client: httpx.AsyncClient) -> None:
        response = await post(api_client, example_model(), "?analyse=false")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["model"] == {"opset": 13, "producer": "convplan", "inputs": [{"name": "x",
                                                                                   "shape": [1, 1, "H", "W"]}]}
        assert [n["op"] for n in body["graph"]["nodes"]] == ["conv", "relu", "max_pool", "upsample", "concat"]
        assert body["graph"]["outputs"] == ["out"] and body["analysis"] is None and body["warnings"] == []

    async def test_multipart_field_model(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/import/onnx?analyse=false",
                                         files={"model": ("m.onnx", example_model(), "application/octet-stream")})
        assert response.status_code == 200, response.text
        assert response.json()["graph"]["inputs"] == [{"name": "x", "size": ["H", "W"], "channels": 1}]

    async def test_multipart_without_the_field_is_422(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/import/onnx", files={"other": ("m.onnx", example_model())})
        problem(response, 422, "not-onnx")

    async def test_query_input_align_training(self, api_client: httpx.AsyncClient) -> None:
        response = await post(api_client, example_model(), "?analyse=false&input=1x1x64x62&align=crop&training=true")
        graph = response.json()["graph"]
        assert (graph["inputs"][0]["size"], graph["align"], graph["training"]) == ([64, 62], "crop", True)

    async def test_bad_input_option_is_422_in_the_query(self, api_client: httpx.AsyncClient) -> None:
        body = problem(await post(api_client, example_model(), "?input=1x1x6.4x2"), 422, "invalid-request")
        assert body["errors"][0]["loc"] == ["query", "input", 0]

    @pytest.mark.parametrize(("query", "detail"), [
        ("?input=1x3x32x32", "input 'x': channels 3 differs from the model's 1"),
        ("?input=1x1x32", "input 'x' has rank 4, the shape given 3"),
        ("?input=2x1x32x32", "input 'x': batch 2 differs from the model's 1"),
        ("?input=1x1x8x8&input=y:1x1x32x32", "the model has no input 'y' (its inputs: 'x')")])
    async def test_a_shape_the_model_cannot_take_is_the_requests_fault(self, api_client: httpx.AsyncClient,
                                                                        query: str, detail: str) -> None:
        # the model is fine: the query is wrong (it said invalid-model)
        body = problem(await post(api_client, example_model(), query), 422, "invalid-request")
        assert body["detail"] == detail
        assert body["errors"][0]["loc"] == ["query", "input", query.count("&")]

    async def test_json_body_is_415(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/import/onnx", json={"model": "x"})
        problem(response, 415, "unsupported-media-type")

    async def test_the_example_route_serves_the_openapi_example(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.get("/v1/import/onnx/example.onnx")
        assert response.status_code == 200 and response.content == example_model()

    async def test_unsupported_ops_are_all_listed_with_body_locations(self, api_client: httpx.AsyncClient) -> None:
        data = model([node("LpNormalization", ["x"], ["a"]), node("NonZero", ["a"], ["b"]),
                      node("LpNormalization", ["a"], ["c"])], outputs=["c"], opset=13)
        body = problem(await post(api_client, data), 422, "unsupported-model")
        assert body["unsupported"] == {"LpNormalization": ["a", "c"], "NonZero": ["b"]}
        assert body["errors"][0]["loc"] == ["body", "graph", "node", "a"]

    async def test_max_body_bytes_does_not_apply_to_models(self, api_client: httpx.AsyncClient) -> None:
        # Larger than the JSON body limit (8 MB), below max_model_bytes; the weights are read by their dims.
        weights = helper.make_tensor("w", TensorProto.FLOAT, [2_250_000, 1, 1, 1],
                                     np.zeros(2_250_000, np.float32).tobytes(), raw=True)
        data = model([node("Conv", ["x", "w"], ["c"], kernel_shape=[1, 1])], shape=(1, 1, "H", "W"), inits=[weights])
        assert len(data) > 8_000_000
        response = await post(api_client, data, "?analyse=false")
        assert response.status_code == 200, response.text
        assert response.json()["graph"]["nodes"][0]["out_channels"] == 2_250_000


class TestImportOnnxLimits:
    async def test_over_max_model_bytes_is_413_before_parsing(self, small_limits_client: httpx.AsyncClient) -> None:
        body = problem(await post(small_limits_client, b"\0" * 2001), 413, "limit-exceeded")
        assert (body["limit"], body["value"]) == ("max_model_bytes", 2000)

    async def test_over_max_model_nodes_is_413(self, small_limits_client: httpx.AsyncClient) -> None:
        data = model([node("Relu", ["x"], ["r0"])] + [node("Relu", [f"r{k}"], [f"r{k + 1}"]) for k in range(3)])
        body = problem(await post(small_limits_client, data), 413, "limit-exceeded")
        assert body["limit"] == "max_model_nodes"

    async def test_nested_graphs_over_max_model_nesting_is_413(self, small_limits_client: httpx.AsyncClient) -> None:
        inner = helper.make_graph([], "inner", [], [])
        middle = helper.make_graph([node("If", ["c"], [], then_branch=inner, else_branch=inner)], "middle", [], [])
        data = model([node("If", ["c"], ["y"], then_branch=middle, else_branch=middle)], outputs=["y"])
        body = problem(await post(small_limits_client, data), 413, "limit-exceeded")
        assert body["limit"] == "max_model_nesting"

    async def test_limits_are_published(self, api_client: httpx.AsyncClient) -> None:
        limits = {item["name"]: item["value"] for item in (await api_client.get("/v1/limits")).json()["limits"]}
        assert limits["max_model_bytes"] == 256_000_000
        assert {"max_model_nodes", "max_model_nesting"} <= set(limits)


class TestImportOnnxHostile:
    @pytest.mark.parametrize("data", [
        pytest.param(example_model()[: len(example_model()) // 2], id="truncated"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, id="wrong-magic"),
        pytest.param(b"PK\x03\x04" + bytes(range(256)), id="zip"),
        pytest.param(b"\x08\x07", id="no-graph"),
    ])
    async def test_not_onnx_is_422(self, api_client: httpx.AsyncClient, data: bytes) -> None:
        problem(await post(api_client, data), 422, "not-onnx")

    async def test_empty_body_is_422(self, api_client: httpx.AsyncClient) -> None:
        problem(await api_client.post("/v1/import/onnx", content=b"", headers=OCTET), 422, "not-onnx")

    async def test_huge_input_dims_are_422(self, api_client: httpx.AsyncClient) -> None:
        data = model([node("Relu", ["x"], ["y"])], shape=(1, 3, 10**15, 4))
        body = problem(await post(api_client, data), 422, "invalid-model")
        assert "10000000000000000" not in body["detail"] and "1000000000000000" in body["detail"]

    async def test_a_cycle_is_422(self, api_client: httpx.AsyncClient) -> None:
        data = model([node("Add", ["x", "b"], ["a"]), node("Relu", ["a"], ["b"])], outputs=["b"])
        body = problem(await post(api_client, data), 422, "invalid-model")
        assert "cycle" in body["detail"]

    async def test_a_node_fed_by_itself_is_422(self, api_client: httpx.AsyncClient) -> None:
        data = model([node("Relu", ["y"], ["y"])], outputs=["y"])
        problem(await post(api_client, data), 422, "invalid-model")

    async def test_an_unknown_tensor_is_422(self, api_client: httpx.AsyncClient) -> None:
        problem(await post(api_client, model([node("Relu", ["ghost"], ["y"])])), 422, "invalid-model")

    async def test_an_initializer_claiming_1e12_elements_is_read_by_dims(self, api_client: httpx.AsyncClient) -> None:
        data = model([node("Conv", ["x", "w"], ["c"], kernel_shape=[1, 1])], inits=[weight("w", [10**6, 3, 1, 1]),
                                                                                   weight("big", [10**6, 10**6])])
        response = await post(api_client, data, "?analyse=false")
        assert response.status_code == 200 and response.json()["graph"]["nodes"][0]["out_channels"] == 10**6

    async def test_a_shape_parameter_claiming_1e12_elements_is_422(self, api_client: httpx.AsyncClient) -> None:
        data = model([node("Resize", ["x", "", "s"], ["r"])], opset=13, inits=[weight("s", [10**6, 10**6])])
        body = problem(await post(api_client, data), 422, "unsupported-model")
        assert "not in the model" in body["errors"][0]["msg"]

    @pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.onnx")))
    async def test_every_truncation_of_a_real_export_is_a_clean_answer(self, api_client: httpx.AsyncClient,
                                                                        name: str) -> None:
        data = (FIXTURES / name).read_bytes()
        for cut in (1, 7, len(data) // 3, len(data) - 1):
            response = await post(api_client, data[:cut], "?analyse=false")
            assert response.status_code in (200, 422), (cut, response.text)


    @pytest.mark.parametrize("name", ["unet_paper.onnx", "monai_basicunet.onnx", "resnet_fpn_dynamo.onnx"])
    async def test_every_mutation_of_a_real_export_is_a_clean_answer(self, api_client: httpx.AsyncClient,
                                                                      name: str) -> None:
        """Attributes, small integer tensors and wiring changed at random (seeded): a Gather axis out of range, a
        negative ConstantOfShape... were 500s."""
        original = onnx.load_model_from_string((FIXTURES / name).read_bytes())
        rng = random.Random(name)
        for _ in range(40):
            mutated = onnx.ModelProto()
            mutated.CopyFrom(original)
            _mutate(mutated.graph, rng)
            response = await post(api_client, mutated.SerializeToString(), "?analyse=false")
            assert response.status_code in (200, 422), response.text


def _mutate(graph: onnx.GraphProto, rng: random.Random) -> None:
    """One to three changes: an int attribute, an entry of a small int tensor, or a node's input rewired."""
    for _ in range(rng.randint(1, 3)):
        what = rng.random()
        target = rng.choice(graph.node)
        if what < 0.4:
            attributes = [a for a in target.attribute if a.ints or a.type == onnx.AttributeProto.INT]
            if attributes:
                a = rng.choice(attributes)
                if a.ints:
                    a.ints[rng.randrange(len(a.ints))] = rng.choice([-3, -1, 0, 1, 2, 5, 7, 2**40])
                else:
                    a.i = rng.choice([-2, -1, 0, 1, 2, 3, 9])
        elif what < 0.75:
            tensors = [t for t in graph.initializer if t.data_type == TensorProto.INT64 and 0 < np.prod(t.dims) <= 8]
            tensors += [a.t for n in graph.node if n.op_type == "Constant" for a in n.attribute
                        if a.name == "value" and a.t.data_type == TensorProto.INT64 and np.prod(a.t.dims or [1]) <= 8]
            if tensors:
                t = rng.choice(tensors)
                values = numpy_helper.to_array(t).copy()
                flat = values.reshape(-1)
                if flat.size:
                    flat[rng.randrange(flat.size)] = rng.choice([-5, -1, 0, 1, 2, 3, 4, 10**6])
                    t.CopyFrom(numpy_helper.from_array(flat.reshape(values.shape), t.name))
        elif target.input:
            source = rng.choice(graph.node)
            if source.output:
                target.input[rng.randrange(len(target.input))] = source.output[0]


class TestImportOnnxAnalysis:
    async def test_the_graph_round_trips_through_post_graph(self, api_client: httpx.AsyncClient) -> None:
        data = (FIXTURES / "unet_paper.onnx").read_bytes()
        body = (await post(api_client, data, "?input=1x1x572x572")).json()
        assert body["analysis"]["ok"] is True
        again = await api_client.post("/v1/graph", json=body["graph"])
        assert again.status_code == 200 and again.json() == body["analysis"]
        assert body["analysis"]["outputs"][0]["size"] == [532, 532]  # depth 2: 572 -> 568 -> 284 -> ... -> 532

    async def test_a_large_graph_analysed_in_a_worker_round_trips_too(self, api_client: httpx.AsyncClient) -> None:
        """Over 32 nodes the worker renders the analysis as JSON and the route splices it into the answer."""
        data = (FIXTURES / "monai_basicunet.onnx").read_bytes()
        response = await post(api_client, data, "?input=1x1x64x64")
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        body = response.json()
        assert len(body["graph"]["nodes"]) > 32 and body["model"]["inputs"][0]["name"] and body["warnings"] == []
        again = await api_client.post("/v1/graph", json=body["graph"])
        assert again.status_code == 200 and again.json() == body["analysis"]
        assert body["analysis"]["valid_input_sizes"][0]["runs"]["modulus"] == 16

    @pytest.mark.parametrize(("answer", "query"), [("answer_monai_unet.json", "?input=1x1x32x32"),
                                                   ("answer_monai_unet_symbolic.json", "")])
    async def test_an_exported_network_answers_the_pinned_bytes(self, api_client: httpx.AsyncClient, answer: str,
                                                              query: str) -> None:
        """Every byte of the answer (model, graph, analysis, warnings; numeric and symbolic), as
        tests/fixtures/onnx/make_answers.py recorded it: speed work on the importer and the renderers changes
        none of them."""
        response = await post(api_client, (FIXTURES / "monai_unet.onnx").read_bytes(), query)
        assert response.status_code == 200, response.text
        assert response.content == (FIXTURES / answer).read_bytes()

    async def test_symbolic_dims_are_analysed_in_the_worker(self, api_client: httpx.AsyncClient) -> None:
        response = await post(api_client, example_model())
        analysis = response.json()["analysis"]
        assert analysis["ok"] is True and analysis["outputs"][0]["size"] == ["H", "W"]

    async def test_a_model_that_fails_at_its_size_is_ok_false(self, api_client: httpx.AsyncClient) -> None:
        body = (await post(api_client, example_model(), "?input=1x1x31x31")).json()
        assert body["analysis"]["ok"] is False and body["analysis"]["mismatch"]["node"] == "out"


class TestImportOnnxSvg:
    @pytest.mark.anyio
    async def test_format_svg_draws_the_imported_graph(self, api_client: httpx.AsyncClient) -> None:
        import xml.etree.ElementTree as ET

        model = (await api_client.get("/v1/import/onnx/example.onnx")).content
        response = await api_client.post("/v1/import/onnx?format=svg", content=model,
                                         headers={"Content-Type": "application/octet-stream"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("image/svg+xml")
        root = ET.fromstring(response.content)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.findall(".//{http://www.w3.org/2000/svg}g[@data-node]")
