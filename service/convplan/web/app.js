// The page's logic: read the editor, call the public /v1 API (relative URLs), show the answers.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const { parseStack, parseSize, parseValue } = window.convplanLayers;
  let explainer = null; // the explain frames (explain.js), made once the page is loaded
  const TEMPLATES = {
    unet: { name: "unet", depth: 4, conv: { kernel_size: 3, padding: 0 }, base_channels: 64, out_channels: 2 },
    "unet-same": { name: "unet", depth: 4, conv: { kernel_size: 3, padding: 1 }, base_channels: 64, out_channels: 2 },
    "fcn-8s": { name: "fcn", variant: "8s" },
  };
  const FIELDS = ["layers", "input-size", "in-channels", "template", "align"];
  let generation = 0; // answers to an older edit are dropped
  let timer = null;

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  function fmtSize(values) {
    if (!Array.isArray(values)) return values === null || values === undefined ? "-" : String(values);
    if (values.every((v) => Number.isInteger(v))) return values.join("x");
    return values.length === 1 ? String(values[0]) : "[" + values.join(", ") + "]";
  }

  function fmtRf(field) {
    if (!Array.isArray(field)) return "-";
    return field.map((axis) => (axis && axis.size !== undefined ? `${axis.size} (jump ${axis.jump})` : "-")).join(" x ");
  }

  // --- requests ------------------------------------------------------------

  function request() {
    const template = $("template").value;
    const body = {};
    let path = "v1/plan";
    const size = $("input-size").value.trim();
    const channels = $("in-channels").value.trim();
    if (template) {
      body.template = TEMPLATES[template];
    } else {
      const text = $("layers").value.trim();
      let parsed;
      if (text.startsWith("{") || text.startsWith("[")) {
        try { parsed = JSON.parse(text); } catch (e) { throw new Error("layers: " + e.message); }
      } else {
        parsed = parseStack(text);
      }
      if (Array.isArray(parsed)) body.encoder = [{ layers: parsed }];
      else if (parsed && Array.isArray(parsed.nodes)) { Object.assign(body, parsed); path = "v1/graph"; }
      else Object.assign(body, parsed);
    }
    if (path === "v1/plan") {
      if (size) body.input_size = parseSize(size);
      if (channels) body.in_channels = parseValue(channels);
      if ($("align").value) body.align = $("align").value;
    } else if (size && Array.isArray(body.inputs) && body.inputs.length) {
      body.inputs = [{ ...body.inputs[0], size: parseSize(size) }, ...body.inputs.slice(1)];
    }
    return { path, body };
  }

  async function call(path, init) {
    const response = await fetch(path, init);
    const type = response.headers.get("content-type") || "";
    const payload = type.includes("json") ? await response.json() : await response.text();
    return { ok: response.ok, status: response.status, payload };
  }

  function post(path, body, svg) {
    return call(path + (svg ? "?format=svg" : ""), {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
  }

  // --- rendering -----------------------------------------------------------

  function showError(problem) {
    const box = $("error");
    box.replaceChildren();
    if (!problem) return;
    const detail = typeof problem === "string" ? problem : problem.detail || problem.title || JSON.stringify(problem);
    box.append(el("strong", detail));
    const list = el("ul");
    for (const item of (problem && problem.errors) || []) {
      const where = Array.isArray(item.loc) ? item.loc.join("/") : "";
      list.append(el("li", `${where}: ${item.msg}`));
    }
    if (list.children.length) box.append(list);
  }

  function showSvg(text) {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    if (root.nodeName !== "svg") { $("diagram").replaceChildren(); return; }
    $("diagram").replaceChildren(document.importNode(root, true));
  }

  function planRows(result) {
    const rows = [];
    const stages = [...(result.encoder || []), ...(result.decoder || []), result.head || { layers: [] }];
    for (const stage of stages) for (const layer of (stage && stage.layers) || []) rows.push(layer);
    return rows;
  }

  function showTable(rows, culprit) {
    const body = $("layer-table").tBodies[0];
    body.replaceChildren();
    rows.forEach((layer, i) => {
      const where = layer.loc ? layer.loc.join("/") : layer.id;
      const tr = el("tr", null, { "data-index": String(layer.index !== undefined ? layer.index : i) });
      if (culprit && (culprit === where || culprit === layer.id)) tr.className = "culprit";
      const channels = layer.in_channels === layer.out_channels ? layer.out_channels : `${layer.in_channels} -> ${layer.out_channels}`;
      const input = Array.isArray(layer.input_size) && Array.isArray(layer.input_size[0])
        ? layer.input_size.map(fmtSize).join(", ") : fmtSize(layer.input_size);
      for (const cell of [tr.dataset.index, where, layer.op, input, fmtSize(layer.output_size),
        channels === null || channels === undefined ? "-" : channels, layer.params === null ? "-" : layer.params,
        fmtRf(layer.receptive_field)]) tr.append(el("td", cell));
      body.append(tr);
    });
  }

  // A refusal from a layer carries the layers computed before it: show them, and the refused one inline.
  function showPartial(problem) {
    if (!problem || !Array.isArray(problem.layers)) return;
    showTable(problem.layers.filter((layer) => layer && typeof layer === "object"));
    const body = $("layer-table").tBodies[0];
    for (const item of problem.errors || []) {
      if (!Number.isInteger(item.layer)) continue;
      const tr = el("tr", null, { "data-index": String(item.layer), class: "error-row" });
      tr.append(el("td", item.layer), el("td", Array.isArray(item.loc) ? item.loc.slice(1).join("/") : ""));
      tr.append(el("td", item.msg, { colspan: "6" }));
      body.append(tr);
    }
  }

  function showSkips(result) {
    const box = $("skips");
    box.replaceChildren();
    const list = el("ul");
    for (const s of result.skips || []) {
      const fix = s.applied ? `${s.applied} ${JSON.stringify(s[s.applied])}` : s.aligned ? "aligned" : "NOT ALIGNED";
      const li = el("li", `encoder ${s.encoder_stage} -> decoder ${s.decoder_stage}: ${fmtSize(s.encoder_size)} vs ${fmtSize(s.decoder_size)}, ${fix}; crop ${JSON.stringify(s.crop)}, pad ${JSON.stringify(s.pad)}, output_padding ${JSON.stringify(s.output_padding)}`);
      if (!s.aligned && !s.applied) li.className = "mismatch";
      list.append(li);
    }
    for (const m of result.merges || []) {
      const li = el("li", `${m.node} (${(m.inputs || []).join(", ")}): sizes ${JSON.stringify(m.sizes)}, ${m.aligned ? "aligned" : "NOT ALIGNED"}${m.applied ? ", " + m.applied + " applied" : ""}`);
      if (!m.aligned && !m.applied) li.className = "mismatch";
      list.append(li);
    }
    if (list.children.length) box.append(list);
    if (result.mismatch) box.append(el("p", result.mismatch.detail || JSON.stringify(result.mismatch), { class: "mismatch" }));
    if (!list.children.length && !result.mismatch) box.append(el("p", "no skip connections"));
  }

  function showValidSizes(result) {
    const box = $("valid-sizes");
    box.replaceChildren();
    const entries = result.valid_input_sizes;
    const reasons = [].concat(result.valid_input_sizes_reason || []).filter(Boolean); // why no closed form
    if (!Array.isArray(entries)) { box.append(el("p", reasons.join("; ") || "not available")); return; }
    entries.forEach((entry, axis) => {
      if (!entry) { box.append(el("p", `axis ${axis}: no closed form`)); return; }
      const set = entry.clean || entry; // /v1/graph: runs / clean / same_size; /v1/plan: one set
      let text = `axis ${axis}: ${describeSet(set)}`;
      if (entry.nearest) text += `; nearest: ${entry.nearest.below} (below), ${entry.nearest.above} (above)`;
      if (typeof set.output_size === "string") text += `; output = ${set.output_size}`;
      box.append(el("p", text));
    });
    if (entries.includes(null)) for (const reason of reasons) box.append(el("p", reason, { class: "reason" }));
  }

  // A valid-size set, as the contract writes it: extra ∪ {min <= i <= max : i mod modulus in residues}.
  function describeSet(set) {
    const parts = [];
    if (set.extra && set.extra.length) parts.push(`i in {${set.extra.join(", ")}}`);
    if (set.residues && set.residues.length) {
      let pattern = `i mod ${set.modulus} in {${set.residues.join(", ")}}, i >= ${set.min}`;
      if (set.max !== null && set.max !== undefined) pattern += `, i <= ${set.max}`;
      parts.push(pattern);
    }
    return parts.length ? parts.join(" or ") : "no size";
  }

  function showReceptiveFields(rows) {
    const box = $("receptive-fields");
    box.replaceChildren();
    const reported = rows.filter((r) => Array.isArray(r.receptive_field));
    if (!reported.length) { box.append(el("p", "not reported by this service version")); return; }
    const last = reported[reported.length - 1];
    box.append(el("p", `${last.loc ? last.loc.join("/") : last.id}: ${fmtRf(last.receptive_field)}`));
  }

  // The conv_transpose layers of an answer, with their parameters from what was asked (a plan: the expanded
  // template or the body, by loc; a graph or model: its nodes, by id).
  function transposedConvs(rows, asked) {
    const nodes = new Map(((asked && asked.nodes) || []).map((node) => [node.id, node]));
    const found = [];
    for (const row of rows) {
      if (row.op !== "conv_transpose" || !Array.isArray(row.output_size)) continue;
      const spec = row.loc ? row.loc.reduce((at, step) => (at == null ? at : at[step]), asked) : nodes.get(row.id);
      if (!spec || typeof spec !== "object") continue;
      const key = row.loc ? row.loc.join("/") : row.id;
      found.push({ key, spec, rank: row.output_size.length, label: window.convplanExplain.label(spec) });
    }
    return found;
  }

  function showResult(result) {
    const rows = result.nodes || planRows(result);
    const culprit = result.mismatch && (result.mismatch.layer ? result.mismatch.layer.loc.join("/")
      : result.mismatch.culprit && result.mismatch.culprit.node);
    showTable(rows, culprit);
    showSkips(result);
    showValidSizes(result);
    showReceptiveFields(rows);
  }

  // --- refresh -------------------------------------------------------------

  async function refresh() {
    const mine = ++generation;
    saveHash();
    let req;
    try { req = request(); } catch (e) { showError(e.message); return; }
    $("status").textContent = "computing...";
    const [json, svg] = await Promise.all([post(req.path, req.body, false), post(req.path, req.body, true)]);
    if (mine !== generation) return; // a newer edit is on its way
    $("status").textContent = "";
    if (!json.ok) { showError(json.payload); showPartial(json.payload); return; }
    showError(null);
    showResult(json.payload);
    if (svg.ok) showSvg(svg.payload);
    explainer.update(transposedConvs(json.payload.nodes || planRows(json.payload), json.payload.expanded || req.body));
  }

  async function uploadOnnx(file) {
    const mine = ++generation;
    clearTimeout(timer); // an edit waiting to be sent is older than the model
    $("status").textContent = "importing...";
    const bytes = await file.arrayBuffer();
    const init = { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: bytes };
    const [json, svg] = await Promise.all([call("v1/import/onnx", init), call("v1/import/onnx?format=svg", init)]);
    if (mine !== generation) return;
    $("status").textContent = "";
    if (!json.ok) { showError(json.payload); return; }
    showError(null);
    const analysis = json.payload.analysis || {};
    showResult(analysis);
    if (svg.ok) showSvg(svg.payload);
    explainer.update(transposedConvs(analysis.nodes || [], json.payload.graph));
    // The editor now holds the model as a /v1/graph body, with its input's size: edits re-analyse it.
    const graph = json.payload.graph;
    $("layers").value = JSON.stringify(graph);
    $("template").value = "";
    const size = graph.inputs && graph.inputs[0] && graph.inputs[0].size;
    if (Array.isArray(size)) $("input-size").value = size.every(Number.isInteger) ? size.join("x") : `[${size.join(", ")}]`;
    saveHash();
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  // --- shareable state -----------------------------------------------------

  function saveHash() {
    const state = {};
    for (const id of FIELDS) state[id] = $(id).value;
    Object.assign(state, explainer.state());
    history.replaceState(null, "", "#" + encodeURIComponent(JSON.stringify(state)));
  }

  function loadHash() {
    if (location.hash.length < 2) return;
    try {
      const state = JSON.parse(decodeURIComponent(location.hash.slice(1)));
      for (const id of FIELDS) if (typeof state[id] === "string") $(id).value = state[id];
      explainer.restore(state);
    } catch (e) { /* a hand-edited hash: keep the defaults */ }
  }

  document.addEventListener("DOMContentLoaded", () => {
    explainer = window.convplanExplain.create({ $, el, call, onState: saveHash });
    loadHash();
    for (const id of FIELDS) {
      $(id).addEventListener("input", schedule);
      $(id).addEventListener("change", schedule);
    }
    $("onnx-file").addEventListener("change", () => {
      const file = $("onnx-file").files[0];
      if (file) uploadOnnx(file);
    });
    refresh();
  });
})();
