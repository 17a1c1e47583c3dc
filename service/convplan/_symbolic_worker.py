"""A symbolic worker process: ``python -m convplan._symbolic_worker``.

Reads framed requests ``(entry, payload, limits, seconds, error)`` from stdin and writes
framed replies to stdout (4-byte big-endian length, then a pickle). Only the
parent process, which is our own code, ever writes to this pipe.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import pickle
import struct
import sys
from typing import Any, BinaryIO

from convplan import budget, errors
from convplan.errors import BudgetExhausted, ConvplanError
from convplan.symbolic import call_entry

__all__ = ["main", "read_frame", "write_frame"]

_HEADER = struct.Struct(">I")


def write_frame(stream: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (length,) = _HEADER.unpack(header)
    return pickle.loads(stream.read(length))


def main() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(BrokenPipeError):  # the parent closed the pipes (shut down, or dropped this worker)
        _serve()


def _serve() -> None:  # pragma: no cover - runs in the child
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing else may write into the reply pipe
    importlib.import_module("convplan.shapes")  # warm the imports before saying ready
    with contextlib.suppress(ImportError):
        importlib.import_module("convplan.plan")
    # Full collections traverse every tracked object: with SymPy, NumPy and the models imported, one took
    # ~90 ms in the middle of a 150 ms analysis (unet_300 in benchmarks/onnx_import.py, every other request).
    # The imports' objects are never garbage: frozen, collections skip them; and full collections run between
    # requests (after the reply), where the request's objects are gone, not during one (young collections
    # still run: cycles made and dropped within a request are freed as it goes).
    gc.freeze()
    threshold0, threshold1, _ = gc.get_threshold()
    gc.set_threshold(threshold0, threshold1, 1 << 30)
    write_frame(replies, "ready")
    requests = sys.stdin.buffer
    while True:
        gc.collect()
        try:
            entry, payload, limits, seconds, error = read_frame(requests)
        except EOFError:
            return
        try:
            with budget.limit(seconds):
                result = call_entry(entry, payload, limits)
            write_frame(replies, ("ok", result))
        except BudgetExhausted as stop:  # the refusal the parent named (symbolic or numeric work)
            exc = getattr(errors, error).after(stop.elapsed, stop.seconds)
            write_frame(replies, ("error", error, exc.detail, [e.as_dict() for e in exc.errors], exc.extra))
        except ConvplanError as exc:
            items = [e.as_dict() for e in exc.errors]
            write_frame(replies, ("error", type(exc).__name__, exc.detail, items, exc.extra))
        except (RecursionError, MemoryError):
            write_frame(replies, ("error", "InvalidRequest", "expression too complex to evaluate", [], {}))
        except Exception:  # a bug: say so (the parent logs it and answers 500), never pose as a time-out
            import traceback

            write_frame(replies, ("bug", traceback.format_exc()))


if __name__ == "__main__":
    main()
