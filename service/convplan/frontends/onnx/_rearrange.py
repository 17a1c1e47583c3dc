"""Reshape / Transpose / Unsqueeze / Squeeze chains on a feature map: PixelShuffle and PixelUnshuffle as the
exporters write them where no DepthToSpace / SpaceToDepth fits.

``nn.PixelUnshuffle`` has no ONNX op of its own: the TorchScript exporter writes it, for a map with dynamic
sizes, as Unsqueeze -> Reshape -> Reshape -> Transpose -> Reshape -> Squeeze
(``torch/onnx/symbolic_opset9.py``, ``pixel_unshuffle``), the dynamo one as Reshape -> Reshape -> Transpose ->
Reshape -> Reshape with targets computed from the map's Shape. Each step here only extends a
:class:`Rearranged` value; once the chain is back at ``(N, C, *spatial)`` it is replayed on concrete shapes in
two sample worlds and recognised: the map itself, ``pixel_unshuffle(f)`` or ``pixel_shuffle(f)`` (the
channels' order among themselves aside: it changes no size and no pixel position). Nothing else is guessed:
a chain that never comes back is refused by whatever reads it, with its nodes listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any

from convplan.frontends.onnx._convert import Importer, Node, UnresolvedChain
from convplan.frontends.onnx._shapes import Leaf, evaluate, leaves
from convplan.frontends.onnx._values import Feature, Rearranged, Unsqueezed

__all__ = ["extend", "refuse_reader"]

#: Spatial sizes of the sample worlds, in multiples of this: every factor up to 10 divides them.
_BASE = 2520
#: Largest pixel (un)shuffle factor recognised.
_MAX_FACTOR = 64


def extend(imp: Importer, node: Node, x: Feature | Unsqueezed | Rearranged,
           step: tuple[Any, ...]) -> Feature | Rearranged:
    """``x`` with one more step; the map it gives back when the chain is recognised (emitted as a node)."""
    here = (node.op_type, imp.label(node))
    if isinstance(x, Rearranged):
        chain = Rearranged(x.feature, (*x.steps, step), (*x.nodes, here), x.source)
    elif isinstance(x, Unsqueezed):
        chain = Rearranged(x.feature, (("unsqueeze", x.axes), step), (("Unsqueeze", x.label), here), x.source)
    else:
        chain = Rearranged(x, (step,), (here,), node.input[0])
    if _rank_after(chain) != chain.feature.rank + 2:
        return chain
    found = _recognise(imp, chain)
    if found is None:
        return chain
    op, factor = found
    f = chain.feature
    if op == "identity":
        return f
    if op == "pixel_unshuffle":
        channels = None if f.channels is None else f.channels * factor**f.rank
        node_id = imp.emit(node.output[0], op, [f.id], downscale_factor=factor)
    else:
        channels = None if f.channels is None else f.channels // factor**f.rank
        node_id = imp.emit(node.output[0], op, [f.id], upscale_factor=factor)
    return imp.register(Feature(node_id, f.rank, channels, (node_id,) * f.rank))


def _rank_after(chain: Rearranged) -> int:
    rank = chain.feature.rank + 2
    for step in chain.steps:
        kind = step[0]
        if kind == "reshape":
            rank = len(step[1])
        elif kind == "unsqueeze":
            rank += len(step[1])
        elif kind == "squeeze":
            rank = rank - len(step[1]) if step[1] is not None else -1  # all size-1 axes: known per world only
    return rank


def _worlds(imp: Importer, chain: Rearranged) -> list[dict[Leaf, int]] | None:
    """Two assignments of the map's batch, channels and spatial sizes (the model's own where its sizes are
    fixed numbers); None when a target reads any other tensor's size."""
    f = chain.feature
    own = {Leaf("", 0), Leaf(f.id, 1), *(Leaf(f.canon[a], 2 + a) for a in range(f.rank))}
    for step in chain.steps:
        if step[0] == "reshape":
            for item in step[1]:
                if not leaves(item) <= own:
                    return None
    fixed = imp.declared_dims(chain.source)
    channels = f.channels if f.channels is not None else _BASE**2  # divisible by f**rank for small f
    if fixed is not None and len(fixed) == f.rank + 2 and all(isinstance(d, int) and d > 0 for d in fixed[2:]):
        sizes = [list(fixed[2:])]
        if f.channels is None and isinstance(fixed[1], int) and fixed[1] > 0:
            channels = fixed[1]
    else:
        sizes = [[_BASE * (2 + a + k) for a in range(f.rank)] for k in (0, 3)]
    return [{Leaf("", 0): 1, Leaf(f.id, 1): channels,
             **{Leaf(f.canon[a], 2 + a): s[a] for a in range(f.rank)}} for s in sizes]


def _replay(chain: Rearranged, world: dict[Leaf, int]) -> list[tuple[str, tuple[int, ...]]] | None:
    """The chain on concrete shapes, as alternating ("R", shape) and ("T", perm) steps (consecutive reshapes
    and transposes merged, no-ops dropped), starting from the map's shape; None where a step cannot run."""
    start = _start(chain.feature, world)
    shape = list(start)
    ops: list[tuple[str, tuple[int, ...]]] = []

    def reshape(new: Sequence[int]) -> None:
        if ops and ops[-1][0] == "R":
            ops.pop()
        if tuple(new) != (start if not ops else _shape_before(ops, start)):
            ops.append(("R", tuple(new)))

    for step in chain.steps:
        kind = step[0]
        if kind == "reshape":
            new = _target(step[1], step[2], shape, world)
            if new is None:
                return None
            shape = new
            reshape(shape)
        elif kind == "unsqueeze":
            out_rank = len(shape) + len(step[1])
            axes = sorted(a % out_rank for a in step[1])
            for a in axes:
                shape.insert(a, 1)
            reshape(shape)
        elif kind == "squeeze":
            axes = [a % len(shape) for a in step[1]] if step[1] is not None else \
                [a for a, d in enumerate(shape) if d == 1]
            if any(shape[a] != 1 for a in axes):
                return None
            shape = [d for a, d in enumerate(shape) if a not in axes]
            reshape(shape)
        else:
            perm = list(step[1]) if step[1] is not None else list(reversed(range(len(shape))))
            if sorted(perm) != list(range(len(shape))):
                return None
            shape = [shape[p] for p in perm]
            if ops and ops[-1][0] == "T":
                before = ops.pop()[1]
                perm = [before[p] for p in perm]
            if perm != list(range(len(perm))):
                ops.append(("T", tuple(perm)))
    if ops and ops[-1][0] == "T":
        ops.append(("R", tuple(shape)))  # the chain's result, for the comparison below
    return ops


def _start(f: Feature, world: dict[Leaf, int]) -> tuple[int, ...]:
    """The map's shape in ``world`` (batch 1)."""
    return (1, world[Leaf(f.id, 1)], *(world[Leaf(f.canon[a], 2 + a)] for a in range(f.rank)))


def _shape_before(ops: list[tuple[str, tuple[int, ...]]], start: tuple[int, ...]) -> tuple[int, ...]:
    """The shape after ``ops``."""
    shape = start
    for kind, value in ops:
        shape = value if kind == "R" else tuple(shape[p] for p in value)
    return shape


def _target(items: Sequence[Any], allowzero: bool, shape: list[int], world: dict[Leaf, int]) -> list[int] | None:
    """A Reshape's target in ``world``: 0 copies the input's dim (unless ``allowzero``), -1 is inferred."""
    out: list[int] = []
    for i, item in enumerate(items):
        try:
            value = evaluate(item, world)
        except (ZeroDivisionError, KeyError):
            return None
        if not isinstance(value, int):
            return None
        if value == 0 and not allowzero:
            if i >= len(shape):
                return None
            value = shape[i]
        out.append(value)
    total = prod(shape)
    if out.count(-1) == 1:
        rest = prod(v for v in out if v != -1)
        if rest <= 0 or total % rest:
            return None
        out[out.index(-1)] = total // rest
    if any(v < 0 for v in out) or prod(out) != total:
        return None
    return out


def _recognise(imp: Importer, chain: Rearranged) -> tuple[str, int] | None:
    worlds = _worlds(imp, chain)
    if worlds is None:
        return None
    found = None
    for world in worlds:
        ops = _replay(chain, world)
        if ops is None:
            return None
        match = _match(ops, _start(chain.feature, world))
        if match is None or (found is not None and match != found):
            return None
        found = match
    return found


def _match(ops: list[tuple[str, tuple[int, ...]]], start: tuple[int, ...]) -> tuple[str, int] | None:
    """What ``ops`` do to a map of shape ``start``: the map itself, or an unshuffle or shuffle by a factor
    (``kernels/shuffle.py``: every spatial axis split / multiplied, the block factors moved to or from the
    channels in any order among them, the spatial axes kept in order)."""
    if not ops:
        return "identity", 1
    if len(ops) != 3 or [k for k, _ in ops] != ["R", "T", "R"]:
        return None
    (_, a), (_, p), (_, b) = ops
    n, c, *sizes = start
    rank = len(sizes)
    if p[0] != 0 or a[0] != n or b[0] != n or len(b) != rank + 2:
        return None
    # unshuffle: a = (N, C, S1/f, f, S2/f, f, ...), spatial quotients last, in order
    if len(a) == 2 + 2 * rank and a[1] == c:
        f = a[3]
        if 2 <= f <= _MAX_FACTOR and all(a[2 + 2 * i] * f == s and a[3 + 2 * i] == f for i, s in enumerate(sizes)) \
                and sorted(p[1:rank + 2]) == [1, *range(3, 3 + 2 * rank, 2)] \
                and list(p[rank + 2:]) == list(range(2, 2 + 2 * rank, 2)) \
                and b == (n, c * f**rank, *(s // f for s in sizes)):
            return "pixel_unshuffle", f
    # shuffle: a = (N, c1, ..., c_{rank+1}, S1, ..., Sr), the channels split into C/f^rank and rank factors f,
    # then each factor after its spatial axis
    if len(a) == 2 + 2 * rank and tuple(a[rank + 2:]) == tuple(sizes) and prod(a[1:rank + 2]) == c:
        group = set(range(1, rank + 2))
        if all(p[2 + 2 * i] == rank + 2 + i for i in range(rank)) and {p[1], *p[3::2]} == group:
            factors = {a[q] for q in p[3::2]}
            if len(factors) == 1:
                (f,) = factors
                if 2 <= f <= _MAX_FACTOR and b == (n, c // f**rank, *(s * f for s in sizes)) \
                        and a[p[1]] * f**rank == c:
                    return "pixel_shuffle", f
    return None


def refuse_reader(value: Rearranged) -> UnresolvedChain:
    """What a node that reads an unrecognised chain raises: the chain's nodes are listed as unsupported."""
    return UnresolvedChain(value.nodes)
