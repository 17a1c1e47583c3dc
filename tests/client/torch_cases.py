"""The networks of the PyTorch capture tests, built and captured once per test session (import only after
``pytest.importorskip("torch")``).

``test_torch_capture`` checks each capture against the module run on meta tensors; ``test_frontends_agree``
checks it against the ONNX export of the same module: both read the same cached modules, captures and
analyses, so each network is exported by torch.export once per session.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch_networks import FCN8s, ResNetFPN, UNetPaper, UNetPlusPlus

from convplan_client.torch import Capture, capture

__all__ = ["NETWORKS", "analysed_at_ints", "captured", "captured_at_ints", "meta_module", "module", "symbol_names"]


def _monai(name: str, **kwargs: Any) -> Callable[[], Any]:
    def make() -> Any:
        nets = pytest.importorskip("monai.networks.nets")
        return getattr(nets, name)(**kwargs)

    return make


_2D = [(64, 64), (48, 80), (65, 64), (66, 70), (33, 47), (96, 32)]
_3D = [(32, 32, 32), (16, 24, 32), (33, 32, 32), (18, 16, 20)]

# name: (factory, input channels, sizes to try; the first is also the example torch.export traces at)
NETWORKS: dict[str, tuple[Callable[[], Any], int, list[tuple[int, ...]]]] = {
    "monai_unet_2d_res0": (_monai("UNet", spatial_dims=2, in_channels=1, out_channels=2, channels=(4, 8, 16, 32),
                                  strides=(2, 2, 2), num_res_units=0), 1, _2D),
    "monai_unet_3d_res2": (_monai("UNet", spatial_dims=3, in_channels=1, out_channels=2, channels=(4, 8, 16),
                                  strides=(2, 2), num_res_units=2), 1, _3D),
    "monai_unet_2d_res2": (_monai("UNet", spatial_dims=2, in_channels=1, out_channels=2, channels=(4, 8, 16),
                                  strides=(2, 2), num_res_units=2), 1, _2D),
    "monai_unet_3d_res0": (_monai("UNet", spatial_dims=3, in_channels=1, out_channels=2, channels=(4, 8, 16),
                                  strides=(2, 2), num_res_units=0), 1, _3D),
    "monai_basic_unet": (_monai("BasicUNet", spatial_dims=2, in_channels=1, out_channels=2,
                                features=(4, 4, 8, 16, 32, 4)), 1, [*_2D, (80, 112)]),
    "monai_dynunet": (_monai("DynUNet", spatial_dims=2, in_channels=1, out_channels=2, kernel_size=[3, 3, 3],
                             strides=[1, 2, 2], upsample_kernel_size=[2, 2], filters=[4, 8, 16]), 1, _2D),
    "monai_dynunet_res": (_monai("DynUNet", spatial_dims=2, in_channels=1, out_channels=2, kernel_size=[3, 3, 3],
                                 strides=[1, 2, 2], upsample_kernel_size=[2, 2], filters=[4, 8, 16],
                                 res_block=True), 1, _2D),
    "monai_attention_unet": (_monai("AttentionUnet", spatial_dims=2, in_channels=1, out_channels=2,
                                    channels=(4, 8, 16), strides=(2, 2)), 1, _2D),
    "monai_segresnet": (_monai("SegResNet", spatial_dims=2, init_filters=8, in_channels=1, out_channels=2,
                               blocks_down=(1, 2, 2), blocks_up=(1, 1)), 1, _2D),
    "monai_vnet": (_monai("VNet", spatial_dims=3, in_channels=1, out_channels=2, dropout_dim=3), 1,
                   [(32, 32, 32), (16, 32, 48), (33, 32, 32)]),
    "unet_paper": (UNetPaper, 1, [(572, 572), (188, 188), (572, 570), (140, 204), (200, 200)]),
    "fcn8s": (FCN8s, 3, [(64, 64), (100, 77), (33, 40), (224, 224)]),
    "resnet_fpn": (ResNetFPN, 3, [(64, 64), (65, 97), (31, 40), (7, 9)]),
    "unet_plus_plus": (UNetPlusPlus, 1, [(64, 64), (48, 40), (65, 64), (30, 30)]),
}


def symbol_names(name: str) -> tuple[str, ...]:
    """The symbols of the symbolic capture, one per spatial axis."""
    return ("H", "W", "D")[: len(NETWORKS[name][2][0])]


@functools.cache
def module(name: str) -> Any:
    factory = NETWORKS[name][0]
    torch.manual_seed(0)
    return factory().eval()


@functools.cache
def meta_module(name: str) -> Any:
    return copy.deepcopy(module(name)).to("meta")


@functools.cache
def captured(name: str) -> Capture:
    """Captured with a symbol per axis (sizes and amounts as expressions), traced at the first size tried."""
    first = NETWORKS[name][2][0]
    return capture(module(name), symbol_names(name), NETWORKS[name][1], example_size=first[0])


@functools.cache
def captured_at_ints(name: str) -> Capture:
    """Captured at the first size tried, as ints (what /v1/graph computes valid sizes for)."""
    return capture(module(name), NETWORKS[name][2][0], NETWORKS[name][1])


@functools.cache
def analysed_at_ints(name: str) -> dict[str, Any]:
    """The graph core's analysis (``run_graph``) of ``captured_at_ints(name)``."""
    from convplan.graph.schema import GraphRequest
    from convplan.run.graph import run_graph

    return run_graph(GraphRequest.model_validate(captured_at_ints(name).body))
