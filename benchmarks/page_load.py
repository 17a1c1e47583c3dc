#!/usr/bin/env python3
"""Load time of the page at / in Debian's chromium (Playwright), on a real ``convplan serve`` (127.0.0.1).

    .venv/bin/python benchmarks/page_load.py [--repeat 10] [--screenshots docs]

Each load is a fresh browser context (no cache) on the page's default stack. Printed, per load and as
the median: the navigation timing of the document (HTML received, DOMContentLoaded, load event) and
the first answer shown (the table filled and the diagram drawn: the page's two /v1/plan calls
answered), all from navigation start, read in the page (a MutationObserver records when the diagram
arrives). Any request off the server's origin is aborted and fails the run.

``--screenshots DIR`` also writes the README's pictures there: ``page-unet.png`` (the paper's U-Net
template), ``page-onnx.png`` (tests/fixtures/onnx/unet_paper.onnx dropped on the page, at 572x572) and
``page-explain.png`` (a transposed conv's explain frames, stepped to frame 8).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
MODEL = ROOT / "tests" / "fixtures" / "onnx" / "unet_paper.onnx"
# Runs before the page's own scripts: the time the first diagram is put in the page.
WATCH_DIAGRAM = """
new MutationObserver((_, observer) => {
  if (document.querySelector('#diagram svg') && document.querySelector('#layer-table tr[data-index]')) {
    window.firstAnswer = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def start(port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVPLAN_")}  # default settings
    env["PYTHONPATH"] = str(ROOT / "service")
    process = subprocess.Popen([sys.executable, "-m", "convplan.cli", "serve", "--host", "127.0.0.1", "--port",
                                str(port), "--log-level", "warning"], env=env)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1.0).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("convplan serve did not answer within 30 s")


def local_page(browser: Any, base: str, foreign: list[str]) -> Any:
    """A page in a fresh context whose requests off ``base`` are aborted and recorded in ``foreign``."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()

    def guard(route: Any) -> None:
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    return page


def one_load(browser: Any, base: str, foreign: list[str]) -> dict[str, float]:
    page = local_page(browser, base, foreign)
    page.add_init_script(WATCH_DIAGRAM)
    page.goto(base + "/", wait_until="load")
    page.wait_for_function("() => window.firstAnswer !== undefined", timeout=30_000)
    timing = page.evaluate("""() => {
        const n = performance.getEntriesByType('navigation')[0];
        return {html: n.responseEnd, dom: n.domContentLoadedEventEnd, load: n.loadEventEnd,
                answer: window.firstAnswer};
    }""")
    page.context.close()
    return timing


def screenshots(browser: Any, base: str, folder: Path, foreign: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    diagram = "(t) => (document.querySelector('#diagram')?.textContent || '').includes(t)"
    page = local_page(browser, base, foreign)
    page.goto(base + "/")
    page.select_option("#template", "unet")
    page.wait_for_function(diagram, arg="388x388", timeout=30_000)
    page.screenshot(path=str(folder / "page-unet.png"))
    page.context.close()

    page = local_page(browser, base, foreign)
    page.goto(base + "/")
    page.set_input_files("#onnx-file", files=[{"name": MODEL.name, "mimeType": "application/octet-stream",
                                               "buffer": MODEL.read_bytes()}])
    page.wait_for_function(diagram, arg="_/u2/ConvTranspose_output_0", timeout=30_000)
    page.fill("#input-size", "572x572")
    page.wait_for_function(diagram, arg="536x536", timeout=30_000)
    page.set_viewport_size({"width": 1400, "height": 1400})  # the diagram takes 70% of it: more of the DAG
    page.screenshot(path=str(folder / "page-onnx.png"))
    page.context.close()

    page = local_page(browser, base, foreign)
    page.goto(base + "/")
    page.fill("#input-size", "64x64")
    page.fill("#layers", "conv:k=3,p=1,c=16 conv_transpose:k=3,s=2,p=1,op=1,c=8")
    page.wait_for_function("() => document.querySelector('#explain-frame').textContent.startsWith('frame 1 of')",
                           timeout=30_000)
    for _ in range(7):
        page.click("#explain-next")
    page.locator("#explain").screenshot(path=str(folder / "page-explain.png"))
    page.context.close()
    print(f"screenshots: {', '.join(str(folder / n) for n in ('page-unet.png', 'page-onnx.png', 'page-explain.png'))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="page loads, each in a fresh context")
    parser.add_argument("--screenshots", type=Path, help="also write the README's pictures to this folder")
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = start(port)
    base = f"http://127.0.0.1:{port}"
    foreign: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            one_load(browser, base, foreign)  # warm-up: the server's first plan imports its modules
            runs = [one_load(browser, base, foreign) for _ in range(args.repeat)]
            print(f"{'load':>6} {'html ms':>8} {'DOMContentLoaded':>17} {'load event':>11} {'first answer':>13}")
            for i, run in enumerate(runs, 1):
                print(f"{i:>6} {run['html']:>8.0f} {run['dom']:>17.0f} {run['load']:>11.0f} {run['answer']:>13.0f}")
            medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            print(f"{'median':>6} {medians['html']:>8.0f} {medians['dom']:>17.0f} {medians['load']:>11.0f} "
                  f"{medians['answer']:>13.0f}")
            if args.screenshots:
                screenshots(browser, base, args.screenshots, foreign)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    if foreign:
        raise SystemExit(f"requests left 127.0.0.1: {foreign}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
