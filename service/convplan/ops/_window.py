"""Receptive-field windows: which input pixels one output pixel reads (contract section 9).

Over an unbounded input (no borders: padding only shifts indices), output
pixel ``y`` of an op reads the input pixels ``x = jump*y + o`` for the offsets
``o`` in ``taps(y mod period)``: the non-zero kernel taps, interpolation
weights or pooling windows. Offsets are exact Fractions (``jump*y + o`` is an
integer); an empty phase reads nothing (a transposed conv whose dilation
shares a factor with its stride leaves holes).

Taps are computed per phase on demand, so a window whose period depends on
the sizes (``align_corners``) costs nothing until a caller that keeps its
period below a limit asks for phases.

A window whose parameters are symbols (``SymbolicWindow``) cannot list its
taps; it carries the closed forms a receptive field needs instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy

from convplan.exact import Exact, exact
from convplan.ops._values import Value, cdiv, fdiv, nonnegative, norm

__all__ = ["SymbolicWindow", "Taps", "Window", "window_of_taps"]

#: Per phase: the sorted offsets of the input pixels read (empty: none).
Taps = tuple[Exact, ...]


@dataclass(frozen=True, slots=True)
class Window:
    """Output ``y`` reads ``x = jump*y + o`` for ``o`` in ``taps(y mod period)``; ``phase_inputs(r)``
    lists those ``x`` for ``0 <= r < period`` (as ints: what composing a field needs, fast)."""

    jump: Exact
    period: int
    phase_taps: Callable[[int], Taps]
    phase_inputs: Callable[[int], tuple[int, ...]]

    def taps(self, r: int) -> Taps:
        return self.phase_taps(r % self.period)

    def span(self, r: int) -> tuple[Exact, Exact] | None:
        """``[lo(y) - jump*y, hi(y) - jump*y]`` for ``y = r mod period``; None for an empty phase."""
        taps = self.taps(r)
        return (taps[0], taps[-1]) if taps else None

    @property
    def phases(self) -> list[tuple[Exact, Exact] | None]:
        return [self.span(r) for r in range(self.period)]

    @classmethod
    def identity(cls) -> Window:
        return _IDENTITY

    @classmethod
    def translation(cls, offset: int) -> Window:
        """Output ``y`` reads input ``y + offset`` (a pad by ``before`` is ``-before``, a crop ``+before``)."""
        return _translation(offset)

    @classmethod
    def strided(cls, stride: int, offsets: tuple[int, ...]) -> Window:
        """Output ``y`` reads ``stride*y + o``: convolutions and pooling windows."""
        return _strided(stride, offsets)

    @classmethod
    def sliding(cls, stride: int, kernel: int, dilation: int, before: int) -> Window:
        """Convolutions and pools: output ``y`` reads ``s*y - before + t*d`` for ``t`` in ``0..k-1``
        (cached on the parameters: no taps are listed again for a layer seen before)."""
        return _sliding(stride, kernel, dilation, before)

    @classmethod
    def nearest(cls, factor: int) -> Window:
        """Output ``y`` reads input ``y // factor`` (nearest upsampling by an integer, pixel shuffle)."""
        return _nearest(factor)

    @classmethod
    def scattered(cls, stride: int, before: int, kernel: int, dilation: int) -> Window:
        """Transposed convolution (and unpooling, ``dilation`` 1): input ``x`` writes output
        ``s*x - before + t*d``, so output ``y`` reads ``x = (y + before - t*d)/s`` for the
        taps ``t`` that divide evenly (``torch.nn.functional.conv_transpose``)."""
        return _scattered(stride, before, kernel, dilation)


@dataclass(frozen=True, slots=True)
class SymbolicWindow:
    """A window with symbolic parameters. Output ``y`` reads input pixels spanning ``[jump*y + lo(y),
    jump*y + hi(y)]``; ``lo`` and ``hi`` are phase 0's (None: it may read nothing). ``period`` is 1 where every
    output reads alike, None where the period is itself symbolic (a transposed conv with stride ``s`` has ``s``
    phases). ``widest`` / ``narrowest``: the max / min of ``hi(y) - lo(y)`` over the outputs that read something
    (None: no closed form); ``holes``: whether some output reads nothing (None: it depends on the symbols)."""

    jump: Value | Fraction
    period: int | None
    lo: Value | None
    hi: Value | None
    widest: Value | None
    narrowest: Value | None
    holes: bool | None

    @classmethod
    def strided(cls, stride: Value, lo: Value, hi: Value) -> SymbolicWindow:
        """Output ``y`` reads ``stride*y + lo .. stride*y + hi`` (conv and pools: ``lo = -before``,
        ``hi = d*(k-1) - before``; a translation: ``stride`` 1, ``lo = hi``)."""
        width = norm(hi - lo)
        return cls(stride, 1, lo, hi, width, width, False)

    @classmethod
    def nearest(cls, factor: Value) -> SymbolicWindow:
        """Output ``y`` reads input ``y // factor``: ``lo = hi = floor(y/f) - y/f``, 0 at ``y = 0``."""
        return cls(_inverse(factor), None, 0, 0, 0, 0, False)

    @classmethod
    def scattered(cls, stride: Value, before: Value, kernel: Value, dilation: Value) -> SymbolicWindow:
        """``Window.scattered`` with symbols. With dilation 1, output ``y`` reads the integers ``x`` in
        ``[(y + before - k + 1)/s, (y + before)/s]``: the multiples of ``s`` among ``k`` consecutive integers,
        ``ceil(k/s)`` or ``floor(k/s)`` of them (none where ``k < s``). A dilation shares factors with a
        symbolic stride in ways no closed form says: then only the jump is known."""
        jump = _inverse(stride)
        if dilation != 1:
            return cls(jump, None, None, None, None, None, None)
        fits = nonnegative(norm(kernel - stride))  # k >= s: every output reads at least one input
        holes = None if fits is None else not fits
        lo, hi = norm(-fdiv(kernel - 1 - before, stride)), fdiv(before, stride)  # ceil((before - k + 1)/s)
        # Phase 0 reads the tap t = before (mod s) if it is below k: always without padding (t = 0).
        if holes is not False and before != 0 and nonnegative(norm(hi - lo)) is not True:
            lo = hi = None
        narrowest = None if holes is not False else norm(fdiv(kernel, stride) - 1)
        period = 1 if stride == 1 and lo is not None else None  # (stride 1: a strided window)
        return cls(jump, period, lo, hi, norm(cdiv(kernel, stride) - 1), narrowest, holes)


def _inverse(value: Value) -> Fraction | sympy.Expr:
    return Fraction(1, value) if type(value) is int else sympy.Integer(1) / value


def window_of_taps(jump: Exact, period: int, source: Callable[[int], tuple[int, ...]]) -> Window:
    """A window from a function of the output pixel ``y`` (``0 <= y < period``) to the input
    pixels it reads; offsets become relative to ``jump*y``."""
    jump = exact(jump)

    @lru_cache(maxsize=256)
    def inputs(r: int) -> tuple[int, ...]:
        return tuple(sorted(set(source(r))))

    @lru_cache(maxsize=256)
    def phase(r: int) -> Taps:
        return tuple(exact(x - jump * r) for x in inputs(r))

    return Window(jump, period, phase, inputs)


@lru_cache(maxsize=512)
def _translation(offset: int) -> Window:
    if offset == 0:
        return _IDENTITY  # the one object composing recognises (and skips)
    taps = (offset,)
    return Window(1, 1, lambda r: taps, lambda r: taps)


@lru_cache(maxsize=512)
def _strided(stride: int, offsets: tuple[int, ...]) -> Window:
    taps = tuple(sorted(set(offsets)))
    return Window(stride, 1, lambda r: taps, lambda r: taps)


@lru_cache(maxsize=512)
def _sliding(stride: int, kernel: int, dilation: int, before: int) -> Window:
    return _strided(stride, tuple(t * dilation - before for t in range(kernel)))


@lru_cache(maxsize=512)
def _nearest(factor: int) -> Window:
    return window_of_taps(Fraction(1, factor), factor, lambda y: (y // factor,))


@lru_cache(maxsize=512)
def _scattered(stride: int, before: int, kernel: int, dilation: int) -> Window:
    def source(y: int) -> tuple[int, ...]:
        return tuple((y + before - t * dilation) // stride for t in range(kernel)
                     if (y + before - t * dilation) % stride == 0)

    return window_of_taps(Fraction(1, stride), stride, source)


_IDENTITY = Window(1, 1, lambda r: (0,), lambda r: (0,))
