"""``check_module``'s two halves around the request: capture the module, then attach what the capture found.

Kept apart from the clients so that ``convplan_client.torch`` (and torch) is
imported only when ``check_module`` is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convplan_client._base import body_of
from convplan_client._models import GraphResult, ModuleCheck

__all__ = ["capture_module", "module_check"]


def capture_module(module: Any, input_size: Sequence[int | str], in_channels: int, example_size: int,
                   training: bool, fields: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    """The ``/v1/graph`` body for ``module`` with ``fields`` (``align``, ``valid_sizes``...) added, and the capture."""
    from convplan_client.torch import capture

    captured = capture(module, input_size, in_channels, example_size=example_size, training=training)
    return {**captured.body, **body_of(fields)}, captured


def module_check(result: GraphResult, body: dict[str, Any], captured: Any) -> ModuleCheck:
    return ModuleCheck.model_validate({
        **result.model_dump(mode="json"),
        "guards": [{"text": g.text, "where": g.where} for g in captured.guards],
        "capture_warnings": list(captured.warnings),
        "capture_seconds": captured.seconds,
        "body": body,
    })
