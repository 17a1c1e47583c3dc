"""``convplan shape`` and ``convplan plan``: tables, JSON, errors and exit statuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from convplan.cli import main
from tests.client.client_helpers import closed_port

ROOT = Path(__file__).resolve().parents[2]

UNET_ENCODER = [
    "conv:k=3,c=64", "relu", "conv:k=3,c=64", "relu", "max_pool:k=2",
    "conv:k=3,c=128", "relu", "conv:k=3,c=128", "relu", "max_pool:k=2",
    "conv:k=3,c=256", "relu", "conv:k=3,c=256", "relu", "max_pool:k=2",
    "conv:k=3,c=512", "relu", "conv:k=3,c=512", "relu", "max_pool:k=2",
    "conv:k=3,c=1024", "relu", "conv:k=3,c=1024",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_shape_unet_encoder_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "shape", "572x572", "-c", "1", *UNET_ENCODER)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["#", "layer", "input", "output", "channels", "formula", "params"]
    first = lines[2].split()
    assert first[:6] == ["0", "conv:k=3,c=64", "572x572", "570x570", "1", "->"]
    assert first[-1] == "640"
    pool = lines[2 + 4].split()
    assert pool[:4] == ["4", "max_pool:k=2", "568x568", "284x284"]
    assert "floor(i/2)" in lines[2 + 4]
    last = lines[2 + len(UNET_ENCODER) - 1].split()
    assert last[3] == "28x28"
    assert "output 28x28 x 1,024 channels" in out


def test_shape_json_matches_the_api(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "shape", "572", "conv:3", "max_pool:2", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["output_size"] == [285]
    assert [layer["op"] for layer in data["layers"]] == ["conv", "max_pool"]


def test_shape_symbolic(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "shape", "16*n", "conv:k=3", "conv:k=3", "max_pool:k=2", "--json")
    assert code == 0, err
    (size,) = json.loads(out)["output_size"]
    assert isinstance(size, str) and "n" in size


def test_shape_api_refusal_exits_1_with_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "shape", "5", "conv:k=3", "conv:k=3", "max_pool:k=2")
    assert code == 1
    assert err.startswith("error 422")
    assert "body.layers.2" in err
    assert "computed before the error" in out  # the layers before the failing one
    code, _, err = run(capsys, "shape", "5", "conv:k=3,bogus=1")
    assert code == 1 and "body.layers.0" in err


def test_shape_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "shape", "5", "conv:k=3,zz")
    assert code == 2 and "KEY=VALUE" in err
    code, _, err = run(capsys, "shape", "5")
    assert code == 2 and "usage:" in err


@pytest.mark.parametrize("command", ["shape", "plan"])
def test_help_has_examples(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "examples:" in out and f"convplan {command} " in out


def test_shape_over_http_equals_in_process(capsys: pytest.CaptureFixture[str], cli_server: str) -> None:
    args = ("shape", "572x572", "-c", "1", *UNET_ENCODER, "--json")
    code, local, _ = run(capsys, *args)
    assert code == 0
    code, remote, _ = run(capsys, *args, "--url", cli_server)
    assert code == 0
    assert json.loads(local) == json.loads(remote)
    code, _, err = run(capsys, "shape", "5", "conv:k=7", "--url", cli_server)
    assert code == 1 and "error 422" in err and "body.layers.0" in err


def test_unreachable_server_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "shape", "5", "conv:k=3", "--url", f"http://127.0.0.1:{closed_port()}")
    assert code == 1 and "no answer" in err


def test_entry_point_runs(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "service"), env.get("PYTHONPATH")) if p)
    env.pop("CONVPLAN_BASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "convplan.cli", "shape", "572", "conv:k=3,c=64", "max_pool:2", "-c", "1"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "output 285 x 64 channels" in done.stdout


def _has_plan() -> bool:
    from convplan.app import create_app

    return "/v1/plan" in create_app().openapi()["paths"]


needs_plan = pytest.mark.skipif(not _has_plan(), reason="POST /v1/plan has not landed yet (planner in progress)")


def test_plan_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "plan", "--input", "572")
    assert code == 2 and "TEMPLATE" in err
    code, _, err = run(capsys, "plan", "unet", "--depth", "4")
    assert code == 2 and "--input" in err


@needs_plan
def test_plan_unet_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "unet", "--depth", "4", "--padding", "valid", "--input", "572",
                         "--valid-sizes")
    assert code == 0, err
    assert "-> output 388" in out
    assert "enc 3 -> dec 0" in out and "enc 0 -> dec 3" in out
    assert "valid input sizes:" in out and "572" in out
    code, out, _ = run(capsys, "plan", "unet", "--depth", "4", "--padding", "valid", "--input", "572", "--json")
    data = json.loads(out)
    assert data["output_size"] == [388] and len(data["skips"]) == 4
    assert 572 % data["valid_input_sizes"][0]["modulus"] in data["valid_input_sizes"][0]["residues"]


@needs_plan
def test_plan_unet_same(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "unet", "--depth", "4", "--padding", "same", "--input", "576", "--json")
    assert code == 0, err
    assert json.loads(out)["output_size"] == [576]


# A plan answered "not ok" exited 0, so a script could not tell it from a good one.
def test_plan_not_ok_exits_1_and_still_prints_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "unet", "--depth", "4", "--padding", "same", "--input", "572",
                       "--align", "none")
    assert code == 1
    assert "NOT OK" in out and "mismatch:" in out
    code, out, _ = run(capsys, "plan", "unet", "--depth", "4", "--padding", "same", "--input", "572",
                       "--align", "none", "--json")
    assert code == 1 and json.loads(out)["ok"] is False


def test_plan_ok_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "unet", "--depth", "2", "--padding", "same", "--input", "64")
    assert code == 0, err
    assert "; ok" in out


def test_plan_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "plan", "--help")
    assert "1 it is not ok" in out
def test_plan_writes_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import xml.etree.ElementTree as ET

    out = tmp_path / "unet.svg"
    assert main(["plan", "unet", "--depth", "2", "--input", "64", "--svg", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert ET.parse(out).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def test_check_writes_the_graph_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import xml.etree.ElementTree as ET

    from convplan.frontends.onnx.example import example_model

    model = tmp_path / "tiny.onnx"
    model.write_bytes(example_model())
    out = tmp_path / "tiny.svg"
    assert main(["check", str(model), "--svg", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert ET.parse(out).getroot().tag == "{http://www.w3.org/2000/svg}svg"
