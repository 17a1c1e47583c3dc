#!/usr/bin/env python3
"""CPU time of each stage of POST /v1/import/onnx for the 300-node U-Net of onnx_import.py, in process.

    .venv/bin/python benchmarks/onnx_import_cpu.py [--repeat 20]

The minimum over ``--repeat`` runs of ``time.process_time`` per stage (the minimum: the machine's cores are
shared, and other processes only ever add time): in the service, the import (the ONNX parse and its checks,
then the walk that builds the /v1/graph body) and the validation of that body; in the worker, the whole
analysis, and of it the rendering of the response dict and its JSON bytes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "service"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _best(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        out = run()
        best = min(best, time.process_time() - start)
    return best * 1000, out


def main() -> None:
    from onnx_import import unet

    import convplan.run.graph as run_module
    from convplan.api.routes.import_onnx import _graph_request
    from convplan.frontends.onnx import ModelLimits, import_onnx
    from convplan.frontends.onnx._load import load_model
    from convplan.render.json_bytes import json_bytes

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    data = unet()
    rows: list[tuple[str, float]] = []
    ms, _ = _best(lambda: load_model(data, ModelLimits()), args.repeat)
    rows.append(("service  ONNX parse and checks", ms))
    ms, result = _best(lambda: import_onnx(data, inputs=["1x1x256x256"]), args.repeat)
    rows.append(("service  import (parse + walk)", ms))
    ms, _ = _best(lambda: _graph_request(result.graph), args.repeat)
    rows.append(("service  /v1/graph body validated", ms))
    # The worker's rendering, timed inside its run: the arguments render_graph is called with are kept.
    render = run_module.render_graph
    calls: list[tuple[Any, ...]] = []

    def keep(*arguments: Any) -> dict[str, Any]:
        calls.append(arguments)
        return render(*arguments)

    run_module.render_graph = keep  # type: ignore[assignment]
    ms, answer = _best(lambda: run_module.run_graph_json(result.graph), max(3, args.repeat // 4))
    run_module.render_graph = render
    rows.append(("worker   analysis (validation .. render)", ms))
    ms, _ = _best(lambda: render(*calls[-1]), args.repeat)
    rows.append(("worker     of it: render_graph", ms))
    ms, _ = _best(lambda: json_bytes(answer), args.repeat)
    rows.append(("worker   JSON bytes of the analysis", ms))
    print(f"unet_300: {len(result.graph['nodes'])} nodes, CPU ms (min of {args.repeat})")
    for name, value in rows:
        print(f"  {name:40} {value:7.2f}")


if __name__ == "__main__":
    main()
