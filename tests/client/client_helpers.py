"""Helpers shared by the client and command-line tests (imported by both conftests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port() -> int:
    """A loopback port with nothing listening (bound then released)."""
    return free_port()


def start_server(
    port: int, timeout: float = 30.0, settings: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``convplan serve`` on 127.0.0.1:port, returned once /v1/health answers (bounded wait).

    ``settings``: ``CONVPLAN_*`` variables for this server (else the defaults)."""
    import httpx

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "service"), env.get("PYTHONPATH")) if p)
    for name in [k for k in env if k.startswith("CONVPLAN_")]:
        del env[name]  # default limits, whatever the environment says
    env.update(settings or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "convplan.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/v1/health"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"convplan serve exited with {process.returncode}: {err[-2000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    stop_server(process)
    raise RuntimeError(f"convplan serve did not answer on port {port} within {timeout} s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stderr is not None:
        process.stderr.close()


def unet_chain(depth: int = 4, padding: int = 0) -> list[dict[str, object]]:
    """The U-Net paper's layers as one chain (skips do not change sizes): 572 -> 388 when valid."""
    layers: list[dict[str, object]] = []
    channels = 64

    def convs(c: int) -> list[dict[str, object]]:
        return [{"op": "conv", "kernel_size": 3, "padding": padding, "out_channels": c}, {"op": "relu"}] * 2

    for level in range(depth):
        layers += convs(channels * 2**level)
        layers.append({"op": "max_pool", "kernel_size": 2})
    layers += convs(channels * 2**depth)
    for level in reversed(range(depth)):
        layers.append({"op": "conv_transpose", "kernel_size": 2, "stride": 2, "out_channels": channels * 2**level})
        layers += convs(channels * 2**level)
    layers.append({"op": "conv", "kernel_size": 1, "out_channels": 2})
    return layers


def has_route(app: object, path: str) -> bool:
    """Whether the app serves ``path`` (from its OpenAPI document: included routers hide route paths)."""
    return path in app.openapi()["paths"]  # type: ignore[attr-defined]


def wait_symbolic_warm(app: object, timeout: float = 60.0) -> None:
    """Wait until the app's lifespan has finished warming its symbolic workers.

    Works around a race in ``convplan.symbolic.SymbolicPool``: ``close()``
    does not wait for the warm-up thread, so workers spawned after it are
    left running (ResourceWarning). Call before closing an in-process client
    whose lifespan ran. A no-op when the app has no pool.
    """
    state = getattr(app, "state", None)
    pool = getattr(state, "symbolic_pool", None)
    if pool is None:
        return
    idle = getattr(pool, "_idle", None)
    workers = getattr(pool, "_workers", 0)
    deadline = time.monotonic() + timeout
    while idle is not None and idle.qsize() < workers and time.monotonic() < deadline:
        time.sleep(0.05)
