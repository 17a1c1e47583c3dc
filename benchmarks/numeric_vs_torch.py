"""Time ``convplan.numeric`` against PyTorch CPU, one thread each.

    PYTHONPATH=service python benchmarks/numeric_vs_torch.py

Prints per-case times and the ratio ours/torch, then the median ratio
(target: within 2x). Threads are pinned before NumPy or torch is imported.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import statistics  # noqa: E402
import sys  # noqa: E402
import timeit  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import convplan.numeric as cn  # noqa: E402

torch.set_num_threads(1)


def best(fn: Callable[[], object], budget: float = 0.2) -> float:
    fn()
    number = max(1, int(budget / max(timeit.timeit(fn, number=1), 1e-6)))
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def cases() -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    rng = np.random.default_rng(0)
    out = []
    for shape, k, s in [((1, 1, 4, 4), 2, 1), ((1, 4, 8, 8), 3, 2), ((2, 8, 16, 16), 3, 1), ((2, 8, 16, 16), 4, 2),
                        ((2, 16, 16, 16), 5, 2), ((2, 32, 32, 32), 3, 1), ((2, 32, 32, 32), 4, 2),
                        ((2, 32, 32, 32), 5, 2)]:
        n, c, h, w = shape
        x = rng.standard_normal(shape)
        wt = rng.standard_normal((c, c, k, k))
        b = rng.standard_normal(c)
        xt, wtt, bt = torch.from_numpy(x), torch.from_numpy(wt), torch.from_numpy(b)
        tag = f"{'x'.join(map(str, shape))} k{k} s{s}"
        p = (k - 1) // 2
        out.append((f"conv_transpose {tag}", lambda x=x, wt=wt, b=b, s=s, p=p: cn.conv_transpose(x, wt, b, stride=s, padding=p),
                    lambda xt=xt, wtt=wtt, bt=bt, s=s, p=p: F.conv_transpose2d(xt, wtt, bt, stride=s, padding=p)))
        out.append((f"conv {tag}", lambda x=x, wt=wt, b=b, s=s, p=p: cn.conv(x, wt, b, stride=s, padding=p),
                    lambda xt=xt, wtt=wtt, bt=bt, s=s, p=p: F.conv2d(xt, wtt, bt, stride=s, padding=p)))
        if h >= k:
            out.append((f"max_pool {tag}", lambda x=x, k=k, s=s: cn.max_pool(x, k, s, return_indices=True),
                        lambda xt=xt, k=k, s=s: F.max_pool2d(xt, k, s, return_indices=True)))
            out.append((f"avg_pool {tag}", lambda x=x, k=k, s=s: cn.avg_pool(x, k, s),
                        lambda xt=xt, k=k, s=s: F.avg_pool2d(xt, k, s)))
        out.append((f"upsample bilinear x2 {tag[:tag.index(' ')]}",
                    lambda x=x: cn.upsample(x, scale_factor=2, mode="bilinear"),
                    lambda xt=xt: F.interpolate(xt, scale_factor=2, mode="bilinear")))
        out.append((f"upsample nearest x2 {tag[:tag.index(' ')]}", lambda x=x: cn.upsample(x, scale_factor=2),
                    lambda xt=xt: F.interpolate(xt, scale_factor=2)))
    return out


def main() -> int:
    ratios = []
    print(f"{'case':44} {'ours':>10} {'torch':>10} {'ratio':>7}")
    for name, ours, theirs in cases():
        a, b = best(ours), best(theirs)
        ratios.append(a / b)
        print(f"{name:44} {a * 1e6:9.1f}u {b * 1e6:9.1f}u {a / b:7.2f}")
    median = statistics.median(ratios)
    print(f"median ratio ours/torch: {median:.2f} over {len(ratios)} cases")
    return 0 if median <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
