"""The receptive-field share of `POST /v1/shapes` on the numeric depth-4 U-Net of `shapes_latency.py`.

Times, per call, the fields of every layer and their JSON (what `run_shapes` adds for section 9), first with
the composition memo cleared (a stack never seen) and then repeated (the memo warm: an edited stack
recomputes only from the edited layer on), beside the whole `run_shapes`. Best of `--repeat` runs, in ms.

    python benchmarks/receptive_fields.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from shapes_latency import NUMERIC

from convplan.analyses import receptive_field
from convplan.shapes import ShapesRequest, run_shapes
from convplan.shapes.engine import infer_stack, make_resolver, resolve_input
from convplan.shapes.render import stack_fields


def best(fn: Callable[[], Any], repeat: int) -> float:
    out = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t)
    return out * 1e3


def main(repeat: int) -> None:
    request = ShapesRequest.model_validate(NUMERIC)
    resolver = make_resolver(request.symbols, None, symbolic=False)
    size, channels = resolve_input(resolver, request.input_size, request.in_channels)
    records = infer_stack(request.layers, size, channels, resolver).records

    def fields() -> list[Any]:
        return [[receptive_field.receptive_field_json(f) for f in axes] for axes in stack_fields(records, len(size))]

    def first() -> list[Any]:
        receptive_field._compose_periodic.cache_clear()  # the memo of periodic compositions
        return fields()

    print(f"{len(records)} layers, {len(size)} axes")
    print(f"receptive fields + JSON, first     {best(first, repeat):7.3f} ms")
    print(f"receptive fields + JSON, repeated  {best(fields, repeat):7.3f} ms")
    print(f"run_shapes (library)               {best(lambda: run_shapes(request), repeat):7.3f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    main(parser.parse_args().repeat)
