"""POST /v1/shapes over HTTP (in process)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.anyio

UNET_DOWN = [{"op": "conv", "kernel_size": 3, "padding": 1}, {"op": "relu"},
             {"op": "conv", "kernel_size": 3, "padding": 1}, {"op": "max_pool", "kernel_size": 2}]


async def post(client: httpx.AsyncClient, body: Any) -> httpx.Response:
    return await client.post("/v1/shapes", json=body)


class TestShapes:
    async def test_numeric_stack(self, api_client: httpx.AsyncClient) -> None:
        r = await post(api_client, {"input_size": [572, 572], "in_channels": 1,
                                    "layers": [{"op": "conv", "kernel_size": 3, "out_channels": 64},
                                               {"op": "max_pool", "kernel_size": 2}]})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        body = r.json()
        assert body["output_size"] == [285, 285]
        assert body["params"] == 640 and body["out_channels"] == 64
        layer = body["layers"][1]
        assert layer["formula"] == ["floor(i/2)", "floor(i/2)"] and layer["unread"] == [0, 0]
        assert layer["output_size_latex"] == [None, None]

    async def test_symbolic_unet_on_16n(self, api_client: httpx.AsyncClient) -> None:
        up = [{"op": "conv_transpose", "kernel_size": 2, "stride": 2}, {"op": "conv", "kernel_size": 3, "padding": 1}]
        r = await post(api_client, {"input_size": ["16*n"], "layers": UNET_DOWN * 4 + up * 4})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["output_size"] == ["16*n"] and body["output_size_latex"] == ["16 n"]
        assert body["layers"][15]["output_size"] == ["n"]

    async def test_refusal_is_problem_json_with_partial_layers(self, api_client: httpx.AsyncClient) -> None:
        r = await post(api_client, {"input_size": [8], "layers": [{"op": "conv", "kernel_size": 3},
                                                                  {"op": "max_pool", "kernel_size": 3, "padding": 2}]})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["type"].endswith("/layer-error")
        assert body["errors"][0]["layer"] == 1 and body["errors"][0]["axis"] == 0
        assert body["errors"][0]["loc"] == ["body", "layers", 1, "padding"]
        assert [layer["output_size"] for layer in body["layers"]] == [[6]]

    async def test_schema_error_names_the_layer(self, api_client: httpx.AsyncClient) -> None:
        r = await post(api_client, {"input_size": [8], "layers": [{"op": "relu"}, {"op": "conv", "kernel_size": True}]})
        assert r.status_code == 422
        assert r.json()["errors"][0]["layer"] == 1

    async def test_unknown_op_in_a_layer_is_422(self, api_client: httpx.AsyncClient) -> None:
        r = await post(api_client, {"input_size": [8], "layers": [{"op": "transformer"}]})
        assert r.status_code == 422
        error = r.json()["errors"][0]
        assert error["loc"] == ["body", "layers", 0] and error["type"] == "union_tag_invalid"
        assert error["msg"].startswith("unknown op 'transformer'; ops: ") and "conv_transpose" in error["msg"]

    async def test_a_torch_class_name_is_422_saying_the_op(self, api_client: httpx.AsyncClient) -> None:
        r = await post(api_client, {"input_size": [8], "layers": [{"op": "relu"}, {"op": "ConvTranspose2d"}]})
        assert r.status_code == 422
        error = r.json()["errors"][0]
        assert error["loc"] == ["body", "layers", 1] and error["layer"] == 1
        assert error["msg"].startswith("unknown op 'ConvTranspose2d': did you mean 'conv_transpose'? ")
        assert r.json()["detail"] == f"1 validation error; first at body.layers.1: {error['msg']}"

    @pytest.mark.parametrize("text", ["__import__('os')", "9**9**9**9", "H.real", "lambda: 1", "1/0", "Ｈ"])
    async def test_hostile_expressions_are_422(self, api_client: httpx.AsyncClient, text: str) -> None:
        r = await post(api_client, {"input_size": [text], "layers": [{"op": "relu"}]})
        assert r.status_code == 422, r.text

    async def test_expression_over_the_length_limit_is_413(self, api_client: httpx.AsyncClient) -> None:
        r = await post(api_client, {"input_size": ["H" + "+1" * 400], "layers": []})
        assert r.status_code == 413

    async def test_too_many_layers_is_413(self, api_client: httpx.AsyncClient) -> None:
        r = await post(api_client, {"input_size": [8], "layers": [{"op": "relu"}] * 257})
        assert r.status_code == 413

    async def test_huge_macs_stay_exact(self, api_client: httpx.AsyncClient) -> None:
        layers = [{"op": "conv", "kernel_size": 99, "out_channels": 1_000_000, "padding": 49}]
        r = await post(api_client, {"input_size": [10**6, 10**6, 10**6], "in_channels": 1_000_000, "layers": layers})
        assert r.status_code == 200
        assert r.json()["macs"] == 10**12 * 99**3 * 10**18


    async def test_receptive_fields_per_layer_and_axis(self, api_client: httpx.AsyncClient) -> None:
        r = await post(api_client, {"input_size": [16, "H"], "layers": [
            {"op": "conv", "kernel_size": 3, "stride": 2}, {"op": "relu"},
            {"op": "conv_transpose", "kernel_size": 3, "stride": 2},
            {"op": "upsample", "scale_factor": 3, "mode": "bilinear"},
            {"op": "adaptive_avg_pool", "output_size": 1}]})
        assert r.status_code == 200, r.text
        fields = [layer["receptive_field"] for layer in r.json()["layers"]]
        assert fields[0][0] == fields[0][1] == {"jump": 2, "period": 1, "phases": [[0, 2]], "size": 3,
                                                "size_min": 3, "start": 0, "center": 1}
        assert fields[1] == fields[0]  # pointwise
        assert fields[2][1]["phases"] == [[-2, 2], [-1, 1]] and fields[2][1]["jump"] == 1
        assert fields[3][0]["jump"] == "1/3" and fields[3][0]["period"] == 6
        assert fields[4] == [None, None]

    async def test_symbolic_parameters_give_fields_as_expressions(self, api_client: httpx.AsyncClient) -> None:
        # symbolic work: answered by a worker, under the symbolic budget, like every symbolic request
        r = await post(api_client, {"input_size": [64], "layers": [
            {"op": "conv", "kernel_size": "k1", "stride": "s1"}, {"op": "conv", "kernel_size": "k2", "stride": "s2"},
            {"op": "conv_transpose", "kernel_size": 3, "stride": "s"}]})
        assert r.status_code == 200, r.text
        fields = [layer["receptive_field"][0] for layer in r.json()["layers"]]
        assert {k: v for k, v in fields[1].items() if not k.endswith("_latex")} == {
            "jump": "s1*s2", "period": 1, "phases": [[0, "k1 + k2*s1 - s1 - 1"]], "size": "k1 + k2*s1 - s1",
            "size_min": "k1 + k2*s1 - s1", "start": 0, "center": "(k1 + k2*s1 - s1 - 1)/2"}
        # each expression has its LaTeX sibling (contract section 1), null for the numbers
        assert (fields[1]["jump_latex"], fields[1]["phases_latex"], fields[1]["start_latex"]) == (
            "s_{1} s_{2}", [[None, "k_{1} + k_{2} s_{1} - s_{1} - 1"]], None)
        assert fields[1]["size_latex"] == fields[1]["size_min_latex"] == "k_{1} + k_{2} s_{1} - s_{1}"
        # s phases: how many depends on s (null), as does whether some read nothing (size_min)
        assert (fields[2]["jump"], fields[2]["period"], fields[2]["phases"], fields[2]["size_min"]) == (
            "s1*s2/s", None, None, None)
        assert fields[2]["size"] == "k1 + k2*s1 + s1*s2*ceil(3/s) - s1*s2 - s1"

    async def test_layers_after_a_flatten_have_null_fields(self, api_client: httpx.AsyncClient) -> None:
        # a layer on the flattened features has no spatial axis to take a window on (it was a 500)
        r = await post(api_client, {"input_size": [6, 6], "in_channels": 2, "layers": [
            {"op": "conv", "out_channels": 2, "kernel_size": 3}, {"op": "flatten"},
            {"op": "linear", "in_features": 32, "out_features": 3}, {"op": "relu"}]})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["output_size"], body["out_channels"], body["params"]) == ([], 3, 2 * 2 * 9 + 2 + 32 * 3 + 3)
        assert [layer["receptive_field"] for layer in body["layers"][1:]] == [[None, None]] * 3
        for layers in ([{"op": "flatten"}], [{"op": "flatten"}, {"op": "relu"}]):  # the second continues the first
            r = await post(api_client, {"input_size": [4], "in_channels": 2, "layers": layers})
            assert r.status_code == 200, r.text
            assert [layer["receptive_field"] for layer in r.json()["layers"]] == [[None]] * len(layers)

    async def test_receptive_field_period_limit(self) -> None:
        from convplan.app import create_app
        from convplan.settings import Settings

        app = create_app(Settings.model_construct(rf_period=2))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            r = await post(client, {"input_size": [16], "layers": [{"op": "upsample", "scale_factor": 3}]})
        assert r.status_code == 200, r.text
        assert r.json()["layers"][0]["receptive_field"] == [{
            "jump": "1/3", "period": None, "phases": None, "size": None, "size_min": None, "start": None,
            "center": None}]


class TestShapesMemo:
    @pytest.fixture
    async def uncached_client(self) -> AsyncIterator[httpx.AsyncClient]:
        from convplan.app import create_app
        from convplan.settings import Settings

        app = create_app(Settings.model_construct(response_cache_bytes=0))
        async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client

    async def test_an_edited_stack_is_answered_as_the_engine_does(self, uncached_client: httpx.AsyncClient) -> None:
        from convplan.settings import Settings
        from convplan.shapes import ShapesRequest, run_shapes

        stack = {"input_size": [96, 96], "in_channels": 3, "layers": UNET_DOWN * 3}
        edited = {**stack, "layers": [*stack["layers"][:-1], {"op": "avg_pool", "kernel_size": 3, "stride": 2}]}
        for body in (stack, edited, stack):
            r = await post(uncached_client, body)
            assert r.status_code == 200, r.text
            assert "x-convplan-cache" not in r.headers  # the response cache is off: the memo answered
            engine = run_shapes(ShapesRequest.model_validate(body), Settings.model_construct())
            assert r.json() == json.loads(json.dumps(engine))  # as sent (null siblings are shared tuples)
        assert len(uncached_client.app.state.shapes_memo) == len(stack["layers"]) + 1  # type: ignore[attr-defined]

    async def test_a_stack_at_new_sizes_is_answered_from_its_template_as_the_engine_does(
            self, uncached_client: httpx.AsyncClient) -> None:
        from convplan.errors import ConvplanError
        from convplan.settings import Settings
        from convplan.shapes import ShapesRequest, run_shapes

        refused = 0
        for n in (96, 80, 77, 131, 3):
            body = {"input_size": [n, n + 1], "in_channels": 3, "layers": UNET_DOWN * 3}
            r = await post(uncached_client, body)
            try:
                engine = run_shapes(ShapesRequest.model_validate(body), Settings.model_construct())
            except ConvplanError as exc:  # 3 is too small for three pools of two: the engine's refusal, as sent
                assert r.status_code == 422 and r.json()["detail"] == exc.detail
                refused += 1
                continue
            assert r.status_code == 200, r.text
            assert r.json() == json.loads(json.dumps(engine))
        templates = uncached_client.app.state.shapes_templates  # type: ignore[attr-defined]
        assert refused == 1 and len(templates) == 1 and templates.answer(  # learned at 80, the second size
            ShapesRequest.model_validate({**body, "input_size": [64, 64]}), [64, 64], 3, 10**9, 64)[1] is not None


class TestSymbolicBudget:
    @pytest.fixture
    async def slow_client(self) -> AsyncIterator[httpx.AsyncClient]:
        from convplan.app import create_app
        from convplan.settings import Settings

        app = create_app(Settings.model_construct(symbolic_timeout_seconds=0.001, symbolic_workers=1))
        async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            yield client

    async def test_over_budget_is_422_and_the_next_request_still_works(self, slow_client: httpx.AsyncClient) -> None:
        body = {"input_size": ["H"], "layers": UNET_DOWN * 4}
        r = await post(slow_client, body)
        assert r.status_code == 422 and r.json()["type"].endswith("/symbolic-timeout")
        r = await post(slow_client, {"input_size": [64], "layers": UNET_DOWN})
        assert r.status_code == 200


# A body of anything: JSON values nested a little, with layer-ish keys.
_SCALARS = st.one_of(st.integers(-5, 40), st.sampled_from(["H", "2*n", "same", "x//0", "", "valid", "1e3"]),
                     st.booleans(), st.none(), st.floats(allow_nan=False, allow_infinity=False, width=32))
_KEYS = st.sampled_from(["op", "kernel_size", "stride", "padding", "dilation", "output_padding", "groups",
                         "ceil_mode", "output_size", "scale_factor", "size", "mode", "crop", "upscale_factor",
                         "out_channels", "padding_mode", "align_corners"])
_OPS = st.sampled_from(["conv", "conv_transpose", "max_pool", "avg_pool", "adaptive_avg_pool", "max_unpool",
                        "upsample", "pixel_shuffle", "pixel_unshuffle", "pad", "crop", "relu", "nope"])
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
_LAYER = st.builds(lambda op, extra: {"op": op, **extra}, _OPS, st.dictionaries(_KEYS, _VALUES, max_size=4))
_BODY = st.fixed_dictionaries(
    {"input_size": st.lists(st.one_of(st.integers(-2, 50), st.sampled_from(["H", "W", "4*n"])), max_size=4),
     "layers": st.lists(_LAYER, max_size=5)},
    optional={"in_channels": _SCALARS, "symbols": st.dictionaries(st.sampled_from(["H", "n", "p"]),
                                                                  st.fixed_dictionaries({"min": st.integers(-2, 3)}))},
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_BODY)
async def test_no_body_is_answered_with_a_server_error(api_client: httpx.AsyncClient, body: dict) -> None:
    r = await api_client.post("/v1/shapes", content=json.dumps(body), headers={"content-type": "application/json"})
    assert r.status_code in (200, 413, 422), (r.status_code, r.text[:500])
    if r.status_code != 200:
        assert r.headers["content-type"] == "application/problem+json"
