"""What an op name that is none of ours most likely meant, for the refusal's message.

Designers type ``torch.nn``'s class names (``Conv2d``, ``ConvTranspose2d``, ``BatchNorm2d``, ``ReLU``) or its
functionals (``interpolate``, ``cat``): ops here are those names in snake case without the rank (the input
size gives it), so case, underscores and a ``1d``/``2d``/``3d`` suffix are ignored, and the command line's
aliases (each op's ``cli_names``) count. Else the closest name by spelling, if one is close.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from convplan.ops._base import OPS

__all__ = ["suggest_op", "unknown_op_message"]

#: torch.nn / torch.nn.functional names whose snake case is not the op's (contract section 2 names the ops).
_TORCH_NAMES = {
    "interpolate": "upsample", "upsamplingnearest": "upsample", "upsamplingbilinear": "upsample",
    "cat": "concat", "zeropad": "pad", "constantpad": "pad", "reflectionpad": "pad", "replicationpad": "pad",
    "circularpad": "pad", "maxunpool": "max_unpool", "lppool": "lp_pool",
}
_RANK = re.compile(r"[123]d$")


def _key(name: str) -> str:
    return re.sub(r"[\W_]", "", name.lower())


@lru_cache(maxsize=1)
def _index() -> Mapping[str, str]:
    """Built at the first refusal: the registry is filled by then (every op module imported)."""
    index = {_key(alias): op for alias, op in _TORCH_NAMES.items()}
    for model in dict.fromkeys(OPS.values()):
        index.update({_key(alias): op for alias, op in model.cli_names.items()})
    index.update({_key(name): name for name in OPS})
    return index


def suggest_op(name: str, ops: Iterable[str] | None = None) -> str | None:
    """The op ``name`` most likely meant (among ``ops``, default every op), or None."""
    allowed = None if ops is None else set(ops)
    index = {k: v for k, v in _index().items() if allowed is None or v in allowed}
    key = _key(name)
    for candidate in (key, _RANK.sub("", key)):
        if candidate in index:
            return index[candidate]
    close = difflib.get_close_matches(key, list(index), n=1, cutoff=0.8)
    return index[close[0]] if close else None


def unknown_op_message(name: str, ops: Iterable[str] | None = None, what: str = "ops") -> str:
    """``unknown op 'Conv2d': did you mean 'conv'? ...``, or the list of ``ops`` where nothing is close."""
    names = list(OPS if ops is None else ops)
    guess = suggest_op(name, names)
    if guess is not None and guess != name:
        return (f"unknown op {name!r}: did you mean {guess!r}? (op names are torch.nn's in snake case, without "
                "1d/2d/3d: the input size gives the rank)")
    return f"unknown op {name!r}; {what}: {', '.join(names)}"
