#!/usr/bin/env python3
"""Per-call cost of the client in process versus over HTTP.

    PYTHONPATH=service:clients/python/src python benchmarks/client_overhead.py [--calls 200]

Times ``--calls`` small ``shapes`` requests (3 layers, 1-D, numeric) each
way and prints the median and 90th percentile in microseconds:

- ``Client()`` in process (the app on the client's private event loop);
- ``AsyncClient()`` in process (the app on the caller's loop);
- ``Client(url)`` over HTTP to ``convplan serve`` on a loopback port
  (started here, stopped at the end);
- ``AsyncClient(url)`` over HTTP;
- bare ``httpx.Client`` over HTTP (no client library: the floor of HTTP).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "service", ROOT / "clients" / "python" / "src"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import httpx  # noqa: E402

from convplan_client import AsyncClient, Client  # noqa: E402

BODY = {
    "input_size": [572],
    "in_channels": 1,
    "layers": [
        {"op": "conv", "kernel_size": 3, "out_channels": 64},
        {"op": "conv", "kernel_size": 3, "out_channels": 64},
        {"op": "max_pool", "kernel_size": 2},
    ],
}


SETTLE_SECONDS = 8.0  # the app's lifespan starts symbolic worker processes: let them finish importing


def timed(call: Callable[[], object], calls: int, warmup: int = 20) -> list[float]:
    call()
    time.sleep(SETTLE_SECONDS)
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


async def atimed(call: Callable[[], Awaitable[object]], calls: int, warmup: int = 20) -> list[float]:
    await call()
    await asyncio.sleep(SETTLE_SECONDS)
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def serve() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "service"), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "convplan.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("convplan serve did not start")


def report(name: str, samples: list[float]) -> tuple[str, float]:
    samples = sorted(samples)
    median = statistics.median(samples)
    p90 = samples[int(0.9 * (len(samples) - 1))]
    print(f"{name:<34} median {median:8.0f} us   p90 {p90:8.0f} us")
    return name, median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    os.environ.pop("CONVPLAN_BASE_URL", None)
    print(
        f"{args.calls} calls of POST /v1/shapes (3 layers, numeric), after 20 warm-up calls and "
        f"{SETTLE_SECONDS:g} s to settle"
    )
    results = []
    with Client() as client:
        results.append(report("Client() in process", timed(lambda: client.shapes(**BODY), args.calls)))

    async def run_async(url: str | None) -> list[float]:
        async with AsyncClient(url) as aclient:
            return await atimed(lambda: aclient.shapes(**BODY), args.calls)

    results.append(report("AsyncClient() in process", asyncio.run(run_async(None))))
    process, url = serve()
    try:
        with Client(url) as client:
            results.append(report("Client(url) over HTTP", timed(lambda: client.shapes(**BODY), args.calls)))
        results.append(report("AsyncClient(url) over HTTP", asyncio.run(run_async(url))))
        with httpx.Client(base_url=url) as raw:
            results.append(
                report(
                    "bare httpx.Client over HTTP", timed(lambda: raw.post("/v1/shapes", json=BODY).json(), args.calls)
                )
            )
    finally:
        process.terminate()
        process.wait(timeout=10)
    medians = dict(results)
    ratio = medians["Client(url) over HTTP"] / medians["Client() in process"]
    print(f"HTTP / in process (sync client, medians): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
