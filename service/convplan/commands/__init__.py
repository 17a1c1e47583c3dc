"""CLI subcommands, one module each.

A command module defines ``register(subparsers)``, which adds its parser and
sets ``handler=<function(args) -> int>`` as a default. Modules here are found
automatically (alphabetical order): adding ``commands/shape.py`` adds
``convplan shape``. Import heavy things inside the handler, not at module
level, so ``convplan --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil

__all__ = ["register_all"]


def register_all(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        importlib.import_module(f"{__name__}.{module.name}").register(subparsers)
