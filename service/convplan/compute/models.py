"""Request models of ``POST /v1/compute/{op}``, one per compute op, as the ops declare them.

An op model's ``compute_params`` holds the layer's parameters (numbers only:
no expressions) and is what the service validates, after the tensors have
been counted and checked by ``convplan.compute.tensors``; its
``compute_request`` adds the tensor fields and documents the whole body in
the OpenAPI schema. Listed in the ops' ``compute_order``.
"""

from __future__ import annotations

from pydantic import BaseModel

from convplan.ops import COMPUTE_OPS, TensorField

__all__ = ["COMPUTE_OPS", "PARAMS", "REQUESTS", "TENSOR_FIELDS"]

PARAMS: dict[str, type[BaseModel]] = {op: model.compute_params for op, model in COMPUTE_OPS.items()}  # type: ignore[misc]
REQUESTS: dict[str, type[BaseModel]] = {op: model.compute_request for op, model in COMPUTE_OPS.items()}  # type: ignore[misc]
#: Tensor fields per op, in positional order: (name, required, integer).
TENSOR_FIELDS: dict[str, tuple[TensorField, ...]] = {op: model.tensors for op, model in COMPUTE_OPS.items()}
