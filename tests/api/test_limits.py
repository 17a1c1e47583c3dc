from __future__ import annotations

import httpx
import pytest

from convplan.settings import Settings

pytestmark = pytest.mark.anyio

EXPECTED_LIMITS = {
    "max_body_bytes": 2_000_000,
    "max_json_depth": 64,
    "max_layers": 256,
    "max_stages": 32,
    "max_spatial_rank": 3,
    "max_size": 1_000_000_000,
    "max_expression_length": 256,
    "max_exponent": 16,
    "max_input_elements": 250_000,
    "max_output_elements": 1_000_000,
    "max_conv_matrix_elements": 4_000_000,
    "symbolic_timeout_seconds": 5.0,
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
