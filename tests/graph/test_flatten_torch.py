"""After a ``flatten``, what PyTorch runs on the (N, F) features and what it refuses, against convplan's graph.

A 2-d network (N, 3, 7, 7) flattened to (N, 147): its 2-d spatial layers refuse the features (and
LocalResponseNorm in any rank), or read the batch as a spatial axis: AdaptiveAvgPool2d(1) takes (2, 147)
for one (H, W) map and answers (1, 1), the batch gone. convplan refuses every spatial op there. The feature
layers run, with the 1-d norms where PyTorch has a rank per class. On CPU tensors: meta tensors skip some
checks.
"""

from __future__ import annotations

from typing import Any

import pytest

from convplan.errors import LayerError
from convplan.graph.schema import GraphRequest
from convplan.run.graph import run_graph
from tests.graph.networks import body

torch = pytest.importorskip("torch")
nn = torch.nn

pytestmark = pytest.mark.torch

FEATURES = 3 * 7 * 7

# convplan's node after the flatten, and the torch.nn module a 2-d network would have there.
SPATIAL = [
    ({"op": "conv", "kernel_size": 1, "out_channels": 2}, lambda: nn.Conv2d(3, 2, 1)),
    ({"op": "max_pool", "kernel_size": 1}, lambda: nn.MaxPool2d(1)),
    ({"op": "avg_pool", "kernel_size": 1}, lambda: nn.AvgPool2d(1)),
    ({"op": "upsample", "scale_factor": 2}, lambda: nn.Upsample(scale_factor=2)),
    ({"op": "instance_norm"}, lambda: nn.InstanceNorm2d(3)),
    ({"op": "local_response_norm", "size": 2}, lambda: nn.LocalResponseNorm(2)),
    ({"op": "adaptive_avg_pool", "output_size": 1}, lambda: nn.AdaptiveAvgPool2d(1)),
    ({"op": "pixel_shuffle", "upscale_factor": 1}, lambda: nn.PixelShuffle(1)),
]
FEATURE = [
    ({"op": "relu"}, lambda: nn.ReLU()),
    ({"op": "dropout"}, lambda: nn.Dropout()),
    ({"op": "batch_norm"}, lambda: nn.BatchNorm1d(FEATURES)),
    ({"op": "group_norm", "num_groups": 3}, lambda: nn.GroupNorm(3, FEATURES)),
    ({"op": "layer_norm", "normalized_shape": FEATURES}, lambda: nn.LayerNorm(FEATURES)),
    ({"op": "softmax", "dim": 1}, lambda: nn.Softmax(1)),
    ({"op": "linear", "in_features": FEATURES, "out_features": 4}, lambda: nn.Linear(FEATURES, 4)),
]


def _convplan(op: dict[str, Any]) -> dict[str, Any]:
    nodes = [{"id": "f", "op": "flatten", "inputs": ["x"]}, {"id": "s", "inputs": ["f"], **op}]
    request = body([7, 7], nodes, channels=3, valid_sizes=False)
    return run_graph(GraphRequest.model_validate(request), symbolic=False)


def _torch(module: Any) -> Any:
    features = nn.Flatten()(torch.zeros(2, 3, 7, 7))
    with torch.no_grad():
        return module.eval()(features)


@pytest.mark.parametrize(("op", "module"), SPATIAL, ids=[op["op"] for op, _ in SPATIAL])
def test_spatial_layers_refuse_the_features(op: dict[str, Any], module: Any) -> None:
    try:
        y = _torch(module())
    except (RuntimeError, ValueError, IndexError):
        pass
    else:
        assert y.shape[0] != 2, "PyTorch kept the batch"  # it read the batch as a spatial axis
    with pytest.raises(LayerError, match="it follows a flatten"):
        _convplan(op)


@pytest.mark.parametrize(("op", "module"), FEATURE, ids=[op["op"] for op, _ in FEATURE])
def test_feature_layers_run_on_them(op: dict[str, Any], module: Any) -> None:
    y = _torch(module())
    out = _convplan(op)["outputs"][0]
    assert out["size"] == [] and [2, out["channels"]] == list(y.shape)
