"""convplan_client.torch: captured bodies agree with running the module on meta tensors, at many sizes.

Each network is captured once with symbolic sizes; at every size tried, the
body's sizes (``graph_sizes.evaluate``, PyTorch's formulas) must equal the
outputs of the module run on meta tensors (every leaf module whose path is a
node id, and every output), and where PyTorch raises, the body must fail too
(a merge of unequal sizes). Sizes where a guard of the traced path is false
are left out: the module takes another path there (checked separately).
"""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

import torch_cases as cases  # noqa: E402
from graph_sizes import SizeMismatch, evaluate  # noqa: E402 - after the torch skip
from torch_cases import NETWORKS  # noqa: E402
from torch_networks import UNetPaper, UNetPlusPlus  # noqa: E402

from convplan_client.torch import UnsupportedModule, to_graph  # noqa: E402

pytestmark = pytest.mark.torch


def _run_meta(module: Any, channels: int, size: tuple[int, ...]) -> tuple[dict[str, list[tuple[int, ...]]], Any]:
    """Leaf modules' output shapes per path (every call), and the outputs, of one meta-tensor forward."""
    shapes: dict[str, list[tuple[int, ...]]] = {}
    handles = []
    for path, sub in module.named_modules(remove_duplicate=False):
        if not list(sub.children()):
            def hook(_m: Any, _i: Any, out: Any, path: str = path) -> None:
                if isinstance(out, torch.Tensor):
                    shapes.setdefault(path, []).append(tuple(out.shape))
            handles.append(sub.register_forward_hook(hook))
    try:
        with torch.no_grad():
            out = module(torch.empty((2, channels, *size), device="meta"))
    finally:
        for handle in handles:
            handle.remove()
    return shapes, out


def _outputs(out: Any) -> list[tuple[int, ...]]:
    if isinstance(out, torch.Tensor):
        return [tuple(out.shape)]
    if isinstance(out, (list, tuple)):
        return [shape for item in out for shape in _outputs(item)]
    raise AssertionError(f"unexpected output {type(out).__name__}")


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_sizes_agree_with_the_module_on_meta_tensors(name: str) -> None:
    captured = cases.captured(name)
    body = captured.body
    channels, sizes = NETWORKS[name][1], NETWORKS[name][2]
    names = ("H", "W", "D")[: len(sizes[0])]
    compared = 0
    for size in sizes:
        env = dict(zip(names, size))
        if not all(guard.holds(env) for guard in captured.guards):
            continue
        try:
            shapes, out = _run_meta(cases.meta_module(name), channels, size)
        except RuntimeError:
            with pytest.raises(SizeMismatch):
                evaluate(body, env)
            compared += 1
            continue
        got = evaluate(body, env)
        expected = [(2, *shape[1:]) for shape in _outputs(out)]
        assert [(2, c, *s) if s else (2, c) for c, s in (got[o] for o in body["outputs"])] == expected, size
        for node in body["nodes"]:
            if node["id"] in shapes:
                c, s = got[node["id"]]
                assert ((2, c, *s) if s else (2, c)) == shapes[node["id"]][0], (size, node)
        compared += 1
    assert compared >= 3


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_ids_are_module_paths_and_every_parameter_is_held(name: str) -> None:
    captured = cases.captured(name)
    paths = {path for path, _ in cases.module(name).named_modules(remove_duplicate=False)}
    for node in captured.body["nodes"]:
        path = node["id"].split(":")[0]
        assert path in paths or ":" not in node["id"], node["id"]
    ids = [node["id"] for node in captured.body["nodes"]]
    assert len(ids) == len(set(ids))
    assert not [w for w in captured.warnings if "not counted" in w]
    held = {node["id"] for node in captured.body["nodes"] if node["op"] in {"conv", "conv_transpose", "linear"}}
    convs = {path for path, sub in cases.module(name).named_modules(remove_duplicate=False)
             if isinstance(sub, (torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.ConvTranspose2d,
                                 torch.nn.ConvTranspose3d, torch.nn.Linear))}
    assert held <= convs and held


def test_unet_paper_at_572_has_the_paper_sizes_and_centre_crops_to_the_upsampled_size() -> None:
    body = to_graph(UNetPaper(), (572, 572), 1)
    assert body["inputs"] == [{"name": "x", "size": [572, 572], "channels": 1}]
    crops = [node for node in body["nodes"] if node["op"] == "crop"]
    # one crop node per axis and skip, each a centre crop to the up-conv's size (exact at every input size)
    assert [(c["axes"], c["anchor"], c["size_of"]) for c in crops[:2]] == [([0], "center", "up.0"),
                                                                          ([1], "center", "up.0")]
    assert len(crops) == 8 and "crop" not in crops[0]
    sizes = evaluate(body, {})
    assert sizes["down.0.3"] == (4, [568, 568]) and sizes[crops[-1]["id"]] == (4, [392, 392])
    assert sizes[body["outputs"][0]] == (2, [388, 388])


def test_crop_and_interpolate_sizes_are_expressions_in_the_input_symbols() -> None:
    fcn = cases.captured("fcn8s").body
    last = [node for node in fcn["nodes"] if node["op"] == "crop"][-2:]
    assert [node["crop"][0][0] for node in last] == [31, 0]
    assert all(isinstance(node["crop"][0][1], str) and "H" in node["crop"][0][1] for node in last[:1])
    fpn = cases.captured("resnet_fpn").body
    ups = [node for node in fpn["nodes"] if node["op"] == "upsample"]
    assert len(ups) == 3 and all(isinstance(node["size"], list) and "H" in str(node["size"][0]) for node in ups)


class _Scaled(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.nn.functional.interpolate(x, scale_factor=0.5, mode="nearest")
        return torch.nn.functional.interpolate(y, scale_factor=(1.5, 3.0), mode="bilinear")


def test_fractional_scale_factors_are_numbers_the_service_reads() -> None:
    # A float scale factor was printed as an expression ("1/2"), which the contract's number refuses: every
    # module downsampling by interpolation failed in check_module with a 422.
    from convplan.graph.schema import GraphRequest
    from convplan.run.graph import run_graph

    for size in (("H", "W"), (64, 64)):
        body = to_graph(_Scaled(), size, 1)
        assert [node["scale_factor"] for node in body["nodes"]] == [0.5, [1.5, 3]]
    body = to_graph(_Scaled(), (37, 64), 1)
    (output,) = run_graph(GraphRequest.model_validate(body), symbolic=False)["outputs"]
    assert output["size"] == list(_Scaled()(torch.zeros(1, 1, 37, 64)).shape[2:]) == [27, 96]


def test_basic_unet_guards_say_where_the_traced_path_holds() -> None:
    captured = cases.captured("monai_basic_unet")
    assert captured.guards and all("basic_unet.py" in guard.where for guard in captured.guards)
    for h in range(32, 100):
        assert all(guard.holds({"H": h, "W": 64}) for guard in captured.guards) == (h % 16 == 0), h


def test_body_does_not_depend_on_the_example_size() -> None:
    module = UNetPlusPlus(depth=2)
    assert to_graph(module, ("H", "W"), 1, example_size=64) == to_graph(module, ("H", "W"), 1, example_size=96)


class _Attention(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(2)
        weights = torch.softmax(flat.transpose(1, 2) @ flat, dim=-1)
        return (flat @ weights).view_as(x)


class _Encoder(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
                                           torch.nn.Conv2d(4, 4, 3, padding=1), torch.nn.Sequential())
        self.encoder[3].add_module("attn", _Attention())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(self.encoder(x), dim=2)


def test_unmapped_ops_are_all_listed_with_their_module_paths() -> None:
    with pytest.raises(UnsupportedModule) as info:
        to_graph(_Encoder(), ("H", "W"), 1)
    problems = info.value.problems
    assert {p.path for p in problems} == {"encoder.3.attn", ""}
    assert any(p.op.startswith("aten::cumsum") for p in problems)
    assert "encoder.3.attn" in str(info.value)


def test_what_export_refuses_is_an_unsupported_module() -> None:
    class DataDependent(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, :, : int(x.sum().item())]

    with pytest.raises(UnsupportedModule, match=r"torch\.export"):
        to_graph(DataDependent(), ("H", "W"), 1)


def test_input_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="input_size"):
        to_graph(UNetPaper(), (), 1)
    with pytest.raises(ValueError, match="symbol name"):
        to_graph(UNetPaper(), ("H", "2W"), 1)
    with pytest.raises(ValueError, match="in_channels"):
        to_graph(UNetPaper(), ("H", "W"), True)


# --- end to end: the graph core's analysis of the captured body against torch, size by size ---------------


def _in_set(entry: dict[str, Any] | None, size: int) -> bool:
    if entry is None:
        return False
    if size in entry.get("extra", []):
        return True
    low, high = entry.get("min"), entry.get("max")
    in_range = (low is None or size >= low) and (high is None or size <= high)
    return in_range and size % entry["modulus"] in entry["residues"]


def _torch_runs(name: str, size: tuple[int, ...]) -> bool:
    try:
        _run_meta(cases.meta_module(name), NETWORKS[name][1], size)
    except RuntimeError:
        return False
    return True


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_graph_analysis_agrees_with_torch_over_a_range_of_sizes(name: str) -> None:
    """POST /v1/graph's answer for the body captured at int sizes: outputs at those sizes, and on axis 0 the
    ``runs`` set equals where the module runs on meta tensors (where its traced path holds)."""
    from convplan.ops import OPS

    captured = cases.captured_at_ints(name)
    missing = sorted({node["op"] for node in captured.body["nodes"]} - set(OPS))
    if missing:
        pytest.skip(f"ops not in the service's vocabulary yet: {missing}")
    if any("fixed at the traced size" in w for w in captured.warnings):
        pytest.skip("crop amounts fixed at the traced size (captured at ints): not the module's valid sets")
    answer = cases.analysed_at_ints(name)
    example = NETWORKS[name][2][0]
    _, out = _run_meta(cases.meta_module(name), NETWORKS[name][1], example)
    assert answer["ok"]
    assert [(2, o["channels"], *o["size"]) for o in answer["outputs"]] == _outputs(out)
    runs = answer["valid_input_sizes"][0]["runs"]
    names = ("H", "W", "D")[: len(example)]
    symbolic = cases.captured(name)
    checked = 0
    for i in range(max(1, example[0] - 40), example[0] + 41):
        size = (i, *example[1:])
        if not all(guard.holds(dict(zip(names, size))) for guard in symbolic.guards):
            continue  # the module's code takes another path here
        assert _in_set(runs, i) == _torch_runs(name, size), (name, i, runs)
        checked += 1
    assert checked >= 5
