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

    def test_an_onnx_file_is_uploaded(self, page: Any) -> None:
        page.set_input_files("#onnx-file", files=[{"name": "model.onnx", "mimeType": "application/octet-stream",
                                                   "buffer": b"\x08\x07not a real model"}])
        # These bytes are not ONNX: the import's 422 detail is shown (the table may still hold the last stack,
        # so only the error can say the upload was answered).
        page.wait_for_function("() => document.querySelector('#error').textContent.length > 0", timeout=10_000)
        assert "ONNX" in page.text_content("#error")
