"""Cross-checks against PyTorch (skipped without torch): the planner's sizes and crops are what a real
forward pass produces, and its parameter count is the module's."""

from __future__ import annotations

from typing import Any

import pytest

from .stacks import plan, unet

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
nn = torch.nn


def _torch_unet(base: int, depth: int = 4, classes: int = 2) -> Any:
    ch = [base * 2**j for j in range(depth + 1)]

    def block(cin: int, cout: int) -> Any:
        return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU(), nn.Conv2d(cout, cout, 3), nn.ReLU())

    class UNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.down = nn.ModuleList([block(1, ch[0])] + [block(ch[j - 1], ch[j]) for j in range(1, depth + 1)])
            self.up = nn.ModuleList([nn.ConvTranspose2d(ch[j + 1], ch[j], 2, 2) for j in range(depth)])
            self.dec = nn.ModuleList([block(2 * ch[j], ch[j]) for j in range(depth)])
            self.head = nn.Conv2d(ch[0], classes, 1)

        def forward(self, x: Any) -> tuple[Any, list]:
            skips, crops = [], []
            for j, stage in enumerate(self.down):
                if j:
                    x = nn.functional.max_pool2d(x, 2)
                x = stage(x)
                skips.append(x)
            for j in reversed(range(depth)):
                x = self.up[j](x)
                d = skips[j].shape[-1] - x.shape[-1]
                crops.append(d // 2)
                s = skips[j][..., d // 2: d // 2 + x.shape[-2], d // 2: d // 2 + x.shape[-1]]
                x = self.dec[j](torch.cat([s, x], 1))
            return self.head(x), crops

    return UNet()


def test_unet_572_against_a_forward_pass() -> None:
    out, crops = _torch_unet(base=2)(torch.zeros(1, 1, 572, 572))
    ours = plan({"input_size": [572, 572], "in_channels": 1, "template": unet(base_channels=2)})
    assert list(out.shape[-2:]) == ours["output_size"]
    assert crops == [s["crop"][0][0] for s in ours["skips"]]


def test_unet_params() -> None:
    model = _torch_unet(base=64)
    assert sum(p.numel() for p in model.parameters()) == plan(
        {"input_size": [572, 572], "in_channels": 1, "template": unet()})["params"]


def test_strided_conv_unet_output_padding() -> None:
    ours = plan({"input_size": [101], "template": {"name": "unet", "depth": 3, "convs_per_stage": 0,
                                                   "out_channels": None,
                                                   "down": {"op": "conv", "kernel_size": 3, "stride": 2,
                                                            "padding": 1},
                                                   "up": {"op": "conv_transpose", "kernel_size": 3, "stride": 2,
                                                          "padding": 1}}, "align": "pad"})
    for skip in ours["skips"]:
        up = nn.ConvTranspose1d(1, 1, 3, 2, 1, output_padding=skip["output_padding"][0])
        x = torch.zeros(1, 1, (skip["decoder_size"][0] + 2) // 2)  # the map below: (o + 1 - op) / 2
        assert up(x).shape[-1] == skip["encoder_size"][0]
