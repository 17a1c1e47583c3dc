"""SVG renderers: well-formed SVG 1.1, the conventions of contract section 11, what the analysis says."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, ClassVar

import pytest

from convplan.compute import run_compute
from convplan.plan import PlanRequest, run_plan
from convplan.render.svg import conv_transpose_svg, graph_svg, plan_svg
from convplan.render.svg.layout import crossings, layered_layout
from convplan.settings import Settings

NS = "{http://www.w3.org/2000/svg}"
FIXTURES = Path(__file__).parent.parent / "fixtures"
UNET = {"input_size": [572, 572], "in_channels": 1,
        "template": {"name": "unet", "depth": 4, "conv": {"kernel_size": 3, "padding": 0}, "base_channels": 64,
                     "out_channels": 2}}
PADDED_MISMATCH = {"input_size": [100], "in_channels": 1, "align": "none",
                   "template": {"name": "unet", "depth": 3, "conv": {"kernel_size": 3, "padding": 1}}}


def parse(text: str) -> ET.Element:
    """Well-formed, the SVG namespace at the root, a viewBox, and nothing active or external."""
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')
    root = ET.fromstring(text.encode())
    assert root.tag == f"{NS}svg" and root.get("version") == "1.1"
    assert len(root.get("viewBox", "").split()) == 4
    for element in root.iter():
        assert element.tag.removeprefix(NS) not in {"script", "foreignObject", "image", "use", "a", "style"}
        for name, value in element.attrib.items():
            assert not name.startswith("on") and "href" not in name, (element.tag, name)
            assert "url(" not in value and "http" not in value, (element.tag, name, value)
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


def groups(root: ET.Element, attribute: str) -> dict[str, ET.Element]:
    return {g.get(attribute): g for g in root.iter(f"{NS}g") if g.get(attribute) is not None}


def run(body: dict[str, Any]) -> dict[str, Any]:
    return run_plan(PlanRequest.model_validate(body), Settings.model_construct(), symbolic=False)


class TestPlanSvg:
    def test_unet_figure_shows_every_feature_map_size_and_the_crops(self) -> None:
        result = run(UNET)
        root = parse(plan_svg(result, UNET))
        labels = texts(root)
        nodes = groups(root, "data-node")
        layers = [layer for stage in [*result["encoder"], *result["decoder"], result["head"]]
                  for layer in stage["layers"]]
        for layer in layers:
            assert "x".join(map(str, layer["output_size"])) in labels
            assert any("/".join(map(str, layer["loc"])) in g.get("data-layers", "").split() for g in nodes.values())
        assert {"572x572", "388x388", "64", "1024", "crop [88, 88] x [88, 88]", "crop [4, 4] x [4, 4]"} <= set(labels)
        assert "encoder/1/layers/0" in nodes  # the first pool: a map of its own
        assert "encoder/0/layers/1" not in nodes  # a relu: folded into the conv's map
        assert set(groups(root, "data-merge")) == {"decoder/0", "decoder/1", "decoder/2", "decoder/3"}
        assert not [g for g in root.iter(f"{NS}g") if g.get("class") in {"mismatch", "culprit"}]

    def test_mismatch_and_culprit_are_red_with_the_reason(self) -> None:
        result = run(PADDED_MISMATCH)
        root = parse(plan_svg(result, PADDED_MISMATCH))
        merge = groups(root, "data-merge")["decoder/0"]
        assert merge.get("class") == "mismatch"
        detail = result["mismatch"]["detail"]
        assert merge.find(f"{NS}title").text == detail
        assert any("#d62728" in (e.get("stroke") or "") for e in merge.iter())
        culprit = groups(root, "data-node")["encoder/3/layers/0"]
        assert culprit.get("class") == "culprit"
        assert culprit.find(f"{NS}title").text == detail
        assert "25 vs 24 (fix: crop [0, 1] or pad [0, 1])" in texts(root)

    def test_symbolic_sizes_are_drawn_as_expressions(self) -> None:
        body = {"input_size": ["16*n"], "template": {"name": "unet", "depth": 2, "conv": {"kernel_size": 3,
                                                                                             "padding": 1}}}
        from convplan.plan.runner import run_plan_json

        result = run_plan_json(PlanRequest.model_validate(body).model_dump(mode="json", exclude_unset=True),
                               Settings.model_construct())
        labels = texts(parse(plan_svg(result, body)))
        assert "16*n" in labels and "4*n" in labels


class TestGraphSvg:
    @pytest.mark.parametrize("name", ["graph_unet_mismatch", "graph_residual", "graph_unet_cropped"])
    def test_every_node_and_input_is_drawn(self, name: str) -> None:
        response = json.loads((FIXTURES / f"{name}.json").read_text())
        root = parse(graph_svg(response))
        nodes = groups(root, "data-node")
        assert {n["id"] for n in response["nodes"]} | {"x"} == set(nodes)
        assert set(groups(root, "data-merge")) == {m["node"] for m in response["merges"]}
        labels = texts(root)
        for node in response["nodes"]:
            if node["output_size"] is not None:
                assert "x".join(map(str, node["output_size"])) in labels

    def test_mismatch_culprit_and_reason(self) -> None:
        response = json.loads((FIXTURES / "graph_unet_mismatch.json").read_text())
        root = parse(graph_svg(response))
        merge = groups(root, "data-merge")["cat"]
        assert merge.get("class") == "mismatch"
        assert "drops_rows" in merge.find(f"{NS}title").text
        assert response["mismatch"]["detail"] in merge.find(f"{NS}title").text
        assert groups(root, "data-node")["p1"].get("class") == "culprit"

    def test_the_mismatch_is_written_under_the_title(self) -> None:
        # not only in hover titles: a printed or embedded figure says what went wrong, and the stopped merge
        # shows its inputs' sizes, not "?"
        response = json.loads((FIXTURES / "graph_unet_mismatch.json").read_text())
        root = parse(graph_svg(response))
        problem = [t for t in root.iter(f"{NS}text") if t.get("class") == "problem"]
        assert [t.text for t in problem] == [response["mismatch"]["detail"]]
        merge = next(m for m in response["merges"] if m["node"] == "cat")
        assert " vs ".join("x".join(map(str, s)) for s in merge["sizes"]) in texts(groups(root, "data-node")["cat"])
        assert not [t for t in parse(graph_svg(json.loads((FIXTURES / "graph_residual.json").read_text())))
                    .iter(f"{NS}text") if t.get("class") == "problem"]

    def test_applied_crop_is_labelled(self) -> None:
        root = parse(graph_svg(json.loads((FIXTURES / "graph_unet_cropped.json").read_text())))
        assert "crop [0, 1] x [0, 1]" in texts(groups(root, "data-merge")["cat"])
        assert not [g for g in root.iter(f"{NS}g") if g.get("class") == "mismatch"]

    def test_user_strings_are_escaped(self) -> None:
        hostile = '<script>alert("x")</script>&\x00\ud800'
        response = {"ok": True, "nodes": [{"id": hostile, "op": "relu<b>", "inputs": ["x"], "input_size": [["H"]],
                                           "output_size": ["H & 1"], "in_channels": 1, "out_channels": 1,
                                           "params": 0, "macs": 0}], "merges": [], "outputs": []}
        root = parse(graph_svg(response))
        assert not list(root.iter(f"{NS}script"))
        assert "H & 1" in texts(root)


class TestLayout:
    def test_skips_cross_nothing_and_layers_follow_the_longest_path(self) -> None:
        nodes = ["x", "a", "b", "c", "d"]
        edges = [("x", "a"), ("a", "b"), ("b", "c"), ("a", "d"), ("c", "d")]
        layout = layered_layout(nodes, edges, dict.fromkeys(nodes, 100.0))
        assert [layout.layer[n] for n in nodes] == [0, 1, 2, 3, 4]
        assert len(layout.paths[("a", "d")]) == 4  # two ends, a dummy on each of layers 2 and 3
        assert crossings(layout.order, {u: [v] for u, v in edges}) == 0
        assert layout.x["x"] == layout.x["a"] == layout.x["b"]

    def test_a_cycle_does_not_hang(self) -> None:
        layout = layered_layout(["a", "b"], [("a", "b"), ("b", "a")], {"a": 50.0, "b": 50.0})
        assert set(layout.layer) >= {"a", "b"}


class TestConvTransposeSvg:
    BODY: ClassVar[dict[str, Any]] = {"input": [[[[1, 2], [3, 4]]]], "weight": [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]],
                                      "stride": 2,
            "padding": 1, "output_padding": 1, "explain": True}

    def test_one_panel_per_output_position_with_cells_by_kind(self) -> None:
        result = run_compute("conv_transpose", self.BODY, Settings.model_construct())
        root = parse(conv_transpose_svg(result, stride=2, panels=64))
        panels = [g for g in root.iter(f"{NS}g") if g.get("class") == "panel"]
        assert len(panels) == 16
        first = next(g for g in panels[0].iter(f"{NS}g") if g.get("class") == "padded-input")
        kinds = [r.get("class") for r in first.iter(f"{NS}rect")]
        assert kinds.count("input") == 4 and kinds.count("inserted-zero") == 5
        assert kinds.count("padding") == 36 - 9
        assert "5" in texts(panels[0]) and "9" in texts(panels[0])  # output (0, 0) and the flipped kernel

    def test_panels_stop_at_the_limit(self) -> None:
        result = run_compute("conv_transpose", self.BODY, Settings.model_construct())
        root = parse(conv_transpose_svg(result, stride=2, panels=3))
        assert len([g for g in root.iter(f"{NS}g") if g.get("class") == "panel"]) == 3
        assert "13 more output positions not drawn (svg_panels limit 3)" in texts(root)

    def test_one_dimensional(self) -> None:
        body = {"input": [[[1, 2, 3]]], "weight": [[[1, 1, 1]]], "stride": 2, "explain": True}
        root = parse(conv_transpose_svg(run_compute("conv_transpose", body, Settings.model_construct()),
                                        stride=2, panels=64))
        assert len([g for g in root.iter(f"{NS}g") if g.get("class") == "panel"]) == 7
