"""Soak test: a steady request mix for a few minutes, watching resident memory.

Starts ``convplan serve`` on 127.0.0.1 (as ``benchmarks/load.py`` does), drives
it with the ``mix`` workload (numeric and symbolic shapes, plan, compute) at a
steady concurrency, and every ``--every`` seconds samples VmRSS of the server
process and of its children (the symbolic workers) from ``/proc``. Prints the
series and the least-squares slope of the total (after a warm-up third), which
should be flat. Bounded: ``--minutes`` (default 3), then everything stops.

    python benchmarks/soak.py [--minutes 3] [--every 5] [--connections 8]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import WORKLOADS, Result, Server, run_load


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fd:
            for line in fd:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(p) for p in task.read_text().split()]
        except OSError:
            continue
    return out


def slope_per_minute(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value), per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    den = sum((t - mx) ** 2 for t, _ in points)
    return 60.0 * sum((t - mx) * (v - my) for t, v in points) / den if den else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    seconds = args.minutes * 60

    samples: list[tuple[float, int, int]] = []  # (t, server kB, workers kB)
    outcome: dict[str, Result] = {}
    with Server("convplan") as server:
        pid = server.pid  # taskset execs: the uvicorn process itself
        started = time.monotonic()

        def drive() -> None:
            outcome["load"] = run_load(server.url, WORKLOADS["mix"], args.connections, seconds)

        load = threading.Thread(target=drive, name="soak-load", daemon=True)
        load.start()
        print(f"{'t (s)':>6} {'server kB':>10} {'workers kB':>10} {'total kB':>10}")
        while load.is_alive() and time.monotonic() - started < seconds + 60:
            t = time.monotonic() - started
            own = _rss_kb(pid)
            workers = sum(_rss_kb(child) for child in _children(pid))
            samples.append((t, own, workers))
            print(f"{t:6.0f} {own:10d} {workers:10d} {own + workers:10d}", flush=True)
            load.join(timeout=args.every)
        load.join(timeout=30)

    result = outcome.get("load")
    if result is not None:
        print(f"\nrequests {result.requests}, {result.rps:.0f}/s, p50 {result.p50_ms:.2f} ms, "
              f"p99 {result.p99_ms:.2f} ms, errors {result.errors}")
    steady = [s for s in samples if s[0] >= seconds / 3] or samples
    if steady:
        total = [(t, float(a + b)) for t, a, b in steady]
        own = [(t, float(a)) for t, a, _ in steady]
        print(f"RSS (total) start {samples[0][1] + samples[0][2]} kB, after warm-up {steady[0][1] + steady[0][2]} kB, "
              f"end {samples[-1][1] + samples[-1][2]} kB")
        print(f"slope after warm-up: total {slope_per_minute(total):+.0f} kB/min, "
              f"server {slope_per_minute(own):+.0f} kB/min")
    return 0 if result is not None and result.errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
