"""Valid input sizes per axis of the first input, in three exact sets (contract section 7).

- ``runs``: PyTorch executes the network (every check passes; merges equal or broadcast after the network's
  own crops and pads and the applied ``align`` fix);
- ``clean``: runs, every merge registered (null passes), no strided layer drops a row a discarded window
  would read, no ceil-mode window overhangs (``OpModel.drops_rows``);
- ``same_size``: runs, and every output with spatial axes has the input's size on this axis.

Why a closed form exists: every size rule satisfies ``f(n + q) = f(n) + p`` for its ratio ``p/q``
(``OpModel.size_ratio``: conv and pools ``1/s``, transposed ``s``, dyadic interpolation, pads 1). Shifting
the input by ``M`` (the least shift that moves every layer's input by a multiple of its ``q``) shifts every
size by ``M * ratio`` and changes no rounding, so once every threshold has passed (the network runs at all,
and no growing map is still of size 1, where broadcasting differs) membership is ``M``-periodic. We find the
first size that runs at all (``F``; monotone, by bisection, in a lenient run that crops merges to the
smallest), the size from which no growing map is 1 (``B``), scan from ``F`` (from 1 where a merge
broadcasts: a one-pixel map broadcast into a larger one runs where the lenient crop refuses) over two
periods beyond ``B``, more while the last two periods differ or two sizes compared at different rates have
not parted for good (``_apart``: floor(n/2) and n - 8 meet at 15 and 16 only), and reduce: the members the
pattern does not describe are ``extra``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd
from typing import Any

from convplan.analyses._scan import Blocks, ScanGraph, lenient_graph
from convplan.errors import ConvplanError
from convplan.graph.evaluate import GraphResult, Tensor, evaluate
from convplan.graph.ir import Graph, Node
from convplan.ops import NeedsSymbolic, Resolver
from convplan.ops._base import NoClosedForm

__all__ = ["AxisSets", "SizeSet", "fit_expression", "valid_input_sizes"]

_SEARCH_LIMIT = 1 << 30
#: Defaults of the published limits (``Settings.valid_sizes_*``).
MAX_PERIOD = 4096
MAX_SCAN = 20_000
MAX_EXTRA = 64


class _NoForm(Exception):
    """No closed form on this axis: the message says why."""


class _OtherSymbol(_NoForm):
    """Another entry of the inputs' sizes is a free symbol: the run needs a number there."""


@dataclass(kw_only=True)
class SizeSet:
    """``extra ∪ {minimum <= i <= maximum : i mod modulus in residues}``, with the outputs' sizes."""

    modulus: int = 1
    residues: tuple[int, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    extra: tuple[int, ...] = ()
    #: output id -> residue -> output size on this axis as (slope, intercepts by n mod period) or a text
    output_size: dict[str, dict[int, int | str | None]] = field(default_factory=dict)

    def contains(self, n: int) -> bool:
        if n in self.extra:
            return True
        if self.minimum is None or n < self.minimum or (self.maximum is not None and n > self.maximum):
            return False
        return n % self.modulus in self.residues

    def nearest(self, n: int) -> tuple[int | None, int | None]:
        """The members at or below / at or above ``n``."""
        below = next((v for v in range(n, max(0, n - self.modulus - 1), -1) if self.contains(v)), None)
        if below is None:
            lower = [v for v in self.extra if v <= n]
            if self.minimum is not None and n >= self.minimum:
                start = n - (n - self.minimum) % self.modulus
                lower += [v for v in range(start, max(self.minimum - 1, start - self.modulus - 1), -1)
                          if self.contains(v)]
            below = max(lower) if lower else None
        above = next((v for v in self.extra if v >= n), None)
        if self.minimum is not None and self.residues:
            start = max(n, self.minimum)
            periodic = next((v for v in range(start, start + self.modulus) if self.contains(v)), None)
            if periodic is not None and (self.maximum is None or periodic <= self.maximum):
                above = periodic if above is None else min(above, periodic)
        return below, above


@dataclass(kw_only=True)
class AxisSets:
    runs: SizeSet
    clean: SizeSet
    same_size: SizeSet
    requested: int | None


def valid_input_sizes(graph: Graph, resolver_factory: Any, inputs: dict[str, Tensor],
                      raw_sizes: dict[str, list[Any]], *, limits: Any = None
                      ) -> tuple[list[AxisSets | None], list[str | None]]:
    """Per axis of the first input, the three sets (or None and the reason). An axis that mirrors axis 0 (every
    op treats the axes alike, every input has the same size on both) has axis 0's sets: solved once."""
    first = graph.first_input
    rank = len(first.size)
    training = getattr(resolver_factory(), "training", False)
    scan = ScanGraph.of(graph, training)
    symmetric = all(node.op.axis_symmetric() for node in graph.nodes)
    forms: list[AxisSets | None] = []
    reasons: list[str | None] = []
    sliced_axes: list[int] = []
    for axis in range(rank):
        if axis and symmetric and forms[0] is not None and _mirrors(inputs, raw_sizes, rank, axis):
            forms.append(forms[0])
            reasons.append(None)
            if 0 in sliced_axes:
                sliced_axes.append(axis)
            continue
        try:
            try:
                forms.append(_Axis(scan, resolver_factory, inputs, raw_sizes, axis, limits).solve())
            except _OtherSymbol as exc:
                sliced = _slice(graph, inputs, raw_sizes, axis, training)
                if isinstance(sliced, str):
                    raise _NoForm(f"{exc}, and {sliced}") from None
                forms.append(_Axis(ScanGraph.of(sliced[0], training), resolver_factory, *sliced[1:], 0,
                                   limits).solve())
                sliced_axes.append(axis)
            reasons.append(None)
        except _NoForm as exc:
            forms.append(None)
            reasons.append(str(exc))
    return _joined(forms, sliced_axes), reasons


def _joined(forms: list[AxisSets | None], sliced_axes: list[int]) -> list[AxisSets | None]:
    """The axes solved on their own slices hold together: the network runs (is clean) at a size exactly where
    each axis's size is in that axis's set, so an axis whose set is empty empties the others' (a pad to a
    smaller size on W: nothing runs, whatever H)."""
    solved = [forms[a] for a in sliced_axes if forms[a] is not None]
    never_runs = any(_empty(f.runs) for f in solved)  # type: ignore[union-attr]
    never_clean = never_runs or any(_empty(f.clean) for f in solved)  # type: ignore[union-attr]
    if not never_clean:
        return forms
    out = list(forms)
    for a in sliced_axes:
        form = forms[a]
        if form is not None:
            out[a] = AxisSets(runs=SizeSet() if never_runs else form.runs, clean=SizeSet(),
                              same_size=SizeSet() if never_runs else form.same_size, requested=form.requested)
    return out


def _empty(sizes: SizeSet) -> bool:
    return not sizes.residues and not sizes.extra


def _slice(graph: Graph, inputs: dict[str, Tensor], raw_sizes: dict[str, list[Any]], axis: int, training: bool
           ) -> tuple[Graph, dict[str, Tensor], dict[str, list[Any]]] | str:
    """The graph on one spatial axis (``OpModel.along_axis``) and its inputs there, where every node's rules on
    an axis read that axis alone (``OpModel.separable``): the axis's sets do not depend on the other axes'
    sizes then, so a free symbol there does not stop them. Where some node reads several axes: why not."""
    rank = len(graph.first_input.size)
    if any(len(t.size) != rank for t in inputs.values()):
        return "the inputs have different numbers of spatial axes"
    mixing = next((node for node in graph.nodes if not node.op.separable(training)), None)
    if mixing is not None:
        return f"node {mixing.id!r} ({mixing.op.op}) reads more than one axis"
    nodes = tuple(dataclasses.replace(node, op=(op := node.op.along_axis(axis)), size_of=op.size_of_target())
                  for node in graph.nodes)
    specs = tuple(dataclasses.replace(spec, size=[spec.size[axis]]) for spec in graph.inputs)
    tensors = {name: Tensor([t.size[axis]], t.channels, [t.maps[axis]] if t.maps else []) for name, t in inputs.items()}
    return (dataclasses.replace(graph, inputs=specs, nodes=nodes), tensors,
            {name: [sizes[axis]] for name, sizes in raw_sizes.items()})


def _mirrors(inputs: dict[str, Tensor], raw_sizes: dict[str, list[Any]], rank: int, axis: int) -> bool:
    """Every input has ``rank`` axes and the same size on ``axis`` as on axis 0, as given and as resolved."""
    return all(len(t.size) == rank and raw_sizes[name][axis] == raw_sizes[name][0] and t.size[axis] == t.size[0]
               for name, t in inputs.items())


class _Axis:
    def __init__(self, scan: ScanGraph, resolver_factory: Any, inputs: dict[str, Tensor],
                 raw_sizes: dict[str, list[Any]], axis: int, limits: Any) -> None:
        graph = scan.graph
        self.scan = scan
        self.graph = graph
        self.make_resolver = resolver_factory
        self.axis = axis
        self.max_period = getattr(limits, "valid_sizes_max_period", MAX_PERIOD)
        self.max_scan = getattr(limits, "valid_sizes_max_scan", MAX_SCAN)
        self.max_extra = getattr(limits, "valid_sizes_max_extra", MAX_EXTRA)
        self.first = graph.first_input.name
        self.requested = inputs[self.first].size[axis]
        self.varying = self._varying(inputs, raw_sizes)
        self.base = {name: Tensor(list(t.size), t.channels, t.maps) for name, t in inputs.items()}
        # Lenient: merges cropped, refusals monotone in the size (``lenient_graph``). Under align crop or pad
        # and without an unshuffle that is the graph itself: one memo, one run per size.
        self.lenient = lenient_graph(graph, "crop" if graph.align == "none" else graph.align)
        self.outputs = graph.outputs
        self.memo: dict[bool, dict[Any, Any]] = {True: {}, False: {}}
        self.runs: dict[tuple[int, bool], GraphResult | None] = {}
        #: Once the ratios are known (from the first run that passes): the graph walked in memoised blocks.
        self.blocks: Blocks | None = None

    # -- which input entries follow i ------------------------------------------------
    def _varying(self, inputs: dict[str, Tensor], raw_sizes: dict[str, list[Any]]) -> dict[str, list[int]]:
        """The (input, axis) entries that take the value ``i``: the first input's axis, and every entry
        written as the same symbol; any other symbolic entry makes the sets depend on another symbol."""
        mine = raw_sizes[self.first][self.axis]
        out: dict[str, list[int]] = {}
        for name, tensor in inputs.items():
            for a, value in enumerate(tensor.size):
                raw = raw_sizes[name][a]
                if (name, a) == (self.first, self.axis) or (type(mine) is str and raw == mine):
                    out.setdefault(name, []).append(a)
                elif type(value) is not int:
                    raise _OtherSymbol(f"the size of input {name!r} on axis {a} ({raw}) is another free symbol: "
                                       "valid sizes need every other size numeric")
        return out

    def _inputs_at(self, n: int) -> dict[str, Tensor]:
        out = dict(self.base)
        for name, axes in self.varying.items():
            t = self.base[name]
            size = list(t.size)
            for a in axes:
                size[a] = n
            if any(type(v) is not int for v in size):
                raise _NoForm("the input sizes are symbolic on other axes: valid sizes need them numeric")
            out[name] = Tensor(size, t.channels if type(t.channels) is int or t.channels is None else None, t.maps)
        return out

    def _run(self, n: int, *, lenient: bool) -> GraphResult | None:
        """The run at ``n`` (None: refused), evaluated once however often the thresholds and the scan ask."""
        key = (n, lenient and self.lenient is not self.graph)
        if key not in self.runs:
            self.runs[key] = self._evaluate(n, key[1])
        return self.runs[key]

    def _evaluate(self, n: int, lenient: bool) -> GraphResult | None:
        resolver: Resolver = self.make_resolver()
        try:
            if self.blocks is not None:
                return self.blocks.run(resolver, self._inputs_at(n), lenient=lenient)
            return evaluate(self.lenient if lenient else self.graph, resolver, self._inputs_at(n), strict=False,
                            magnitude=False, memo=self.memo[lenient], share=self.scan.share)
        except NeedsSymbolic:
            raise _NoForm("layer parameters are symbolic: valid sizes need numeric parameters") from None
        except ConvplanError:
            return None

    # -- monotone thresholds -----------------------------------------------------------
    def _passes(self, n: int) -> bool:
        """Lenient run (merges cropped, equality-only checks ignored) completes: monotone in ``n``."""
        result = self._run(n, lenient=True)
        if result is None:
            return False
        if result.failure is None:
            return True
        return all(item.type == "size.fixed" for item in result.failure.error.errors)

    def _first(self, predicate: Any, start: int = 1) -> int | None:
        """The smallest ``n >= start`` with ``predicate(n)`` (monotone), by doubling and bisection."""
        if predicate(start):
            return start
        lo, hi = start, max(2 * start, start + 1)
        while not predicate(hi):
            lo, hi = hi, 2 * hi
            if hi > _SEARCH_LIMIT:
                return None
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if predicate(mid):
                hi = mid
            else:
                lo = mid
        return hi

    # -- ratios and the period ------------------------------------------------------------
    def _ratios(self, result: GraphResult) -> tuple[dict[str, Fraction], int, bool]:
        ratios: dict[str, Fraction] = {}
        for name in self.graph.inputs:
            ratios[name.name] = Fraction(1) if self.axis in self.varying.get(name.name, []) else Fraction(0)
        period, bounded = 1, False
        a = self.axis
        for node in self.scan.full.nodes:
            if node.id in self.scan.source:  # transparent: ratio 1 (f(n) = n), no bound
                if self.scan.reached(node.id, result):
                    ratios[node.id] = ratios[node.inputs[0]]
                    period = self._period(period, ratios[node.id], Fraction(1))
                continue
            record = result.by_id.get(node.id)
            if record is None:
                continue
            in_ratios = [ratios[name] for name in node.inputs]
            if not record.input_sizes[0]:  # no spatial axes left (after a flatten): a head, or a ReLU or a
                ratios[node.id] = max(in_ratios)  # dropout on its features; growing where any input grows
                # A head fixes the sizes through the feature count, if it is known (else its check is skipped)
                if node.op.fixed_input_reason(a) is not None and in_ratios[0] != 0 \
                        and record.in_channels[0] is not None:
                    bounded = True
                continue
            try:
                own = node.op.size_ratio(record.shape, a, record.input_sizes[0][a]) if node.op.spatial_output \
                    else Fraction(1)
            except NoClosedForm as exc:
                raise _NoForm(f"node {node.id!r}: {exc}") from None
            if node.size_of is not None and node.op.size_source(a) == "size_of":  # not an axis a crop leaves
                ratios[node.id] = ratios[node.size_of]
            else:
                ratios[node.id] = node.op.output_ratio(record.shape, a, record.input_sizes, in_ratios,
                                                       align=self.lenient.align)  # the probe is lenient
            if node.op.fixed_input_reason(a) is not None and in_ratios[0] != 0:
                bounded = True
            period = self._period(period, in_ratios[0], own)
        # A fixing node the probe did not reach (it refused the probe's size) may grow: assume it does.
        bounded = bounded or any(node.op.fixed_input_reason(a) is not None for node in self.graph.nodes
                                 if node.id not in result.by_id)
        return ratios, period, bounded

    def _period(self, period: int, r_in: Fraction, own: Fraction | None) -> int:
        """``period`` widened so that a shift by it moves this layer's input (ratio ``r_in``) by a multiple
        of the denominator of its own ratio ``own``."""
        if own is None or r_in == 0:
            return period
        q = own.denominator
        u, v = r_in.numerator, r_in.denominator
        need = v * q // gcd(abs(u), v * q)
        period = period * need // gcd(period, need)
        if period > self.max_period:
            raise _NoForm(f"the period of the sizes ({period} or more, the product of the strides) is over "
                          f"the limit {self.max_period}")
        return period

    # -- the scan ----------------------------------------------------------------------
    def _membership(self, n: int) -> tuple[bool, bool, bool, dict[str, Any]]:
        result = self._run(n, lenient=False)
        if result is None or not result.ok:
            return False, False, False, {}
        a = self.axis
        outs = {}
        same = True
        any_spatial = False
        for name in self.outputs:
            record = result.by_id[name]
            if record.node.op.spatial_output and record.shape.output_size:
                any_spatial = True
                size = record.shape.output_size[a]
                outs[name] = size
                same = same and size == n
        clean = all(m.registered is not False for m in result.merges) and not any(
            r.node.op.drops_rows(r.shape, a) for r in result.results if r.node.op.spatial_output and r.input_sizes[0])
        return True, clean, same and any_spatial, outs

    def solve(self) -> AxisSets:
        requested = self.requested if type(self.requested) is int else None
        start = self._first(self._passes)
        empty = AxisSets(runs=SizeSet(), clean=SizeSet(), same_size=SizeSet(), requested=requested)
        if start is None:
            return empty
        probe = self._run(start, lenient=True)
        assert probe is not None
        ratios, period, bounded = self._ratios(probe)
        self.blocks = Blocks(self.graph, self.lenient, ratios, memo=self.memo, share=self.scan.share)
        scan = self.scan
        # The growing maps, the inputs among them: a merge reading x broadcasts it at x = 1 (add(x, conv(x)) with
        # padding runs there alone), so the pattern starts after that.
        growing = [spec.name for spec in scan.full.inputs if ratios.get(spec.name, 0) > 0] + [
            node.id for node in scan.full.nodes if ratios.get(node.id, 0) > 0 and node.op.spatial_output
            and scan.output_size(node.id, probe)]

        def settled(n: int) -> bool:
            result = self._run(n, lenient=True)
            if result is None:
                return False
            return all(scan.output_size(i, result)[self.axis] >= 2 for i in growing
                       if i in result.inputs or scan.reached(i, result))

        stable = self._first(settled, start) or start
        rows: dict[int, tuple[bool, bool, bool, dict[str, Any]]] = {}
        if any(node.op.merges and node.op.broadcasts and len(node.inputs) > 1 for node in scan.full.nodes):
            # A map of size 1 broadcast into a larger one (add, mul) runs where the lenient run, which crops
            # every input to the smallest, refuses: below ``start`` too (the lenient run is no bound there)
            for n in range(1, start):
                self._row(rows, n)
        if bounded:
            end = self._scan_bounded(rows, start, period, ratios)
        elif self._one_period(ratios, probe):
            end = self._scan_periodic(rows, start, stable + period, period, confirm=False)
        else:
            end = self._scan_periodic(rows, start, stable + 2 * period, period,
                                      apart=self._apart(ratios, period, start))
        sets = [self._reduce(rows, start, end, period, ratios, kind, bounded) for kind in range(3)]
        return AxisSets(runs=sets[0], clean=sets[1], same_size=sets[2], requested=requested)

    def _row(self, rows: dict[int, Any], n: int) -> tuple[bool, bool, bool, dict[str, Any]]:
        if len(rows) >= self.max_scan:
            raise _NoForm(f"more than {self.max_scan} sizes would have to be tried (limit)")
        rows[n] = self._membership(n)
        return rows[n]

    def _one_period(self, ratios: dict[str, Fraction], probe: GraphResult) -> bool:
        """Whether membership is periodic from ``stable`` (the first size where no growing map is 1) on, so
        that the scan needs one period beyond it, not a second one confirming the first.

        Proof. For ``n >= start`` every size rule is past its thresholds, so a shift of ``n`` by the period
        ``P`` shifts every node's size by ``P * ratio`` exactly (module docstring). A row's three memberships
        are decided by: the checks of the nodes (thresholds: passed from ``start`` on; divisibility and
        rounding: ``P``-periodic), the merges' and ``size_of``'s comparisons of two sizes (equal, one
        croppable or paddable to the other, broadcast from 1), the merges' registration (their inputs' map
        offsets, after the applied pads), ``drops_rows`` (a layer's unread rows: ``P``-periodic) and the
        outputs' sizes against ``n``. When every compared pair grows at one rate, the difference of the pair
        is ``P``-periodic; for ``n >= stable`` no growing map is 1, and a pair of fixed maps (ratio 0) is
        constant, so broadcasting is periodic too; when every op's map follows its parameters and periodic
        parts only (``OpModel.periodic_map``), every map offset is ``P``-periodic; an output of ratio 1 has
        size ``n`` plus a ``P``-periodic part. So every membership at ``n + P`` equals that at ``n``: the
        period ``[stable, stable + P)`` describes every size above it. Maps growing at different rates (a
        crop of a faster map to a slower one) are what can change after a period, and ask for the second.
        The probe must have reached every node (a node it did not reach has ratios nobody knows)."""
        scan = self.scan
        if not all(scan.reached(node.id, probe) for node in scan.full.nodes):
            return False
        for node in scan.full.nodes:
            if not node.op.periodic_map:
                return False
            if len({ratios.get(name) for name in self._compared(node)}) > 1:
                return False
        return all(ratios.get(name) == 1 for name in self.outputs)

    def _compared(self, node: Node) -> list[str]:
        """The tensors whose sizes ``node`` compares on this axis: its input and its ``size_of`` target where it
        fits this axis to it (a crop with ``axes`` leaves the others alone), a merge's inputs, else none."""
        if node.size_of is not None and node.op.size_source(self.axis) == "size_of":
            return [node.inputs[0], node.size_of]
        return [*node.inputs] if node.op.merges else []

    def _scan_periodic(self, rows: dict[int, Any], start: int, end: int, period: int, *, confirm: bool = True,
                       apart: Any = None) -> int:
        """Scan until the last two periods agree and ``apart`` holds over the last (maps growing at different
        rates are compared: they can meet again after any number of equal periods, as floor(n/2) and n - 8
        do at 15 and 16 only); ``confirm=False``: up to ``end``, whose last period is known to describe every
        size above it (``_one_period``)."""
        n = start
        while True:
            while n < end:
                self._row(rows, n)
                n += 1
            if not confirm or (all(rows[end - 2 * period + k][:3] == rows[end - period + k][:3]
                                   for k in range(period)) and (apart is None or apart(range(end - period, end)))):
                return end
            end += period

    def _apart(self, ratios: dict[str, Fraction], period: int, start: int) -> Any:
        """Where sizes growing at different rates (by ``ratios``) are compared (a merge's inputs, a node and its
        ``size_of``, an output and the input size for ``same_size``), the test that every compared pair has
        parted for good over a window of sizes; None where no such pair is compared. Past the thresholds a
        shift by the period ``P`` moves a pair's difference ``D`` by ``P * (r_a - r_b)`` exactly (module
        docstring), so ``D`` is measured, not predicted: at each size of the window it moved by the same step
        as over the period before, and either it did not move (a pair of one rate) or it has the sign of its
        step, so it is never 0 again and which one is larger no longer changes. Sizes that a node before the
        pair refuses periodically past the thresholds have no gap to measure and are never members; a window
        whose sizes two periods back are below ``start`` (the thresholds) has too little history to tell."""
        pairs: list[tuple[str, str | None]] = []  # None: the input size itself
        diverging = False
        spatial = self.scan.spatial  # after a flatten there are no sizes to compare
        for node in self.scan.full.nodes:
            compared = self._compared(node)
            for other in compared[1:]:
                if compared[0] in spatial and other in spatial:
                    pairs.append((compared[0], other))
                    diverging = diverging or ratios.get(compared[0]) != ratios.get(other)
        for name in self.outputs:
            if name in spatial:
                pairs.append((name, None))
                diverging = diverging or ratios.get(name) != 1
        if not diverging:
            return None
        scan, a = self.scan, self.axis

        def gap(pair: tuple[str, str | None], n: int) -> int | None:
            result = self._run(n, lenient=True)
            if result is None:
                return None
            sizes = []
            for name in pair:
                if name is None:
                    sizes.append(n)
                    continue
                if name not in result.inputs and not scan.reached(name, result):
                    return None
                size = scan.output_size(name, result)
                if not size:
                    return None
                sizes.append(size[a])
            return sizes[0] - sizes[1]

        def apart(window: range) -> bool:
            if window.start - 2 * period < start:  # a gap below the thresholds is no gap: wait for history
                return False
            for n in window:
                for pair in pairs:
                    now, before, earlier = gap(pair, n), gap(pair, n - period), gap(pair, n - 2 * period)
                    if now is None or before is None or earlier is None:
                        continue  # a node before the pair refuses these sizes (odd ones, say): periodically
                    step = now - before
                    if step != before - earlier or (step != 0 and now * step <= 0):
                        return False
            return True
        return apart

    def _scan_bounded(self, rows: dict[int, Any], start: int, period: int, ratios: dict[str, Fraction]) -> int:
        """A fixing node (a linear head, a fixed output_size, a constant operand) on a growing map: the members
        lie in a bounded range, since the fixed quantity grows with the input. Where a node says which input
        sizes it accepts (``OpModel.accepted_sizes``: a constant operand's 1 or its size, which leave a gap
        between), the scan ends once such a node's input, growing, is past them: every larger size is
        refused there. Otherwise: once two periods of non-members follow the last member (or, before any
        member, a long stretch)."""
        a = self.axis
        bounds = [(node.inputs[0], max(accepted)) for node in self.scan.full.nodes
                  if (accepted := node.op.accepted_sizes(a)) is not None and ratios.get(node.inputs[0], 0) > 0]

        def past(n: int) -> bool:
            result = self._run(n, lenient=True)
            if result is None:
                return False
            for name, bound in bounds:
                if name in result.inputs or self.scan.reached(name, result):
                    size = self.scan.output_size(name, result)
                    if size and size[a] > bound:
                        return True
            return False

        n, last = start, None
        quiet = 2 * max(period, 8)
        while True:
            if self._row(rows, n)[0]:
                last = n
            n += 1
            if bounds:
                if past(n - 1):
                    return n
                continue
            if (last is not None and n - last > quiet) or (last is None and n - start > max(4 * period, 4096)):
                return n

    def _reduce(self, rows: dict[int, tuple[bool, bool, bool, dict[str, Any]]], start: int, end: int, period: int,
                ratios: dict[str, Fraction], kind: int, bounded: bool) -> SizeSet:
        member = {n for n, row in rows.items() if row[kind]}
        if bounded:
            return self._finite(sorted(member), rows, ratios, period)
        tail = range(end - period, end)
        residues_m = {n % period for n in tail if n in member}
        # Lowest point from which the periodic pattern describes membership exactly.
        low = end - period
        while low - 1 >= start and ((low - 1) in member) == (((low - 1) % period) in residues_m):
            low -= 1
        extra = tuple(sorted(n for n in member if n < low))
        if not residues_m:  # the extra sizes alone: a bounded set (conv k101 cropped to a stride-2 pool: 101..201)
            return self._finite(list(extra), rows, ratios, period)
        if len(extra) > self.max_extra:
            raise _NoForm(f"{len(extra)} sizes outside the periodic pattern is over the limit {self.max_extra}")
        modulus = _minimal_period(residues_m, period)
        residues = tuple(sorted({r % modulus for r in residues_m}))
        minimum = next((n for n in range(low, low + period) if n % period in residues_m), None)
        out = SizeSet(modulus=modulus, residues=residues, minimum=minimum, extra=extra)
        out.output_size = self._outputs(rows, member, modulus, residues, period, ratios, low)
        return out

    def _finite(self, members: list[int], rows: dict[int, Any], ratios: dict[str, Fraction], period: int) -> SizeSet:
        """Finitely many members: listed (``extra``, the outputs per member) up to the limit on ``extra``; more,
        as ``min..max`` with a period where one describes them exactly, the outputs per residue."""
        if len(members) > self.max_extra:
            ranged = self._range(members, rows, ratios, period)
            if ranged is None:
                raise _NoForm(f"{len(members)} valid sizes in a bounded range is over the limit {self.max_extra}, "
                              "and no period describes them")
            return ranged
        out = SizeSet(modulus=1, residues=(), minimum=None, extra=tuple(members))
        outputs: dict[str, dict[int, int | str | None]] = {}
        for n in members:
            for name, size in rows[n][3].items():
                outputs.setdefault(name, {})[n] = size
        out.output_size = outputs
        return out

    def _range(self, members: list[int], rows: dict[int, Any], ratios: dict[str, Fraction], period: int
               ) -> SizeSet | None:
        """``members`` (sorted, more than ``extra`` may list) as ``{min <= i <= max : i mod m in residues}``
        for the least divisor ``m`` of the period that describes them exactly, if one does."""
        low, high = members[0], members[-1]
        present = set(members)
        for m in (d for d in range(1, period + 1) if period % d == 0):
            residues = {n % m for n in members}
            if all((n in present) == (n % m in residues) for n in range(low, high + 1)):
                out = SizeSet(modulus=m, residues=tuple(sorted(residues)), minimum=low, maximum=high)
                out.output_size = self._outputs(rows, present, m, out.residues, period, ratios, low)
                return out
        return None

    def _outputs(self, rows: dict[int, Any], member: set[int], modulus: int, residues: tuple[int, ...], period: int,
                 ratios: dict[str, Fraction], low: int) -> dict[str, dict[int, int | str | None]]:
        out: dict[str, dict[int, int | str | None]] = {}
        for name in self.outputs:
            per: dict[int, int | str | None] = {}
            slope = ratios.get(name, Fraction(0))
            for r in residues:
                points = [(n, rows[n][3].get(name)) for n in sorted(member) if n >= low and n % modulus == r]
                points = [(n, o) for n, o in points if o is not None]
                if not points:
                    continue
                per[r] = fit_expression(points, slope, period)
            if per:
                out[name] = per
        return out


def _minimal_period(residues: set[int], period: int) -> int:
    for d in range(1, period + 1):
        if period % d == 0 and all((r + d) % period in residues for r in residues):
            return d
    return period


#: The longest period for which a floor of a floor is searched (``fit_expression``): the search grows with the
#: square of the period (a fit that fails takes 3 ms at 16, 78 ms at 64), and the strided chains whose outputs
#: need it have short ones.
MAX_NESTED_PERIOD = 16


def fit_expression(points: list[tuple[int, int]], slope: Fraction, period: int) -> int | str | None:
    """The output as an expression in ``i`` through ``points`` (n, output): ``slope*i + c`` when one intercept
    fits, else ``m*floor((a*i + b)/p) + C`` with ``m*a/p`` the slope, for ``p`` the period or, failing that, a
    divisor of it (MONAI's UNet: 63 and 64 both give 64; ``2*floor((i + 1)/2)`` for two ceil-mode pools;
    ``floor(2*i/3) + 1`` for a stride-2 transposed conv before a stride-3 ceil-mode pool), else that form in
    ``g = floor((i + b)/q)`` for ``q`` a divisor of the period (a strided layer before: ``floor((2*floor(i/3)
    + 2)/3)``, from a stride-3 pool, a stride-2 transposed conv and a stride-3 ceil-mode pool); None when none
    fits. Each is ``slope*i`` plus a part of period ``period``, as the outputs are past the thresholds (module
    docstring), so one that fits a member of each residue fits them all."""
    found = _fit_floor(points, slope, period, "i")
    if found is not None or period > MAX_NESTED_PERIOD:
        return found
    for q in (d for d in range(2, period) if period % d == 0):
        for b in range(q):
            inner = "i" if b == 0 else f"(i + {b})"
            found = _fit_floor([((n + b) // q, o) for n, o in points], slope * q, period // q,
                               f"floor({inner}/{q})")
            if found is not None:
                return found
    return None


def _fit_floor(points: list[tuple[int, int]], slope: Fraction, period: int, x: str) -> int | str | None:
    """``slope*x + c`` or ``m*floor((a*x + b)/p) + C`` through ``points`` (x, output), ``p`` dividing the
    period and prime to ``a`` (``floor((2*x + b)/4)`` is ``floor((x + b//2)/2)``, found at ``p = 2``)."""
    intercepts = {Fraction(o) - slope * n for n, o in points}
    if len(intercepts) == 1:
        return _affine(slope, intercepts.pop(), x)
    for p in (d for d in range(period, 1, -1) if period % d == 0):
        k = slope * p
        if k.denominator != 1 or k <= 0:
            continue
        k = int(k)
        for m in (d for d in range(k, 0, -1) if k % d == 0):  # a = 1 first: K*floor((x + b)/p)
            a = k // m
            if gcd(a, p) != 1:
                continue
            for b in range(p):
                c0 = _one_constant(points, m, a, b, p)
                if c0 is not None:
                    ax = _term(a, x)
                    inner = ax if b == 0 else f"({ax} + {b})"
                    return _term(m, f"floor({inner}/{p})") + _signed(c0)
    return None


def _one_constant(points: list[tuple[int, int]], m: int, a: int, b: int, p: int) -> int | None:
    """The integer ``C`` with ``o = m*floor((a*n + b)/p) + C`` at every point, if there is one."""
    c0 = None
    for n, o in points:
        c = o - m * ((a * n + b) // p)
        if c0 is None:
            c0 = c
        elif c != c0:
            return None
    return int(c0) if c0 is not None and Fraction(c0).denominator == 1 else None


def _signed(c: int) -> str:
    return "" if c == 0 else (f" + {c}" if c > 0 else f" - {-c}")


def _term(m: int, x: str) -> str:
    return x if m == 1 else f"-{x}" if m == -1 else f"{m}*{x}"


def _affine(slope: Fraction, c: Fraction, x: str = "i") -> int | str:
    if slope == 0:
        return int(c) if c.denominator == 1 else f"{c.numerator}/{c.denominator}"
    q = slope.denominator if slope.denominator > 1 else c.denominator
    p, k = slope * q, c * q
    if q == 1:
        return _term(int(p), x) + _signed(int(k))
    return f"({_term(int(p), x)}{_signed(int(k))})/{q}"
