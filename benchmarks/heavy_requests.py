"""Heavy requests and the worker queue, on a real ``convplan serve`` (127.0.0.1, a free port).

Scenarios, each bounded by its client time-outs:

- ``plan``: a 16 KB /v1/plan body (12 stages of 19 convs, kernels 3/5/7, and a
  pool, on sizes near 10**9: valid sizes scan a period of 4096);
- ``fold``: /v1/shapes with 255 convs whose 12 parameters are constant-folding
  expressions of ~200 characters;
- ``queue``: 24 concurrent slow symbolic requests (symbolic strides);
- ``gone``: 4 slow symbolic requests whose clients hang up after 1 s, then a
  cheap symbolic request.

While each runs, /v1/health is polled every 50 ms: its worst latency is the
figure that shows whether the event loop stayed free.

    python benchmarks/heavy_requests.py [--service DIR] [--json out.json] [--only plan fold queue gone]

``--service DIR`` serves another checkout's ``service/`` (e.g. one at the commit
before the work budget) for before/after figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def heavy_plan() -> dict[str, Any]:
    stages = [{"layers": [{"op": "conv", "kernel_size": (3, 5, 7)[(j + i) % 3]} for i in range(19)]
               + [{"op": "max_pool", "kernel_size": 2}]} for j in range(12)]
    return {"input_size": [999_999_937, 999_999_001, 999_998_777], "encoder": stages}


def folding_shapes() -> dict[str, Any]:
    one = "(" + "+".join(["(2*3-5)"] * 24) + ")//24"  # 1
    zero = one.replace("//24", "//25")  # 0
    conv = {"op": "conv", "kernel_size": [one] * 3, "stride": [one] * 3, "padding": [zero] * 3,
            "dilation": [one] * 3}
    return {"input_size": [999_999_937] * 3, "layers": [conv] * 255}


SLOW = {"input_size": ["H"], "layers": [{"op": "conv", "kernel_size": f"k{i % 7}", "stride": f"s{i % 5}",
                                         "padding": f"p{i % 3}"} for i in range(8)]}
CHEAP = {"input_size": ["H"], "layers": [{"op": "conv", "kernel_size": 3}]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start(service: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVPLAN_")}
    env["PYTHONPATH"] = str(service)
    process = subprocess.Popen([sys.executable, "-m", "convplan.cli", "serve", "--host", HOST, "--port", str(port),
                                "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/v1/health", timeout=1).status_code == 200:
                # Warm the symbolic workers (spawned in the background at start-up).
                httpx.post(f"http://{HOST}:{port}/v1/shapes", json=CHEAP, timeout=120)
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start")


async def poll_health(client: httpx.AsyncClient, stop: asyncio.Event) -> float:
    worst = 0.0
    while not stop.is_set():
        started = time.monotonic()
        with contextlib.suppress(httpx.TransportError):
            await client.get("/v1/health", timeout=120)
        worst = max(worst, time.monotonic() - started)
        await asyncio.sleep(0.05)
    return worst


async def timed(client: httpx.AsyncClient, path: str, body: Any, timeout: float) -> tuple[int | str, float]:
    started = time.monotonic()
    try:
        r = await client.post(path, json=body, timeout=timeout)
        status: int | str = r.status_code
        if r.status_code >= 400:
            status = f"{r.status_code} {r.json().get('type', '').rsplit('/', 1)[-1]}"
    except httpx.TimeoutException:
        status = "client time-out"
    return status, round(time.monotonic() - started, 2)


async def with_health(client: httpx.AsyncClient, work: Any) -> tuple[Any, float]:
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_health(client, stop))
    await asyncio.sleep(0.1)
    try:
        result = await work
    finally:
        stop.set()
    return result, round(await poller, 2)


async def scenario(name: str, url: str) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:
        if name in ("plan", "fold"):
            path, body = ("/v1/plan", heavy_plan()) if name == "plan" else ("/v1/shapes", folding_shapes())
            (status, seconds), health = await with_health(client, timed(client, path, body, 120))
            return {"status": status, "seconds": seconds, "worst_health_seconds": health,
                    "body_bytes": len(json.dumps(body))}
        if name == "queue":
            work = asyncio.gather(*(timed(client, "/v1/shapes", SLOW, 120) for _ in range(24)))
            replies, health = await with_health(client, work)
            counts: dict[str, int] = {}
            for status, _ in replies:
                counts[str(status)] = counts.get(str(status), 0) + 1
            by_status = {s: sorted(t for st, t in replies if str(st) == s) for s in counts}
            return {"counts": counts, "worst_health_seconds": health,
                    "seconds": {s: {"min": ts[0], "median": ts[len(ts) // 2], "max": ts[-1]}
                                for s, ts in by_status.items()}}
        # gone: clients that hang up after 1 s, then a cheap request
        await asyncio.gather(*(timed(client, "/v1/shapes", SLOW, 1.0) for _ in range(4)))
        status, seconds = await timed(client, "/v1/shapes", CHEAP, 120)
        one_slow = await timed(client, "/v1/shapes", SLOW, 120)
        return {"cheap_after_hangups": {"status": status, "seconds": seconds},
                "one_slow_request": {"status": one_slow[0], "seconds": one_slow[1]}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service", type=Path, default=ROOT / "service", help="the service/ directory to serve")
    parser.add_argument("--only", nargs="+", default=["plan", "fold", "queue", "gone"],
                        choices=["plan", "fold", "queue", "gone"])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    for name in args.only:  # a fresh server per scenario: one's leftovers never slow the next
        port = free_port()
        process = start(args.service, port)
        try:
            results[name] = asyncio.run(scenario(name, f"http://{HOST}:{port}"))
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        print(name, json.dumps(results[name]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
