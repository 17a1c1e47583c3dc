"""``convplan plan``: encoder/decoder stacks, skips, fixes and valid input sizes (``POST /v1/plan``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from convplan.commands._output import (
    add_api_handler,
    api_command_parser,
    fmt_axes,
    fmt_channels,
    fmt_int,
    table,
)
from convplan.commands._spec import (
    SpecError,
    parse_assumption,
    parse_layer,
    parse_size,
    parse_value,
)

EPILOG = """\
A template (unet, fcn) or an explicit plan from --file (the JSON body of
POST /v1/plan; the options below override its fields).

template options (sent only when given; the service's defaults otherwise):
  unet   --depth N (downsamplings, default 4)  --convs-per-stage N (2)
         --padding valid|same|N: the template conv is {kernel_size: 3,
           padding: 0 | 1 | N}; --conv conv:k=3,p=1,d=1 sets it in full
         --down LAYER (max_pool:k=2)  --up LAYER (conv_transpose:k=2,s=2)
         --merge concat|add  --base-channels N (64)  --channel-multiplier N (2)
         --out-channels N|none (2; none = no head)  --batch-norm  --no-relu
  fcn    --variant 8s|16s|32s  --num-classes N (21)
LAYER uses the syntax of `convplan shape --help` (e.g. conv:k=2,s=2).

output: every stage's sizes and channels; every skip connection with its
sizes, offset, whether it is registered, the fix applied and every fix
(crop of the skip, pad of the decoder map, output_padding of the up-conv);
with --valid-sizes, the input sizes the stack takes cleanly, per axis:
i = r (mod m) for r in residues, i >= min, the nearest ones around --input,
and the output size as an expression in i.

examples:
  convplan plan unet --depth 4 --padding valid --input 572 --valid-sizes
  convplan plan unet --depth 4 --padding same --input 572x572 -c 3
  convplan plan unet --depth 3 --input 100 --align pad --json
  convplan plan fcn --variant 8s --input 500x500 -c 3 --valid-sizes
  convplan plan --file plan.json --input 101 --valid-sizes
  convplan plan unet --depth 4 --padding valid --input 572x572 --svg unet.svg

Without --url (or CONVPLAN_BASE_URL) the service runs in process.
Exit status: 0 the plan is ok; 1 it is not ok (a skip connection does not
line up under --align none: the answer is printed, "ok" is false), or the
API refused the request (reasons on stderr); 2 usage.
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = api_command_parser(
        subparsers,
        "plan",
        help="plan an encoder/decoder stack (U-Net, FCN): skips, fixes, valid input sizes",
        description="Plan or check an encoder/decoder stack: every stage's size, whether each skip "
        "connection lines up, what makes it line up, and which input sizes work.",
        epilog=EPILOG,
    )
    parser.add_argument("template", nargs="?", metavar="TEMPLATE", help="unet or fcn (omit with --file)")
    parser.add_argument("--input", "-i", metavar="SIZE", help="input size: 572, 572x572, 16*n, [H,W]")
    parser.add_argument("-c", "--channels", metavar="C", default=None, help="input channels (in_channels)")
    parser.add_argument("--file", "-f", metavar="FILE", help="a JSON plan request ('-' = stdin)")
    parser.add_argument("--align", choices=["crop", "pad", "none"], help="fix applied at a mismatch (default crop)")
    parser.add_argument("--assume", metavar="NAME>=INT", action="append", default=[], help="as in `shape`")
    group = parser.add_argument_group("unet template")
    group.add_argument("--depth", type=int, help="number of downsamplings")
    group.add_argument("--convs-per-stage", type=int, metavar="N")
    group.add_argument("--padding", metavar="valid|same|N", help="padding of the 3x3 template convs")
    group.add_argument("--conv", metavar="LAYER", help="the template conv, e.g. conv:k=3,p=1")
    group.add_argument("--down", metavar="LAYER", help="downsampling layer, e.g. max_pool:k=2")
    group.add_argument("--up", metavar="LAYER", help="upsampling layer, e.g. conv_transpose:k=2,s=2")
    group.add_argument("--merge", choices=["concat", "add"])
    group.add_argument("--base-channels", type=int, metavar="N")
    group.add_argument("--channel-multiplier", type=int, metavar="N")
    group.add_argument("--out-channels", metavar="N|none", help="channels of the 1x1 head (none: no head)")
    group.add_argument("--batch-norm", action="store_true", default=None, help="a batch_norm after every conv")
    group.add_argument("--no-relu", dest="relu", action="store_false", default=None, help="no ReLU after convs")
    group = parser.add_argument_group("fcn template")
    group.add_argument("--variant", choices=["8s", "16s", "32s"])
    group.add_argument("--num-classes", type=int, metavar="N")
    group = parser.add_argument_group("output")
    group.add_argument("--valid-sizes", action="store_true", help="print the valid input sizes per axis")
    group.add_argument("--layers", action="store_true", help="print every layer of every stage")
    group.add_argument("--svg", metavar="FILE", help="also write the plan drawn as the U-Net figure (SVG) to FILE")
    add_api_handler(parser, build, render, failed=not_ok)


_CONV_PADDING = {"valid": 0, "same": 1}


def not_ok(response: Any) -> bool:
    """A plan answered but not ok (a skip that does not line up under --align none): exit 1, as `check`."""
    return isinstance(response, dict) and response.get("ok") is False


def _template(args: argparse.Namespace) -> dict[str, Any]:
    options = {
        "depth": args.depth,
        "convs_per_stage": args.convs_per_stage,
        "merge": args.merge,
        "base_channels": args.base_channels,
        "channel_multiplier": args.channel_multiplier,
        "batch_norm": args.batch_norm,
        "relu": args.relu,
        "variant": args.variant,
        "num_classes": args.num_classes,
    }
    template: dict[str, Any] = {"name": args.template} if args.template else {}
    template.update({k: v for k, v in options.items() if v is not None})
    if args.out_channels is not None:
        value = parse_value(args.out_channels)
        if value is not None and not isinstance(value, int):
            raise SpecError(f"--out-channels: an integer or none, got {args.out_channels!r}")
        template["out_channels"] = value
    conv: dict[str, Any] = {}
    if args.conv is not None:
        conv = parse_layer(args.conv if ":" in args.conv or args.conv.startswith("conv") else f"conv:{args.conv}")
        if conv.pop("op") != "conv":
            raise SpecError(f"--conv must be a conv layer, got {args.conv!r}")
    if args.padding is not None:
        padding = _CONV_PADDING.get(args.padding.lower())
        conv.setdefault("kernel_size", 3)
        conv["padding"] = padding if padding is not None else parse_value(args.padding)
    if conv:
        template["conv"] = conv
    for name in ("down", "up"):
        spec = getattr(args, name)
        if spec is not None:
            template[name] = parse_layer(spec)
    return template


def build(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = {}
    if args.file is not None:
        try:
            text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()  # noqa: SIM115
            body = json.loads(text)
        except (OSError, ValueError) as exc:
            raise SpecError(f"--file {args.file}: {exc}") from exc
        if not isinstance(body, dict):
            raise SpecError(f"--file {args.file}: a JSON object (the request body of POST /v1/plan)")
    elif args.template is None:
        raise SpecError("give a TEMPLATE (unet, fcn) or --file")
    template = _template(args)
    if template:
        if "name" not in template and not isinstance(body.get("template"), dict):
            raise SpecError("template options need a TEMPLATE (unet or fcn)")
        base = body.get("template") if "name" not in template else None
        body["template"] = {**(base or {}), **template}
    if args.input is not None:
        body["input_size"] = parse_size(args.input)
    elif "input_size" not in body:
        raise SpecError("--input SIZE is required (e.g. --input 572)")
    if args.channels is not None:
        body["in_channels"] = parse_value(args.channels)
    if args.align is not None:
        body["align"] = args.align
    if args.assume:
        body["symbols"] = dict(parse_assumption(a) for a in args.assume)
    return "/v1/plan", body


# --- rendering ---------------------------------------------------------------


def _stages(response: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    stages = [(f"encoder {j}", s) for j, s in enumerate(response.get("encoder") or []) if isinstance(s, dict)]
    stages += [(f"decoder {t}", s) for t, s in enumerate(response.get("decoder") or []) if isinstance(s, dict)]
    head = response.get("head")
    if isinstance(head, dict) and head.get("layers"):
        stages.append(("head", head))
    return stages


def _yes(value: Any) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _fix(value: Any) -> str:
    """A per-axis fix: ``(4,4)x(4,4)``; null entries (no registered fix) as ``none``."""
    if value is None:
        return "none"
    if isinstance(value, list) and any(v is None for v in value):
        if all(v is None for v in value):
            return "none"
        return " x ".join("none" if v is None else fmt_axes([v]) for v in value)
    return fmt_axes(value)


def _valid_sizes(response: dict[str, Any], request: dict[str, Any]) -> list[str]:
    entries = response.get("valid_input_sizes")
    lines = ["valid input sizes:"]
    if not isinstance(entries, list):
        reason = response.get("valid_input_sizes_reason")
        return [*lines, f"  not available{': ' + str(reason) if reason else ''}"]
    requested = request.get("input_size") or []
    reasons = response.get("valid_input_sizes_reason")
    for axis, entry in enumerate(entries):
        if not isinstance(entry, dict):
            reason = reasons[axis] if isinstance(reasons, list) and axis < len(reasons) else reasons
            lines.append(f"  axis {axis}: no closed form{': ' + str(reason) if reason else ''}")
            continue
        modulus, residues = entry.get("modulus"), entry.get("residues") or []
        if not residues:
            lines.append(f"  axis {axis}: none (no input size works)")
            continue
        if len(residues) == 1:
            rule = f"i = {residues[0]} (mod {modulus})"
        elif len(residues) <= 8:
            rule = f"i mod {modulus} in {{{', '.join(str(r) for r in residues)}}}"
        else:
            rule = f"{len(residues)} residues mod {modulus}"
        if modulus == 1:
            rule = "every i"
        smallest = entry.get("min")
        line = f"  axis {axis}: {rule}, i >= {smallest}" if smallest is not None else f"  axis {axis}: {rule}"
        nearest = entry.get("nearest") or {}
        asked = requested[axis] if axis < len(requested) else None
        if isinstance(nearest, dict) and (nearest.get("below") is not None or nearest.get("above") is not None):
            near = f"nearest to {asked}: {fmt_int(nearest.get('below'))} (at or below), "
            near += f"{fmt_int(nearest.get('above'))} (at or above)"
            line += f"; {near}"
        if entry.get("output_size") is not None:
            line += f"; output = {entry['output_size']}"
        lines.append(line)
    return lines


def _write_svg(path: str, request: dict[str, Any], response: dict[str, Any]) -> str:
    from convplan.render.svg import plan_svg

    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(plan_svg(response, request))
    except OSError as exc:
        return f"could not write {path}: {exc}"
    return f"wrote {path}"


def render(args: argparse.Namespace, request: dict[str, Any], response: dict[str, Any]) -> str:
    lines: list[str] = []
    if args.svg and "skips" in response:  # a plan, not the partial stack of a refusal
        lines += [_write_svg(args.svg, request, response), ""]
    head = "plan" + (f" ({args.template})" if args.template else "")
    stages = _stages(response)
    first = stages[0][1] if stages else {}
    summary = f"{head}: input {fmt_axes(request.get('input_size'))}"
    if first.get("in_channels") is not None:
        summary += f" x {fmt_int(first['in_channels'])}"
    summary += f" -> output {fmt_axes(response.get('output_size'))}"
    if stages and stages[-1][1].get("out_channels") is not None:
        summary += f" x {fmt_int(stages[-1][1]['out_channels'])}"
    if response.get("params") is not None:
        summary += f"; params {fmt_int(response['params'])}"
    if "ok" in response:
        summary += "; ok" if response.get("ok") else "; NOT OK: a skip does not line up (see mismatch)"
    lines.append(summary)
    if stages:
        rows = [
            [name, fmt_axes(s.get("input_size")), fmt_axes(s.get("output_size")), fmt_channels(s)]
            for name, s in stages
        ]
        lines += ["", table(["stage", "input", "output", "channels"], rows)]
    if args.layers:
        for name, stage in stages:
            layer_rows = [
                [str(layer.get("index", i)), str(layer.get("op", "?")), fmt_axes(layer.get("input_size")),
                 fmt_axes(layer.get("output_size")), fmt_int(layer.get("params"))]
                for i, layer in enumerate(stage.get("layers") or [])
            ]
            if layer_rows:
                lines += ["", f"{name}:", table(["#", "op", "input", "output", "params"], layer_rows, right={0, 4})]
    skips = [s for s in response.get("skips") or [] if isinstance(s, dict)]
    if skips:
        rows = []
        for s in skips:
            output_padding = _fix(s.get("output_padding"))
            if s.get("output_size_ok") is False:
                output_padding += " (not via output_size)"
            rows.append([
                f"enc {s.get('encoder_stage')} -> dec {s.get('decoder_stage')}",
                fmt_axes(s.get("encoder_size")),
                fmt_axes(s.get("decoder_size")),
                fmt_axes(s.get("offset")),
                _yes(s.get("registered")),
                str(s.get("applied") or "-"),
                _fix(s.get("crop")),
                _fix(s.get("pad")),
                output_padding,
            ])
        lines += [
            "",
            "skips (sizes before the fix; crop = of the skip, pad = of the decoder map, [before, after] per axis):",
            table(["skip", "encoder", "decoder", "offset", "registered", "applied", "crop", "pad",
                   "output_padding"], rows),
        ]
    mismatch = response.get("mismatch")
    if mismatch:
        detail = mismatch.get("detail") if isinstance(mismatch, dict) else None
        lines += ["", f"mismatch: {detail or json.dumps(mismatch)}"]
    if args.valid_sizes:
        lines += ["", *_valid_sizes(response, request)]
    for key, title in (("conditions", "holds only if:"), ("warnings", "warnings:")):
        items = response.get(key) or []
        if items:
            lines += ["", title]
            lines += [f"  {c.get('expr') if isinstance(c, dict) else c}" for c in items]
    return "\n".join(lines)
