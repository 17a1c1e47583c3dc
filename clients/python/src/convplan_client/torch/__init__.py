"""Check a PyTorch module directly: ``to_graph(module, input_size, in_channels)`` -> a ``/v1/graph`` body.

    from convplan_client import Client
    from convplan_client.torch import capture, to_graph

    body = to_graph(model, input_size=("H", "W"), in_channels=3)   # sizes as expressions in H, W
    with Client() as client:
        result = client.graph(**body)                              # or client.check_module(model, ...)

Needs torch (imported on first use: ``import convplan_client`` never needs
it). ``capture`` returns the body with the ``guards`` of the traced path and
``warnings``; ``to_graph`` just the body. ``UnsupportedModule`` lists every
op that has no layer, and what ``torch.export`` refuses. The module's
``forward`` runs under torch.export on fake tensors: no weights are read,
but it is the caller's code running.
"""

from convplan_client.torch._capture import Capture, Guard, UnsupportedModule, capture, to_graph
from convplan_client.torch._graph import Problem

__all__ = ["Capture", "Guard", "Problem", "UnsupportedModule", "capture", "to_graph"]
