"""Hand-written networks for the capture tests (import only after ``pytest.importorskip("torch")``).

Each one reads sizes in its forward the way real code does: the U-Net
paper's centre crops, FCN-8s's fixed-offset crops to the upsampled score, an
FPN's ``F.interpolate(size=...)``, UNet++'s nested skips.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["FCN8s", "ResNetFPN", "UNetPaper", "UNetPlusPlus"]


def _double(cin: int, cout: int, padding: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=padding), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=padding), nn.ReLU(inplace=True))


def _centre_crop(skip: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    dh = (skip.shape[2] - like.shape[2]) // 2
    dw = (skip.shape[3] - like.shape[3]) // 2
    return skip[:, :, dh:dh + like.shape[2], dw:dw + like.shape[3]]


class UNetPaper(nn.Module):
    """Ronneberger et al. 2015: valid 3x3 convs, 2x2 pools, 2x2 up-convs, skips centre-cropped (572 -> 388)."""

    def __init__(self, width: int = 4, depth: int = 4) -> None:
        super().__init__()
        chans = [width * 2**d for d in range(depth + 1)]
        self.down = nn.ModuleList([_double(1 if d == 0 else chans[d - 1], chans[d], 0) for d in range(depth)])
        self.pool = nn.MaxPool2d(2)
        self.bottom = _double(chans[-2], chans[-1], 0)
        self.up = nn.ModuleList([nn.ConvTranspose2d(chans[d + 1], chans[d], 2, stride=2)
                                 for d in reversed(range(depth))])
        self.dec = nn.ModuleList([_double(2 * chans[d], chans[d], 0) for d in reversed(range(depth))])
        self.out = nn.Conv2d(chans[0], 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = up(x)
            x = dec(torch.cat([_centre_crop(skip, x), x], dim=1))
        return self.out(x)


class FCN8s(nn.Module):
    """Long et al. 2015 (a narrow VGG): pad 100, fc6 as a 7x7 conv, score fusions cropped at offsets 5, 9, 31."""

    def __init__(self, width: int = 4, classes: int = 3) -> None:
        super().__init__()
        w = [width, 2 * width, 4 * width, 8 * width, 8 * width]
        cin = 3
        self.stages = nn.ModuleList()
        for i, cout in enumerate(w):
            convs = [nn.Conv2d(cin, cout, 3, padding=100 if i == 0 else 1), nn.ReLU(inplace=True),
                     nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True)]
            self.stages.append(nn.Sequential(*convs, nn.MaxPool2d(2, stride=2, ceil_mode=True)))
            cin = cout
        self.fc6 = nn.Conv2d(w[4], 16 * width, 7)
        self.fc7 = nn.Conv2d(16 * width, 16 * width, 1)
        self.drop = nn.Dropout2d()
        self.score_fr = nn.Conv2d(16 * width, classes, 1)
        self.score_pool3 = nn.Conv2d(w[2], classes, 1)
        self.score_pool4 = nn.Conv2d(w[3], classes, 1)
        self.upscore2 = nn.ConvTranspose2d(classes, classes, 4, stride=2, bias=False)
        self.upscore_pool4 = nn.ConvTranspose2d(classes, classes, 4, stride=2, bias=False)
        self.upscore8 = nn.ConvTranspose2d(classes, classes, 16, stride=8, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        image = x
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        pool3, pool4 = feats[2], feats[3]
        h = self.score_fr(self.drop(F.relu(self.fc7(self.drop(F.relu(self.fc6(x)))))))
        up2 = self.upscore2(h)
        s4 = self.score_pool4(pool4)[:, :, 5:5 + up2.shape[2], 5:5 + up2.shape[3]]
        up4 = self.upscore_pool4(up2 + s4)
        s3 = self.score_pool3(pool3)[:, :, 9:9 + up4.shape[2], 9:9 + up4.shape[3]]
        out = self.upscore8(up4 + s3)
        return out[:, :, 31:31 + image.shape[2], 31:31 + image.shape[3]].contiguous()


class _Basic(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.down is None else self.down(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return F.relu(out)


class ResNetFPN(nn.Module):
    """A small ResNet (stem s2 + max pool, stages at strides 4..32) with an FPN top-down path by ``size=``."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        chans = [width, 2 * width, 4 * width, 8 * width]
        self.layers = nn.ModuleList([
            nn.Sequential(_Basic(chans[max(i - 1, 0)], c, 1 if i == 0 else 2), _Basic(c, c, 1))
            for i, c in enumerate(chans)
        ])
        self.lateral = nn.ModuleList([nn.Conv2d(c, width, 1) for c in chans])
        self.smooth = nn.ModuleList([nn.Conv2d(width, width, 3, padding=1) for _ in chans])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        feats = []
        for layer in self.layers:
            x = layer(x)
            feats.append(x)
        top = self.lateral[-1](feats[-1])
        outs = [self.smooth[-1](top)]
        for i in range(len(feats) - 2, -1, -1):
            lat = self.lateral[i](feats[i])
            top = lat + F.interpolate(top, size=lat.shape[-2:], mode="nearest")
            outs.insert(0, self.smooth[i](top))
        return outs


class UNetPlusPlus(nn.Module):
    """Zhou et al. 2018, depth 3: node X[i][j] concatenates X[i][0..j-1] and the upsampled X[i+1][j-1]."""

    def __init__(self, width: int = 4, depth: int = 3) -> None:
        super().__init__()
        chans = [width * 2**i for i in range(depth + 1)]
        self.depth = depth
        self.pool = nn.MaxPool2d(2)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.nodes = nn.ModuleDict()
        for i in range(depth + 1):
            for j in range(depth + 1 - i):
                if j == 0:
                    cin = 1 if i == 0 else chans[i - 1]
                else:
                    cin = chans[i] * j + chans[i + 1]
                self.nodes[f"x{i}_{j}"] = _double(cin, chans[i], 1)
        self.final = nn.Conv2d(chans[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        grid: dict[tuple[int, int], torch.Tensor] = {}
        for i in range(self.depth + 1):
            grid[i, 0] = self.nodes[f"x{i}_0"](x if i == 0 else self.pool(grid[i - 1, 0]))
        for j in range(1, self.depth + 1):
            for i in range(self.depth + 1 - j):
                parts = [grid[i, k] for k in range(j)] + [self.up(grid[i + 1, j - 1])]
                grid[i, j] = self.nodes[f"x{i}_{j}"](torch.cat(parts, dim=1))
        return self.final(grid[0, self.depth])
