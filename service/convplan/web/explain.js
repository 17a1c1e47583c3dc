// The transposed-conv explain frames: a conv_transpose layer of the network, run on a small ramp input by
// POST v1/compute/conv_transpose?format=svg (which implies explain), shown one output position at a time.
// The service draws one static panel per output position (contract section 11); stepping shows one panel,
// moved to the first panel's place, with the picture cropped to it: no new request per frame.
"use strict";
(function () {
  // Nested lists of `shape` holding 1, 2, 3, ... row-major: every cell tells where it went.
  function ramp(shape) {
    let n = 0;
    const build = (depth) => (depth === shape.length ? ++n : Array.from({ length: shape[depth] }, () => build(depth + 1)));
    return build(0);
  }

  function perAxis(value, rank) {
    if (Number.isInteger(value)) return Array(rank).fill(value);
    if (Array.isArray(value) && value.length === rank && value.every(Number.isInteger)) return value;
    return null;
  }

  /** The drawn input's size: "3", "3x3" or "[4, 2]", 1 to 8 per axis. */
  function smallSize(text, rank) {
    const parts = text.trim().replace(/^\[|\]$/g, "").split(/\s*[x,]\s*/).map((p) => Number(p));
    const size = parts.length === 1 ? Array(rank).fill(parts[0]) : parts;
    if (size.length !== rank || !size.every((v) => Number.isInteger(v) && v >= 1 && v <= 8)) {
      throw new Error(`explain input: '${text}' is not ${rank} size(s) from 1 to 8 (e.g. 3 or ${Array(rank).fill(3).join("x")})`);
    }
    return size;
  }

  /** The compute body for a layer's own parameters on a ramp input, one channel in and out. */
  function computeBody(spec, rank, sizeText) {
    const kernel = perAxis(spec.kernel_size, rank);
    if (!kernel) throw new Error(`kernel_size ${JSON.stringify(spec.kernel_size)}: only numbers can be drawn`);
    const body = { input: ramp([1, 1, ...smallSize(sizeText, rank)]), weight: ramp([1, 1, ...kernel]) };
    // output_size fits the network's real input, not the drawn one; groups and channels: one channel is drawn.
    for (const key of ["stride", "padding", "output_padding", "dilation"]) if (key in spec) body[key] = spec[key];
    return body;
  }

  function create({ $, el, call, onState }) {
    let candidates = [];
    let key = "";
    let frame = 1;
    let shown = ""; // the request body of the picture on show
    let generation = 0;

    function svg() { return $("explain-diagram").querySelector("svg"); }
    function panels() { const root = svg(); return root ? [...root.querySelectorAll("g.panel")] : []; }
    function origin(panel) {
      const label = panel.querySelector("text");
      return [Number(label.getAttribute("x")), Number(label.getAttribute("y"))];
    }

    function showFrame() {
      const all = panels();
      frame = Math.min(Math.max(1, frame), Math.max(1, all.length));
      all.forEach((panel, i) => {
        panel.classList.toggle("off", i !== frame - 1);
        panel.removeAttribute("transform");
      });
      if (all.length) {
        const [x0, y0] = origin(all[0]);
        const [x, y] = origin(all[frame - 1]);
        if (x !== x0 || y !== y0) all[frame - 1].setAttribute("transform", `translate(${x0 - x} ${y0 - y})`);
      }
      const position = all.length ? all[frame - 1].getAttribute("data-position") : "";
      $("explain-frame").textContent = all.length ? `frame ${frame} of ${all.length}: output ${position}` : "";
      $("explain-prev").disabled = frame <= 1;
      $("explain-next").disabled = frame >= all.length;
      onState();
    }

    // Crop the picture to its title, legend and the first panel's place; the notes under the grid go in the text.
    function crop() {
      const root = svg();
      const first = panels()[0];
      if (!first) return [];
      const box = first.getBBox();
      const title = root.querySelector(":scope > text").getBBox();
      const [, , width] = root.getAttribute("viewBox").split(" ").map(Number);
      const w = Math.min(width, Math.max(box.x + box.width, title.x + title.width) + 16);
      const h = box.y + box.height + 16;
      root.setAttribute("viewBox", `0 0 ${w} ${h}`);
      root.setAttribute("width", String(w));
      root.setAttribute("height", String(h));
      return [...root.children].filter((c) => c.tagName === "text" && Number(c.getAttribute("y")) > h)
        .map((c) => c.textContent);
    }

    function note(text) { $("explain-note").textContent = text; }

    async function draw() {
      const layer = candidates.find((c) => c.key === key);
      const mine = ++generation;
      if (!layer) { shown = ""; $("explain-diagram").replaceChildren(); showFrame(); return; }
      let body;
      try { body = computeBody(layer.spec, layer.rank, $("explain-size").value); } catch (e) {
        shown = ""; $("explain-diagram").replaceChildren(); note(e.message); showFrame(); return;
      }
      const text = JSON.stringify(body);
      if (text === shown) { showFrame(); return; }
      const answer = await call("v1/compute/conv_transpose?format=svg", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: text,
      });
      if (mine !== generation) return; // a newer layer or size is on its way
      if (!answer.ok) {
        shown = ""; $("explain-diagram").replaceChildren();
        const p = answer.payload || {};
        note([p.detail || p.title || String(p), ...(p.errors || []).map((e) => e.msg)].join("; "));
        showFrame();
        return;
      }
      const root = new DOMParser().parseFromString(answer.payload, "image/svg+xml").documentElement;
      $("explain-diagram").replaceChildren(root.nodeName === "svg" ? document.importNode(root, true) : "");
      shown = text;
      const notes = crop();
      note(`${layer.key}: ${layer.label} on a ${smallSize($("explain-size").value, layer.rank).join("x")} input `
           + `of 1, 2, 3, ... and a kernel of 1, 2, 3, ... (one channel).${notes.length ? " " + notes.join("; ") : ""}`);
      showFrame();
    }

    /** The conv_transpose layers of the latest answer: [{key, label, spec, rank}]. */
    function update(next) {
      candidates = next;
      const select = $("explain-layer");
      select.replaceChildren(...next.map((c) => el("option", `${c.key} (${c.label})`, { value: c.key })));
      if (!next.some((c) => c.key === key)) { key = next.length ? next[0].key : ""; frame = 1; }
      select.value = key;
      $("explain-controls").hidden = !next.length;
      if (!next.length) note("No conv_transpose layer in this network: add one (e.g. conv_transpose:k=3,s=2,p=1) to see it explained.");
      draw();
    }

    function step(by) { frame += by; showFrame(); }

    $("explain-layer").addEventListener("change", () => { key = $("explain-layer").value; frame = 1; draw(); });
    $("explain-size").addEventListener("input", () => { frame = 1; draw(); });
    $("explain-prev").addEventListener("click", () => step(-1));
    $("explain-next").addEventListener("click", () => step(1));

    return {
      update,
      state: () => ({ "explain-layer": key, "explain-frame": String(frame), "explain-size": $("explain-size").value }),
      restore(state) {
        if (typeof state["explain-layer"] === "string") key = state["explain-layer"];
        if (typeof state["explain-size"] === "string") $("explain-size").value = state["explain-size"];
        const k = parseInt(state["explain-frame"], 10);
        if (Number.isInteger(k) && k >= 1) frame = k;
      },
    };
  }

  /** A layer's short description from its parameters. */
  function label(spec) {
    const parts = [];
    for (const [name, short] of [["kernel_size", "k"], ["stride", "s"], ["padding", "p"], ["output_padding", "op"],
      ["dilation", "d"]]) if (name in spec) parts.push(`${short}=${JSON.stringify(spec[name])}`);
    return parts.join(", ");
  }

  window.convplanExplain = { create, label };
})();
