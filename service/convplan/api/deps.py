"""Dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from convplan.settings import Settings

__all__ = ["SettingsDep", "app_settings"]


async def app_settings(request: Request) -> Settings:
    """The settings the app was created with (``create_app(settings)``).

    ``async``: FastAPI runs a plain ``def`` dependency in its thread pool, a
    thread hop per request on the hot path for one attribute read."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
