"""Latency of /v1/shapes for a depth-4 U-Net, numeric and symbolic, side by side.

Runs the app in process (httpx over ASGI, lifespan on, workers warm) and the
engine as a library, and prints median / p90 per case in milliseconds.

    python benchmarks/shapes_latency.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from convplan.app import create_app
from convplan.settings import Settings
from convplan.shapes import ShapesRequest, run_shapes

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
    for cache, label in ((0, "computed"), (None, "repeated, from the response cache")):
        app = create_app(Settings.model_construct(**({} if cache is None else {"response_cache_bytes": cache})))
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    asyncio.run(main(parser.parse_args().repeat))
