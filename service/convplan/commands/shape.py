"""``convplan shape``: sizes through a stack of layers (``POST /v1/shapes``)."""

from __future__ import annotations

import argparse
from typing import Any

from convplan.commands._output import (
    add_api_handler,
    api_command_parser,
    fmt_axes,
    fmt_channels,
    fmt_int,
    fmt_per_axis_text,
    table,
)
from convplan.commands._spec import parse_assumption, parse_layer, parse_size

EPILOG = """\
layer syntax:  OP[:ARGS]   ARGS = [MAIN,]KEY=VALUE,KEY=VALUE,...
  ops      conv, conv_transpose (convt, deconv), max_pool (pool, mp), avg_pool,
           adaptive_avg_pool, adaptive_max_pool, max_unpool, upsample (up),
           pixel_shuffle, pixel_unshuffle, pad, crop, relu, batch_norm (bn),
           dropout, identity
  keys     k=kernel_size s=stride p=padding d=dilation op=output_padding
           c= or out=out_channels g=groups os=output_size sf=scale_factor
           m=mode pm=padding_mode ceil=ceil_mode r=up/downscale_factor;
           any other API name as is (bias=false, count_include_pad=false)
  MAIN     a bare first value is the op's main parameter: conv:3 = conv:k=3,
           max_pool:2, upsample:2 (scale_factor), adaptive_avg_pool:1x1
  values   3 | 3x5 (one integer per axis) | [3,5] or [H,W] (per axis, any
           values) | p=[[1,2],0] (before/after pairs) | 2.5 | true/false |
           an expression (16*n, H//2) | a keyword (same, valid, bilinear)
  sizes    572 | 572x572 | 16*n | [H,W]   (the number of axes is the rank)

examples:
  convplan shape 572 conv:k=3,c=64 conv:k=3,c=64 max_pool:k=2 -c 1
  convplan shape 572x572 conv:3,p=1 max_pool:2 conv:3,p=1 max_pool:2
  convplan shape 16*n conv:k=3 conv:k=3 max_pool:k=2       # symbolic
  convplan shape 32 conv:k=3,s=2,p=p --assume 'p>=0'
  convplan shape 28 convt:k=4,s=2,p=1,op=1 --json
  convplan shape 224x224 -c 3 conv:k=7,s=2,p=3,c=64 mp:k=3,s=2,p=1 --wide

Without --url (or CONVPLAN_BASE_URL) the service runs in process.
Exit status: 0 ok, 1 the API refused the request (reasons on stderr), 2 usage.
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = api_command_parser(
        subparsers,
        "shape",
        help="sizes through a stack of layers",
        description="Print every layer's input and output size, formula and parameter count, as PyTorch computes them.",
        epilog=EPILOG,
    )
    parser.add_argument("input", metavar="SIZE", help="input spatial size: 572, 572x572, 16*n, [H,W]")
    parser.add_argument("layers", metavar="LAYER", nargs="+", help="layers in order, e.g. conv:k=3,c=64 max_pool:2")
    parser.add_argument(
        "-c", "--channels", metavar="C", default=None, help="input channels (in_channels): 3, or an expression"
    )
    parser.add_argument(
        "--assume",
        metavar="NAME>=INT",
        action="append",
        default=[],
        help="smallest value of a symbol (default 1), e.g. --assume 'p>=0'; repeatable",
    )
    parser.add_argument("--wide", action="store_true", help="also show padding, unread rows, overhang and MACs")
    add_api_handler(parser, build, render)


def build(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    from convplan.commands._spec import parse_value

    body: dict[str, Any] = {"input_size": parse_size(args.input), "layers": [parse_layer(t) for t in args.layers]}
    if args.channels is not None:
        body["in_channels"] = parse_value(args.channels)
    if args.assume:
        body["symbols"] = dict(parse_assumption(a) for a in args.assume)
    return "/v1/shapes", body


def fmt_overlap(axes: Any) -> str:
    """Taps per output phase on each axis (``1/2 uneven``, ``2/2``, ``3/0 holes``); ``-`` for other ops."""
    if not axes:
        return "-"
    texts = []
    for axis in axes:
        if axis is None:
            texts.append("?")
            continue
        counts = "" if axis.get("taps") is None else "/".join(str(len(t)) for t in axis["taps"]) + " "
        verdict = "holes" if axis.get("holes") else "uniform" if axis.get("uniform") else "uneven"
        texts.append(counts + verdict)
    return fmt_per_axis_text(texts)


def render(args: argparse.Namespace, request: dict[str, Any], response: dict[str, Any]) -> str:
    given = list(getattr(args, "layers", []))
    headers = ["#", "layer", "input", "output", "channels", "formula", "params"]
    if args.wide:
        headers += ["padding", "unread", "overhang", "MACs"]
    layers = response.get("layers") or []
    overlap = any(layer.get("overlap") for layer in layers)  # the column only where a layer scatters
    if overlap:
        headers.append("overlap")
    rows = []
    for layer in layers:
        index = layer.get("index", len(rows))
        spec = given[index] if isinstance(index, int) and index < len(given) else str(layer.get("op", "?"))
        row = [
            str(index),
            spec,
            fmt_axes(layer.get("input_size")),
            fmt_axes(layer.get("output_size")),
            fmt_channels(layer),
            fmt_per_axis_text(layer.get("formula")),
            fmt_int(layer.get("params")),
        ]
        if args.wide:
            row += [
                fmt_axes(layer.get("padding_resolved")),
                fmt_axes(layer.get("unread")),
                fmt_axes(layer.get("overhang")),
                fmt_int(layer.get("macs")),
            ]
        if overlap:
            row.append(fmt_overlap(layer.get("overlap")))
        rows.append(row)
    right = {0, 6} | ({10} if args.wide else set())
    lines = [table(headers, rows, right=right)]
    if "output_size" in response:
        summary = f"output {fmt_axes(response.get('output_size'))}"
        if response.get("out_channels") is not None:
            summary += f" x {fmt_int(response['out_channels'])} channels"
        summary += f"; params {fmt_int(response.get('params'))}; MACs/sample {fmt_int(response.get('macs'))}"
        lines += ["", summary]
    conditions = response.get("conditions") or []
    if conditions:
        lines += ["", "holds only if:"]
        for c in conditions:
            where = f"layer {c.get('layer')}" + (f", axis {c.get('axis')}" if c.get("axis") is not None else "")
            lines.append(f"  {c.get('expr')}    ({where})")
    warnings = response.get("warnings") or []
    if warnings:
        lines += ["", "warnings:"] + [f"  {w}" for w in warnings]
    return "\n".join(lines)
