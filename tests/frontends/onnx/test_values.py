"""Initializers and constants as the importer reads them (frontends/onnx/_values.py)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from onnx import TensorProto, numpy_helper

from convplan.frontends.onnx._values import Known, Weight, constant_of


def test_small_float_tensors_are_made_exact_only_when_asked() -> None:
    value = constant_of(numpy_helper.from_array(np.array([[0.5, 2.0, 0.1]], dtype=np.float32), "bn.scale"))
    assert isinstance(value, Known) and value.floating
    assert value.shape == (1, 3) and "array" not in value.__dict__  # a weight's dims: no Fraction made
    assert value.array.tolist() == [[Fraction(1, 2), 2, Fraction(float(np.float32(0.1)))]]
    assert value.array is value.array  # made once


def test_integers_are_ints() -> None:
    value = constant_of(numpy_helper.from_array(np.array([1, 1, 2, 2], dtype=np.int64), "pads"))
    assert isinstance(value, Known) and not value.floating
    assert value.array.tolist() == [1, 1, 2, 2] and all(type(v) is int for v in value.array.tolist())


def test_non_finite_values_and_stripped_tensors_are_weights() -> None:
    assert constant_of(numpy_helper.from_array(np.array([1.0, np.nan], dtype=np.float32), "x")) == Weight((2,))
    stripped = TensorProto(name="w", data_type=TensorProto.FLOAT)
    stripped.dims.extend([4, 3])
    assert constant_of(stripped) == Weight((4, 3))
