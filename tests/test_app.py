"""The application's own settings: what create_app wires from them."""

from __future__ import annotations

import pytest

from convplan.api.direct_routes import DirectRoutesMiddleware
from convplan.app import create_app
from convplan.settings import Settings


@pytest.mark.parametrize("on", [False, True])
def test_fastapis_telemetry_follows_the_setting(on: bool) -> None:
    app = create_app(Settings.model_construct(telemetry=on))
    config = app._telemetry
    assert (config["tracing"], config["metrics"], config["logs"], config["operation_spans"]) == (on, on, on, on)
    assert app._native_telemetry.enabled() is False or on  # off: no provider is asked at any request
    # On, FastAPI's router answers every route (its spans name them); off, the JSON-body routes go direct.
    direct = [m for m in app.user_middleware if m.cls is DirectRoutesMiddleware]
    assert len(direct) == (0 if on else 1)


def test_the_shapes_memo_is_sized_by_its_setting() -> None:
    assert create_app(Settings.model_construct(shapes_memo_layers=5)).state.shapes_memo.max_entries == 5
    assert Settings().shapes_memo_layers == 8192


def test_the_shapes_templates_are_sized_by_their_setting() -> None:
    assert create_app(Settings.model_construct(shapes_template_layers=5)).state.shapes_templates.max_layers == 5
    assert Settings().shapes_template_layers == 8192
