"""``convplan graph FILE.json``: analyse a /v1/graph request body (``POST /v1/graph``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from convplan.commands._graph_report import graph_report
from convplan.commands._output import add_api_options, api_command_parser, emit, print_json, usage_error

EPILOG = """\
FILE is the JSON body of POST /v1/graph ('-' = stdin), e.g. the "graph" of
`convplan check MODEL.onnx --json`.

Exit status: 0 ok, 1 not ok or refused (reasons on stderr), 2 usage.
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = api_command_parser(
        subparsers, "graph", help="analyse a network given as a /v1/graph JSON body",
        description="Every node's size, every merge, the mismatch and its culprit, and the valid input sizes "
        "of a network given as a graph.", epilog=EPILOG)
    parser.add_argument("file", metavar="FILE.json", help="the graph body ('-' = stdin)")
    add_api_options(parser)
    parser.set_defaults(handler=lambda args: run(args, parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from convplan.commands._api import call_or_report

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        body = json.loads(text)
    except (OSError, ValueError) as exc:
        return usage_error(parser, f"cannot read a JSON body from {args.file}: {exc}")
    answer = call_or_report(parser.prog, "POST", "/v1/graph", body, url=args.url, timeout=args.timeout,
                            as_json=args.json)
    if answer is None:
        return 1
    if args.json:
        print_json(answer.body)
    else:
        emit(graph_report(answer.body))
    return 0 if answer.body.get("ok") else 1
