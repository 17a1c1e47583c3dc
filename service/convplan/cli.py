"""``convplan`` command line: one subcommand per module in ``convplan.commands``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from convplan import __version__
from convplan.commands import register_all

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convplan", description="Shapes and plans for convolutional networks.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    register_all(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    # KEY=VALUE words may follow options (`compute OP --input x k=2`), which a
    # positional list does not take once options came between: a command that
    # takes them (`params` in its namespace) gets the leftover words (it checks them).
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "params") and not any(word.startswith("-") for word in extra):
        args.params = [*args.params, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
