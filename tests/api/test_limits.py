from __future__ import annotations

import json

import httpx
import pytest

from convplan.settings import Settings

pytestmark = pytest.mark.anyio

EXPECTED_LIMITS = {
    "max_body_bytes": 8_000_000,
    "max_json_depth": 64,
    "max_layers": 256,
    "neutral_layer_weight": 0.25,
    "max_stages": 32,
    "max_graph_nodes": 2048,
    "max_graph_edges": 8192,
    "max_graph_inputs": 16,
    "valid_sizes_max_period": 4096,
    "valid_sizes_max_scan": 20_000,
    "valid_sizes_max_extra": 64,
    "max_spatial_rank": 3,
    "max_size": 1_000_000_000,
    "max_expression_length": 256,
    "max_exponent": 16,
    "max_expression_depth": 32,
    "max_expression_nodes": 200,
    "max_integer_digits": 18,
    "max_template_depth": 16,
    "max_template_convs_per_stage": 8,
    "max_input_elements": 250_000,
    "max_output_elements": 1_000_000,
    "max_conv_matrix_elements": 4_000_000,
    "max_compute_work": 500_000_000,
    "rf_period": 64,
    "svg_panels": 64,
    "max_model_bytes": 256_000_000,
    "max_model_nodes": 20_000,
    "max_model_nesting": 16,
    "symbolic_timeout_seconds": 5.0,
    "work_timeout_seconds": 5.0,
    "inline_work_seconds": 0.05,
    "max_queued_requests": 16,
    "max_queue_wait_seconds": 10.0,
    "max_header_bytes": 32_768,
    "request_timeout_seconds": 30.0,
    "keep_alive_timeout_seconds": 5.0,
    "max_connections": 1000,
    "shutdown_grace_seconds": 10,
}


class TestLimits:
    async def test_lists_every_limit_with_default_value(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.get("/v1/limits")
        assert response.status_code == 200
        limits = response.json()["limits"]
        assert {item["name"]: item["value"] for item in limits} == EXPECTED_LIMITS
        for item in limits:
            assert set(item) == {"name", "value", "unit", "description"}
            assert item["unit"] and item["description"]

    async def test_values_follow_the_app_settings(self) -> None:
        from convplan.app import create_app

        app = create_app(Settings(max_layers=7, max_body_bytes=1234))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            limits = (await client.get("/v1/limits")).json()["limits"]
        values = {item["name"]: item["value"] for item in limits}
        assert values["max_layers"] == 7
        assert values["max_body_bytes"] == 1234

    def test_environment_configures_settings(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CONVPLAN_MAX_LAYERS", "9")
        monkeypatch.setenv("CONVPLAN_CORS_ORIGINS", "http://a.example, http://b.example")
        settings = Settings()
        assert settings.max_layers == 9
        assert settings.cors_origins == ["http://a.example", "http://b.example"]
        monkeypatch.setenv("CONVPLAN_CORS_ORIGINS", '["http://c.example"]')
        assert Settings().cors_origins == ["http://c.example"]


class TestCors:
    async def test_configured_origin_is_allowed_on_problems_too(self) -> None:
        from convplan.app import create_app

        app = create_app(Settings(cors_origins=["http://tool.example"]))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            ok = await client.get("/v1/health", headers={"Origin": "http://tool.example"})
            missing = await client.get("/nowhere", headers={"Origin": "http://tool.example"})
            other = await client.get("/v1/health", headers={"Origin": "http://evil.example"})
        assert ok.headers["access-control-allow-origin"] == "http://tool.example"
        assert missing.headers["access-control-allow-origin"] == "http://tool.example"
        assert "access-control-allow-origin" not in other.headers

    async def test_no_cors_by_default(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.get("/v1/health", headers={"Origin": "http://tool.example"})
        assert "access-control-allow-origin" not in response.headers


# One request over each limit, against an app with that limit set low: the
# status the contract gives (413 volume, 422 range), problem+json, located.
_CONV = {"op": "conv", "kernel_size": 1}
ENFORCED: list[tuple[str, dict[str, object], str, bytes, int, list[object]]] = [
    ("max_body_bytes", {"max_body_bytes": 100}, "/v1/shapes",
     b'{"input_size": [8], "layers": [' + b'{"op": "relu"}, ' * 10 + b'{"op": "relu"}]}', 413, ["body"]),
    ("max_json_depth", {"max_json_depth": 4}, "/v1/shapes",
     b'{"input_size": [8], "layers": [], "x": [[[[1]]]]}', 413, ["body"]),
    ("max_layers", {"max_layers": 2}, "/v1/shapes",
     json.dumps({"input_size": [8], "layers": [_CONV] * 3}).encode(), 413, ["body", "layers"]),
    ("neutral_layer_weight", {"max_layers": 2, "neutral_layer_weight": 0.5}, "/v1/shapes",
     json.dumps({"input_size": [8], "layers": [_CONV, *[{"op": "relu"}] * 3]}).encode(), 413, ["body", "layers"]),
    ("max_stages", {"max_stages": 1}, "/v1/plan",
     json.dumps({"input_size": [8], "encoder": [{"layers": []}, {"layers": []}]}).encode(), 413,
     ["body", "encoder"]),
    ("max_spatial_rank", {}, "/v1/shapes", b'{"input_size": [8, 8, 8, 8], "layers": []}', 422,
     ["body", "input_size"]),
    ("max_size", {"max_size": 100}, "/v1/shapes", b'{"input_size": [101], "layers": []}', 422,
     ["body", "input_size", 0]),
    ("max_size (computed)", {"max_size": 100}, "/v1/shapes",
     b'{"input_size": [60], "layers": [{"op": "upsample", "scale_factor": 2}]}', 422, ["body", "layers", 0]),
    ("max_expression_length", {"max_expression_length": 8}, "/v1/shapes",
     b'{"input_size": ["H + 1 + 1 + 1"], "layers": []}', 413, ["body", "input_size", 0]),
    ("max_exponent", {"max_exponent": 2}, "/v1/shapes", b'{"input_size": ["H**3"], "layers": []}', 422,
     ["body", "input_size", 0]),
    ("max_expression_depth", {"max_expression_depth": 2}, "/v1/shapes", b'{"input_size": ["((H))"], "layers": []}',
     422, ["body", "input_size", 0]),
    ("max_expression_nodes", {"max_expression_nodes": 4}, "/v1/shapes",
     b'{"input_size": ["H + 1 + 1 + 1"], "layers": []}', 422, ["body", "input_size", 0]),
    ("max_integer_digits", {"max_integer_digits": 2}, "/v1/shapes", b'{"input_size": ["H + 123"], "layers": []}',
     422, ["body", "input_size", 0]),
    ("max_template_depth", {}, "/v1/plan",
     b'{"input_size": [64], "template": {"name": "unet", "depth": 17}}', 422, ["body", "template"]),
    ("max_template_convs_per_stage", {}, "/v1/plan",
     b'{"input_size": [64], "template": {"name": "unet", "convs_per_stage": 9}}', 422, ["body", "template"]),
    ("max_graph_nodes", {"max_graph_nodes": 2}, "/v1/graph",
     json.dumps({"inputs": [{"name": "x", "size": [8]}], "nodes": [
         {"id": f"n{k}", "op": "relu", "inputs": ["x"]} for k in range(3)]}).encode(), 413, ["body", "nodes"]),
    ("max_graph_edges", {"max_graph_edges": 3}, "/v1/graph",
     json.dumps({"inputs": [{"name": "x", "size": [8]}], "nodes": [
         {"id": "c", "op": "concat", "inputs": ["x", "x", "x", "x"]}]}).encode(), 413, ["body", "nodes"]),
    ("max_graph_inputs", {"max_graph_inputs": 1}, "/v1/graph",
     json.dumps({"inputs": [{"name": "x", "size": [8]}, {"name": "y", "size": [8]}], "nodes": [
         {"id": "c", "op": "add", "inputs": ["x", "y"]}]}).encode(), 413, ["body", "inputs"]),
    ("max_input_elements", {"max_input_elements": 10}, "/v1/compute/max_pool",
     b'{"input": [[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]], "kernel_size": 1}', 413, ["body", "input"]),
    ("max_output_elements", {"max_output_elements": 10}, "/v1/compute/upsample",
     b'{"input": [[[1, 2]]], "size": 11}', 413, ["body"]),
    ("max_compute_work", {"max_compute_work": 100}, "/v1/compute/conv",
     json.dumps({"input": [[[0.5] * 20]], "weight": [[[1.0] * 10]]}).encode(), 413, ["body"]),
]


@pytest.mark.parametrize(("limit", "overrides", "path", "body", "status", "loc"), ENFORCED,
                         ids=[case[0] for case in ENFORCED])
async def test_each_limit_is_enforced(limit: str, overrides: dict[str, object], path: str, body: bytes,
                                      status: int, loc: list[object]) -> None:
    from convplan.app import create_app

    app = create_app(Settings.model_construct(**overrides))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["errors"] and problem["errors"][0]["loc"][: len(loc)] == loc, problem


def _unetr_like() -> list[dict[str, object]]:
    """283 layers as UNETR has them: 12 transformer-ish blocks of norms, activations and dropout around a few
    1x1 convs, then a decoder of conv + norm + activation triples (71 convs, 212 shape-neutral layers)."""
    block = [{"op": "layer_norm", "normalized_shape": 8, "elementwise_affine": False}, _CONV, {"op": "gelu"},
             {"op": "dropout"}, _CONV, {"op": "dropout"}, {"op": "identity"}, {"op": "gelu"}]
    layers: list[dict[str, object]] = [layer for _ in range(12) for layer in block]  # 96 layers, 24 convs
    triple = [_CONV, {"op": "instance_norm"}, {"op": "leaky_relu"}]
    layers += [layer for _ in range(47) for layer in triple]  # 141 layers, 47 convs
    layers += [{"op": "relu"}] * (283 - len(layers))
    assert len(layers) == 283 and sum(layer is _CONV for layer in layers) == 71
    return layers


class TestNeutralLayersCountLightly:
    """``max_layers`` (256) weighs a shape-neutral layer ``neutral_layer_weight`` (1/4), for up to 3 per other
    layer: a 283-layer network that is mostly norms and activations is accepted, 300 convs are not."""

    async def test_a_283_layer_unetr_like_stack_is_accepted(self, api_client: httpx.AsyncClient) -> None:
        body = {"input_size": [8], "in_channels": 8, "layers": _unetr_like()}
        response = await api_client.post("/v1/shapes", json=body)
        assert response.status_code == 200, response.text
        assert len(response.json()["layers"]) == 283

    async def test_the_same_layers_in_plan_stages_are_accepted(self, api_client: httpx.AsyncClient) -> None:
        layers = _unetr_like()
        body = {"input_size": [8], "in_channels": 8, "encoder": [{"layers": layers[:150]}],
                "decoder": [{"layers": layers[150:]}]}
        response = await api_client.post("/v1/plan", json=body)
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("op", [{"name": "relu"}, ["relu"], 3, None])
    async def test_a_malformed_op_is_counted_fully_and_refused_by_validation(self, api_client: httpx.AsyncClient,
                                                                             op: object) -> None:
        for path, body in (("/v1/shapes", {"input_size": [8], "layers": [{"op": op}]}),
                           ("/v1/plan", {"input_size": [8], "encoder": [{"layers": [{"op": op}]}]})):
            response = await api_client.post(path, json=body)
            assert response.status_code == 422, response.text

    async def test_300_convs_are_refused(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/shapes", json={"input_size": [8], "layers": [_CONV] * 300})
        assert response.status_code == 413
        assert response.json()["errors"][0]["type"] == "limit.layers"

    async def test_neutral_layers_still_count_and_the_message_says_how(
            self, api_client: httpx.AsyncClient) -> None:
        layers = [_CONV] * 250 + [{"op": "relu"}] * 40  # 250 + 40/4 = 260 > 256
        response = await api_client.post("/v1/shapes", json={"input_size": [8], "layers": layers})
        assert response.status_code == 413
        assert "290 layers, 40 of them shape-neutral counting 1/4 each, is over the limit 256" in \
            response.json()["detail"]

    async def test_up_to_three_per_other_layer_count_lightly(self, api_client: httpx.AsyncClient) -> None:
        # 60 convs carry 180 ReLUs at 1/4 (45); the other 160 count fully: 60 + 45 + 160 = 265 > 256
        layers = [_CONV] * 60 + [{"op": "relu"}] * 340
        response = await api_client.post("/v1/shapes", json={"input_size": [8], "layers": layers})
        assert response.status_code == 413
        fewer = [_CONV] * 60 + [{"op": "relu"}] * 330  # 60 + 45 + 150 = 255
        assert (await api_client.post("/v1/shapes", json={"input_size": [8], "layers": fewer})).status_code == 200

    async def test_a_stack_of_only_activations_keeps_the_plain_limit(self, api_client: httpx.AsyncClient) -> None:
        response = await api_client.post("/v1/shapes", json={"input_size": [8], "layers": [{"op": "relu"}] * 257})
        assert response.status_code == 413


def test_every_published_limit_has_an_enforcement_test() -> None:
    from convplan.settings import limit_fields

    tested = {case[0].split(" ")[0] for case in ENFORCED}
    # covered elsewhere: the explained matrix (tests/api/test_compute.py, omitted as null, not refused),
    # the symbolic budget (tests/api/test_shapes.py, a 422 symbolic-timeout), the numeric budgets and
    # the worker queue (tests/api/test_workers.py: a move to a worker, a 422 work-timeout, 503s), the
    # receptive-field period (tests/api/test_shapes.py, phases null over it, not refused), the valid-size
    # scan limits (tests/analyses/test_valid_size_sets.py: a null set with the reason) and the server's own
    # limits against a real `convplan serve` (tests/cli/test_serve.py); the SVG panels
    # (tests/api/test_svg_answers.py: the rest listed, not drawn); the model limits (tests/api/test_import_onnx.py,
    # TestImportOnnxLimits: the body is a model, not JSON)
    elsewhere = {"max_conv_matrix_elements", "symbolic_timeout_seconds", "work_timeout_seconds",
                 "inline_work_seconds", "max_queued_requests", "max_queue_wait_seconds", "rf_period",
                 "valid_sizes_max_period", "valid_sizes_max_scan", "valid_sizes_max_extra", "max_header_bytes",
                 "request_timeout_seconds", "keep_alive_timeout_seconds", "max_connections",
                 "shutdown_grace_seconds", "svg_panels", "max_model_bytes",
                 "max_model_nodes", "max_model_nesting"}
    assert {name for name, _, _ in limit_fields()} == tested | elsewhere


def test_default_body_limit_admits_the_default_element_limit() -> None:
    """A compute body with max_input_elements full-precision floats fits in max_body_bytes."""
    import random

    settings = Settings.model_construct()
    rng = random.Random(0)
    row = [rng.uniform(-1, 1) for _ in range(1000)]
    sample = len(json.dumps(row))  # the stdlib's ", " separators: the larger spelling
    estimate = sample * settings.max_input_elements // len(row) + 1000
    assert estimate < settings.max_body_bytes


@pytest.mark.parametrize(("name", "value"), [("max_exponent", 65), ("max_expression_length", 100_001),
                                             ("max_json_depth", 201)])
def test_limits_stay_within_what_the_parsers_can_take(name: str, value: int) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(**{name: value})
