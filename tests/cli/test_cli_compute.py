"""``convplan compute``: tensors from JSON or .npy, KEY=VALUE parameters, the --explain view."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli.test_cli_commands import run

SEED = ["--input", "[[[[1,2],[3,4]]]]", "--weight", "[[[[1,1,1],[1,1,1],[1,1,1]]]]", "stride=2"]


def test_conv_transpose_explain_prints_the_grids_and_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compute", "conv_transpose", *SEED, "--explain")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "conv_transpose: input (1, 1, 2, 2) -> output (1, 1, 5, 5)"
    zero_inserted = lines.index("zero_inserted (stride - 1 zeros between neighbours), (1, 1, 3, 3):")
    assert lines[zero_inserted + 1 : zero_inserted + 4] == ["    1 0 2", "    0 0 0", "    3 0 4"]
    padded = next(i for i, line in enumerate(lines) if line.startswith("padded"))
    assert "(1, 1, 7, 7)" in lines[padded]
    assert lines[padded + 3] == "    0 0 1 0 2 0 0"
    assert "     4  4 10  6  6" in lines  # the output, right-aligned
    matrix = next(i for i, line in enumerate(lines) if line.startswith("conv matrix C"))
    assert "(4, 25)" in lines[matrix] and "output = C^T @ input" in lines[matrix]
    assert lines[matrix + 1].split() == [str(v) for v in [1, 1, 1, 0, 0] * 2 + [1, 1, 1] + [0] * 12]


def test_json_is_the_api_answer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compute", "conv_transpose", *SEED, "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["shape"] == [1, 1, 5, 5]
    assert answer["output"][0][0][2] == [4.0, 4.0, 10.0, 6.0, 6.0]


def test_npy_and_json_files_give_the_same_answer(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    x = np.arange(32.0).reshape(1, 2, 4, 4)
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "x.json").write_text(json.dumps(x.tolist()))
    answers = []
    for name in ("x.npy", "x.json"):
        code, out, err = run(capsys, "compute", "max_pool", "--input", str(tmp_path / name), "kernel_size=2", "--json")
        assert code == 0, err
        answers.append(json.loads(out))
    assert answers[0] == answers[1]
    assert answers[0]["output"][0][1] == [[21.0, 23.0], [29.0, 31.0]]


def test_planes_are_labelled_and_bare_words_are_strings(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compute", "upsample", "--input", "[[[1,2],[3,4]]]", "scale_factor=2", "mode=nearest")
    assert code == 0, err
    assert "  [sample 0, channel 1]" in out
    assert "    3 3 4 4" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["max_pool", "kernel_size=2"], "--input is required"),
        (["max_pool", "--input", "[[[1,2]]]", "kernel_size"], "expected KEY=VALUE"),
        (["max_pool", "--input", "nowhere.npy", "kernel_size=2"], "no such file"),
        (["max_pool", "--input", "[[[1,2]", "kernel_size=2"], "not JSON"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, _, err = run(capsys, "compute", *argv)
    assert code == 2
    assert message in err


def test_refusal_exits_1_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "compute", "conv", "--input", "[[[1,2]]]", "--weight", "[[[1,2,3]]]")
    assert code == 1
    assert "error 422" in err and "kernel size" in err


def test_unknown_words_are_still_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "shape", "8", "conv:k=3", "--bogus")
    assert code == 2 and "unrecognized arguments: --bogus" in err
