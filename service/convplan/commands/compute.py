"""``convplan compute``: run one op on a small tensor (``POST /v1/compute/{op}``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from convplan.commands._output import add_api_handler, api_command_parser
from convplan.commands._spec import SpecError

OPS = ("conv", "conv_transpose", "max_pool", "avg_pool", "adaptive_avg_pool", "adaptive_max_pool", "max_unpool",
       "upsample", "pixel_shuffle", "pixel_unshuffle")
TENSORS = ("input", "weight", "bias", "indices")

EPILOG = """\
tensors (--input, --weight, --bias, --indices): a JSON array on the command
line, a .npy file (NumPy's format, read without pickle), a .json file, or
'-' for JSON on stdin. Layouts are PyTorch's: input (N, C, *spatial) or
(C, *spatial); conv weight (C_out, C_in/groups, *k); conv_transpose weight
(C_in, C_out/groups, *k).

parameters: KEY=VALUE, with PyTorch's names (kernel_size, stride, padding,
dilation, groups, output_padding, output_size, ceil_mode, scale_factor,
mode, ...); VALUE is JSON (2, [1,2], true, "bilinear") or a bare word.

--explain (conv_transpose): also prints the input with stride-1 zeros
between neighbours, that grid padded (and cropped) as the equivalent
convolution sees it, the equivalent convolution's flipped kernel, and the
convolution matrix C (output = C^T @ input, one sample, bias excluded).

examples:
  convplan compute conv_transpose --input '[[[[1,2],[3,4]]]]' \\
      --weight '[[[[1,1,1],[1,1,1],[1,1,1]]]]' stride=2 --explain
  convplan compute max_pool --input x.npy kernel_size=2
  convplan compute upsample --input '[[[1,2,3]]]' scale_factor=2 mode=linear --json

Without --url (or CONVPLAN_BASE_URL) the service runs in process.
Exit status: 0 computed, 1 the API refused the request (reasons on stderr), 2 usage.
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = api_command_parser(
        subparsers,
        "compute",
        help="run one op (conv, conv_transpose, pools, upsample, ...) on a small tensor",
        description="Run one op on a small tensor in float64, as PyTorch computes it.",
        epilog=EPILOG,
    )
    parser.add_argument("op", choices=OPS, metavar="OP", help=", ".join(OPS))
    parser.add_argument("params", nargs="*", metavar="KEY=VALUE", help="the op's parameters (PyTorch's names)")
    for name in TENSORS:
        parser.add_argument(f"--{name}", metavar="TENSOR", help=f"the {name} tensor (JSON, .npy, .json or -)")
    parser.add_argument("--explain", action="store_true", help="conv_transpose: the zero-inserted view and matrices")
    add_api_handler(parser, build, render)


def read_tensor(name: str, text: str) -> Any:
    """A tensor from a JSON literal, a .npy or .json file, or '-' (stdin)."""
    if text == "-":
        source = sys.stdin.read()
    elif text.lstrip()[:1] in "[-0123456789":
        source = text
    else:
        path = Path(text)
        if not path.is_file():
            raise SpecError(f"--{name}: no such file {text!r} (nor a JSON array)")
        if path.suffix == ".npy":
            import numpy as np

            try:
                return np.load(path, allow_pickle=False).tolist()
            except (OSError, ValueError) as exc:
                raise SpecError(f"--{name}: {text} is not a readable .npy file ({exc})") from None
        source = path.read_text(encoding="utf-8")
    try:
        return json.loads(source)
    except json.JSONDecodeError as exc:
        raise SpecError(f"--{name}: not JSON ({exc.msg} at character {exc.pos})") from None


def _param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise SpecError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value  # a bare word: mode=bilinear


def build(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = dict(_param(p) for p in args.params)
    for name in TENSORS:
        text = getattr(args, name)
        if text is not None:
            body[name] = read_tensor(name, text)
    if "input" not in body:
        raise SpecError("--input is required")
    if args.explain:
        body["explain"] = True
    return f"/v1/compute/{args.op}", body


def _grid(array: Any) -> list[str]:
    """One plane as right-aligned rows of numbers (``%g``: integers without a trailing '.');
    a 3-D plane as its depth slices one under the other, a blank line between them."""
    import numpy as np

    array = np.asarray(array, dtype=float)
    cells = [[f"{v:.6g}" for v in row] for row in array.reshape(-1, array.shape[-1] if array.ndim else 1)]
    width = max((len(c) for row in cells for c in row), default=1)
    rows = [" ".join(c.rjust(width) for c in row) for row in cells]
    if array.ndim == 3:  # depth slices
        height = array.shape[1]
        rows = [row for d in range(array.shape[0]) for row in [*rows[d * height:(d + 1) * height], ""]][:-1]
    return rows


def _section(title: str, value: Any, *, planes: bool = True) -> list[str]:
    """A titled array: per (sample, channel) plane of a (N, C, *spatial) tensor, labelled when there are several."""
    import numpy as np

    array = np.asarray(value, dtype=float)
    lines = [f"{title}:"]
    if not planes or array.ndim < 3:
        return lines + ["  " + row for row in _grid(array)]
    lead = array.reshape((-1, *array.shape[2:]))
    for index, plane in enumerate(lead):
        if len(lead) > 1:
            n, c = divmod(index, array.shape[1])
            lines.append(f"  [sample {n}, channel {c}]")
        lines += ["    " + row for row in _grid(plane)]
    return lines


def render(args: argparse.Namespace, body: dict[str, Any], response: Any) -> str:
    lines = [f"{args.op}: input {_shape(body['input'])} -> output {tuple(response['shape'])}"]
    lines += _section("output", response["output"])
    if response.get("indices") is not None:
        lines += _section("indices (flat, per plane)", response["indices"])
    explain = response.get("explain")
    if explain:
        conv = explain["equivalent_conv"]
        lines += _section(f"zero_inserted (stride - 1 zeros between neighbours), {_shape(explain['zero_inserted'])}",
                          explain["zero_inserted"])
        lines += _section(f"padded (as the equivalent convolution reads it), {_shape(explain['padded'])}",
                          explain["padded"])
        lines += _section("equivalent convolution of zero_inserted: the kernel flipped, in/out channels swapped "
                          f"(stride 1, padding {conv['padding']}, dilation {conv['dilation']})", conv["weight"])
        if explain.get("conv_matrix") is not None:
            forward = " (the forward convolution's)" if explain.get("conv_matrix_is_forward_conv") else ""
            lines += _section(f"conv matrix C{forward}, {_shape(explain['conv_matrix'])}: output = C^T @ input",
                              explain["conv_matrix"], planes=False)
        else:
            lines.append(f"conv matrix omitted: {explain.get('conv_matrix_omitted')}")
    return "\n".join(lines)


def _shape(value: Any) -> tuple[int, ...]:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)
