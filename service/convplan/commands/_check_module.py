"""``convplan check package.module:ClassOrFactory --input 3x256x256``: capture a PyTorch module and check it.

The ``check`` command dispatches here when its argument names a Python
object (``module:attr``) rather than a file. This IMPORTS AND RUNS THE
USER'S CODE, like any Python import: the module is imported (from the
current directory first, as ``python -m`` would), the object is called with
no arguments when it is a class or a factory, and its ``forward`` is traced
by ``torch.export`` on fake tensors (``convplan_client.torch.capture``: needs
torch and the client package). The captured ``/v1/graph`` body is sent to
the API (in process, or ``--url``) and its answer printed by ``report``,
the same report as for an ONNX model, after the capture's guards.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["MODULE_EPILOG", "UsageError", "add_module_options", "is_module_target", "load_module", "parse_input",
           "run_module"]

_TARGET = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}\Z")

MODULE_EPILOG = """\
A Python target (package.module:ClassOrFactory) is imported and its forward
traced with torch.export: this runs your code, like any import. --input is
CxSPATIAL, x-separated: channels, then each spatial size as an int or a
name without an x (3x256x256, 1xHxW, 1x96x96x64). Needs torch and
convplan-client.
"""


class UsageError(ValueError):
    """A target or ``--input`` that cannot be used (exit 2)."""


def is_module_target(text: str) -> bool:
    """True for ``package.module:attr`` (a file path such as ``model.onnx`` or ``C:/x.onnx`` is not one)."""
    return bool(_TARGET.match(text)) and not os.path.exists(text)


def add_module_options(parser: argparse.ArgumentParser) -> None:
    """The options ``check`` takes only for a Python target."""
    parser.add_argument("--example-size", type=int, default=64, metavar="N",
                        help="for a Python target: the size torch.export traces named axes at (default 64)")
    parser.add_argument("--body", action="store_true",
                        help="for a Python target: print the captured /v1/graph body instead of checking it")


def parse_input(values: list[str]) -> tuple[int, list[int | str]]:
    """``--input CxS1[xS2[xS3]]`` -> (channels, spatial sizes: ints or names)."""
    if len(values) != 1:
        raise UsageError("a Python target needs exactly one --input CxSPATIAL (e.g. 3x256x256 or 3xHxW)")
    parts = _split_dims(values[0])
    if not 2 <= len(parts) <= 4:
        raise UsageError(f"--input {values[0]!r}: channels then 1 to 3 spatial sizes, x-separated (3x256x256)")
    channels, *spatial = parts
    if not isinstance(channels, int):
        raise UsageError(f"--input {values[0]!r}: the channels must be an int")
    return channels, spatial


def _split_dims(text: str) -> list[int | str]:
    out: list[int | str] = []
    for part in text.strip().split("x"):
        if part.isdigit() and int(part) >= 1:
            out.append(int(part))
        elif _NAME.match(part) and part != "i":
            out.append(part)
        else:
            raise UsageError(f"--input {text!r}: {part!r} is neither a size >= 1 nor a name")
    return out


def load_module(target: str) -> Any:
    """Import ``package.module`` and return the ``nn.Module`` its ``attr`` is, or builds when called."""
    module_name, _, attr = target.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"cannot import {module_name}: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"{module_name} has no attribute {attr}")
        obj = getattr(obj, part)
    if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "forward")):  # a class or a factory
        obj = obj()
    if not (hasattr(obj, "forward") and hasattr(obj, "train")):
        raise UsageError(f"{target} is not an nn.Module, nor a class or factory that builds one")
    return obj


def run_module(args: argparse.Namespace, parser: argparse.ArgumentParser,
               report: Callable[[dict[str, Any]], str]) -> int:
    """``check`` for a Python target: 0 ok, 1 not ok or not capturable, 2 usage."""
    from convplan.commands._api import call_or_report
    from convplan.commands._output import emit, print_json, usage_error

    try:
        from convplan_client.torch import UnsupportedModule, capture
    except ImportError as exc:
        return usage_error(parser, f"a Python target needs the client package and torch ({exc})")
    try:
        channels, spatial = parse_input(args.input)
        module = load_module(args.model)
    except UsageError as exc:
        return usage_error(parser, str(exc))
    try:
        captured = capture(module, spatial, channels, example_size=args.example_size, training=args.training)
    except (UnsupportedModule, ValueError) as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 1
    body = dict(captured.body)
    if args.align:
        body["align"] = args.align
    if args.body:
        print_json(body)
        return 0
    answer = call_or_report(parser.prog, "POST", "/v1/graph", body, url=args.url, timeout=args.timeout,
                            as_json=args.json)
    if answer is None:
        return 1
    if args.json:
        print_json({"graph": body, "analysis": answer.body, "guards": [g.text for g in captured.guards],
                    "capture_warnings": list(captured.warnings)})
    else:
        emit("\n".join([*_capture_lines(args.model, captured), "", report(answer.body)]))
    return 0 if answer.body.get("ok") else 1


def _capture_lines(target: str, captured: Any) -> list[str]:
    lines = [f"module: {target}, {captured.nodes} nodes, captured in {captured.seconds:.1f} s"]
    for guard in captured.guards:
        lines.append(f"guard: {guard.text}  ({guard.where})")
    if captured.guards:
        lines.append("  (the module's code takes the traced path only where every guard holds)")
    lines += [f"warning: {w}" for w in captured.warnings]
    return lines
