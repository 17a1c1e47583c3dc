"""The page at / in a real browser: Debian's chromium driven by Playwright, against a real ``convplan serve``.

Skipped, with the reason, where /usr/bin/chromium or the playwright package is missing (never
``playwright install``: the system browser is used). Screenshots go to ``$CONVPLAN_SCREENSHOTS`` or a
temporary directory (printed), for CI artifacts.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FIXTURES = Path(__file__).parent.parent / "fixtures"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package (pip)")

UNET_PLAN = {"encoder": [{"layers": [{"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 16}]},
                         {"layers": [{"op": "max_pool", "kernel_size": 2},
                                     {"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 32}]}],
             "decoder": [{"up": [{"op": "conv_transpose", "kernel_size": 2, "stride": 2, "out_channels": 16}],
                          "skip": 0, "merge": "concat",
                          "layers": [{"op": "conv", "kernel_size": 3, "padding": 1, "out_channels": 16}]}],
             "head": [{"op": "conv", "kernel_size": 1, "out_channels": 2}]}


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("CONVPLAN_SCREENSHOTS") or tempfile.mkdtemp(prefix="convplan-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A page whose every request is checked: any URL off the server's origin is aborted and recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.foreign = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(live_server + "/"):
            route.continue_()
        else:
            page.foreign.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(live_server + "/")
    yield page
    assert page.foreign == [], f"requests left 127.0.0.1: {page.foreign}"
    context.close()


def wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function("([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)",
                           arg=[selector, text], timeout=10_000)


def svg_texts(page: Any) -> list[str]:
    return page.eval_on_selector_all("#diagram svg text", "ts => ts.map(t => t.textContent)")


class TestPage:
    def test_the_page_parses_layers_as_the_command_line_does(self, page: Any) -> None:
        cases = json.loads((FIXTURES / "layer_syntax.json").read_text())["cases"]
        got = page.evaluate("""cases => cases.map(c => {
            try { return {layers: window.convplanLayers.parseStack(c.text)}; } catch (e) { return {error: true}; }
        })""", cases)
        for case, answer in zip(cases, got, strict=True):
            assert answer == ({"error": True} if case.get("error") else {"layers": case["layers"]}), case["text"]

    def test_typing_a_stack_updates_table_and_diagram(self, page: Any, shots: Path) -> None:
        wait_text(page, "#diagram", "568x568")  # the default stack on 572x572
        page.fill("#layers", json.dumps(UNET_PLAN))
        page.fill("#input-size", "64x64")
        page.wait_for_selector("#diagram svg g[data-merge='decoder/0']", timeout=10_000)
        wait_text(page, "#layer-table", "conv_transpose")
        assert page.locator("#layer-table tr[data-index]").count() == 6
        assert "64x64" in svg_texts(page)
        assert page.locator("#diagram svg g[data-merge='decoder/0']").count() == 1
        assert page.locator("#diagram svg g[data-node='encoder/1/layers/0']").count() == 1
        page.screenshot(path=str(shots / "stack.png"), full_page=True)
        load = page.evaluate("() => performance.getEntriesByType('navigation')[0].duration")
        print(f"page load: {load:.0f} ms")

    def test_stack_syntax_and_errors(self, page: Any) -> None:
        page.fill("#input-size", "32")
        page.fill("#layers", "conv:k=3,c=8 max_pool:2 conv:k=5")
        page.wait_for_function("() => document.querySelectorAll('#layer-table tr[data-index]').length === 3",
                               timeout=10_000)
        wait_text(page, "#layer-table", "11")
        page.fill("#layers", "conv:k=3 conv:k=64")
        wait_text(page, "#error", "kernel")
        page.wait_for_selector("#layer-table tr.error-row[data-index='1']", timeout=10_000)
        assert "encoder/0/layers/1/kernel_size" in page.text_content("#layer-table tr.error-row")
        page.fill("#layers", "conv:k=3,,s=1")
        wait_text(page, "#error", "empty item")

    def test_template_and_shareable_state(self, page: Any, live_server: str, shots: Path) -> None:
        page.fill("#input-size", "572x572")
        page.select_option("#template", "unet")
        wait_text(page, "#diagram", "388x388")
        assert "crop [88, 88] x [88, 88]" in svg_texts(page)
        assert page.locator("#skips li").count() == 4
        wait_text(page, "#valid-sizes", "mod 16")
        page.screenshot(path=str(shots / "template.png"), full_page=True)
        url = page.url
        again = page.context.new_page()
        again.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server + "/")
                    else route.abort())
        again.goto(url)
        assert again.input_value("#template") == "unet"
        wait_text(again, "#diagram", "388x388")
        again.close()

    def test_a_mismatch_shows_red(self, page: Any, shots: Path) -> None:
        page.fill("#input-size", "100")
        page.select_option("#align", "none")
        page.select_option("#template", "unet-same")
        page.wait_for_selector("#diagram svg g.mismatch", timeout=10_000)
        strokes = page.eval_on_selector_all("#diagram svg g.mismatch polyline",
                                            "ps => ps.map(p => p.getAttribute('stroke'))")
        assert "#d62728" in strokes
        assert page.locator("#diagram svg g.culprit title").count() == 1
        assert page.locator("#skips .mismatch").count() >= 1
        assert page.locator("#layer-table tr.culprit").count() == 1
        page.screenshot(path=str(shots / "mismatch.png"), full_page=True)

    def test_a_graph_body_goes_to_the_graph_endpoint(self, page: Any, shots: Path) -> None:
        graph = {"inputs": [{"name": "x", "size": [32, 32], "channels": 16}], "nodes": [
            {"id": "a", "op": "conv", "inputs": ["x"], "kernel_size": 3, "padding": 1, "out_channels": 16},
            {"id": "b", "op": "conv", "inputs": ["a"], "kernel_size": 3, "stride": 2, "padding": 1},
            {"id": "up", "op": "upsample", "inputs": ["b"], "scale_factor": 2},
            {"id": "sum", "op": "add", "inputs": ["x", "up"]}]}
        page.fill("#input-size", "31x31")
        page.fill("#layers", json.dumps(graph))
        page.wait_for_selector("#diagram svg g[data-merge='sum'].mismatch", timeout=10_000)
        assert page.locator("#layer-table tr[data-index]").count() == 4
        assert page.locator("#diagram svg g[data-node='b'].culprit").count() == 1
        page.screenshot(path=str(shots / "graph.png"), full_page=True)

    def test_valid_sizes_say_their_extra_sizes_and_their_maximum(self, page: Any) -> None:
        # the pool fits the conv at 5 alone, then from 101 to 201 for a k101 conv: the set's extra and max
        def graph(kernel: int) -> str:
            return json.dumps({"inputs": [{"name": "x", "size": [kernel], "channels": 1}], "nodes": [
                {"id": "a", "op": "conv", "inputs": ["x"], "kernel_size": kernel},
                {"id": "b", "op": "max_pool", "inputs": ["x" if kernel > 5 else "a"], "kernel_size": 1, "stride": 2},
                {"id": "c", "op": "crop", "inputs": ["b"], "size_of": "a"}]})
        page.fill("#input-size", "5")
        page.fill("#layers", graph(5))
        wait_text(page, "#valid-sizes", "axis 0: i in {5}")
        page.fill("#input-size", "150")
        page.fill("#layers", graph(101))
        wait_text(page, "#valid-sizes", "axis 0: i mod 1 in {0}, i >= 101, i <= 201")

    def test_an_onnx_file_is_uploaded(self, page: Any) -> None:
        page.set_input_files("#onnx-file", files=[{"name": "model.onnx", "mimeType": "application/octet-stream",
                                                   "buffer": b"\x08\x07not a real model"}])
        # These bytes are not ONNX: the import's 422 detail is shown (the table may still hold the last stack,
        # so only the error can say the upload was answered).
        page.wait_for_function("() => document.querySelector('#error').textContent.length > 0", timeout=10_000)
        assert "ONNX" in page.text_content("#error")

    def test_a_real_onnx_model_fills_table_diagram_skips_and_sizes(self, page: Any, shots: Path) -> None:
        model = FIXTURES / "onnx" / "unet_paper.onnx"  # the U-Net paper's network (tests/fixtures/onnx/make_models.py)
        page.set_input_files("#onnx-file", files=[{"name": model.name, "mimeType": "application/octet-stream",
                                                   "buffer": model.read_bytes()}])
        up = "_/u2/ConvTranspose_output_0"
        page.wait_for_selector(f"#diagram svg g[data-node='{up}']", timeout=10_000)
        wait_text(page, "#layer-table", up)
        assert page.locator("#layer-table tr[data-index]").count() == 31  # its 103 ONNX nodes, shape arithmetic folded
        assert page.locator("#skips li").count() == 2  # the two concats, aligned by the model's own crops
        assert "aligned" in page.text_content("#skips li")
        # H and W, each solved on its own axis (the model crops its skips with one Slice per axis)
        wait_text(page, "#valid-sizes", "i mod 4 in {0}, i >= 44")
        assert page.text_content("#error") == ""
        # The model's two transposed convs are offered for explaining.
        assert page.eval_on_selector_all("#explain-layer option", "os => os.map(o => o.value)") == [
            up, "_/u1/ConvTranspose_output_0"]
        page.screenshot(path=str(shots / "onnx.png"), full_page=True)
        # The imported graph is in the editor, with its input's size: a numeric size re-analyses it (/v1/graph).
        assert page.input_value("#input-size") == "[H, W]"
        assert json.loads(page.input_value("#layers"))["nodes"][0]["op"] == "conv"
        page.fill("#input-size", "572x572")
        wait_text(page, "#valid-sizes", "i mod 4 in {0}, i >= 44")
        wait_text(page, "#diagram", "536x536")

    def test_explain_frames_step_in_place_and_are_shared(self, page: Any, live_server: str, shots: Path) -> None:
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.fill("#input-size", "8x8")
        page.fill("#layers", "conv:k=3,c=4 conv_transpose:k=3,s=2,p=1,c=2")
        wait_text(page, "#explain-frame", "frame 1 of 25: output (0, 0)")  # 3x3 drawn input: 5x5 output
        assert page.input_value("#explain-layer") == "encoder/0/layers/1"
        assert "k=3, s=2, p=1" in page.text_content("#explain-layer")
        visible = "#explain-diagram svg g.panel:not(.off)"
        assert page.locator(visible).count() == 1
        # Where the output position of this frame is drawn, in the picture (the page may scroll on a click).
        marked = """() => {
            const svg = document.querySelector('#explain-diagram svg').getBoundingClientRect();
            const shown = document.querySelector('#explain-diagram svg g.panel:not(.off)');
            const cell = shown.querySelector("g.output rect[stroke='#e67e22']").getBoundingClientRect();
            return [cell.x - svg.x, cell.y - svg.y];
        }"""
        first = page.evaluate(marked)
        assert page.is_disabled("#explain-prev")
        asked = len(requests)
        page.click("#explain-next")
        wait_text(page, "#explain-frame", "frame 2 of 25: output (0, 1)")
        assert page.locator(visible).count() == 1
        assert page.get_attribute(visible, "data-position") == "(0, 1)"
        second = page.evaluate(marked)
        assert (second[0] - first[0], second[1] - first[1]) == (22, 0)  # one cell to the right, in place
        assert len(requests) == asked  # stepping asks nothing: the frames are the panels of one answer
        page.locator("#explain").screenshot(path=str(shots / "explain.png"))
        again = page.context.new_page()
        again.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server + "/")
                    else route.abort())
        again.goto(page.url)
        wait_text(again, "#explain-frame", "frame 2 of 25: output (0, 1)")
        again.close()

    def test_explain_says_when_there_is_nothing_to_explain(self, page: Any) -> None:
        wait_text(page, "#explain-note", "No conv_transpose layer")  # the default stack has none
        assert page.is_hidden("#explain-controls")
        page.fill("#layers", "conv_transpose:k=k,s=2")
        page.fill("#input-size", "8")
        wait_text(page, "#explain-note", "only numbers can be drawn")
