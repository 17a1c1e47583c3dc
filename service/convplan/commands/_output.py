"""Plain-text tables and the shared options and error handling of the API commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from convplan.commands._spec import SpecError

__all__ = ["add_api_handler", "add_api_options", "api_command_parser", "fmt_axes", "fmt_channels", "fmt_int",
           "print_json", "run_api_command", "table", "usage_error"]


def fmt_int(value: Any) -> str:
    """``1,234,567`` for integers, the expression for symbolic values, ``-`` for null."""
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def fmt_channels(entry: dict[str, Any]) -> str:
    """``in -> out`` channels of a layer or stage, ``-`` when both are unknown."""
    cin, cout = entry.get("in_channels"), entry.get("out_channels")
    if cin is None and cout is None:
        return "-"
    return f"{fmt_int(cin)} -> {fmt_int(cout)}" if cin != cout else fmt_int(cin)


def _scalar(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, list):  # a [before, after] pair
        return "(" + ",".join(_scalar(v) for v in value) + ")"
    return str(value)


def fmt_axes(values: Any) -> str:
    """A per-axis list: ``284x284``; symbolic ``16*n - 4`` or ``[H, W - 2]``; pairs ``(1,1)x(0,1)``."""
    if values is None:
        return "-"
    if not isinstance(values, list):
        return _scalar(values)
    if not values:
        return "-"
    texts = [_scalar(v) for v in values]
    symbolic = any(isinstance(v, str) for v in values)
    if not symbolic:
        return "x".join(texts)
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


def fmt_per_axis_text(values: Any) -> str:
    """Per-axis texts (formulas): once when every axis has the same, else ``a ; b``."""
    if not isinstance(values, list) or not values:
        return "-" if values in (None, []) else str(values)
    texts = [str(v) for v in values]
    return texts[0] if len(set(texts)) == 1 else " ; ".join(texts)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """An aligned text table; columns whose index is in ``right`` are right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        out = [
            (cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])) for i, cell in enumerate(cells)
        ]
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def print_json(data: Any, stream: TextIO | None = None) -> None:
    emit(json.dumps(data, indent=2, ensure_ascii=False), stream)


def emit(text: str, stream: TextIO | None = None) -> None:
    """Print; a closed pipe (``| head``) ends output quietly."""
    import os

    try:
        print(text, file=stream or sys.stdout, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit


def api_command_parser(subparsers: argparse._SubParsersAction, name: str, *, help: str,  # type: ignore[type-arg]
                       description: str, epilog: str) -> argparse.ArgumentParser:
    """The parser of a command that asks the API, its epilog (syntax, examples, exit status) printed as written."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser


def add_api_handler(
    parser: argparse.ArgumentParser,
    build: Callable[[argparse.Namespace], tuple[str, Any]],
    render: Callable[[argparse.Namespace, dict[str, Any], Any], str],
    failed: Callable[[Any], bool] | None = None,
) -> None:
    """End a one-request command's parser: the API options (last in ``--help``), and the handler that
    builds, sends and prints the request (``run_api_command``)."""
    add_api_options(parser)
    parser.set_defaults(handler=lambda args: run_api_command(args, parser, build, render, failed))


def usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    """Report a usage error as argparse does (the usage, then ``PROG: error: MESSAGE``, on stderr): exit status 2."""
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return 2


def add_api_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the API's JSON response instead of tables")
    parser.add_argument(
        "--url",
        metavar="URL",
        default=None,
        help="a convplan server (default: $CONVPLAN_BASE_URL, else the service runs in process)",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="seconds to wait for a server (default: 60)"
    )


def run_api_command(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    build: Callable[[argparse.Namespace], tuple[str, Any]],
    render: Callable[[argparse.Namespace, dict[str, Any], Any], str],
    failed: Callable[[Any], bool] | None = None,
) -> int:
    """Build the request (spec errors: exit 2), call the API (refusals: exit 1), print the answer
    (exit 1 too when ``failed(answer)`` says the answer is a negative one, as a plan that is not ok)."""
    from convplan.commands._api import ApiUnreachable, call, format_problem

    try:
        path, body = build(args)
    except SpecError as exc:
        return usage_error(parser, str(exc))
    try:
        answer = call("POST", path, body, url=args.url, timeout=args.timeout)
    except ApiUnreachable as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 1
    if not answer.ok:
        if args.json and isinstance(answer.body, dict):
            print_json(answer.body)
        elif isinstance(answer.body, dict) and answer.body.get("layers"):
            # A 422 from a layer carries the layers computed before it.
            emit("computed before the error:\n" + render(args, body, answer.body))
        print(format_problem(answer), file=sys.stderr)
        return 1
    if args.json:
        print_json(answer.body)
    else:
        emit(render(args, body, answer.body))
    return 1 if failed is not None and failed(answer.body) else 0
