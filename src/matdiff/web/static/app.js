// matdiff's web page: plain JavaScript, no build step, no third-party code.
// Talks to the JSON API of the same server (/api/parse, /api/derivative, /api/check).
"use strict";

(function () {
  const $ = (sel) => document.querySelector(sel);
  const $$ = (sel) => Array.from(document.querySelectorAll(sel));
  const PROPS = ["symmetric", "spd", "diagonal", "positive", "invertible"];
  const MATRIX_ONLY = new Set(["symmetric", "spd", "diagonal", "invertible"]);
  const DEBOUNCE_MS = 250;

  // ---- state ----------------------------------------------------------------------------
  const state = {
    tab: "derive",
    expression: "",
    wrt: "",
    layout: "mixed",
    order: 1,
    types: "default",
    decls: {},          // name -> {kind, dims (array or null), props (array)}: the user's edits
    backend: "numpy",
    claim: "",
    claimVars: "",
    claimLayout: "mixed",
  };
  let variables = [];     // the last good parse: [{name, kind, dims, props, implied, declared}]
  let lastResult = null;  // the last derivative
  const conventionKind = {}; // name -> its kind when not declared (seen in a parse)
  let seq = { parse: 0, derive: 0, check: 0 };
  let controllers = {};

  // ---- talking to the server -------------------------------------------------------------
  async function api(kind, path, body) {
    if (controllers[kind]) controllers[kind].abort();
    const ctl = new AbortController();
    controllers[kind] = ctl;
    const my = ++seq[kind];
    let res, data;
    try {
      res = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        signal: ctl.signal,
      });
      data = await res.json();
    } catch (e) {
      if (e.name === "AbortError") return null;
      if (my !== seq[kind]) return null;
      return { ok: false, status: 0, data: { error: "cannot reach the matdiff server (" + e.message + ")" } };
    }
    if (my !== seq[kind]) return null; // a newer request has been sent
    return { ok: res.ok, status: res.status, data };
  }

  const { setMath, fitMath, showError } = window.MatdiffRender;

  // ---- the URL ----------------------------------------------------------------------------
  function declSpec(d) {
    if (d.raw) return d.raw;  // typed in the declarations field and not understood here
    let s = d.kind;
    if (d.dims && d.dims.length) s += "(" + d.dims.join(",") + ")";
    const props = (d.props || []).filter((p) => d.kind === "matrix" || !MATRIX_ONLY.has(p));
    if (props.length) s += " " + props.join(" ");
    return s;
  }

  function identifiers(text) {
    return new Set(text.match(/[A-Za-z_\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff]*/g) || []);
  }

  // the declarations that apply: the user's edits for names in the expression
  function activeDecls() {
    const ids = identifiers(state.expression);
    const out = {};
    for (const [name, d] of Object.entries(state.decls)) {
      if (ids.has(name)) out[name] = declSpec(d);
    }
    return out;
  }

  function parseDeclString(s, bad) {
    // "X: matrix(m,n) symmetric; x: vector" -> decls; a part it cannot read goes to bad[]
    const out = {};
    for (const part of (s || "").split(/[;\n]/)) {
      if (!part.trim()) continue;
      const named = part.match(/^\s*([A-Za-z_\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff]*)\s*:\s*(.*?)\s*$/);
      if (!named) { if (bad) bad.push(part.trim()); continue; }
      const m = part.match(/^\s*([^:\s]+)\s*:\s*(scalar|vector|matrix)\s*(?:\(([^)]*)\))?\s*((?:[a-z]+[\s,]*)*)$/);
      if (!m || m[4].split(/[\s,]+/).some((p) => p && !PROPS.includes(p))) {
        out[named[1]] = { raw: named[2], kind: null, dims: null, props: [] };  // the server says why
        continue;
      }
      out[m[1]] = {
        kind: m[2],
        dims: m[3] ? m[3].split(",").map((x) => x.trim()).filter(Boolean) : null,
        props: m[4].split(/[\s,]+/).filter((p) => PROPS.includes(p)),
      };
    }
    return out;
  }

  function writeURL() {
    const p = new URLSearchParams();
    if (state.tab !== "derive") p.set("tab", state.tab);
    if (state.expression) p.set("e", state.expression);
    if (state.wrt) p.set("wrt", state.wrt);
    if (state.layout !== "mixed") p.set("layout", state.layout);
    if (state.order !== 1) p.set("order", String(state.order));
    if (state.types !== "default") p.set("types", state.types);
    const decls = declText();
    if (decls) p.set("vars", decls);
    if (state.backend !== "numpy") p.set("code", state.backend);
    if (state.claim) p.set("claim", state.claim);
    if (state.claimVars) p.set("cvars", state.claimVars);
    if (state.claimLayout !== "mixed") p.set("clayout", state.claimLayout);
    const hash = p.toString();
    const url = location.pathname + location.search + (hash ? "#" + hash : "");
    if (url !== location.pathname + location.search + location.hash) history.replaceState(null, "", url);
  }

  function readURL() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ""));
    state.tab = p.get("tab") === "check" ? "check" : "derive";
    state.expression = p.get("e") || "";
    state.wrt = p.get("wrt") || "";
    const layout = p.get("layout");
    state.layout = ["mixed", "numerator", "denominator"].includes(layout) ? layout : "mixed";
    const order = parseInt(p.get("order") || "1", 10);
    state.order = order >= 1 && order <= 6 ? order : 1;
    state.types = p.get("types") === "matrixcalculus" ? "matrixcalculus" : "default";
    state.decls = parseDeclString(p.get("vars"));
    const code = p.get("code");
    state.backend = ["numpy", "jax", "torch", "dask"].includes(code) ? code : "numpy";
    state.claim = p.get("claim") || "";
    state.claimVars = p.get("cvars") || "";
    const cl = p.get("clayout");
    state.claimLayout = ["mixed", "numerator", "denominator"].includes(cl) ? cl : "mixed";
  }

  function declText() {
    return Object.entries(state.decls).map(([n, d]) => n + ": " + declSpec(d)).join("; ");
  }

  function syncDecls() {  // the declarations field shows state.decls (after any other edit)
    $("#decls").value = declText();
    $("#decls-status").textContent = "";
  }

  function syncInputs() {
    $("#expression").value = state.expression;
    syncDecls();
    $("#layout-" + state.layout).checked = true;
    $("#order").value = String(state.order);
    $("#types").value = state.types;
    $("#claim").value = state.claim;
    $("#claim-vars").value = state.claimVars;
    $("#claim-layout").value = state.claimLayout;
    selectTab(state.tab, false);
  }

  // ---- tabs -------------------------------------------------------------------------------
  function selectTab(tab, write = true) {
    state.tab = tab;
    $("#tab-derive").setAttribute("aria-selected", String(tab === "derive"));
    $("#tab-check").setAttribute("aria-selected", String(tab === "check"));
    $("#panel-derive").hidden = tab !== "derive";
    $("#panel-check").hidden = tab !== "check";
    if (write) writeURL();
  }

  // ---- live parsing ---------------------------------------------------------------------
  let parseTimer = null;
  function scheduleParse(delay = DEBOUNCE_MS) {
    clearTimeout(parseTimer);
    parseTimer = setTimeout(runParse, delay);
  }

  async function runParse() {
    writeURL();
    const status = $("#parse-status");
    const input = $("#expression");
    if (!state.expression.trim()) {
      status.textContent = "";
      status.className = "parse-status";
      input.classList.remove("invalid");
      variables = [];
      renderVariables(null);
      $("#result").hidden = true;
      return;
    }
    const r = await api("parse", "/api/parse", { expression: state.expression, vars: activeDecls(), types: state.types });
    if (!r) return;
    if (r.ok) {
      input.classList.remove("invalid");
      input.removeAttribute("aria-invalid");
      status.className = "parse-status ok";
      status.textContent = "✓ " + describeShape(r.data.kind, r.data.shape) + " expression";
      variables = r.data.variables;
      for (const v of variables) if (!v.declared) conventionKind[v.name] = v.kind;
      renderVariables(null);
      updateWrt();
      scheduleDerive(0);
      return;
    }
    input.classList.add("invalid");
    input.setAttribute("aria-invalid", "true");
    status.className = "parse-status error";
    const d = r.data || {};
    status.textContent = "";
    const box = document.createElement("div");
    box.className = "error-box";
    if (d.field === "expression") showError(box, d, state.expression);
    else showError(box, d);
    const fixes = (d.fix && d.fix.name ? [d.fix] : []).concat(d.fixes || [])
      .filter((f, i, all) => all.findIndex((g) => g.name === f.name) === i);
    if (fixes.length) {
      const row = document.createElement("div");
      row.className = "fixes";
      row.append(fixes.length > 1 ? "Either declaration makes it type: " : "This declaration makes it type: ",
        ...fixes.map(fixButton));
      box.appendChild(row);
    }
    status.appendChild(box);
    // the table is this expression's, and stays editable: the names it uses, with their kinds
    variables = d.variables || [];
    for (const v of variables) if (!v.declared) conventionKind[v.name] = v.kind;
    const bad = d.field && d.field.startsWith("vars.") ? d.field.slice(5) : (fixes.length ? fixes[0].name : null);
    const inField = d.field && d.field.startsWith("vars.");
    renderVariables(bad, !bad ? null : inField ? d.error : "as a " + fixes[0].declaration + ", " +
      bad + " makes the expression type: change its kind here, or use the button above");
    if (variables.length) updateWrt();
    $("#result").hidden = true;
  }

  function fixButton(fix) {
    const b = document.createElement("button");
    b.className = "small fix";
    b.textContent = "Declare " + fix.name + ": " + fix.declaration;
    b.addEventListener("click", () => {
      const parsed = parseDeclString(fix.name + ": " + fix.declaration);
      state.decls[fix.name] = parsed[fix.name];
      syncDecls();
      scheduleParse(0);
    });
    return b;
  }

  function describeShape(kind, shape) {
    if (kind === "scalar") return "scalar";
    if (kind === "vector") return "vector (" + shape[0] + ")";
    if (kind === "matrix") return "matrix " + shape.join("×");
    return kind;
  }

  function shapeWords(shape, asRow, form) {
    if (!shape || shape.length === 0) return "a scalar";
    if (shape.length === 1) return (asRow ? "a row vector" : "a vector") + " of length " + shape[0];
    if (shape.length === 2) return "a matrix, " + shape[0] + "×" + shape[1];
    return "an array of shape " + shape.join("×") + (form === "index" ? " (shown in index notation)" : "");
  }

  // ---- the variables table --------------------------------------------------------------
  function currentDecl(v) {
    const d = state.decls[v.name];
    if (d && !d.raw) return { kind: d.kind, dims: d.dims ? d.dims.slice() : null, props: d.props.slice() };
    return { kind: v.kind, dims: null, props: v.props.slice() };
  }

  function edit(name, change) {
    const v = variables.find((x) => x.name === name);
    if (!v) return;
    const d = currentDecl(v);
    change(d, v);
    if (d.kind !== "matrix") d.props = d.props.filter((p) => !MATRIX_ONLY.has(p));
    if (d.kind === conventionKind[name] && !d.dims && d.props.length === 0) delete state.decls[name];
    else state.decls[name] = d;
    syncDecls();
    scheduleParse(0);
  }

  function renderVariables(errorName, errorMessage) {
    window.MatdiffVariables.render(variables, state.decls, edit,
      (name) => { delete state.decls[name]; syncDecls(); scheduleParse(0); }, errorName, errorMessage);
  }

  function preferredWrt(names) {
    for (const n of ["X", "x", "W", "w", "theta", "beta"]) if (names.includes(n)) return n;
    return names[0] || "";
  }

  function updateWrt() {
    const sel = $("#wrt");
    const names = variables.map((v) => v.name);
    if (!names.includes(state.wrt)) state.wrt = preferredWrt(names);
    sel.textContent = "";
    for (const n of names) {
      const o = document.createElement("option");
      o.value = n; o.textContent = n;
      sel.appendChild(o);
    }
    sel.value = state.wrt;
    writeURL();
  }

  // ---- the derivative -----------------------------------------------------------------------
  let deriveTimer = null;
  function scheduleDerive(delay = DEBOUNCE_MS) {
    clearTimeout(deriveTimer);
    deriveTimer = setTimeout(runDerive, delay);
  }

  async function runDerive() {
    writeURL();
    if (!state.expression.trim() || !state.wrt) return;
    const result = $("#result");
    result.classList.add("busy");
    const r = await api("derive", "/api/derivative", {
      expression: state.expression, wrt: state.wrt, vars: activeDecls(),
      layout: state.layout, order: state.order, types: state.types,
    });
    if (!r) return;
    result.classList.remove("busy", "stale");
    result.hidden = false;
    if (!r.ok) {
      $("#result-body").hidden = true;
      const d = r.data || {};
      showError($("#result-error"), d, d.field === "expression" ? state.expression : undefined);
      return;
    }
    $("#result-error").hidden = true;
    $("#result-body").hidden = false;
    renderResult(r.data);
    window.MatdiffEvaluate.show({
      expression: state.expression, wrt: state.wrt, vars: activeDecls(), layout: state.layout,
      order: state.order, types: state.types,
    }, r.data.variables);
  }

  function renderResult(d) {
    lastResult = d;
    setMath($("#statement"), d.statement_mathml || d.mathml, d.text);
    fitMath($("#statement"));
    $("#result-text").textContent = d.text;
    $("#result-shape").textContent = "The derivative is " + shapeWords(d.shape, d.as_row, d.form) + " (" + d.layout + " layout" + (d.order > 1 ? ", order " + d.order : "") + ").";

    const tensor = d.form === "index";
    $("#tensor-forms").hidden = !tensor;
    if (tensor) {  // the index form itself is the statement and text above
      $("#vec-box").hidden = !d.vec;
      if (d.vec) {
        setMath($("#vec-form"), d.vec.mathml, d.vec.text);
        fitMath($("#vec-form"));
        $("#vec-text").textContent = d.vec.text;
      }
    }

    const steps = d.steps && d.steps.items ? d.steps.items : [];
    $("#steps-box").hidden = steps.length === 0;
    $("#steps-box summary").textContent = "Steps (" + steps.length + ")";
    $("#steps-heading").textContent = d.steps ? d.steps.heading : "";
    const ol = $("#steps");
    ol.textContent = "";
    for (const s of steps) {
      const li = document.createElement("li");
      const rule = document.createElement("div");
      rule.className = "rule";
      rule.textContent = s.rule;
      const m = document.createElement("div");
      m.className = "math-block";
      setMath(m, s.mathml, s.text);
      const t = document.createElement("code");
      t.className = "step-text";
      t.textContent = s.text;
      li.append(rule, m, t);
      ol.appendChild(li);
      fitMath(m);
    }

    renderCode();

    const notes = $("#notes");
    notes.textContent = "";
    for (const [k, v] of Object.entries(d.notes || {})) {
      if (k.startsWith("code_")) continue;  // said under the Code tab
      const li = document.createElement("li");
      li.textContent = (k === "extras" ? "" : k + ": ") + v;
      notes.appendChild(li);
    }
  }

  function renderCode() {
    const d = lastResult;
    for (const b of $$(".code-tabs [data-backend]")) {
      b.setAttribute("aria-selected", String(b.dataset.backend === state.backend));
    }
    const code = d && d.code ? d.code[state.backend] : null;
    $("#code").textContent = code || "";
    const note = $("#code-note");
    const why = d && d.notes ? d.notes["code_" + state.backend] : null;
    note.hidden = !!code;
    $("#code").hidden = !code;
    if (d && d.form === "index" && !code) {
      note.textContent = "Code for a derivative with three or more indices is not generated yet. " +
        "Its numbers are in the Evaluate panel below; in Python, md.derivative(...).evaluate(...) " +
        "computes it, and the vec form above is a matrix you can code by hand.";
    } else {
      note.textContent = code ? "" : ("No " + state.backend + " code" + (why ? ": " + why : "."));
    }
    $("#download-code").disabled = !code;
    $("#copy-code").disabled = !code;
  }

  function fileName() {
    const base = (state.expression.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "f").slice(0, 40);
    return "d_" + base + "_d" + state.wrt + "_" + state.backend + ".py";
  }

  function download() {
    const code = lastResult && lastResult.code ? lastResult.code[state.backend] : null;
    if (!code) return;
    const blob = new Blob([code], { type: "text/x-python" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = fileName();
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  async function copy(text) {
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const ta = document.createElement("textarea");
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      try { document.execCommand("copy"); } catch (e2) { /* nothing more to try */ }
      ta.remove();
    }
    const c = $("#copied");
    c.hidden = false;
    setTimeout(() => { c.hidden = true; }, 1200);
  }

  // ---- check a formula ----------------------------------------------------------------------
  async function runCheck() {
    state.claim = $("#claim").value;
    state.claimVars = $("#claim-vars").value;
    state.claimLayout = $("#claim-layout").value;
    writeURL();
    if (!state.claim.trim()) return;
    const box = $("#check-result");
    box.hidden = false;
    box.classList.add("busy");
    $("#verdict").textContent = "checking…";
    $("#verdict").className = "verdict";
    const r = await api("check", "/api/check", {
      claim: state.claim, vars: state.claimVars.trim() || null, layout: state.claimLayout,
    });
    if (!r) return;
    box.classList.remove("busy");
    if (!r.ok) {
      $("#check-body").hidden = true;
      const d = r.data || {};
      showError($("#check-error"), d, d.field === "claim" ? state.claim : undefined);
      if (d.fix && d.fix.name) {   // a kind error: its declaration added in one click
        const b = document.createElement("button");
        b.className = "small fix";
        b.textContent = "Declare " + d.fix.name + ": " + d.fix.declaration;
        b.addEventListener("click", () => {
          const decl = d.fix.name + ": " + d.fix.declaration;
          $("#claim-vars").value = state.claimVars.trim() ? state.claimVars.trim() + "; " + decl : decl;
          runCheck();
        });
        $("#check-error").appendChild(b);
      }
      return;
    }
    const d = r.data;
    $("#check-error").hidden = true;
    $("#check-body").hidden = false;
    const v = $("#verdict");
    v.textContent = d.holds ? "✓ holds" : "✗ does not hold";
    v.className = "verdict " + (d.holds ? "holds" : "fails");
    $("#diagnosis").textContent = d.holds ? "" : (d.diagnosis || "");
    $("#check-detail").textContent = d.detail || "";
    setMath($("#check-correct"), d.correct_mathml ? d.correct_mathml.replace('display="block"', 'display="inline"') : null, null);
    $("#check-correct-text").textContent = d.correct || "";
    $("#counterexample-box").hidden = !d.counterexample_text;
    $("#counterexample").textContent = d.counterexample_text || "";
    $("#check-report").textContent = d.report || "";
  }

  // ---- wiring -------------------------------------------------------------------------------
  function loadExample(btn) {
    state.expression = btn.dataset.expression;
    state.wrt = btn.dataset.wrt || "";
    state.decls = parseDeclString(btn.dataset.vars || "");
    state.order = 1;
    $("#expression").value = state.expression;
    syncDecls();
    $("#order").value = "1";
    selectTab("derive");
    scheduleParse(0);
  }

  function init() {
    readURL();
    syncInputs();

    $("#tab-derive").addEventListener("click", () => selectTab("derive"));
    $("#tab-check").addEventListener("click", () => selectTab("check"));
    $("#expression").addEventListener("input", (e) => { state.expression = e.target.value; scheduleParse(); });
    $("#wrt").addEventListener("change", (e) => { state.wrt = e.target.value; scheduleDerive(0); });
    for (const r of $$('input[name="layout"]')) {
      r.addEventListener("change", () => { if (r.checked) { state.layout = r.value; scheduleDerive(0); } });
    }
    $("#order").addEventListener("change", (e) => {
      const k = parseInt(e.target.value, 10);
      state.order = k >= 1 && k <= 6 ? k : 1;
      e.target.value = String(state.order);
      scheduleDerive(0);
    });
    $("#types").addEventListener("change", (e) => { state.types = e.target.value; scheduleParse(0); });
    $("#decls").addEventListener("input", (e) => {
      const bad = [];
      state.decls = parseDeclString(e.target.value, bad);
      const st = $("#decls-status");
      st.className = "parse-status" + (bad.length ? " error" : "");
      st.textContent = bad.length ? "cannot read '" + bad[0] + "': write name: kind(dims) properties, " +
        "e.g. mu: vector(n)" : "";
      scheduleParse();
    });
    $("#decls").addEventListener("change", () => syncDecls());
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => $$(".statement, .math-block").forEach(fitMath), 150);
    });
    for (const b of $$(".example")) b.addEventListener("click", () => loadExample(b));
    for (const b of $$(".claim-example")) b.addEventListener("click", () => {
      $("#claim").value = b.dataset.claim;
      runCheck();
    });
    for (const b of $$(".code-tabs [data-backend]")) b.addEventListener("click", () => {
      state.backend = b.dataset.backend;
      renderCode();
      writeURL();
    });
    $("#copy-text").addEventListener("click", () => copy(lastResult && lastResult.text));
    $("#copy-latex").addEventListener("click", () => copy(lastResult && lastResult.latex));
    $("#copy-code").addEventListener("click", () => copy(lastResult && lastResult.code && lastResult.code[state.backend]));
    $("#download-code").addEventListener("click", download);
    $("#check-button").addEventListener("click", runCheck);
    $("#claim").addEventListener("keydown", (e) => { if (e.key === "Enter") runCheck(); });
    $("#claim-vars").addEventListener("keydown", (e) => { if (e.key === "Enter") runCheck(); });
    window.addEventListener("hashchange", () => {
      const before = JSON.stringify(state);
      readURL();
      if (JSON.stringify(state) !== before) { syncInputs(); scheduleParse(0); }
    });

    if (state.expression) scheduleParse(0);
    else renderVariables(null);
    if (state.tab === "check" && state.claim) runCheck();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
