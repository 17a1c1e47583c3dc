"""``convplan check package.module:Class``: the Python-target half of ``check`` (commands/_check_module.py)."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

import pytest

from convplan.commands._check_module import (
    UsageError,
    add_module_options,
    is_module_target,
    load_module,
    parse_input,
    run_module,
)

NET = textwrap.dedent(
    """
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self, width=4):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))

        def forward(self, x):
            return self.body(x)

    def small():
        return Net(width=2)

    not_a_module = 3
    """
)


@pytest.fixture
def user_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "user_nets_for_check.py").write_text(NET, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return "user_nets_for_check"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convplan check")
    parser.add_argument("model")
    parser.add_argument("--input", action="append", default=[])
    parser.add_argument("--align")
    parser.add_argument("--training", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--url")
    parser.add_argument("--timeout", type=float, default=60.0)
    add_module_options(parser)
    return parser


def test_targets_are_told_from_files(tmp_path: Path) -> None:
    assert is_module_target("pkg.nets:UNet") and is_module_target("nets:build.unet")
    assert not is_module_target("unet.onnx") and not is_module_target("C:/models/unet.onnx")
    assert not is_module_target("nets:")


def test_input_is_channels_then_spatial_sizes() -> None:
    assert parse_input(["3x256x256"]) == (3, [256, 256])
    assert parse_input(["1xHxW"]) == (1, ["H", "W"])
    assert parse_input(["1x96x96x64"]) == (1, [96, 96, 64])
    for bad in (["256"], ["Cx256"], ["3x0x4"], ["3x256x256", "3x1x1"], []):
        with pytest.raises(UsageError):
            parse_input(bad)


def test_a_class_a_factory_and_a_non_module(user_package: str) -> None:
    pytest.importorskip("torch")
    assert load_module(f"{user_package}:Net").body[0].out_channels == 4
    assert load_module(f"{user_package}:small").body[0].out_channels == 2
    with pytest.raises(UsageError, match=r"not an nn\.Module"):
        load_module(f"{user_package}:not_a_module")
    with pytest.raises(UsageError, match="no attribute"):
        load_module(f"{user_package}:Missing")
    with pytest.raises(UsageError, match="cannot import"):
        load_module("no_such_package_here:Net")


def test_body_prints_the_captured_graph(user_package: str, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    parser = _parser()
    args = parser.parse_args([f"{user_package}:Net", "--input", "3xHxW", "--body", "--align", "crop"])
    assert run_module(args, parser, report=str) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["inputs"] == [{"name": "x", "size": ["H", "W"], "channels": 3}]
    assert [(n["id"], n["op"]) for n in body["nodes"]] == [("body.0", "conv"), ("body.1", "relu"),
                                                           ("body.2", "max_pool")]
    assert body["align"] == "crop"


def test_usage_errors_exit_2(user_package: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = _parser()
    args = parser.parse_args([f"{user_package}:Net", "--input", "256x256x"])
    assert run_module(args, parser, report=str) == 2
    assert "--input" in capsys.readouterr().err


def test_check_runs_a_python_target_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    from convplan.cli import main

    (tmp_path / "tinynet_cli.py").write_text(
        "import torch.nn as nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 8, 3, padding=1)\n"
        "        self.pool = nn.MaxPool2d(2)\n"
        "        self.up = nn.ConvTranspose2d(8, 8, 2, stride=2)\n"
        "    def forward(self, x):\n"
        "        y = self.conv(x)\n"
        "        return y + self.up(self.pool(y))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["check", "tinynet_cli:Net", "--input", "3x32x32"]) == 0
    out = capsys.readouterr().out
    assert "conv_transpose" in out and "runs      i mod 2 in [0], 2 <= i" in out
