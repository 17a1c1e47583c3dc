"""Receptive fields (contract section 9), composed exactly from the ops' windows.

A field describes, per axis, the input pixels that output pixel ``y`` depends on
over an unbounded input: they span ``[lo(y), hi(y)]`` with ``lo(y) = jump*y +
lo_r`` and ``hi(y) = jump*y + hi_r`` for ``r = y mod period`` (exact rationals;
an empty phase reaches nothing). Araujo, Norris and Sim (Distill 2019) compose
size, stride and padding the same way for strided windows; the phases carry
it through transposed convolutions and upsampling, whose field depends on the
output pixel's parity.

The functions are independent of how a network is walked: ``compose`` takes a
field and the next op's window (``OpModel.rf_window``), ``join`` the fields of
a merge's inputs, ``rf_aligned`` checks that they are centred alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

from convplan.analyses._rf_field import ReceptiveField, Span, half
from convplan.analyses._rf_symbolic import aligned_symbolic, compose_symbolic, join_symbolic
from convplan.exact import Exact, exact, fraction_json
from convplan.expr import to_latex
from convplan.ops import LayerShape, OpModel, SymbolicWindow, Value, Window
from convplan.ops._values import norm

__all__ = [
    "MAX_PERIOD",
    "ReceptiveField",
    "Span",
    "along",
    "compose",
    "compose_axes",
    "graph_fields",
    "identity",
    "join",
    "layer_windows",
    "receptive_field_json",
    "rf_aligned",
    "translation",
]

#: Default of the ``rf_period`` limit: the longest period whose phases are tracked.
MAX_PERIOD = 64

def identity(rank: int) -> list[ReceptiveField]:
    """The network input's field: every pixel sees itself."""
    return [_IDENTITY] * rank


def compose(field: ReceptiveField | None, window: Window | SymbolicWindow | None, *,
            max_period: int = MAX_PERIOD) -> ReceptiveField | None:
    """The field of the next op's output: output ``y`` reads pixels ``x`` of the previous map, and
    joins their fields. None where either is (no window: an adaptive pool, a map taken at symbolic sizes)."""
    if field is None or window is None:
        return None
    if window is _IDENTITY_WINDOW:
        return field  # pointwise: the same field, and the same object (its rendering can be shared)
    if field.symbolic or window.__class__ is not Window:
        return compose_symbolic(field, window, max_period)
    key = (id(field), id(window), max_period)
    hit = _COMPOSED.get(key)
    if hit is not None and hit[0] is field and hit[1] is window:
        return hit[2]
    composed = _compose_numeric(field, window, max_period)
    _remember(_COMPOSED, key, (field, window, composed))
    return composed


def _remember(memo: dict[Any, Any], key: Any, entry: tuple[Any, ...]) -> None:
    """Keep ``entry`` (the key's objects, then the value) in one of the identity memos, which start over at
    ``_REMEMBERED`` entries (only on a miss: a hit is looked up inline)."""
    if len(memo) >= _REMEMBERED:
        memo.clear()
    memo[key] = entry


#: How many composed fields (and rendered ones) are remembered; then the memo starts over.
_REMEMBERED = 4096
#: ``compose`` of numeric fields and windows, by identity: fields and windows are immutable, and neither
#: depends on the input size (``Window``'s constructors cache theirs on the op's parameters, and a field
#: found here is the same object the next time), so a stack sent again at another size, or edited, composes
#: only what is new. Keyed by ``id``: hashing a field hashes its Fractions, slowly; an entry holds its key's
#: objects, so their ids cannot be reused while it lives.
_COMPOSED: dict[tuple[int, int, int], tuple[ReceptiveField, Window, ReceptiveField | None]] = {}


def _compose_numeric(field: ReceptiveField, window: Window, max_period: int) -> ReceptiveField | None:
    """``compose`` of a numeric field and window."""
    jump = field.jump * window.jump
    if field.period == 1 and window.period == 1:
        # The hot path (strided windows on a field of period 1; the window's jump is then an integer):
        # lo and hi grow with x, so the first and last taps bound the hull.
        taps, span = window.phase_inputs(0), field.phases[0]  # type: ignore[index]
        if not taps or span is None:
            return ReceptiveField(jump, 1, (None,), 0, 0, None, None)
        lo, hi = field.jump * taps[0] + span[0], field.jump * taps[-1] + span[1]
        if lo.__class__ is not int:
            lo, hi = exact(lo), exact(hi)
        size = int(hi - lo) + 1
        return ReceptiveField(jump, 1, ((lo, hi),), size, size, int(lo), half(lo + hi))
    return _compose_periodic(field, window, max_period)


def _compose_periodic(field: ReceptiveField, window: Window, max_period: int) -> ReceptiveField:
    """``compose`` where the field or the window has phases: a loop over them."""
    jump = exact(field.jump * window.jump)
    if field.phases is None or field.period is None:
        return ReceptiveField.untracked(jump)
    # y -> y + P moves x by window.jump*P, which must be a multiple of the field's period.
    a, b = window.jump.numerator, window.jump.denominator  # (ints have both)
    period = _lcm(window.period, b * field.period // math.gcd(a, b * field.period))
    if period > max_period:
        return ReceptiveField.untracked(jump)
    if field.jump.__class__ is int and jump.__class__ is int and None not in field.phases:
        return _from_int_phases(jump, _int_phases(field, window, period, jump))
    # Output r reads x = window.jump*r + o; each x's field spans field.jump*x + phases[x mod P_field]
    # (inlined: this loop runs once per phase and tap of every layer after an upsampling).
    field_jump, field_period, field_phases = field.jump, field.period, field.phases
    phases: list[Span | None] = []
    for r in range(period):
        lo = hi = None
        q, rw = divmod(r, window.period)  # output r reads window.jump*(r - rw) + the inputs of phase rw
        shift = int(window.jump * q * window.period) if q else 0
        for x0 in window.phase_inputs(rw):
            x = x0 + shift
            span = field_phases[x % field_period]
            if span is not None:
                base = field_jump * x
                if lo is None or base + span[0] < lo:
                    lo = base + span[0]
                if hi is None or base + span[1] > hi:
                    hi = base + span[1]
        phases.append(None if lo is None else (exact(lo - jump * r), exact(hi - jump * r)))  # type: ignore[operator]
    return ReceptiveField.from_phases(jump, phases)


def _int_phases(field: ReceptiveField, window: Window, period: int, jump: int) -> list[Span | None]:
    """``compose``'s phases where every value is an integer (an integral jump before and after, no empty phase
    before): the layers after a transposed conv or an upsampling, with int arithmetic only."""
    field_jump, field_period = field.jump, field.period
    assert field_period is not None and field_jump.__class__ is int
    los = [s[0] for s in field.phases]  # type: ignore[index,union-attr]
    his = [s[1] for s in field.phases]  # type: ignore[index,union-attr]
    window_period = window.period
    step = int(window.jump * window_period)  # input pixels per window period (an integer by construction)
    # Where lo(x) and hi(x) never decrease (every field of real layers without holes), the hull of the
    # inputs' fields is [lo(first input), hi(last input)]: one look-up per phase instead of one per tap.
    nondecreasing = (all(a <= b + field_jump for a, b in zip(los, los[1:] + los[:1])) and
                     all(a <= b + field_jump for a, b in zip(his, his[1:] + his[:1])))
    if nondecreasing and window_period == 1:  # a strided window: phase r reads step*r + its taps
        taps = window.phase_inputs(0)
        first, last = taps[0], taps[-1]
        return [(field_jump * first + los[(step * r + first) % field_period],
                 field_jump * last + his[(step * r + last) % field_period]) for r in range(period)]
    inputs = [window.phase_inputs(rw) for rw in range(window_period)]
    phases: list[Span | None] = []
    for r in range(period):
        q, rw = divmod(r, window_period)
        xs = inputs[rw]
        if not xs:
            phases.append(None)
            continue
        shift = step * q
        base = jump * r
        if nondecreasing:
            x_lo, x_hi = xs[0] + shift, xs[-1] + shift
            phases.append((field_jump * x_lo + los[x_lo % field_period] - base,
                           field_jump * x_hi + his[x_hi % field_period] - base))
            continue
        lo = min(field_jump * (x + shift) + los[(x + shift) % field_period] for x in xs)
        hi = max(field_jump * (x + shift) + his[(x + shift) % field_period] for x in xs)
        phases.append((lo - base, hi - base))
    return phases


def _from_int_phases(jump: int, phases: list[Span | None]) -> ReceptiveField:
    """``ReceptiveField.from_phases`` for integer phases that all reach something (``_int_phases`` mostly
    gives those): int arithmetic only."""
    if None in phases:
        return ReceptiveField.from_phases(jump, phases)
    n = len(phases)
    kept = tuple(phases)
    if n > 1:
        period = next(p for p in range(1, n + 1) if not n % p and kept[p:] == kept[:n - p])
        kept = kept[:period]
    sizes = [hi - lo + 1 for lo, hi in kept]  # type: ignore[misc]
    lo, hi = kept[0]  # type: ignore[misc]
    c = lo + hi
    return ReceptiveField(jump, len(kept), kept, max(sizes), min(sizes), lo, c // 2 if not c % 2 else Fraction(c, 2))


def compose_axes(fields: Sequence[ReceptiveField | None], windows: Sequence[Window | SymbolicWindow | None], *,
                 max_period: int = MAX_PERIOD) -> list[ReceptiveField | None]:
    """``compose`` per axis; an axis with the same field and window as the one before (a square input
    through per-axis-equal layers) reuses its result."""
    out: list[ReceptiveField | None] = []
    for a, (field, window) in enumerate(zip(fields, windows)):
        if a and field is fields[a - 1] and window is windows[a - 1]:
            out.append(out[-1])
        else:
            out.append(compose(field, window, max_period=max_period))
    return out


def layer_windows(op: OpModel, shape: LayerShape, in_size: Sequence[Value],
                  rank: int) -> list[Window | SymbolicWindow | None]:
    """Per axis of the network's input, the window of one layer (``op.rf_window``); none past a ``flatten``
    (its input has no spatial axes left: every feature sees the whole input, so the fields are null)."""
    if len(in_size) != rank:
        return [None] * rank
    return [op.rf_window(shape, a, in_size[a]) for a in range(rank)]


def along(windows: Iterable[Window | SymbolicWindow | None], initial: ReceptiveField | None = None, *,
          max_period: int = MAX_PERIOD) -> list[ReceptiveField | None]:
    """The fields after each window of a chain (one axis), from ``initial`` (default: the input's)."""
    field = _IDENTITY if initial is None else initial
    out = []
    for window in windows:
        field = compose(field, window, max_period=max_period)  # type: ignore[assignment]
        out.append(field)
    return out


def join(fields: Sequence[ReceptiveField | None], *, max_period: int = MAX_PERIOD) -> ReceptiveField | None:
    """A merge's field: per output pixel the hull of its inputs' fields. None where an input's field is,
    or where the jumps differ (the union of fields moving at different speeds has no period)."""
    if not fields or any(f is None for f in fields):
        return None
    known: list[ReceptiveField] = list(fields)  # type: ignore[arg-type]
    if any(f.symbolic for f in known):
        return join_symbolic(known, max_period)
    jump = known[0].jump
    if any(f.jump != jump for f in known):
        return None
    if any(f.period is None for f in known):
        return ReceptiveField.untracked(jump)
    period = 1
    for f in known:
        period = _lcm(period, f.period)  # type: ignore[arg-type]
    if period > max_period:
        return ReceptiveField.untracked(jump)
    phases = [_hull((f.span_at(r) for f in known), jump * r) for r in range(period)]
    return ReceptiveField.from_phases(jump, phases)


def rf_aligned(fields: Sequence[ReceptiveField | None], shifts: Sequence[Value] | None = None) -> bool | None:
    """Whether a merge's inputs see the input alike (Araujo et al.): the same jump and the same mean,
    over a period, of ``(lo(y) + hi(y))/2 - jump*y``, after the applied fix pads each input by
    ``shifts[k]`` rows before (negative: cropped). None where a field or a mean is unknown."""
    shifted = [compose(f, translation(-s)) for f, s in zip(fields, shifts or [0] * len(fields))]
    if any(f is None for f in shifted):
        return None
    if any(f.symbolic for f in shifted):  # type: ignore[union-attr]
        return aligned_symbolic(shifted)  # type: ignore[arg-type]
    if len({f.jump for f in shifted}) > 1:  # type: ignore[union-attr]
        return False
    means = [_mean_center(f) for f in shifted]  # type: ignore[arg-type]
    if any(m is None for m in means):
        return None
    return len(set(means)) == 1


def translation(offset: Value) -> Window | SymbolicWindow:
    """Output ``y`` reads input ``y + offset`` (a pad by ``before`` is ``-before``), a symbol or a number."""
    return Window.translation(offset) if offset.__class__ is int else SymbolicWindow.strided(1, offset, offset)


def receptive_field_json(field: ReceptiveField | None) -> dict[str, Any] | None:
    """The contract's JSON: rationals as integers, dyadic floats or ``"p/q"`` strings; expressions in the
    symbolic parameters as strings in the input grammar (our printer), like every symbolic value."""
    if field is None:
        return None
    if not field.symbolic:
        hit = _RENDERED.get(id(field))
        if hit is not None and hit[0] is field:
            return hit[1]
        rendered = _numeric_json(field)
        _remember(_RENDERED, id(field), (field, rendered))
        return rendered
    j = fraction_json
    phases = field.phases
    return {"jump": j(field.jump), "jump_latex": _latex(field.jump), "period": field.period,
            "phases": None if phases is None else [None if s is None else [j(s[0]), j(s[1])] for s in phases],
            "phases_latex": None if phases is None else [None if s is None else [_latex(s[0]), _latex(s[1])]
                                                         for s in phases],
            "size": j(field.size), "size_latex": _latex(field.size), "size_min": j(field.size_min),
            "size_min_latex": _latex(field.size_min), "start": j(field.start), "start_latex": _latex(field.start),
            "center": j(field.center), "center_latex": _latex(field.center)}


def _latex(value: Any) -> str | None:
    """The ``_latex`` sibling of a symbolic field's value (contract section 1): null for numbers, rationals
    included (they are exact numbers, not expressions)."""
    return to_latex(value) if getattr(value, "free_symbols", None) else None


#: ``receptive_field_json`` of numeric fields, by identity (as ``_COMPOSED``). The dicts are shared:
#: callers put them in responses and never change them.
_RENDERED: dict[int, tuple[ReceptiveField, dict[str, Any]]] = {}


def _numeric_json(field: ReceptiveField) -> dict[str, Any]:
    if field.phases is None:
        phases = None
    elif field.jump.__class__ is int:  # an integral jump: every span is integral (lo(y) and jump*y are)
        phases = [None if s is None else [s[0], s[1]] for s in field.phases]
    else:
        phases = [None if s is None else [fraction_json(s[0]), fraction_json(s[1])] for s in field.phases]
    return {"jump": fraction_json(field.jump), "period": field.period, "phases": phases, "size": field.size,
            "size_min": field.size_min, "start": field.start, "center": fraction_json(field.center)}


def _hull(spans: Iterable[tuple[Exact, Exact] | None], base: Exact) -> Span | None:
    """The span of the union of some input spans (absolute), relative to ``base = jump*y``."""
    lo = hi = None
    for span in spans:
        if span is None:
            continue
        if lo is None or span[0] < lo:
            lo = span[0]
        if hi is None or span[1] > hi:
            hi = span[1]
    if lo is None or hi is None:
        return None
    return exact(lo - base), exact(hi - base)


def _mean_center(field: ReceptiveField) -> Exact | None:
    if field.phases is None:
        return None
    centers = [(s[0] + s[1]) / 2 for s in field.phases if s is not None]
    return sum(centers, Fraction(0)) / len(centers) if centers else None


def _lcm(a: int, b: int) -> int:
    return a * b // math.gcd(a, b)


_IDENTITY = ReceptiveField.from_phases(1, [(0, 0)])
_IDENTITY_WINDOW = Window.identity()


def graph_fields(result: Any, max_period: int = MAX_PERIOD) -> tuple[dict[str, list[ReceptiveField | None] | None],
                                                                     dict[str, bool | None]]:
    """Per node of an evaluated graph (``convplan.graph.evaluate.GraphResult``), per axis, its receptive field in
    the first input (None off the first input), and per merge node ``rf_aligned``: a merge joins its inputs'
    fields after the applied fix's shift (each input padded by its ``before``, negative for a crop); inputs
    broadcast from size 1 are left out (they see the same pixels for every output)."""
    first = result.graph.first_input.name
    rank = len(result.inputs[first].size)
    fields: dict[str, list[ReceptiveField | None] | None] = {first: identity(rank)}
    aligned: dict[str, bool | None] = {}
    for record in result.results:
        node = record.node
        ins = [fields.get(name) for name in node.inputs]
        if not node.op.spatial_output or ins[0] is None:
            fields[node.id] = None
            continue
        merge = record.merge
        if merge is not None:
            fields[node.id], aligned[node.id] = _merged(merge, ins, rank, max_period)
            continue
        windows = layer_windows(node.op, record.shape, record.input_sizes[0], rank)
        fields[node.id] = compose_axes(ins[0], windows, max_period=max_period)
    stopped = result.mismatch  # a mismatch under align "none": no fix applied, but its inputs' fields are known
    if stopped is not None and fields.get(stopped.inputs[0]) is not None:
        aligned[stopped.node] = _merged(stopped, [fields.get(name) for name in stopped.inputs], rank, max_period)[1]
    return fields, aligned


def _merged(merge: Any, ins: list[list[ReceptiveField | None] | None], rank: int,
            max_period: int) -> tuple[list[ReceptiveField | None], bool | None]:
    """A merge's fields per axis and its ``rf_aligned``."""
    per_axis: list[ReceptiveField | None] = []
    verdicts: list[bool | None] = []
    for a in range(rank):
        kept = [k for k in range(len(ins)) if not merge.broadcast[k][a]]
        axis_fields = [None if ins[k] is None else ins[k][a] for k in kept]  # type: ignore[index]
        shifts = [merge.applied_pads[k][a][0] for k in kept]
        shifted = [compose(f, translation(norm(-s)), max_period=max_period) for f, s in zip(axis_fields, shifts)]
        per_axis.append(join(shifted, max_period=max_period))
        verdicts.append(rf_aligned(axis_fields, [norm(s) for s in shifts]))
    return per_axis, False if False in verdicts else (None if None in verdicts else True)
