// The command line's layer syntax, parsed in the page: a line-for-line port of
// convplan/commands/_spec.py (tests/fixtures/layer_syntax.json checks both).
"use strict";
(function () {
  const OP_ALIASES = {
    convolution: "conv", conv_t: "conv_transpose", convt: "conv_transpose", tconv: "conv_transpose",
    deconv: "conv_transpose", up_conv: "conv_transpose", pool: "max_pool", maxpool: "max_pool", mp: "max_pool",
    avgpool: "avg_pool", ap: "avg_pool", gap: "adaptive_avg_pool", adaptive_pool: "adaptive_avg_pool",
    unpool: "max_unpool", up: "upsample", interpolate: "upsample", shuffle: "pixel_shuffle",
    unshuffle: "pixel_unshuffle", bn: "batch_norm", bnorm: "batch_norm",
  };
  const KEY_ALIASES = {
    k: "kernel_size", s: "stride", p: "padding", d: "dilation", op: "output_padding", c: "out_channels",
    out: "out_channels", g: "groups", os: "output_size", sf: "scale_factor", scale: "scale_factor", m: "mode",
    pm: "padding_mode", ceil: "ceil_mode", ac: "align_corners", cip: "count_include_pad", from: "indices_from",
  };
  const MAIN_PARAMETER = {
    conv: "kernel_size", conv_transpose: "kernel_size", max_pool: "kernel_size", avg_pool: "kernel_size",
    max_unpool: "kernel_size", adaptive_avg_pool: "output_size", adaptive_max_pool: "output_size",
    upsample: "scale_factor", pixel_shuffle: "upscale_factor", pixel_unshuffle: "downscale_factor",
    pad: "padding", crop: "crop",
  };
  const INT = /^[+-]?[0-9]+$/;
  const PER_AXIS_INTS = /^[0-9]+(?:x[0-9]+)+$/;
  const FLOAT = /^[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]+)$/;
  const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
  const has = (table, key) => Object.prototype.hasOwnProperty.call(table, key);

  class SpecError extends Error {}

  function splitTop(text, sep = ",") {
    const parts = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === "[" || ch === "(") depth++;
      else if (ch === "]" || ch === ")") {
        depth--;
        if (depth < 0) throw new SpecError(`unbalanced '${ch}' in '${text}'`);
      } else if (ch === sep && depth === 0) {
        parts.push(text.slice(start, i));
        start = i + 1;
      }
    }
    if (depth !== 0) throw new SpecError(`unbalanced brackets in '${text}'`);
    parts.push(text.slice(start));
    return parts;
  }

  function parseValue(text) {
    const raw = text.trim();
    if (!raw) throw new SpecError("empty value");
    const low = raw.toLowerCase();
    if (low === "true" || low === "false") return low === "true";
    if (low === "null" || low === "none") return null;
    if (INT.test(raw)) return parseInt(raw, 10);
    if (PER_AXIS_INTS.test(raw)) return raw.split("x").map((part) => parseInt(part, 10));
    if (FLOAT.test(raw)) return parseFloat(raw);
    if (raw.startsWith("[") && raw.endsWith("]")) {
      splitTop(raw.slice(1, -1));
      const inner = raw.slice(1, -1).trim();
      return inner ? splitTop(inner).map(parseValue) : [];
    }
    if (raw.includes("[") || raw.includes("]")) throw new SpecError(`cannot read '${raw}': a list is [item,item,...]`);
    return raw;
  }

  function parseSize(text) {
    const value = parseValue(text);
    const bad = (v) => Array.isArray(v) || typeof v === "boolean" || v === null || (typeof v === "number" && !Number.isInteger(v));
    if (Array.isArray(value)) {
      if (!value.length || value.some(bad)) throw new SpecError(`cannot read the size '${text}': one integer or expression per axis`);
      return value;
    }
    if (bad(value)) throw new SpecError(`cannot read the size '${text}': an integer or an expression`);
    return [value];
  }

  function parseLayer(text) {
    const colon = text.indexOf(":");
    const opText = colon < 0 ? text : text.slice(0, colon);
    const args = colon < 0 ? "" : text.slice(colon + 1);
    const opName = opText.trim().toLowerCase().replace(/-/g, "_");
    if (!opName) throw new SpecError(`layer '${text}': missing op (e.g. conv:k=3)`);
    const op = has(OP_ALIASES, opName) ? OP_ALIASES[opName] : opName;
    const layer = { op };
    if (!args.trim()) {
      if (colon >= 0) throw new SpecError(`layer '${text}': nothing after ':'`);
      return layer;
    }
    splitTop(args).forEach((rawItem, position) => {
      const item = rawItem.trim();
      if (!item) throw new SpecError(`layer '${text}': empty item (two commas?)`);
      const eq = item.indexOf("=");
      let key = eq < 0 ? item : item.slice(0, eq);
      let value = eq < 0 ? "" : item.slice(eq + 1);
      if (eq < 0 || !NAME.test(key.trim())) {
        if (position === 0 && has(MAIN_PARAMETER, op)) {
          key = MAIN_PARAMETER[op];
          value = item;
        } else if (position === 0) {
          throw new SpecError(`layer '${text}': ${op} has no main parameter; write KEY=VALUE`);
        } else {
          throw new SpecError(`layer '${text}': '${item}' is not KEY=VALUE`);
        }
      }
      key = key.trim();
      let name = has(KEY_ALIASES, key) ? KEY_ALIASES[key] : key;
      if (name === "upscale_factor" && op === "pixel_unshuffle") name = "downscale_factor";
      if (key === "r") name = op === "pixel_unshuffle" ? "downscale_factor" : "upscale_factor";
      if (has(layer, name)) throw new SpecError(`layer '${text}': ${name} given twice`);
      layer[name] = parseValue(value);
    });
    return layer;
  }

  /** Layers separated by white space, as the shell splits `convplan shape` arguments. */
  function parseStack(text) {
    return text.split(/\s+/).filter((t) => t).map(parseLayer);
  }

  window.convplanLayers = { SpecError, parseValue, parseSize, parseLayer, parseStack };
})();
