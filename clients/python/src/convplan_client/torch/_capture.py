"""``capture`` / ``to_graph``: an ``nn.Module`` as a ``/v1/graph`` request body (contract section 8).

``torch.export.export`` runs the module's ``forward`` once on fake tensors
(no real compute, no weights copied), with every spatial dim
``Dim.DYNAMIC``: torch's ShapeEnv then states every size, and every size the
code reads (``y.shape[2:]``, ``(a.size(2) - b.size(2)) // 2``), in the
input's symbols. The graph it returns is ATen before decompositions (what
``run_decompositions`` would lower stays whole: ``adaptive_avg_pool2d`` is
one op). Each op is mapped by ``_aten``; the symbols are renamed to the
names the caller gave, or replaced by the ints the caller gave.

Python control flow on sizes (``if a.shape != b.shape: pad``) is traced on
the one path the example size takes; the guards torch records for it, in
the caller's code (guards inside torch itself are PyTorch's own size checks,
which convplan models), come back as ``Capture.guards``: the captured graph
is the network only where they hold. Those that are conditions on one
axis's size become the input's ``where`` conditions (``_guards``), so the
service's valid sets stay inside them; the others are warnings.
"""

from __future__ import annotations

import operator
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from convplan_client.torch._aten import HANDLERS, IGNORED, Op
from convplan_client.torch._expr import UnprintableExpr, print_guard
from convplan_client.torch._graph import Const, Problem, Tensor, Unknown, Walk
from convplan_client.torch._guards import size_conditions

__all__ = ["Capture", "Guard", "UnsupportedModule", "capture", "to_graph"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}\Z")
_BATCH = 2  # not 1: torch specialises size-1 dims, and batch_norm in training refuses one value per channel
_MAX_REASON_LINES = 12


class UnsupportedModule(ValueError):
    """What torch.export refuses, or ops with no layer in the vocabulary: every one, with its module path."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the module cannot be captured ({len(self.problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class Guard:
    """A condition on the input sizes that the traced path of the module's Python code assumed.

    ``text`` is in the expression grammar plus ``== != < <= > >=`` and
    ``and``/``or``, over the body's symbols (an axis given as an int is
    named ``<input>_<dim>``, e.g. ``x_2``); ``where`` is the line of the
    caller's code that branched.
    """

    text: str
    where: str
    expr: Any = field(default=None, repr=False, compare=False)  # SymPy, over Symbols named as in ``text``

    def holds(self, sizes: Mapping[str, int]) -> bool:
        """Whether the guard holds at ``sizes`` (every name of ``text`` -> an int)."""
        import sympy

        value = self.expr.xreplace({sym: sympy.Integer(sizes[sym.name]) for sym in self.expr.free_symbols})
        return bool(value)


@dataclass(frozen=True)
class Capture:
    """The result of ``capture``: the ``/v1/graph`` body, and what the body cannot say.

    - ``body``: the request body (JSON data), as ``to_graph`` returns it;
    - ``guards``: size conditions of the traced path (see ``Guard``);
    - ``warnings``: what was mapped approximately (constant operands, pad values...), and guards the body
      cannot carry as ``where`` conditions;
    - ``seconds``: time spent in ``torch.export`` and the mapping.
    """

    body: dict[str, Any]
    guards: tuple[Guard, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    nodes: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", len(self.body["nodes"]))


def to_graph(module: Any, input_size: Sequence[int | str], in_channels: int, *, example_size: int = 64,
             training: bool = False) -> dict[str, Any]:
    """The ``/v1/graph`` request body for ``module`` (``capture(...).body``)."""
    return capture(module, input_size, in_channels, example_size=example_size, training=training).body


def capture(module: Any, input_size: Sequence[int | str], in_channels: int, *, example_size: int = 64,
            training: bool = False, input_name: str = "x") -> Capture:
    """Capture ``module`` as a graph body, with its guards and warnings.

    ``input_size``: one entry per spatial axis, an int (the size, also the
    example torch traces at) or a symbol name (traced at ``example_size``;
    sizes and amounts read from shapes are expressions in it). Expressions
    over an axis given as an int are evaluated at that int. ``training``
    puts the module in training mode for the trace (restored after) and sets
    the body's ``training``. Raises ``UnsupportedModule`` listing every
    problem.
    """
    sizes = _check_sizes(input_size, example_size)
    if isinstance(in_channels, bool) or not isinstance(in_channels, int) or in_channels < 1:
        raise ValueError(f"in_channels must be an int >= 1, got {in_channels!r}")
    if not _NAME.match(input_name) or input_name == "i":
        raise ValueError(f"input_name must be a name of the grammar other than 'i', got {input_name!r}")
    start = time.perf_counter()
    program = _export(module, sizes, in_channels, training)
    body, guards, warnings = _map(program, input_size, in_channels, training, input_name)
    return Capture(body, guards, warnings, time.perf_counter() - start)


def _check_sizes(input_size: Sequence[int | str], example_size: int) -> list[int]:
    if isinstance(input_size, (str, bytes)) or not 1 <= len(input_size) <= 3:
        raise ValueError(f"input_size must list 1 to 3 spatial sizes, got {input_size!r}")
    if isinstance(example_size, bool) or not isinstance(example_size, int) or example_size < 2:
        raise ValueError(f"example_size must be an int >= 2, got {example_size!r}")
    out = []
    for size in input_size:
        if isinstance(size, str) and _NAME.match(size) and size != "i":
            out.append(example_size)
        elif isinstance(size, int) and not isinstance(size, bool) and size >= 2:
            out.append(size)
        else:
            raise ValueError(f"each input size is an int >= 2 or a symbol name, got {size!r}")
    return out


def _export(module: Any, sizes: list[int], in_channels: int, training: bool) -> Any:
    import torch
    from torch.export import Dim

    example = torch.empty((_BATCH, in_channels, *sizes))
    dims = {2 + k: Dim.DYNAMIC for k in range(len(sizes))}
    was_training = module.training
    module.train(training)
    try:
        return torch.export.export(module, (example,), dynamic_shapes=(dims,), strict=False)
    except Exception as exc:
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        reason = "\n    ".join(lines[:_MAX_REASON_LINES])
        raise UnsupportedModule([Problem("torch.export", "", f"{type(exc).__name__}: {reason}")]) from exc
    finally:
        module.train(was_training)


def _map(program: Any, input_size: Sequence[int | str], in_channels: int, training: bool,
         input_name: str) -> tuple[dict[str, Any], tuple[Guard, ...], tuple[str, ...]]:
    from torch.export.graph_signature import InputKind

    specs = {spec.arg.name: spec for spec in program.graph_signature.input_specs}
    placeholders = [n for n in program.graph.nodes if n.op == "placeholder"]
    user = [n for n in placeholders if specs[n.name].kind == InputKind.USER_INPUT]
    if len(user) != 1:
        raise UnsupportedModule([Problem("forward", "", f"{len(user)} tensor inputs (one is supported)")])
    (x_node,) = user
    shape_env = _shape_env(x_node)
    names, guard_names = _symbol_names(x_node, input_size, input_name)
    replace = shape_env.replace if shape_env is not None else (lambda e: e)
    walk = Walk()
    values: dict[Any, Any] = {}
    params: dict[str, int] = {}
    for node in placeholders:
        spec = specs[node.name]
        if node is x_node:
            values[node] = Tensor(input_name, 2 + len(input_size))
            walk.register(input_name, tuple(replace(s.node.expr) for s in node.meta["val"].shape[2:]))
        else:
            shape = tuple(int(s) for s in node.meta["val"].shape) if hasattr(node.meta.get("val"), "shape") else ()
            values[node] = Const(shape, spec.target)
            if spec.kind == InputKind.PARAMETER and node.users:  # unused: an alias of a shared parameter
                params[spec.target] = node.meta["val"].numel()
    outputs: list[Any] = []
    for node in program.graph.nodes:
        if node.op == "call_function":
            values[node] = _call(node, walk, values, names, replace)
        elif node.op == "output":
            outputs = list(node.args[0])
    if walk.problems:
        raise UnsupportedModule(walk.problems)
    ids = walk.ids({input_name})
    ids[input_name] = input_name
    body_nodes = [{"id": ids[n.key], "op": n.op, "inputs": [ids[k] for k in n.inputs], **n.params}
                  for n in walk.nodes]
    for node in body_nodes:
        if "size_of" in node:
            node["size_of"] = ids[node["size_of"]]
    out_ids = list(dict.fromkeys(ids[values[o].key] for o in outputs if isinstance(values.get(o), Tensor)))
    body: dict[str, Any] = {
        "inputs": [{"name": input_name, "size": list(input_size), "channels": in_channels}],
        "training": training,
        "nodes": body_nodes,
        "outputs": out_ids,
    }
    used = {fqn for n in walk.nodes for fqn in n.fqns}
    warnings = list(walk.warnings)
    unused = {fqn: count for fqn, count in params.items() if fqn not in used}
    if unused:
        listed = ", ".join(f"{fqn} ({count})" for fqn, count in sorted(unused.items()))
        warnings.append(f"parameters that no layer holds, not counted in params: {listed}")
    guards = _guards(shape_env, guard_names)
    axes: dict[str, int] = {}
    for k, name in enumerate(guard_names.values()):
        axes.setdefault(str(name), k)
    values = {str(name): given for name, given in zip(guard_names.values(), input_size) if isinstance(given, int)}
    where, untranslated = size_conditions(guards, axes, values)
    if where:  # the valid sets are the traced path's: inside its guards
        body["inputs"][0]["where"] = where
    return body, guards, (*warnings, *untranslated)


def _call(node: Any, walk: Walk, values: dict[Any, Any], names: dict[str, str | int], replace: Any) -> Any:
    target = node.target
    if target is operator.getitem:
        value = values.get(node.args[0])
        return value[node.args[1]] if isinstance(value, tuple) else value
    schema = getattr(target, "_schema", None)
    if schema is None:  # Python arithmetic on sizes (operator.floordiv, sym_max...): read through meta
        return None
    if schema.name in IGNORED:
        return None
    handler = HANDLERS.get(schema.name)
    if handler is None:
        return _unmapped(node, walk, values)
    try:
        return handler(Op(node, walk, values, names, replace))
    except UnprintableExpr as exc:
        return walk.refuse(node, str(exc))


def _unmapped(node: Any, walk: Walk, values: dict[Any, Any]) -> Any:
    """An op with no handler: folded when it only reads constants (weight standardisation, factories)."""
    found: list[Any] = []

    def collect(arg: Any) -> None:
        if isinstance(arg, (list, tuple)):
            for a in arg:
                collect(a)
        elif arg in values:
            found.append(values[arg])

    for arg in (*node.args, *node.kwargs.values()):
        if hasattr(arg, "meta") or isinstance(arg, (list, tuple)):
            collect(arg)
    if not any(isinstance(v, (Tensor, Unknown)) for v in found):
        val = node.meta.get("val")
        shape = tuple(s if isinstance(s, int) else str(s) for s in getattr(val, "shape", ()))
        return Const(shape)
    return walk.refuse(node, "no layer in the vocabulary")


def _shape_env(x_node: Any) -> Any:
    for size in x_node.meta["val"].shape:
        node = getattr(size, "node", None)
        if node is not None:
            return node.shape_env
    return None


def _symbol_names(x_node: Any, input_size: Sequence[int | str],
                  input_name: str) -> tuple[dict[str, str | int], dict[str, str | int]]:
    names: dict[str, str | int] = {}
    guard_names: dict[str, str | int] = {}
    shape = x_node.meta["val"].shape
    for k, given in enumerate(input_size):
        expr = getattr(getattr(shape[2 + k], "node", None), "expr", None)
        if expr is None or not expr.is_Symbol:
            raise UnsupportedModule([Problem("torch.export", "", f"spatial axis {k} was specialised to {expr}")])
        names[expr.name] = given
        guard_names[expr.name] = given if isinstance(given, str) else f"{input_name}_{2 + k}"
    return names, guard_names


def _guards(shape_env: Any, names: dict[str, str | int]) -> tuple[Guard, ...]:
    """The ShapeEnv's guards raised in the caller's code (not in torch's own files), deduplicated."""
    if shape_env is None:
        return ()
    import sympy
    import torch

    torch_dir = os.path.dirname(torch.__file__) + os.sep
    out: dict[str, Guard] = {}
    for guard in shape_env.guards:
        frame = guard.sloc.framework_loc
        filename = getattr(frame, "filename", None)
        if filename is None or filename.startswith(torch_dir):
            continue
        expr = shape_env.replace(guard.expr)
        try:
            text = print_guard(expr, names)
        except UnprintableExpr:
            text = f"(unprintable guard: {type(guard.expr).__name__})"
        where = f"{_short_path(filename)}:{frame.lineno} in {frame.name}"
        renamed = {sym: sympy.Symbol(str(names[sym.name])) for sym in expr.free_symbols if sym.name in names}
        out.setdefault(text, Guard(text, where, expr.xreplace(renamed)))
    return tuple(out.values())


def _short_path(filename: str) -> str:
    parts = filename.replace(os.sep, "/").split("/")
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1:])
    return "/".join(parts[-3:])
