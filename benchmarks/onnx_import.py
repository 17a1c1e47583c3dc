#!/usr/bin/env python3
"""Import + analysis time of POST /v1/import/onnx, through the real app (in process, no socket).

    .venv/bin/python benchmarks/onnx_import.py [--repeat 5]

Cases: a U-Net of about 300 ONNX nodes written with onnx.helper (weights stripped: dims only; depth 5,
11 conv + batch norm + ReLU per encoder stage (6 per decoder stage), 3x3 p1, 2x2 pools, k2 s2 up-convolutions,
concat skips) at
256x256, and every exported network in tests/fixtures/onnx at its example size. Prints per case the
ONNX node count, the graph's node count, and the median wall time of import + analysis (target for
the 300-node U-Net: under 150 ms), then the import alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import time
from pathlib import Path

import onnx
from onnx import TensorProto, helper

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "service"))
FIXTURES = ROOT / "tests" / "fixtures" / "onnx"


def _weight(name: str, dims: list[int], filled: bool = False) -> onnx.TensorProto:
    tensor = onnx.TensorProto(name=name, data_type=TensorProto.FLOAT)
    tensor.dims.extend(dims)
    if filled:  # the weights' bytes, as an exported model carries them (zeros: only the size matters here)
        tensor.raw_data = bytes(4 * math.prod(dims))
    return tensor


def unet(depth: int = 5, convs: int = 11, base: int = 8, *, weights: bool = False) -> bytes:
    nodes, inits = [], []
    count = 0

    def conv_bn_relu(x: str, cin: int, cout: int) -> str:
        nonlocal count
        count += 1
        k = f"c{count}"
        inits.append(_weight(f"{k}.w", [cout, cin, 3, 3], weights))
        inits.extend(_weight(f"{k}.{p}", [cout], weights) for p in "sbmv")
        nodes.append(helper.make_node("Conv", [x, f"{k}.w"], [f"{k}.conv"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("BatchNormalization", [f"{k}.conv", *(f"{k}.{p}" for p in "sbmv")],
                                      [f"{k}.bn"]))
        nodes.append(helper.make_node("Relu", [f"{k}.bn"], [f"{k}.relu"]))
        return f"{k}.relu"

    x, cin, skips = "x", 1, []
    for level in range(depth + 1):
        cout = base * 2**level
        for _ in range(convs):
            x, cin = conv_bn_relu(x, cin, cout), cout
        if level < depth:
            skips.append((x, cout))
            nodes.append(helper.make_node("MaxPool", [x], [f"pool{level}"], kernel_shape=[2, 2], strides=[2, 2]))
            x = f"pool{level}"
    for level in reversed(range(depth)):
        skip, cs = skips[level]
        inits.append(_weight(f"up{level}.w", [cin, cs, 2, 2], weights))
        nodes.append(helper.make_node("ConvTranspose", [x, f"up{level}.w"], [f"up{level}"], kernel_shape=[2, 2],
                                      strides=[2, 2]))
        nodes.append(helper.make_node("Concat", [skip, f"up{level}"], [f"cat{level}"], axis=1))
        x, cin = f"cat{level}", 2 * cs
        for _ in range((convs + 1) // 2):
            x, cin = conv_bn_relu(x, cin, cs), cs
    inits.append(_weight("head.w", [2, cin, 1, 1], weights))
    nodes.append(helper.make_node("Conv", [x, "head.w"], ["y"], kernel_shape=[1, 1]))
    graph = helper.make_graph(nodes, "unet", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "H", "W"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="benchmark")
    model.ir_version = 8
    return model.SerializeToString()


async def _time(client: object, data: bytes, query: str, repeat: int) -> tuple[float, dict]:
    times, body = [], {}
    for _ in range(repeat):
        start = time.perf_counter()
        response = await client.post(f"/v1/import/onnx?{query}", content=data,  # type: ignore[attr-defined]
                                     headers={"content-type": "application/octet-stream"})
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.text[:500]
        body = response.json()
    return statistics.median(times) * 1000, body


async def main() -> None:
    import httpx

    from convplan.app import create_app
    from convplan.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    expected = json.loads((FIXTURES / "expected.json").read_text())
    cases = [("unet_300", unet(), "1x1x256x256")]
    for name, spec in sorted(expected.items()):
        size = spec["example_size"]
        cases.append((name, (FIXTURES / f"{name}.onnx").read_bytes(), f"1x{spec['in_channels']}x{size}x{size}"))
    app = create_app(Settings.model_construct(response_cache_bytes=0))  # every upload imported and analysed
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        print(f"{'model':22} {'onnx nodes':>10} {'graph nodes':>11} {'import+analysis ms':>19} {'import ms':>10}  runs")
        for name, data, shape in cases:
            await _time(client, data, f"input={shape}", 1)  # warm up
            full, body = await _time(client, data, f"input={shape}", args.repeat)
            alone, _ = await _time(client, data, f"input={shape}&analyse=false", args.repeat)
            runs = (body["analysis"].get("valid_input_sizes") or [{}])[0].get("runs") or {}
            text = f"i mod {runs.get('modulus')} in {runs.get('residues')}, i >= {runs.get('min')}"
            print(f"{name:22} {len(onnx.load_model_from_string(data).graph.node):>10} "
                  f"{len(body['graph']['nodes']):>11} {full:>19.1f} {alone:>10.1f}  {text}")
        # With its weights the file grows with the channels squared; the import reads them by their dims only,
        # so its time should grow with the bytes parsed (protobuf), far below the analysis.
        print(f"\n{'unet_300 with weights':22} {'file MB':>10} {'import ms':>11} {'ms per 100 MB':>19}")
        for base in (2, 4, 8, 16):
            data = unet(base=base, weights=True)
            alone, _ = await _time(client, data, "input=1x1x256x256&analyse=false", args.repeat)
            megabytes = len(data) / 1e6
            print(f"{f'base {base} channels':22} {megabytes:>10.1f} {alone:>11.1f} {alone / megabytes * 100:>19.1f}")


if __name__ == "__main__":
    asyncio.run(main())
