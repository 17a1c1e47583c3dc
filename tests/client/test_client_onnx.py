"""``import_onnx`` on both clients: a path or bytes, query fields, refusals as ApiError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from convplan_client import AsyncClient, Client, UnprocessableEntityError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "onnx"


@pytest.fixture(scope="module")
def app() -> Any:
    from convplan.app import create_app
    from convplan.settings import Settings

    return create_app(Settings.model_construct())


def test_sync_from_a_path_with_query_fields(app: Any) -> None:
    with Client(app=app) as client:
        result = client.import_onnx(FIXTURES / "unet_paper.onnx", input="1x1x572x572", align="crop")
    assert result.model["opset"] == 17 and result.graph["align"] == "crop"
    assert result.analysis is not None and result.analysis["outputs"][0]["size"] == [532, 532]


def test_sync_bytes_without_analysis_and_refusal(app: Any) -> None:
    with Client(app=app) as client:
        result = client.import_onnx((FIXTURES / "resnet_fpn.onnx").read_bytes(), analyse=False, input=["1x3x64x64"])
        assert result.analysis is None and result.graph["inputs"][0]["size"] == [64, 64]
        with pytest.raises(UnprocessableEntityError) as info:
            client.import_onnx(b"not a model")
    assert info.value.status_code == 422


@pytest.mark.anyio
async def test_async(app: Any) -> None:
    async with AsyncClient(app=app) as client:
        result = await client.import_onnx(FIXTURES / "monai_unet.onnx", input="1x1x64x64")
    assert result.analysis is not None and result.analysis["ok"] is True
