"""Time ``convplan.numeric`` against PyTorch CPU, one thread each.

    PYTHONPATH=service python benchmarks/numeric_vs_torch.py [--rounds 9] [--sample 0.03] [--filter conv]

Prints a per-case table (best time per call of each side and the ratio
ours/torch), then the median ratio (target: within 2x; exit status 1 over).
Threads are pinned before NumPy or torch is imported.

Built for a small, noisy machine: each case is calibrated once (a timeit
``autorange``-style loop count so that one sample takes ``--sample`` seconds),
then ours and torch are sampled alternately for ``--rounds`` rounds, so a
burst of background load hits both sides rather than one. A side's time is
its fastest sample (noise only ever adds time); the spread column is the
interquartile range of the per-round ratios, a hint of how noisy that case was.
Every case is also checked against torch's result before timing.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import convplan.numeric as cn  # noqa: E402

torch.set_num_threads(1)

Case = tuple[str, Callable[[], object], Callable[[], object]]


def loops(fn: Callable[[], object], sample: float) -> int:
    """The smallest 1, 2, 5, 10, 20, ... loop count that takes ``sample`` seconds (timeit's autorange)."""
    number = 1
    while True:
        for step in (1, 2, 5):
            count = number * step
            if timed(fn, count) * count >= sample:
                return count
        number *= 10


def timed(fn: Callable[[], object], number: int) -> float:
    """Seconds per call over ``number`` calls."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def cases() -> list[Case]:
    rng = np.random.default_rng(0)
    out: list[Case] = []
    for shape, k, s in [((1, 1, 4, 4), 2, 1), ((1, 4, 8, 8), 3, 2), ((2, 8, 16, 16), 3, 1), ((2, 8, 16, 16), 4, 2),
                        ((2, 16, 16, 16), 5, 2), ((2, 32, 32, 32), 3, 1), ((2, 32, 32, 32), 4, 2),
                        ((2, 32, 32, 32), 5, 2)]:
        _n, c, h, _w = shape
        x = rng.standard_normal(shape)
        wt = rng.standard_normal((c, c, k, k))
        b = rng.standard_normal(c)
        xt, wtt, bt = torch.from_numpy(x), torch.from_numpy(wt), torch.from_numpy(b)
        tag = f"{'x'.join(map(str, shape))} k{k} s{s}"
        p = (k - 1) // 2
        out.append(
            (
                f"conv_transpose {tag}",
                lambda x=x, wt=wt, b=b, s=s, p=p: cn.conv_transpose(x, wt, b, stride=s, padding=p),
                lambda xt=xt, wtt=wtt, bt=bt, s=s, p=p: F.conv_transpose2d(xt, wtt, bt, stride=s, padding=p),
            )
        )
        out.append(
            (
                f"conv {tag}",
                lambda x=x, wt=wt, b=b, s=s, p=p: cn.conv(x, wt, b, stride=s, padding=p),
                lambda xt=xt, wtt=wtt, bt=bt, s=s, p=p: F.conv2d(xt, wtt, bt, stride=s, padding=p),
            )
        )
        if h >= k:
            out.append(
                (
                    f"max_pool {tag}",
                    lambda x=x, k=k, s=s: cn.max_pool(x, k, s, return_indices=True),
                    lambda xt=xt, k=k, s=s: F.max_pool2d(xt, k, s, return_indices=True),
                )
            )
            out.append(
                (
                    f"avg_pool {tag}",
                    lambda x=x, k=k, s=s: cn.avg_pool(x, k, s),
                    lambda xt=xt, k=k, s=s: F.avg_pool2d(xt, k, s),
                )
            )
        out.append(
            (
                f"upsample bilinear x2 {tag[: tag.index(' ')]}",
                lambda x=x: cn.upsample(x, scale_factor=2, mode="bilinear"),
                lambda xt=xt: F.interpolate(xt, scale_factor=2, mode="bilinear"),
            )
        )
        out.append(
            (
                f"upsample nearest x2 {tag[: tag.index(' ')]}",
                lambda x=x: cn.upsample(x, scale_factor=2),
                lambda xt=xt: F.interpolate(xt, scale_factor=2),
            )
        )
    return out


def agrees(ours: object, theirs: object) -> bool:
    a = ours if isinstance(ours, tuple) else (ours,)
    b = theirs if isinstance(theirs, tuple) else (theirs,)
    return all(
        np.allclose(u, v.numpy(), rtol=1e-9, atol=1e-12 * max(1.0, float(np.abs(v.numpy()).max())))
        for u, v in zip(a, b, strict=True)
    )


def measure(
    ours: Callable[[], object], theirs: Callable[[], object], rounds: int, sample: float
) -> tuple[float, float, list[float]]:
    """Best seconds per call of each side, and the per-round ratios, sampling the sides alternately."""
    n_ours, n_theirs = loops(ours, sample), loops(theirs, sample)
    a, b = [], []
    for r in range(rounds):
        # Alternate which side goes first, so neither always follows the other's cache state.
        if r % 2:
            b.append(timed(theirs, n_theirs))
            a.append(timed(ours, n_ours))
        else:
            a.append(timed(ours, n_ours))
            b.append(timed(theirs, n_theirs))
    return min(a), min(b), [u / v for u, v in zip(a, b)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="alternating samples per side and case")
    parser.add_argument("--sample", type=float, default=0.03, help="seconds per sample")
    parser.add_argument("--filter", default="", help="only cases whose name contains this")
    args = parser.parse_args()
    started = time.perf_counter()
    ratios = []
    print(f"{'case':36} {'ours':>10} {'torch':>10} {'ratio':>7} {'spread':>7}")
    for name, ours, theirs in cases():
        if args.filter not in name:
            continue
        if not agrees(ours(), theirs()):
            print(f"{name:36} MISMATCH with torch")
            return 2
        a, b, per_round = measure(ours, theirs, args.rounds, args.sample)
        q = statistics.quantiles(per_round, n=4) if len(per_round) > 1 else [a / b] * 3
        ratios.append(a / b)
        print(f"{name:36} {a * 1e6:9.1f}u {b * 1e6:9.1f}u {a / b:7.2f} {q[2] - q[0]:7.2f}", flush=True)
    median = statistics.median(ratios)
    print(f"median ratio ours/torch: {median:.2f} over {len(ratios)} cases ({time.perf_counter() - started:.0f} s)")
    return 0 if median <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
