// matdiff's web page: the "evaluate" panel.  The derivative's numbers beside central finite
// differences of the expression, both computed by the server (POST /api/gradcheck), at values
// drawn at random or typed in.  app.js calls MatdiffEvaluate.show(request, variables) after
// each derivative.
"use strict";

window.MatdiffEvaluate = (function () {
  const $ = (sel) => document.querySelector(sel);
  let request = null;     // {expression, wrt, vars, layout, order, types} of the derivative shown
  let variables = [];     // [{name, kind}]
  let seq = 0;
  let controller = null;

  // ---- numbers as text ------------------------------------------------------------------
  function num(x) {
    if (x === null) return "NaN";
    if (typeof x === "string") return x;   // "inf", "-inf"
    if (x === 0) return "0";
    const s = String(Number(x.toPrecision(6)));
    return s;
  }

  function rows(a) {  // a nested list as lines of aligned columns
    if (!Array.isArray(a)) return [num(a)];
    if (!Array.isArray(a[0])) return [a.map(num).join("  ")];
    const cells = a.map((r) => r.map(num));
    const width = Math.max(...cells.flat().map((c) => c.length));
    return cells.map((r) => r.map((c) => c.padStart(width)).join("  "));
  }

  function arrayText(a, prefix = []) {
    if (Array.isArray(a) && Array.isArray(a[0]) && Array.isArray(a[0][0])) {
      // three or more indices: one block per leading index
      return a.map((sub, k) => arrayText(sub, prefix.concat([k + 1]))).join("\n\n");
    }
    const body = rows(a).join("\n");
    if (!prefix.length) return body;
    const rest = Array.isArray(a) && Array.isArray(a[0]) ? ", :, :" : ", :";
    return "[" + prefix.join(", ") + rest + "]\n" + body;
  }

  // ---- values typed in --------------------------------------------------------------------
  function readValue(name, kind, text) {
    const lines = text.trim().split(/\n|;/).map((l) => l.trim()).filter(Boolean);
    const table = lines.map((l) => l.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean).map(Number));
    if (!table.length || table.flat().some((x) => !Number.isFinite(x))) {
      throw new Error("cannot read the value of " + name + ": write numbers separated by spaces" +
                      (kind === "matrix" ? ", one row a line (or rows separated by ';')" : ""));
    }
    if (kind === "scalar") {
      if (table.flat().length !== 1) throw new Error(name + " is a scalar: write one number");
      return table[0][0];
    }
    if (kind === "vector") return table.flat();
    if (table.some((r) => r.length !== table[0].length)) {
      throw new Error("the rows of " + name + " have different lengths");
    }
    return table;
  }

  function valueText(v) {
    if (!Array.isArray(v)) return num(v);
    if (!Array.isArray(v[0])) return v.map(num).join(" ");
    return v.map((r) => r.map(num).join(" ")).join("\n");
  }

  function renderInputs(values) {
    const box = $("#eval-values");
    box.textContent = "";
    for (const v of variables) {
      const label = document.createElement("label");
      label.className = "eval-var";
      const name = document.createElement("span");
      name.className = "var-name";
      name.textContent = v.name;
      const ta = document.createElement("textarea");
      ta.dataset.name = v.name;
      ta.dataset.kind = v.kind;
      ta.spellcheck = false;
      ta.setAttribute("aria-label", "value of " + v.name);
      const text = values && values[v.name] !== undefined ? valueText(values[v.name]) : "";
      ta.value = text;
      ta.rows = Math.min(6, Math.max(1, text.split("\n").length));
      ta.cols = Math.min(60, Math.max(10, ...text.split("\n").map((l) => l.length + 2)));
      label.append(name, ta);
      box.appendChild(label);
    }
  }

  // ---- talking to the server --------------------------------------------------------------
  async function run(values, seed) {
    if (!request) return;
    if (controller) controller.abort();
    controller = new AbortController();
    const my = ++seq;
    $("#eval-box").classList.add("busy");
    let res, data;
    try {
      res = await fetch("/api/gradcheck", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(Object.assign({}, request, { values: values, seed: seed })),
        signal: controller.signal,
      });
      data = await res.json();
    } catch (e) {
      if (e.name === "AbortError" || my !== seq) return;
      res = { ok: false };
      data = { error: "cannot reach the matdiff server (" + e.message + ")" };
    }
    if (my !== seq) return;
    $("#eval-box").classList.remove("busy");
    if (!res.ok) {
      showError(data.error || "error");
      return;
    }
    $("#eval-error").hidden = true;
    renderInputs(data.values);
    $("#eval-sizes").textContent = Object.entries(data.sizes).map(([d, n]) => d + " = " + n).join(", ");
    const verdict = $("#eval-verdict");
    verdict.textContent = data.agrees ? "✓ agrees with finite differences" : "✗ differs from finite differences";
    verdict.className = "verdict " + (data.agrees ? "holds" : "fails");
    $("#eval-detail").textContent = "largest difference " + data.max_abs_error.toPrecision(2) +
      " (relative " + data.max_rel_error.toPrecision(2) + ")";
    $("#eval-value").textContent = arrayText(data.value);
    $("#eval-derivative").textContent = arrayText(data.derivative);
    $("#eval-fd").textContent = arrayText(data.finite_difference);
    $("#eval-out").hidden = false;
  }

  function showError(message) {
    const box = $("#eval-error");
    box.textContent = message;
    box.hidden = false;
    $("#eval-out").hidden = true;
  }

  function typedValues() {
    const out = {};
    for (const ta of document.querySelectorAll("#eval-values textarea")) {
      if (ta.value.trim()) out[ta.dataset.name] = readValue(ta.dataset.name, ta.dataset.kind, ta.value);
    }
    return out;
  }

  // ---- wiring -------------------------------------------------------------------------------
  function show(req, vars) {
    request = req;
    variables = vars.map((v) => ({ name: v.name, kind: v.kind }));
    renderInputs(null);
    $("#eval-out").hidden = true;
    $("#eval-error").hidden = true;
    $("#eval-sizes").textContent = "";
    if ($("#eval-box").open) run({}, 0);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#eval-random").addEventListener("click", () => run({}, Math.floor(Math.random() * 1e9)));
    $("#eval-run").addEventListener("click", () => {
      let values;
      try { values = typedValues(); } catch (e) { showError(e.message); return; }
      run(values, 0);
    });
    $("#eval-box").addEventListener("toggle", () => {
      if ($("#eval-box").open && request && $("#eval-out").hidden) run({}, 0);
    });
  });

  return { show: show, arrayText: arrayText };
})();
