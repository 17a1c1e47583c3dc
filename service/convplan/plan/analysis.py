"""The size ratios of a 1-D program and its period ``M``.

Every map has a ratio ``r`` (its size grows by ``r`` per input row, in the
limit). A layer with own ratio ``p/q`` (conv and pools ``1/stride``,
interpolation by a dyadic ``p/q``) keeps its rounding when its input moves by
a multiple of ``q``; the input moves by ``M * r_in``, so ``M`` must be a
multiple of ``v*q / gcd(u, v*q)`` for ``r_in = u/v`` (a transposed conv or
pad only needs the shift to be an integer). Layers with a fixed output
(adaptive pools, ``size``) have ratio 0 after them.

No periodic form exists when two maps with different ratios are compared
(a merge, or unpooling with indices of another size): their difference
grows with the input, so only finitely many sizes line up; nor with a
``output_size`` window on a growing input, nor with non-dyadic scale
factors (PyTorch's ``floor(float(i) * scale)`` follows binary rounding).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd

from convplan.ops import OpModel
from convplan.ops._base import NoClosedForm
from convplan.plan.program import Program
from convplan.shapes.engine import LayerRecord

__all__ = ["Analysis", "NotPeriodic", "analyse"]


class NotPeriodic(Exception):
    """No closed form: the message says why."""


@dataclass(frozen=True)
class Analysis:
    period: int  # M
    slope: Fraction  # ratio of the output


def _lcm(a: int, b: int) -> int:
    return a * b // gcd(a, b)


class _Pass:
    def __init__(self, records: list[LayerRecord]) -> None:
        self.records = records
        self.index = 0
        self.period = 1
        self.pool_ratio: dict[int, tuple[Fraction, Fraction]] = {}  # stage -> (ratio in, ratio out) of its pool

    def need(self, r_in: Fraction, q: int) -> None:
        """The input shift ``M * r_in`` must be a multiple of ``q``."""
        if r_in == 0:
            return
        u, v = r_in.numerator, r_in.denominator
        self.period = _lcm(self.period, v * q // gcd(abs(u), v * q))

    def block(self, layers: list[OpModel], r: Fraction, stage: int | None = None) -> Fraction:
        for layer in layers:
            record = self.records[self.index]
            self.index += 1
            r = self.layer(layer, record, r, stage)
        return r

    def layer(self, layer: OpModel, record: LayerRecord, r: Fraction, stage: int | None) -> Fraction:
        """The layer's output ratio, from the op's own protocol (``size_ratio``, ``fixed_input_reason``):
        no switch on op names, so an op that says nothing raises instead of falling through."""
        where = f"layer {record.index} ({layer.op})"
        j = getattr(layer, "indices_from", None)
        if j is not None:  # max_unpool with a stage's pool indices: its output is that pool's input
            r_in, r_out = self.pool_ratio[j]
            if r_out != r:
                raise NotPeriodic(f"{where}: its input grows at {r} per input row but the indices of encoder "
                                  f"stage {j} at {r_out}: only finitely many sizes match")
            return r_in
        try:
            own = layer.size_ratio(record.shape, 0, record.input_size[0])
        except NoClosedForm as exc:
            raise NotPeriodic(f"{where}: {exc}") from None
        if own is None:
            reason = layer.fixed_input_reason()
            if reason is not None and r != 0:
                raise NotPeriodic(f"{where}: {reason}")
            return Fraction(0)
        self.need(r, own.denominator)
        out = r * own
        if stage is not None and getattr(type(layer), "provides_indices", False):
            self.pool_ratio[stage] = (r, out)
        return out


def analyse(program: Program, records: list[LayerRecord]) -> Analysis:
    """``records``: a complete 1-D run of ``program`` (resolved strides and factors, in walk order)."""
    p = _Pass(records)
    r = Fraction(1)
    sources = []
    for j, layers in enumerate(program.encoder):
        r = p.block(layers, r, stage=j)
        sources.append(r)
    for t, spec in enumerate(program.decoder):
        r = p.block(spec.up, r)
        if spec.skip is not None:
            r_skip = p.block(spec.skip_layers, sources[spec.skip])
            if r_skip != r:
                raise NotPeriodic(f"decoder stage {t} merges maps at different scales (the skip grows by {r_skip}, "
                                  f"the decoder map by {r} per input row): only finitely many sizes line up")
        r = p.block(spec.layers, r)
    r = p.block(program.head, r)
    return Analysis(p.period, r)
