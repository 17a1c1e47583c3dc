"""``convplan compare``: upsamplers side by side on one input (``POST /v1/compare/upsamplers``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from convplan.commands._output import add_api_handler, api_command_parser, table
from convplan.commands._spec import SpecError

EPILOG = """\
tensors:  JSON text ('[1, 2, 4]', '[[1, 2], [3, 4]]'), a .json file, a .npy
          file, or '-' (JSON on stdin). A 1-D or 2-D array is one plane
          (N = C = 1); 3 to 5 dimensions are (N, C, *spatial) as sent.
methods:  nearest, bilinear, bilinear_align_corners, bicubic (2-D only),
          conv_transpose (FCN's bilinear kernel unless --weight), max_unpool
          (needs --pooled-from); default: every one that applies.

examples:
  convplan compare '[1, 2, 4]' -f 2
  convplan compare '[[1, 2], [3, 4]]' -f 2 --methods bilinear,bicubic,conv_transpose
  convplan compare '[5, 4]' -f 2 --pooled-from '[1, 5, 4, 2]' --weight '[[[0.5, 1, 0.5]]]'
  convplan compare x.npy -f 3 --json

Without --url (or CONVPLAN_BASE_URL) the service runs in process.
Exit status: 0 ok, 1 the API refused the request (reasons on stderr), 2 usage.
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = api_command_parser(
        subparsers,
        "compare",
        help="upsamplers side by side on one input",
        description="Upsample one input by an integer factor with nearest, bilinear, bicubic, a transposed "
                    "convolution and max unpooling, and print each output as a grid (PyTorch's values).",
        epilog=EPILOG,
    )
    parser.add_argument("input", metavar="TENSOR", help="the input: JSON text, a .json or .npy file, or -")
    parser.add_argument("-f", "--scale-factor", type=int, required=True, metavar="F", help="the integer factor")
    parser.add_argument("--methods", metavar="M,M", default=None, help="comma-separated methods (default: all)")
    parser.add_argument("--pooled-from", metavar="TENSOR", default=None,
                        help="max_unpool: the tensor whose max_pool(., F) gives the indices (shaped as the input)")
    parser.add_argument("--weight", metavar="TENSOR", default=None, help="conv_transpose: a (C, C, *k) weight")
    parser.add_argument("--digits", type=int, default=4, metavar="D", help="significant digits shown (default 4)")
    add_api_handler(parser, build, render)


def _tensor(text: str, what: str) -> Any:
    """A tensor argument as nested lists; 1-D and 2-D arrays become one (1, 1, ...) plane."""
    try:
        if text == "-":
            value = json.loads(sys.stdin.read())
        elif text.endswith(".npy"):
            import numpy as np

            value = np.load(text, allow_pickle=False).tolist()
        elif text.endswith(".json"):
            with open(text, encoding="utf-8") as fh:
                value = json.load(fh)
        else:
            value = json.loads(text)
    except (OSError, ValueError) as exc:
        raise SpecError(f"{what}: {exc}") from exc
    depth, probe = 0, value
    while isinstance(probe, list) and probe:
        depth, probe = depth + 1, probe[0]
    if depth == 0:
        raise SpecError(f"{what}: expected a tensor (nested lists of numbers)")
    return [[value]] if depth <= 2 else value


def build(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = {"input": _tensor(args.input, "input"), "scale_factor": args.scale_factor}
    if args.methods:
        body["methods"] = [m.strip() for m in args.methods.split(",") if m.strip()]
    if args.pooled_from is not None:
        body["pooled_from"] = _tensor(args.pooled_from, "--pooled-from")
    if args.weight is not None:
        body["weight"] = _tensor(args.weight, "--weight")
    return "/v1/compare/upsamplers", body


def _number(value: Any, digits: int) -> str:
    if isinstance(value, int):
        return str(value)
    text = f"{value:.{digits}g}"
    return "0" if text == "-0" else text


def _leaves(value: Any) -> list[Any]:
    return [leaf for item in value for leaf in _leaves(item)] if isinstance(value, list) else [value]


def _grid(plane: Any, digits: int, width: int) -> list[str]:
    """A 1-D row or a 2-D grid in columns of ``width``; 3-D as one grid per leading index."""
    if plane and isinstance(plane[0], list) and plane[0] and isinstance(plane[0][0], list):
        lines: list[str] = []
        for d, sub in enumerate(plane):
            lines += [f"[{d}]"] + ["  " + line for line in _grid(sub, digits, width)]
        return lines
    rows = plane if plane and isinstance(plane[0], list) else [plane]
    return [" ".join(_number(v, digits).rjust(width) for v in row) for row in rows]


def _planes(tensor: Any, digits: int, width: int) -> list[str]:
    """Every (n, c) plane, labelled when there is more than one."""
    lines: list[str] = []
    many = len(tensor) * len(tensor[0]) > 1
    for n, sample in enumerate(tensor):
        for c, plane in enumerate(sample):
            if many:
                lines.append(f"n={n} c={c}:")
            lines += [("  " if many else "") + line for line in _grid(plane, digits, width)]
    return lines


def _overlap_text(axes: list[dict[str, Any]]) -> str:
    parts = []
    for a, axis in enumerate(axes):
        taps = " ".join("{" + ",".join(map(str, t)) + "}" for t in axis.get("taps") or [])
        verdict = "holes" if axis.get("holes") else "uniform" if axis.get("uniform") else "uneven"
        parts.append(f"axis {a}: {taps} {verdict}".replace("  ", " "))
    return "; ".join(parts)


def render(args: argparse.Namespace, request: dict[str, Any], response: dict[str, Any]) -> str:
    methods = response.get("methods") or {}
    # One column width for every grid, so the methods line up when read one under the other.
    width = max(len(_number(v, args.digits)) for t in [request["input"], *(r["output"] for r in methods.values())]
                for v in _leaves(t))
    title = f"input {'x'.join(map(str, response.get('input_shape', [])))}, scale factor {response.get('scale_factor')}:"
    lines = [title, *_planes(request["input"], args.digits, width)]
    for method, result in methods.items():
        lines += ["", f"{method}  {'x'.join(map(str, result.get('shape', [])))}"]
        lines += _planes(result["output"], args.digits, width)
        if result.get("coverage") is not None:
            geometry = [[",".join(map(str, result.get(k) or [])) for k in ("kernel_size", "padding",
                                                                           "output_padding")]
                        + [str(result.get("weight_init"))]]
            lines += ["", table(["kernel", "padding", "output_padding", "weight"], geometry)]
            lines += [f"overlap (taps per output phase): {_overlap_text(result.get('overlap') or [])}",
                      "coverage ((input pixel, tap) pairs per output):"]
            lines += _grid(result["coverage"][0][0], args.digits, width)
    warnings = response.get("warnings") or []
    if warnings:
        lines += ["", "warnings:"] + [f"  {w}" for w in warnings]
    return "\n".join(lines)
