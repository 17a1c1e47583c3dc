"""POST /v1/plan over HTTP: the route, problem documents, the symbolic path and the schema."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_unet_572(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/v1/plan", json={"input_size": [572, 572], "in_channels": 1,
                                                       "template": {"name": "unet"}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["output_size"] == [388, 388]
    assert [s["crop"][0] for s in body["skips"]] == [[4, 4], [16, 16], [40, 40], [88, 88]]
    assert body["valid_input_sizes"][0]["output_size"] == "i - 184"


async def test_receptive_fields_and_rf_aligned(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/v1/plan", json={"input_size": [572, 572], "template": {"name": "unet"}})
    body = response.json()
    assert [s["rf_aligned"] for s in body["skips"]] == [True] * 4
    # through the skips' joins the output pixels see 188 to 204 input pixels, in 16 phases (checked against
    # autograd in tests/analyses/test_receptive_field_autograd.py)
    rf = body["head"]["layers"][-1]["receptive_field"][0]
    assert (rf["period"], rf["size"], rf["size_min"], rf["start"], rf["phases"][0]) == (16, 204, 188, 0, [0, 187])
    # a skip shifted by a pad the decoder does not have: centred differently, with a warning
    shifted = {"input_size": [64], "encoder": [{"layers": []}, {"layers": [{"op": "max_pool", "kernel_size": 2}]}],
               "decoder": [{"up": [{"op": "upsample", "scale_factor": 2}], "skip": 0,
                            "skip_layers": [{"op": "pad", "padding": [[1, -1]]}], "merge": "add"}]}
    body = (await api_client.post("/v1/plan", json=shifted)).json()
    assert body["skips"][0]["rf_aligned"] is False
    assert any("not rf_aligned" in w for w in body["warnings"])


async def test_align_none_mismatch_is_200(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/v1/plan", json={"input_size": [574], "template": {"name": "unet"},
                                                       "align": "none"})
    assert response.status_code == 200
    assert response.json()["ok"] is False and response.json()["mismatch"]["skip"] == 0


async def test_bad_stack_is_a_located_problem(api_client: httpx.AsyncClient) -> None:
    body = {"input_size": [32], "encoder": [{"layers": []}],
            "decoder": [{"up": [{"op": "upsample", "scale_factor": 2}], "skip": 3}]}
    response = await api_client.post("/v1/plan", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["loc"] == ["body", "decoder", 0, "skip"]


async def test_template_with_stages_is_422(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/v1/plan", json={"input_size": [64], "template": {"name": "unet"},
                                                       "encoder": []})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "encoder"]


async def test_too_many_stages_is_413(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/v1/plan", json={"input_size": [64], "encoder": [{"layers": []}] * 40})
    assert response.status_code == 413


async def test_schema_documents_the_response(api_client: httpx.AsyncClient) -> None:
    schema = (await api_client.get("/openapi.json")).json()
    operation = schema["paths"]["/v1/plan"]["post"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/PlanResponse")
    assert "valid_input_sizes" in schema["components"]["schemas"]["PlanResponse"]["properties"]
    assert {"422", "413"} <= set(operation["responses"])


class TestFlattenHeads:
    """A head after a flatten has no spatial axis: null receptive fields and no output size per residue
    (each was a 500), and a linear head fixes the sizes (its in_features), which no periodic form states."""

    async def test_a_flatten_head(self, api_client: httpx.AsyncClient) -> None:
        for encoder, head, minimum in (([{"layers": []}], [{"op": "flatten"}], 1),
                                       ([{"layers": [{"op": "conv", "out_channels": 2, "kernel_size": 3}]}],
                                        [{"op": "flatten"}, {"op": "relu"}], 3)):
            r = await api_client.post("/v1/plan", json={"input_size": [16], "in_channels": 2, "encoder": encoder,
                                                        "head": head})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["output_size"] == []
            assert [layer["receptive_field"] for layer in body["head"]["layers"]] == [[None]] * len(head)
            assert body["valid_input_sizes"] == [{"modulus": 1, "residues": [0], "min": minimum,
                                                  "nearest": {"below": 16, "above": 16}, "output_size": None}]

    async def test_a_linear_head_fixes_the_sizes(self, api_client: httpx.AsyncClient) -> None:
        encoder = [{"layers": [{"op": "conv", "out_channels": 2, "kernel_size": 3},
                               {"op": "max_pool", "kernel_size": 2}]}]
        r = await api_client.post("/v1/plan", json={"input_size": [16], "in_channels": 2, "encoder": encoder, "head": [
            {"op": "flatten"}, {"op": "linear", "in_features": 14, "out_features": 3}]})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["valid_input_sizes"] == [None]
        assert body["valid_input_sizes_reason"] == ["layer 3 (linear): its in_features fixes the flattened size, "
                                                    "so only a bounded range of input sizes fits it"]
        # after an adaptive pool the features no longer depend on the size: every even size from 4 (the pool)
        r = await api_client.post("/v1/plan", json={"input_size": [16], "in_channels": 2, "encoder": encoder, "head": [
            {"op": "adaptive_avg_pool", "output_size": 1}, {"op": "flatten"},
            {"op": "linear", "in_features": 2, "out_features": 3}]})
        assert r.status_code == 200, r.text
        assert r.json()["valid_input_sizes"][0] | {"nearest": None} == {
            "modulus": 2, "residues": [0], "min": 4, "nearest": None, "output_size": None}


async def test_a_constant_operand_in_a_stage(api_client: httpx.AsyncClient) -> None:
    # an add of a constant (other_size) is a layer, not a stage's merge (it was a 500); of a size other than 1
    # it fixes the size, which no periodic form states
    stage = [{"op": "conv", "kernel_size": 3, "out_channels": 2}, {"op": "add", "other_size": 1}]
    r = await api_client.post("/v1/plan", json={"input_size": [16], "in_channels": 2, "encoder": [{"layers": stage}]})
    assert r.status_code == 200, r.text
    assert r.json()["valid_input_sizes"][0] | {"nearest": None} == {
        "modulus": 1, "residues": [0], "min": 3, "nearest": None, "output_size": "i - 2"}
    stage[1]["other_size"] = 14
    r = await api_client.post("/v1/plan", json={"input_size": [16], "in_channels": 2, "encoder": [{"layers": stage}]})
    assert r.status_code == 200, r.text
    assert r.json()["valid_input_sizes_reason"] == [
        "layer 1 (add): its other_size fixes the size (the input must be 1, broadcast, or the operand's size)"]
