"""``convplan compare``: grids, tensor arguments (JSON, .json, .npy, stdin), refusals and exit statuses."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from convplan.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_1d_grids_line_up(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compare", "[1, 2, 4]", "-f", "2")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "input 1x1x3, scale factor 2:"
    assert lines[lines.index("nearest  1x1x6") + 1] == "   1    1    2    2    4    4"
    assert lines[lines.index("bilinear  1x1x6") + 1] == "   1 1.25 1.75  2.5  3.5    4"
    assert lines[lines.index("conv_transpose  1x1x6") + 1] == "0.75 1.25 1.75  2.5  3.5    3"
    assert "overlap (taps per output phase): axis 0: {1,3} {0,2} uniform" in lines
    assert lines[-1] == "   1    2    2    2    2    1"  # coverage
    assert "bicubic" not in out and "max_unpool" not in out


def test_2d_methods_and_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compare", "[[1, 2], [3, 4]]", "-f", "2", "--methods", "bicubic,conv_transpose",
                         "--weight", "[[[[1, 1, 1], [1, 1, 1], [1, 1, 1]]]]")
    assert code == 0, err
    assert "bicubic  1x1x4x4" in out and "conv_transpose  1x1x4x4" in out
    assert "axis 0: {1} {0,2} uneven; axis 1: {1} {0,2} uneven" in out
    assert "warnings:" in out and "Distill 2016" in out


def test_max_unpool_and_several_planes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compare", "[[[5, 4], [1, 2]]]", "-f", "2", "--methods", "max_unpool",
                         "--pooled-from", "[[[1, 5, 4, 2], [1, 0, 0, 2]]]")
    assert code == 0, err
    lines = out.splitlines()
    start = lines.index("max_unpool  1x2x4")
    assert lines[start + 1:start + 5] == ["n=0 c=0:", "  0 5 4 0", "n=0 c=1:", "  1 0 0 2"]


def test_npy_json_file_and_stdin(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    np.save(tmp_path / "x.npy", np.ones((1, 1, 2, 2, 2)))
    code, out, err = run(capsys, "compare", str(tmp_path / "x.npy"), "-f", "2", "--methods", "nearest")
    assert code == 0, err
    assert "nearest  1x1x4x4x4" in out and "[3]" in out  # 3-D: one grid per leading index
    (tmp_path / "x.json").write_text("[3, 1]")
    code, out, _ = run(capsys, "compare", str(tmp_path / "x.json"), "-f", "3", "--methods", "nearest", "--json")
    assert code == 0
    assert json.loads(out)["methods"]["nearest"]["output"] == [[[3, 3, 3, 1, 1, 1]]]
    monkeypatch.setattr("sys.stdin", io.StringIO("[7]"))
    code, out, _ = run(capsys, "compare", "-", "-f", "2", "--methods", "nearest")
    assert code == 0 and "7 7" in out


def test_refusal_exits_1_and_bad_tensor_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "compare", "[1, 2]", "-f", "2", "--methods", "bicubic")
    assert code == 1
    assert "body.methods.0: bicubic is 2-D only" in err
    code, _, err = run(capsys, "compare", "[1, 2", "-f", "2")
    assert code == 2 and "input:" in err
    code, _, err = run(capsys, "compare", "7", "-f", "2")
    assert code == 2 and "expected a tensor" in err
