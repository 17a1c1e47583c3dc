"""Latency of /v1/shapes for a U-Net, numeric and symbolic, side by side.

Runs the app in process (httpx over ASGI, lifespan on, workers warm) and the
engine as a library, and prints median / p90 per case in milliseconds. The
library cases are the issue's 23-layer U-Net computed (every layer) and
re-sent (the shapes memo's prefix, ``shapes/prefix_memo.py``), as CPU time,
the best of several runs. ``--against REV`` times the same request on the
library of an older revision (its ``service/`` from git, in a subprocess),
in the same run: a machine's speed cancels out of the ratio.

    python benchmarks/shapes_latency.py [--repeat 200] [--against 3531944]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from convplan.app import create_app
from convplan.frontends.stack import INPUT, stack_graph
from convplan.graph.evaluate import Tensor, evaluate
from convplan.settings import Settings
from convplan.shapes import ShapesRequest, run_shapes
from convplan.shapes.engine import infer_stack, make_resolver, resolve_input
from convplan.shapes.prefix_memo import PrefixMemo
from convplan.shapes.render import render_result
from convplan.shapes.templates import StackTemplates

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from load import SHAPES_UNET23  # noqa: E402 - the load benchmark's U-Net, the issue's figure

DOWN = [{"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 64}, {"op": "relu"},
        {"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 64}, {"op": "relu"},
        {"op": "max_pool", "kernel_size": 2}]
UP = [{"op": "conv_transpose", "kernel_size": 2, "stride": 2, "out_channels": 64},
      {"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 64}, {"op": "relu"},
      {"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 64}, {"op": "relu"}]
NUMERIC = {"input_size": [572, 572], "in_channels": 1, "layers": DOWN * 4 + UP * 4}
SYMBOLIC = {"input_size": ["16*n", "H"], "in_channels": 1, "layers": DOWN * 4 + UP * 4}


def summary(name: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p90 = samples[int(0.9 * (len(samples) - 1))]
    print(f"{name:45s} median {statistics.median(samples) * 1e3:8.2f} ms   p90 {p90 * 1e3:8.2f} ms")


async def http_case(client: httpx.AsyncClient, body: dict, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = await client.post("/v1/shapes", json=body)
        out.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
    return out


async def main(repeat: int) -> None:
    for overrides, label in (({"response_cache_bytes": 0, "shapes_memo_layers": 0, "shapes_template_layers": 0},
                              "computed"),
                             ({"response_cache_bytes": 0}, "re-sent, from the shapes memo"),
                             ({}, "repeated, from the response cache")):
        app = create_app(Settings.model_construct(**overrides))
        async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://b"
        ) as client:
            await http_case(client, SYMBOLIC, 3)  # workers warm, imports done
            summary(f"POST /v1/shapes U-Net, numeric, {label}", await http_case(client, NUMERIC, repeat))
            summary(f"POST /v1/shapes U-Net, symbolic, {label}",
                    await http_case(client, SYMBOLIC, max(10, repeat // 10)))
    request = ShapesRequest.model_validate(NUMERIC)
    lib = []
    for _ in range(repeat):
        t = time.perf_counter()
        run_shapes(request)
        lib.append(time.perf_counter() - t)
    summary("run_shapes (library) depth-4 U-Net, numeric", lib)


def cpu_us(call: object, repeat: int) -> float:
    """Best of 7 runs of ``repeat`` calls, CPU microseconds per call (a neighbour only slows a run down)."""
    best = float("inf")
    for _ in range(7):
        start = time.process_time()
        for _ in range(repeat):
            call()  # type: ignore[operator]
        best = min(best, (time.process_time() - start) / repeat)
    return best * 1e6


def parts(request: ShapesRequest, settings: Settings, repeat: int) -> None:
    """The computed case's parts (the evaluator; the receptive fields and the document), and two floors in
    the same run: what building the answer's document costs with no arithmetic at all, in Python (a copy of
    it) and in C (``orjson.loads`` of its bytes). A machine's speed cancels out of the ratios to them."""
    resolver = make_resolver(request.symbols, settings, symbolic=False)
    size, channels = resolve_input(resolver, request.input_size, request.in_channels)
    graph = stack_graph(request.layers, ("layers",))
    evaluated = cpu_us(lambda: evaluate(graph, make_resolver(None, settings, symbolic=False),
                                        {INPUT: Tensor(size, channels, [])}, strict=True, maps=False), repeat)
    stack = infer_stack(request.layers, size, channels, resolver)
    rendered = cpu_us(lambda: render_result(stack, resolver, settings.rf_period), repeat)
    document = run_shapes(request, settings)
    copied = cpu_us(lambda: _copy(document), repeat)
    encoded = orjson.dumps(document)
    decoded = cpu_us(lambda: orjson.loads(encoded), repeat)
    cold = cpu_us(lambda: run_shapes(request, settings), repeat)
    print(f"  of which the evaluator (graph/evaluate.py):     {evaluated:8.1f} us CPU")
    print(f"  and the fields and document (shapes/render.py): {rendered:7.1f} us CPU")
    print(f"floor: the answer ({len(encoded)} bytes) copied in Python: {copied:6.1f} us CPU "
          f"(computed: {cold / copied:.2f}x)")
    print(f"floor: the answer built by orjson.loads (C):     {decoded:8.1f} us CPU (computed: {cold / decoded:.2f}x)")


def _copy(value: object) -> object:
    kind = type(value)
    if kind is dict:
        return {k: _copy(v) for k, v in value.items()}  # type: ignore[attr-defined]
    if kind is list or kind is tuple:
        return [_copy(v) for v in value]  # type: ignore[attr-defined]
    return value


_OLD = """
import json, sys, time
from convplan.shapes import ShapesRequest, run_shapes
request = ShapesRequest.model_validate(json.loads(sys.argv[1]))
best = float("inf")
for _ in range(7):
    start = time.process_time()
    for _ in range({repeat}):
        run_shapes(request)
    best = min(best, (time.process_time() - start) / {repeat})
print(best * 1e6)
"""


def library(repeat: int, against: str | None) -> None:
    settings = Settings.model_construct()
    request = ShapesRequest.model_validate(SHAPES_UNET23.body)
    memo = PrefixMemo(settings.shapes_memo_layers)
    run_shapes(request, settings, memo=memo)
    cold = cpu_us(lambda: run_shapes(request, settings), repeat)
    # A design tool trying input sizes: nothing keyed on the size is found again (the receptive fields are:
    # they do not depend on it).
    sweep = [ShapesRequest.model_validate({**SHAPES_UNET23.body, "input_size": [n, n]})
             for n in range(400, 400 + repeat)]
    sizes = iter(sweep * 7)
    swept = cpu_us(lambda: run_shapes(next(sizes), settings), repeat)
    templates = StackTemplates(settings.shapes_template_layers)
    for warm in sweep[:2]:  # learned the second time the stack is asked for
        run_shapes(warm, settings, templates=templates)
    sizes = iter(sweep * 7)
    templated = cpu_us(lambda: run_shapes(next(sizes), settings, templates=templates), repeat)
    hit = cpu_us(lambda: run_shapes(request, settings, memo=memo), repeat)
    print(f"run_shapes, 23-layer U-Net, every layer computed: {cold:8.1f} us CPU")
    print(f"  the same, a new input size at every call:       {swept:8.1f} us CPU")
    print(f"  the same, from the stack's template:            {templated:8.1f} us CPU")
    print(f"run_shapes, 23-layer U-Net, re-sent (memo):       {hit:8.1f} us CPU")
    parts(request, settings, repeat)
    if against is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", against, "service"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        out = subprocess.run([sys.executable, "-c", _OLD.format(repeat=repeat), json.dumps(SHAPES_UNET23.body)],
                             env={"PYTHONPATH": str(Path(tmp) / "service")}, check=True, capture_output=True,
                             text=True).stdout
    old = float(out.strip().splitlines()[-1])
    print(f"run_shapes at {against}, same request:            {old:8.1f} us CPU "
          f"(now computed: {cold / old:.2f}x, re-sent: {hit / old:.2f}x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--against", help="a git revision whose library to time on the same request")
    args = parser.parse_args()
    asyncio.run(main(args.repeat))
    library(args.repeat, args.against)
