"""Checking reported receptive fields against autograd spans (the fixtures' format)."""

from __future__ import annotations

from typing import Any

from convplan.analyses.receptive_field import along
from convplan.shapes import ShapesRequest, infer_stack, make_resolver, resolve_input

__all__ = ["check_spans"]


def check_spans(request: dict[str, Any], spans: list[list[list[int] | None]]) -> list[tuple[int, int, int]]:
    """Assert that every interior output pixel's field equals the autograd span; return the
    ``(axis, phase, period)`` of every pixel checked. Interior: the pixel's field in every intermediate
    map (the input included) lies inside that map, so no border truncated what autograd saw."""
    parsed = ShapesRequest.model_validate(request)
    resolver = make_resolver(None)
    size, channels = resolve_input(resolver, parsed.input_size, parsed.in_channels)
    records = infer_stack(parsed.layers, size, channels, resolver).records
    checked = []
    for axis, row in enumerate(spans):
        windows = [r.layer.rf_window(r.shape, axis, r.input_size[axis]) for r in records]
        sizes = [r.input_size[axis] for r in records]
        # the output's field in map k (a long period limit: align_corners at these sizes has periods up to ~80)
        from_map = [along(windows[k:], max_period=1024)[-1] for k in range(len(records))]
        field = from_map[0]
        assert field is not None and field.period is not None, (request, axis)
        assert len(row) == records[-1].output_size[axis]
        for y, seen in enumerate(row):
            spans_k = [f.span_at(y) for f in from_map]  # type: ignore[union-attr]
            if any(s is not None and (s[0] < 0 or s[1] > n - 1) for s, n in zip(spans_k, sizes)):
                continue  # a border truncates what autograd sees
            mine = spans_k[0]
            expected = None if mine is None else [int(mine[0]), int(mine[1])]
            assert seen == expected, f"{request}: axis {axis}, output {y}: autograd {seen}, field {expected}"
            checked.append((axis, y % field.period, field.period))
    return checked
