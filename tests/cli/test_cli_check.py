"""``convplan check MODEL.onnx`` and ``convplan graph FILE.json``: reports and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convplan.cli import main
from convplan.frontends.onnx.example import example_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "onnx"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse: usage errors (2)
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_reports_nodes_merges_and_valid_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(FIXTURES / "unet_paper.onnx"), "--input", "1x1x572x572")
    assert code == 0, err
    assert out.startswith("model: opset 17, pytorch 2.13.0\n  input x: 1x1xHxW\ngraph: 31 nodes")
    assert "572x572 -> 570x570" in out and "merge" in out and "valid input sizes:" in out
    assert out.rstrip().endswith("ok")


def test_check_not_ok_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "m.onnx"
    path.write_bytes(example_model())
    code, out, _ = run(capsys, "check", str(path), "-i", "1x1x31x31")
    assert code == 1 and "mismatch at out" in out and out.rstrip().endswith("NOT OK")


def test_check_json_and_refusals(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "check", str(FIXTURES / "monai_unet.onnx"), "--json", "-i", "1x1x64x64")
    assert code == 0 and set(json.loads(out)) >= {"model", "graph", "analysis", "warnings"}
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx at all")
    code, _, err = run(capsys, "check", str(bad))
    assert code == 1 and "Not an ONNX model" in err
    code, _, err = run(capsys, "check", str(tmp_path / "missing.onnx"))
    assert code == 2 and "cannot read" in err


def test_graph_reads_a_body_from_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "check", str(FIXTURES / "resnet_fpn.onnx"), "--json", "-i", "1x3x64x64")
    body = tmp_path / "graph.json"
    body.write_text(json.dumps(json.loads(out)["graph"]))
    code, out, err = run(capsys, "graph", str(body))
    assert code == 0, err
    assert "upsample" in out
    code, _, err = run(capsys, "graph", str(tmp_path / "none.json"))
    assert code == 2
