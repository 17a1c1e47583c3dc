"""``convplan check MODEL.onnx``: import an ONNX model and report its sizes (``POST /v1/import/onnx``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from convplan.commands._check_module import MODULE_EPILOG, add_module_options, is_module_target, run_module
from convplan.commands._graph_report import graph_report
from convplan.commands._output import add_api_options, api_command_parser, emit, print_json, usage_error

EPILOG = """\
The model is read, never executed (weights may be stripped: only their dims
are used). --input overrides an input's shape: SHAPE for the first input or
NAME:SHAPE, x-separated integers or names (1x3xHxW, x:1x1x572x572).

examples:
  convplan check unet.onnx
  convplan check unet.onnx --input 1x1x572x572 --align crop
  convplan check model.onnx --json

Exit status: 0 the network runs as exported (ok), 1 it does not or the
model was refused (reasons on stderr), 2 usage.
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = api_command_parser(
        subparsers, "check", help="import an ONNX model: every node's size, merges, valid input sizes",
        description="Import an ONNX model and check it: the size of every node, every merge with its culprit "
        "and fix, and the input sizes that work; or capture a PyTorch module (package.module:ClassOrFactory).",
        epilog=EPILOG + "\n" + MODULE_EPILOG)
    parser.add_argument("model", metavar="MODEL.onnx|package.module:Class",
                        help="the ONNX file ('-' = stdin), or a PyTorch module to import and capture")
    parser.add_argument("--input", "-i", action="append", default=[], metavar="[NAME:]SHAPE",
                        help="an input's shape, e.g. 1x3xHxW (repeatable)")
    parser.add_argument("--align", choices=["none", "crop", "pad"], help="fix applied at a mismatch (default none)")
    parser.add_argument("--training", action="store_true", help="check as in training (batch_norm's rule)")
    parser.add_argument("--svg", metavar="FILE", help="also write the analysed graph drawn as a layered DAG (SVG)")
    add_module_options(parser)
    add_api_options(parser)
    parser.set_defaults(handler=lambda args: run_module(args, parser, graph_report) if is_module_target(args.model)
                        else run(args, parser))


def _read(path: str) -> bytes:
    return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from convplan.commands._api import call_or_report

    try:
        data = _read(args.model)
    except OSError as exc:
        return usage_error(parser, f"cannot read {args.model}: {exc.strerror or exc}")
    query: list[tuple[str, Any]] = [("input", text) for text in args.input]
    if args.align:
        query.append(("align", args.align))
    if args.training:
        query.append(("training", "true"))
    path = "/v1/import/onnx" + (f"?{urlencode(query)}" if query else "")
    answer = call_or_report(parser.prog, "POST", path, binary=data, url=args.url, timeout=args.timeout,
                            as_json=args.json)
    if answer is None:
        return 1
    body = answer.body
    if args.json:
        print_json(body)
    else:
        emit(_report(body))
    analysis = body.get("analysis")
    if args.svg and analysis is not None:
        print(write_graph_svg(args.svg, analysis), file=sys.stderr if args.json else sys.stdout)
    return 0 if analysis is None or analysis.get("ok") else 1


def write_graph_svg(path: str, analysis: dict[str, Any]) -> str:
    """Write the /v1/graph answer drawn as a layered DAG; the line to print."""
    from convplan.render.svg import graph_svg

    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(graph_svg(analysis))
    except OSError as exc:
        return f"could not write {path}: {exc}"
    return f"wrote {path}"


def _report(body: dict[str, Any]) -> str:
    model = body.get("model") or {}
    lines = [f"model: opset {model.get('opset')}, {model.get('producer') or 'unknown producer'}"]
    for entry in model.get("inputs") or []:
        shape = "x".join("?" if d is None else str(d) for d in entry.get("shape") or [])
        lines.append(f"  input {entry.get('name')}: {shape}")
    lines.append(f"graph: {len((body.get('graph') or {}).get('nodes') or [])} nodes")
    for warning in body.get("warnings") or []:
        lines.append(f"warning: {warning}")
    analysis = body.get("analysis")
    if analysis is not None:
        lines += ["", graph_report(analysis)]
    return "\n".join(lines)
