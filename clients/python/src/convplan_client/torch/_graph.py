"""The walk over an exported program: FX values, pending nodes, ids, and the problems found.

A value of the exported graph is one of: ``Tensor`` (a body name: the input
or a node), ``Const`` (a parameter, buffer or constant folded from them: an
operand, never a graph value), ``Indices`` (the second output of a max pool,
read by ``max_unpool``), ``Unknown`` (the output of an op already reported as
unsupported: whatever reads it is not reported again), a tuple of those, or
None (symbolic ints, asserts). Ids are assigned after the walk from the
module paths (``Walk.ids``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Const", "Indices", "Pending", "Problem", "Tensor", "Unknown", "Walk", "module_path"]

_ID_CHARS = re.compile(r"[^A-Za-z0-9_./:-]")
_MAX_ID = 128
_HOOK_KEY = "_empty_nn_module_stack_from_metadata_hook"


@dataclass(frozen=True)
class Tensor:
    key: str  # the body input's name or a pending node's key
    rank: int


@dataclass(frozen=True)
class Const:
    shape: tuple[int, ...]
    fqn: str | None = None  # the parameter's or buffer's name, when it is one


@dataclass(frozen=True)
class Indices:
    pool: dict[str, Any]  # the max pool's window parameters


@dataclass(frozen=True)
class Unknown:
    pass


@dataclass(frozen=True)
class Problem:
    op: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.op} at {self.path or '<top>'}: {self.reason}"


@dataclass
class Pending:
    key: str
    path: str
    op: str
    inputs: list[str]
    params: dict[str, Any]
    owns_params: bool = False
    fqns: list[str] = field(default_factory=list)


def module_path(node: Any) -> str:
    """The innermost module of an FX node, as its dotted path in the root module ('' for the root)."""
    stack = node.meta.get("nn_module_stack") or {}
    paths = [path for key, (path, _) in stack.items() if key != _HOOK_KEY]
    return paths[-1] if paths else ""


def _legal(text: str) -> str:
    text = _ID_CHARS.sub("_", text) or "_"
    if not (text[0].isalpha() or text[0] == "_"):
        text = "_" + text
    return text[:_MAX_ID]


class Walk:
    def __init__(self) -> None:
        self.nodes: list[Pending] = []
        self._keys: set[str] = set()
        self.sizes: dict[tuple[Any, ...], str] = {}  # spatial size (SymPy) -> the first tensor of that size
        self.axis_sizes: dict[tuple[int, Any], str] = {}  # (axis, size) -> the first tensor of that size there
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def register(self, key: str, spatial: tuple[Any, ...]) -> None:
        self.sizes.setdefault(spatial, key)
        for axis, size in enumerate(spatial):
            self.axis_sizes.setdefault((axis, size), key)

    def emit(self, fx_node: Any, op: str, inputs: list[Tensor], rank: int, params: dict[str, Any],
             consts: tuple[Const | None, ...] = ()) -> Tensor:
        path = module_path(fx_node)
        fqns = [c.fqn for c in consts if c is not None and c.fqn is not None]
        owns = any(fqn.rsplit(".", 1)[0] == path for fqn in fqns)
        key, n = fx_node.name, 1
        while key in self._keys:
            n += 1
            key = f"{fx_node.name}#{n}"
        self._keys.add(key)
        node = Pending(key, path, op, [t.key for t in inputs], params, owns, fqns)
        self.nodes.append(node)
        return Tensor(node.key, rank)

    def refuse(self, fx_node: Any, reason: str) -> Unknown:
        self.problems.append(Problem(_op_name(fx_node), module_path(fx_node), reason))
        return Unknown()

    def ids(self, taken: set[str]) -> dict[str, str]:
        """Node key -> id: the module path for a module's node that holds its parameters (else its first),
        ``path:op`` for the others; ops of the root module by op name; clashes suffixed ``_2``..."""
        primary: dict[str, Pending] = {}
        for node in self.nodes:
            if node.path and (node.path not in primary or (node.owns_params and not primary[node.path].owns_params)):
                primary[node.path] = node
        out: dict[str, str] = {}
        used = set(taken)
        for node in self.nodes:
            if node.path and primary.get(node.path) is node:
                base = _legal(node.path)
            else:
                base = _legal(f"{node.path}:{node.op}" if node.path else node.op)
            name, n = base, 1
            while name in used or name == "i":
                n += 1
                name = f"{base[: _MAX_ID - 1 - len(str(n))]}_{n}"
            used.add(name)
            out[node.key] = name
        return out


def _op_name(fx_node: Any) -> str:
    target = fx_node.target
    schema = getattr(target, "_schema", None)
    if schema is not None:
        overload = schema.overload_name
        return f"{schema.name}" + (f".{overload}" if overload else "")
    return str(getattr(target, "__name__", target))
