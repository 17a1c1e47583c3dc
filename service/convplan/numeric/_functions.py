"""The public functions: ``torch.nn.functional``-style signatures over NumPy.

``input`` (and ``weight``, ``indices``) come first and positionally; the
rest are keywords with PyTorch's defaults. Arrays are float64, batched
``(N, C, *spatial)``, or unbatched ``(C, *spatial)`` when the spatial rank is
known (``spatial_rank``, the weight, a per-axis list, or the length of
``size`` / ``output_size``). Refusals raise ``convplan.errors`` exceptions
(``LayerError``, ``InvalidRequest``) with the same messages as the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from convplan.errors import ErrorItem, InvalidRequest
from convplan.numeric._explain import explain_view
from convplan.numeric._plan import Plan, make_plan
from convplan.numeric._run import run

PerAxis = int | Sequence[int]


def _py(value: Any) -> Any:
    """NumPy scalars and tuples to the plain JSON-like values the op models take."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_py(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _float(name: str, value: Any) -> np.ndarray:
    if type(value) is np.ndarray and value.dtype == np.float64 and value.flags.c_contiguous:
        return value  # the common case, without the dtype checks below (~1 µs each)
    array = np.asarray(value)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.number)):
        raise InvalidRequest(f"{name} must be numeric, got {array.dtype}",
                             [ErrorItem((name,), f"{name} must be numeric", "value_error.dtype")])
    return np.ascontiguousarray(array, dtype=np.float64)


def _plan(op: str, tensors: dict[str, Any], params: dict[str, Any], spatial_rank: int | None
          ) -> tuple[Plan, dict[str, np.ndarray | None]]:
    arrays: dict[str, np.ndarray | None] = {}
    for name, value in tensors.items():
        if value is None:
            arrays[name] = None
        elif name == "indices":
            array = np.asarray(value)
            if not np.issubdtype(array.dtype, np.integer):
                raise InvalidRequest("indices must be integers",
                                     [ErrorItem(("indices",), "indices must be integers", "value_error.dtype")])
            arrays[name] = np.ascontiguousarray(array, dtype=np.int64)
        else:
            arrays[name] = _float(name, value)
    shapes = tuple((k, None if v is None else v.shape) for k, v in arrays.items())
    # Plain Python parameters (the usual call) key the cache directly; anything
    # else (NumPy scalars, arrays, unhashable values) goes through _py first.
    fast = _fast_params(params)
    if fast is not None:
        return _cached_plan((op, shapes, fast, spatial_rank)), arrays
    py = {k: _py(v) for k, v in params.items()}
    try:
        key = (op, shapes, _frozen(py), spatial_rank)
        hash(key)
    except TypeError:
        return make_plan(op, dict(shapes), py, spatial_rank=spatial_rank), arrays
    return _cached_plan(key), arrays


# Types a value is tagged with in a cache key: True == 1 and 2 == 2.0 hash
# alike, but the op models may treat them differently.
_SCALARS = frozenset({int, float, str, bool, type(None)})


def _fast_params(params: dict[str, Any]) -> tuple[Any, ...] | None:
    """``_frozen(_py(params))`` for plain Python values, without the recursion; None otherwise."""
    items = []
    for name, value in params.items():
        kind = type(value)
        if kind in _SCALARS:
            items.append((name, (kind.__name__, value)))
        elif kind is list or kind is tuple:
            parts = []
            for v in value:
                if type(v) not in _SCALARS:
                    return None
                parts.append((type(v).__name__, v))
            items.append((name, ("__list__", *parts)))
        else:
            return None
    items.sort()
    return tuple(items)


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("__list__", *(_frozen(v) for v in value))
    return (type(value).__name__, value)


def _thawed(value: Any) -> Any:
    if isinstance(value, tuple) and value and value[0] == "__list__":
        return [_thawed(v) for v in value[1:]]
    return value[1]


@lru_cache(maxsize=512)
def _cached_plan(key: tuple[Any, ...]) -> Plan:
    """Plans are pure functions of shapes and parameters: repeated calls skip
    the engine (its Pydantic validation dominates small problems). Refusals
    are not cached (they raise)."""
    op, shapes, params, spatial_rank = key
    return make_plan(op, dict(shapes), {k: _thawed(v) for k, v in params}, spatial_rank=spatial_rank)


def conv(input: Any, weight: Any, /, bias: Any = None, *, stride: PerAxis = 1, padding: Any = 0,
         dilation: PerAxis = 1, groups: int = 1, padding_mode: str = "zeros",
         spatial_rank: int | None = None) -> np.ndarray:
    """``F.conv1d/2d/3d`` with every padding form and ``padding_mode``."""
    plan, arrays = _plan("conv", {"input": input, "weight": weight, "bias": bias},
                         dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
                              padding_mode=padding_mode), spatial_rank)
    return run(plan, arrays)["output"]


def conv_transpose(input: Any, weight: Any, /, bias: Any = None, *, stride: PerAxis = 1, padding: Any = 0,
                   output_padding: PerAxis = 0, groups: int = 1, dilation: PerAxis = 1,
                   output_size: PerAxis | None = None, spatial_rank: int | None = None) -> np.ndarray:
    """``F.conv_transpose1d/2d/3d``; ``output_size`` picks ``output_padding`` as
    ``ConvTransposeNd.forward(x, output_size)`` does (spatial sizes only)."""
    plan, arrays = _plan("conv_transpose", {"input": input, "weight": weight, "bias": bias},
                         dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                              dilation=dilation, output_size=output_size), spatial_rank)
    return run(plan, arrays)["output"]


def explain_conv_transpose(input: Any, weight: Any, /, bias: Any = None, *, stride: PerAxis = 1,
                           padding: Any = 0, output_padding: PerAxis = 0, groups: int = 1,
                           dilation: PerAxis = 1, output_size: PerAxis | None = None,
                           spatial_rank: int | None = None, conv_matrix: bool = True) -> dict[str, Any]:
    """``conv_transpose``'s result with the endpoint's explain view (``output`` and ``explain``)."""
    plan, arrays = _plan("conv_transpose", {"input": input, "weight": weight, "bias": bias},
                         dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
                              dilation=dilation, output_size=output_size), spatial_rank)
    output = run(plan, arrays)["output"]
    x, w = arrays["input"], arrays["weight"]
    assert x is not None and w is not None
    return {"output": output, "explain": explain_view(plan, x, w, arrays["bias"], output, matrix=conv_matrix,
                                                      omitted=None if conv_matrix else "not requested")}


def max_pool(input: Any, /, kernel_size: PerAxis, stride: PerAxis | None = None, padding: Any = 0,
             dilation: PerAxis = 1, ceil_mode: bool = False, return_indices: bool = False, *,
             spatial_rank: int | None = None) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """``F.max_pool1d/2d/3d``: indices are flat positions in each input plane;
    ties go to the first maximum in row-major order."""
    plan, arrays = _plan("max_pool", {"input": input},
                         dict(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                              ceil_mode=ceil_mode), spatial_rank)
    out = run(plan, arrays)
    return (out["output"], out["indices"]) if return_indices else out["output"]


def avg_pool(input: Any, /, kernel_size: PerAxis, stride: PerAxis | None = None, padding: Any = 0,
             ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None, *,
             spatial_rank: int | None = None) -> np.ndarray:
    """``F.avg_pool1d/2d/3d`` (``divisor_override`` on every rank)."""
    plan, arrays = _plan("avg_pool", {"input": input},
                         dict(kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
                              count_include_pad=count_include_pad, divisor_override=divisor_override), spatial_rank)
    return run(plan, arrays)["output"]


def adaptive_avg_pool(input: Any, /, output_size: Any, *, spatial_rank: int | None = None) -> np.ndarray:
    """``F.adaptive_avg_pool1d/2d/3d``; a None entry keeps that axis's size."""
    plan, arrays = _plan("adaptive_avg_pool", {"input": input}, dict(output_size=output_size), spatial_rank)
    return run(plan, arrays)["output"]


def adaptive_max_pool(input: Any, /, output_size: Any, return_indices: bool = False, *,
                      spatial_rank: int | None = None) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """``F.adaptive_max_pool1d/2d/3d``."""
    plan, arrays = _plan("adaptive_max_pool", {"input": input}, dict(output_size=output_size), spatial_rank)
    out = run(plan, arrays)
    return (out["output"], out["indices"]) if return_indices else out["output"]


def max_unpool(input: Any, indices: Any, /, kernel_size: PerAxis, stride: PerAxis | None = None,
               padding: Any = 0, output_size: PerAxis | None = None, *,
               spatial_rank: int | None = None) -> np.ndarray:
    """``F.max_unpool1d/2d/3d``: a repeated index keeps the last write."""
    plan, arrays = _plan("max_unpool", {"input": input, "indices": indices},
                         dict(kernel_size=kernel_size, stride=stride, padding=padding, output_size=output_size),
                         spatial_rank)
    return run(plan, arrays)["output"]


def upsample(input: Any, /, size: PerAxis | None = None, scale_factor: float | Sequence[float] | None = None,
             mode: str = "nearest", align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
             antialias: bool = False, *, spatial_rank: int | None = None) -> np.ndarray:
    """``F.interpolate`` (modes nearest, nearest-exact, linear, bilinear, bicubic, trilinear)."""
    plan, arrays = _plan("upsample", {"input": input},
                         dict(size=size, scale_factor=scale_factor, mode=mode, align_corners=align_corners,
                              recompute_scale_factor=recompute_scale_factor, antialias=antialias), spatial_rank)
    return run(plan, arrays)["output"]


def pixel_shuffle(input: Any, /, upscale_factor: int, *, spatial_rank: int | None = None) -> np.ndarray:
    """``F.pixel_shuffle`` (2-D); 1-D and 3-D shuffle every spatial axis (channels / r**rank)."""
    plan, arrays = _plan("pixel_shuffle", {"input": input}, dict(upscale_factor=upscale_factor), spatial_rank)
    return run(plan, arrays)["output"]


def pixel_unshuffle(input: Any, /, downscale_factor: int, *, spatial_rank: int | None = None) -> np.ndarray:
    """``F.pixel_unshuffle`` (2-D); 1-D and 3-D as the inverse of ``pixel_shuffle``."""
    plan, arrays = _plan("pixel_unshuffle", {"input": input}, dict(downscale_factor=downscale_factor), spatial_rank)
    return run(plan, arrays)["output"]
