"""Load test: convplan under uvicorn against a bare FastAPI app on the same uvicorn.

Starts ``convplan serve`` on 127.0.0.1 and a free port (a subprocess, one
uvicorn worker), then the bare app of ``benchmarks/bare_app.py`` with the same
uvicorn settings, and drives each on loopback at rising concurrency (1, 8, 64
connections) with two workloads:

- ``shapes``: numeric ``POST /v1/shapes`` (the "done when" figure);
- ``shapes_unet23``: the issue's 23-layer U-Net; ``shapes_unet23_edits``: it re-sent with its last layer
  edited, in 64 variants (a design tool at work: with ``--response-cache-bytes 0`` only the shapes memo's
  prefixes are reused; add ``--shapes-memo-layers 0`` for every layer computed); ``shapes_unet23_sizes``:
  it at 1024 input sizes in turn (the stack's template; ``--shapes-template-layers 0`` turns it off);
- ``mix``: numeric and symbolic shapes, plan and compute requests in turn.

The bare app answers each request with the response convplan gave for it, so
the ratio ours / bare is convplan's overhead over FastAPI's own. The load
generator is ``wrk`` with a Lua script for the POST bodies when installed,
else a small generator on raw asyncio sockets (keep-alive, prebuilt requests). With ``taskset`` the server runs on
CPU 0 and the generator on CPU 1. Every run is bounded (``--duration``
seconds per point) and everything stops by itself.

    python benchmarks/load.py [--duration 5] [--repeat 3] [--concurrency 1 8 64] [--json out.json]

Both servers stay up and their runs alternate; each point is the fastest of
``--repeat`` runs (on a shared machine a neighbour only ever slows a run
down); errors are summed over all runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOST = "127.0.0.1"

# --- requests --------------------------------------------------------------
_DOWN = [{"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 64}, {"op": "relu"},
         {"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 64}, {"op": "relu"},
         {"op": "max_pool", "kernel_size": 2}]
_UP = [{"op": "conv_transpose", "kernel_size": 2, "stride": 2, "out_channels": 64},
       {"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 64}, {"op": "relu"}]


def _tensor(*shape: int) -> Any:
    if len(shape) == 1:
        return [((i * 37) % 17) / 8 - 1 for i in range(shape[0])]
    return [_tensor(*shape[1:]) for _ in range(shape[0])]


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    body: dict[str, Any]

    @property
    def raw(self) -> str:
        return json.dumps(self.body, separators=(",", ":"))


SHAPES_NUMERIC = Case(
    "shapes_numeric",
    "/v1/shapes",
    {
        "input_size": [224, 224],
        "in_channels": 3,
        "layers": [
            *_DOWN,
            {"op": "conv", "kernel_size": 3, "stride": 2, "out_channels": 128},
            {"op": "batch_norm"},
            {"op": "relu"},
        ],
    },
)
SHAPES_UNET = Case(
    "shapes_unet", "/v1/shapes", {"input_size": [572, 572], "in_channels": 1, "layers": _DOWN * 4 + _UP * 4}
)
# The "23-layer numeric U-Net": four (conv, conv, pool) stages, two bottom convs, three
# (up-conv, conv, conv) stages.
_CONV3 = {"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 64}
SHAPES_UNET23 = Case(
    "shapes_unet23", "/v1/shapes",
    {"input_size": [572, 572], "in_channels": 1,
     "layers": [_CONV3, _CONV3, {"op": "max_pool", "kernel_size": 2}] * 4 + [_CONV3, _CONV3]
     + [{"op": "conv_transpose", "kernel_size": 2, "stride": 2, "out_channels": 64}, _CONV3, _CONV3] * 3},
)
# A design tool at work: the same U-Net re-sent with its last layer edited (64 variants in turn), so every
# request differs from the one before and only its last layer is new.
SHAPES_UNET23_EDITS = [
    Case(f"shapes_unet23_edit{c}", "/v1/shapes",
         {**SHAPES_UNET23.body, "layers": [*SHAPES_UNET23.body["layers"][:-1], {**_CONV3, "out_channels": c}]})
    for c in range(8, 72)
]
# A design tool trying input sizes: the same U-Net at 1024 sizes in turn (more than the shapes memo keeps, so
# only the stack's template is found again; ``--shapes-template-layers 0`` for every layer computed).
SHAPES_UNET23_SIZES = [
    Case(f"shapes_unet23_size{n}", "/v1/shapes", {**SHAPES_UNET23.body, "input_size": [n, n]})
    for n in range(256, 1280)
]
SHAPES_SYMBOLIC = Case(
    "shapes_symbolic", "/v1/shapes", {"input_size": ["16*n", "H"], "in_channels": 3, "layers": _DOWN * 2}
)
PLAN = Case("plan", "/v1/plan", {"input_size": [572, 572], "in_channels": 1, "template": {"name": "unet", "depth": 3}})
COMPUTE = Case(
    "compute_conv", "/v1/compute/conv", {"input": _tensor(1, 2, 16, 16), "weight": _tensor(4, 2, 3, 3), "padding": 1}
)

WORKLOADS: dict[str, list[Case]] = {
    "shapes": [SHAPES_NUMERIC],
    "shapes_unet": [SHAPES_UNET],
    "shapes_unet23": [SHAPES_UNET23],
    "shapes_unet23_edits": SHAPES_UNET23_EDITS,
    "shapes_unet23_sizes": SHAPES_UNET23_SIZES,
    # numeric requests dominate, as in a design tool; one symbolic in eight
    "mix": [SHAPES_NUMERIC, PLAN, SHAPES_NUMERIC, COMPUTE, SHAPES_UNET, SHAPES_NUMERIC, COMPUTE, SHAPES_SYMBOLIC],
}


# --- servers ---------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _pinned(cpu: int | None, argv: list[str]) -> list[str]:
    if cpu is None or shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return argv
    return ["taskset", "-c", str(cpu), *argv]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "service"), env.get("PYTHONPATH")) if p)
    return env


class Server:
    """A uvicorn subprocess on 127.0.0.1; stopped (with its children) on exit."""

    def __init__(self, kind: str, *, cpu: int | None = 0, canned: Path | None = None,
                 env: dict[str, str] | None = None, bare: str = "app") -> None:
        self.kind = kind
        self.port = free_port()
        common = ["--host", HOST, "--port", str(self.port), "--log-level", "warning"]
        if kind == "convplan":
            argv = [
                sys.executable,
                "-c",
                "import sys; from convplan.cli import main; sys.exit(main())",
                "serve",
                *common,
            ]
        else:
            argv = [sys.executable, "-m", "uvicorn", f"bare_app:{bare}", "--app-dir", str(HERE), *common]
        full_env = {**_env(), **(env or {})}
        if canned is not None:
            full_env["BARE_RESPONSES"] = str(canned)
        self.process = subprocess.Popen(_pinned(cpu, argv), env=full_env, stdin=subprocess.DEVNULL)
        self.url = f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/v1/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.kind} server not ready after {seconds} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # uvicorn shuts down; the lifespan stops the symbolic workers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> Server:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def post(url: str, case: Case, timeout: float = 30.0) -> tuple[int, Any]:
    request = urllib.request.Request(
        url + case.path,
        data=case.raw.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Case": case.name},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


# --- load generators -------------------------------------------------------
@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


_LUA = """
local cases = {
%s
}
local reqs = {}
local i = 0
init = function(args)
  for k, c in ipairs(cases) do
    reqs[k] = wrk.format("POST", c[1], {["Content-Type"] = "application/json", ["X-Case"] = c[2]}, c[3])
  end
end
request = function()
  i = i %% #reqs + 1
  return reqs[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"errors": %%d}\\n', summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lua(cases: Sequence[Case]) -> str:
    def long_string(text: str) -> str:
        level = "=" * 4
        while f"]{level}]" in text:
            level += "="
        return f"[{level}[{text}]{level}]"

    rows = ",\n".join(f"  {{{long_string(c.path)}, {long_string(c.name)}, {long_string(c.raw)}}}" for c in cases)
    return _LUA % rows


def run_wrk(url: str, cases: Sequence[Case], connections: int, duration: float, cpu: int | None) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fd:
        fd.write(_lua(cases))
        script = fd.name
    try:
        argv = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            script,
            url,
        ]
        out = subprocess.run(_pinned(cpu, argv), capture_output=True, text=True, timeout=duration + 60)
    finally:
        os.unlink(script)
    line = next((row for row in out.stdout.splitlines() if row.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    data = json.loads(line[len("RESULT ") :])
    return Result(
        data["requests"], data["duration_us"] / 1e6, data["p50_us"] / 1e3, data["p99_us"] / 1e3, data["errors"]
    )


async def _socket_load(url: str, cases: Sequence[Case], connections: int, duration: float) -> Result:
    """HTTP/1.1 keep-alive POSTs on raw asyncio streams, prebuilt bytes per case: several times the rate
    httpx's client reaches on one core (about 600 requests/s, which capped the bare app's figure)."""
    parsed = urllib.parse.urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    requests = [
        (f"POST {c.path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nX-Case: {c.name}\r\n"
         f"Content-Length: {len(c.raw.encode())}\r\n\r\n").encode() + c.raw.encode()
        for c in cases
    ]
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + duration

    async def user(start: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        k = start
        try:
            while time.monotonic() < deadline:
                t = time.perf_counter()
                writer.write(requests[k % len(requests)])
                k += 1
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10.0)
                status = int(head.split(b" ", 2)[1])
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                await reader.readexactly(length)
                if status >= 400:
                    errors += 1
                latencies.append(time.perf_counter() - t)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, StopIteration, ValueError):
            errors += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(user(i) for i in range(connections)))
    elapsed = time.monotonic() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e3 if latencies else 0.0  # noqa: E731
    return Result(len(latencies), elapsed, pick(0.5), pick(0.99), errors)


def run_load(url: str, cases: Sequence[Case], connections: int, duration: float, cpu: int | None = 1) -> Result:
    if shutil.which("wrk"):
        return run_wrk(url, cases, connections, duration, cpu)
    return asyncio.run(_socket_load(url, cases, connections, duration))


# --- main ------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per point (default %(default)s)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per point; the fastest is kept (default %(default)s)"
    )
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--response-cache-bytes", type=int, default=None,
                        help="convplan's CONVPLAN_RESPONSE_CACHE_BYTES (0: every request computed; default: the "
                             "service's default, so repeated bodies are answered from its cache)")
    parser.add_argument("--shapes-memo-layers", type=int, default=None,
                        help="convplan's CONVPLAN_SHAPES_MEMO_LAYERS (0: every layer of every /v1/shapes stack "
                             "computed; default: the service's default)")
    parser.add_argument("--shapes-template-layers", type=int, default=None,
                        help="convplan's CONVPLAN_SHAPES_TEMPLATE_LAYERS (0: no stack answered from its template; "
                             "default: the service's default)")
    parser.add_argument("--bare", choices=["fastapi", "starlette"], default="fastapi",
                        help="the baseline: a bare FastAPI app or Starlette alone (default %(default)s)")
    args = parser.parse_args(argv)
    print(
        f"generator: {'wrk' if shutil.which('wrk') else 'asyncio sockets'}; "
        "pinning: "
        + ("server CPU 0, generator CPU 1" if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else "none")
    )

    results: dict[str, dict[str, dict[int, Result]]] = {}
    canned: dict[str, Any] = {}
    cases = {c.name: c for w in args.workloads for c in WORKLOADS[w]}
    env = {} if args.response_cache_bytes is None else {"CONVPLAN_RESPONSE_CACHE_BYTES": str(args.response_cache_bytes)}
    if args.shapes_memo_layers is not None:
        env["CONVPLAN_SHAPES_MEMO_LAYERS"] = str(args.shapes_memo_layers)
    if args.shapes_template_layers is not None:
        env["CONVPLAN_SHAPES_TEMPLATE_LAYERS"] = str(args.shapes_template_layers)
    with tempfile.TemporaryDirectory() as tmp, Server("convplan", env=env) as ours:
        for case in cases.values():  # warm-up, and the responses the bare app will give
            status, body = post(ours.url, case)
            if status != 200:
                raise SystemExit(f"{case.name}: convplan answered {status}: {body}")
            canned[case.name] = body
        path = Path(tmp) / "canned.json"
        path.write_text(json.dumps(canned))
        with Server("bare", canned=path, bare="app" if args.bare == "fastapi" else "starlette_app") as bare:
            # Both servers up (idle but one), runs interleaved: a noisy neighbour hits both alike.
            for workload in args.workloads:
                for c in args.concurrency:
                    runs: dict[str, list[Result]] = {"convplan": [], "bare": []}
                    for server in (ours, bare):
                        run_load(server.url, WORKLOADS[workload], c, 1.0)  # warm this concurrency
                    for _ in range(max(1, args.repeat)):
                        for server in (ours, bare):
                            runs[server.kind].append(run_load(server.url, WORKLOADS[workload], c, args.duration))
                    for kind, done in runs.items():
                        best = max(done, key=lambda r: r.rps)
                        best.errors = sum(r.errors for r in done)
                        results.setdefault(workload, {}).setdefault(kind, {})[c] = best

    table = []
    for workload, by_app in results.items():
        listed = WORKLOADS[workload]
        names = ", ".join(f"{c.name} ({c.path})" for c in listed) if len(listed) <= 8 else \
            f"{len(listed)} variants of {listed[0].name} ({listed[0].path})"
        print(f"\n{workload}: {names}")
        print(
            f"{'conc':>5} | {'ours rps':>9} {'p50 ms':>7} {'p99 ms':>7} {'err':>4} | "
            f"{'bare rps':>9} {'p50 ms':>7} {'p99 ms':>7} {'err':>4} | {'ratio':>5}"
        )
        for c in args.concurrency:
            o, b = by_app["convplan"][c], by_app["bare"][c]
            ratio = o.rps / b.rps if b.rps else 0.0
            print(
                f"{c:>5} | {o.rps:>9.0f} {o.p50_ms:>7.2f} {o.p99_ms:>7.2f} {o.errors:>4} | "
                f"{b.rps:>9.0f} {b.p50_ms:>7.2f} {b.p99_ms:>7.2f} {b.errors:>4} | {ratio:>5.2f}"
            )
            table.append(
                {
                    "workload": workload,
                    "concurrency": c,
                    "ratio": ratio,
                    **{
                        f"{app}_{k}": v
                        for app, r in (("ours", o), ("bare", b))
                        for k, v in (
                            ("rps", r.rps),
                            ("p50_ms", r.p50_ms),
                            ("p99_ms", r.p99_ms),
                            ("errors", r.errors),
                            ("requests", r.requests),
                        )
                    },
                }
            )
    if args.json:
        args.json.write_text(json.dumps(table, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
