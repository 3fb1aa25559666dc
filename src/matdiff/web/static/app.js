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

  // ---- MathML: from our own server, but inserted through an allow-list anyway --------------
  const MATHML_TAGS = new Set(["math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup",
    "msubsup", "mfrac", "msqrt", "mroot", "mstyle", "merror", "mpadded", "mphantom", "mfenced",
    "menclose", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mlabeledtr", "semantics",
    "annotation", "mmultiscripts", "mprescripts", "none"]);
  const MATHML_ATTRS = new Set(["display", "xmlns", "mathvariant", "stretchy", "fence", "form",
    "separator", "lspace", "rspace", "accent", "accentunder", "columnalign", "rowspacing",
    "columnspacing", "linethickness", "displaystyle", "scriptlevel", "width", "height", "depth",
    "movablelimits", "largeop", "symmetric", "minsize", "maxsize", "notation", "align",
    "columnlines", "rowlines", "frame", "mathsize", "open", "close", "separators", "encoding"]);

  function cleanMath(node) {
    for (const child of Array.from(node.children)) {
      if (!MATHML_TAGS.has(child.localName)) { child.remove(); continue; }
      for (const attr of Array.from(child.attributes)) {
        if (!MATHML_ATTRS.has(attr.name)) child.removeAttribute(attr.name);
      }
      cleanMath(child);
    }
  }

  function setMath(el, mathml, fallbackText) {
    el.textContent = "";
    if (mathml) {
      const doc = new DOMParser().parseFromString("<!doctype html><body>" + mathml, "text/html");
      const math = doc.body.querySelector("math");
      if (math) {
        for (const attr of Array.from(math.attributes)) {
          if (!MATHML_ATTRS.has(attr.name)) math.removeAttribute(attr.name);
        }
        cleanMath(math);
        el.appendChild(document.importNode(math, true));
        return;
      }
    }
    if (fallbackText) {
      const code = document.createElement("code");
      code.textContent = fallbackText;
      el.appendChild(code);
    }
  }

  // ---- inline errors with the place marked ------------------------------------------------
  function markedSource(text, pos, end) {
    const pre = document.createElement("pre");
    pre.className = "err-src";
    if (pos === null || pos === undefined || pos < 0) {
      pre.textContent = text;
      return pre;
    }
    end = (end === null || end === undefined || end <= pos) ? pos + 1 : end;
    pre.appendChild(document.createTextNode(text.slice(0, pos)));
    const mark = document.createElement("mark");
    const hit = text.slice(pos, end);
    if (hit.length === 0) { mark.className = "eol"; mark.textContent = " "; mark.title = "here: the expression ends too soon"; }
    else mark.textContent = hit;
    pre.appendChild(mark);
    pre.appendChild(document.createTextNode(text.slice(end)));
    return pre;
  }

  function showError(box, data, sourceText) {
    box.textContent = "";
    box.hidden = false;
    const msg = document.createElement("div");
    msg.className = "err-msg";
    msg.textContent = data.error || "error";
    if (sourceText !== undefined && data.position !== null && data.position !== undefined) {
      box.appendChild(markedSource(sourceText, data.position, data.end));
    }
    box.appendChild(msg);
  }

  // ---- the URL ----------------------------------------------------------------------------
  function declSpec(d) {
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

  function parseDeclString(s) {
    // "X: matrix(m,n) symmetric; x: vector" -> decls
    const out = {};
    for (const part of (s || "").split(";")) {
      const m = part.match(/^\s*([^:\s]+)\s*:\s*(scalar|vector|matrix)\s*(?:\(([^)]*)\))?\s*(.*)$/);
      if (!m) continue;
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
    const decls = Object.entries(state.decls).map(([n, d]) => n + ": " + declSpec(d)).join("; ");
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
    state.backend = ["numpy", "jax", "torch"].includes(code) ? code : "numpy";
    state.claim = p.get("claim") || "";
    state.claimVars = p.get("cvars") || "";
    const cl = p.get("clayout");
    state.claimLayout = ["mixed", "numerator", "denominator"].includes(cl) ? cl : "mixed";
  }

  function syncInputs() {
    $("#expression").value = state.expression;
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
    } else {
      input.classList.add("invalid");
      input.setAttribute("aria-invalid", "true");
      status.className = "parse-status error";
      const d = r.data || {};
      status.textContent = "";
      const box = document.createElement("div");
      box.className = "error-box";
      if (d.field === "expression") showError(box, d, state.expression);
      else showError(box, d);
      status.appendChild(box);
      if (d.field && d.field.startsWith("vars.")) renderVariables(d.field.slice(5), d.error);
      else $("#variables").classList.add("stale");
      $("#result").classList.add("stale");
    }
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
    if (d) return { kind: d.kind, dims: d.dims ? d.dims.slice() : null, props: d.props.slice() };
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
    scheduleParse(0);
  }

  function renderVariables(errorName, errorMessage) {
    const body = $("#variables tbody");
    const table = $("#variables");
    table.classList.remove("stale");
    body.textContent = "";
    $("#no-variables").hidden = variables.length > 0;
    table.hidden = variables.length === 0;
    for (const v of variables) {
      const tr = document.createElement("tr");
      tr.dataset.name = v.name;
      if (state.decls[v.name]) tr.classList.add("declared");
      const decl = state.decls[v.name];

      const tdName = document.createElement("td");
      tdName.className = "var-name";
      tdName.textContent = v.name;
      tr.appendChild(tdName);

      const tdKind = document.createElement("td");
      const sel = document.createElement("select");
      sel.className = "kind";
      sel.setAttribute("aria-label", "kind of " + v.name);
      for (const k of ["scalar", "vector", "matrix"]) {
        const o = document.createElement("option");
        o.value = k; o.textContent = k;
        sel.appendChild(o);
      }
      sel.value = decl ? decl.kind : v.kind;
      sel.addEventListener("change", () => edit(v.name, (d) => { d.kind = sel.value; d.dims = null; }));
      tdKind.appendChild(sel);
      tr.appendChild(tdKind);

      const tdDims = document.createElement("td");
      tdDims.className = "dims";
      const kind = decl ? decl.kind : v.kind;
      const want = kind === "scalar" ? 0 : kind === "vector" ? 1 : 2;
      const shown = decl && decl.dims ? decl.dims : v.dims;
      const inputs = [];
      for (let i = 0; i < want; i++) {
        if (i) tdDims.appendChild(document.createTextNode(" × "));
        const inp = document.createElement("input");
        inp.type = "text";
        inp.className = "dim";
        inp.size = 3;
        inp.value = shown[i] !== undefined ? shown[i] : "";
        inp.setAttribute("aria-label", "dimension " + (i + 1) + " of " + v.name);
        inputs.push(inp);
        tdDims.appendChild(inp);
      }
      if (want === 0) tdDims.textContent = "—";
      const commitDims = () => {
        const vals = inputs.map((x) => x.value.trim());
        const ok = vals.every((x) => /^[1-9][0-9]*$|^[A-Za-z_][A-Za-z0-9_]*$/.test(x));
        inputs.forEach((x) => x.classList.toggle("invalid", !/^[1-9][0-9]*$|^[A-Za-z_][A-Za-z0-9_]*$/.test(x.value.trim())));
        if (ok) edit(v.name, (d) => { d.kind = kind; d.dims = vals; });
      };
      inputs.forEach((x) => x.addEventListener("change", commitDims));
      tr.appendChild(tdDims);

      const props = decl ? decl.props : v.props;
      for (const p of PROPS) {
        const td = document.createElement("td");
        td.className = "prop";
        const cb = document.createElement("input");
        cb.type = "checkbox";
        cb.name = p;
        cb.setAttribute("aria-label", p + " " + v.name);
        const implied = (v.implied || []).includes(p) && !props.includes(p);
        cb.checked = props.includes(p) || implied;
        if (implied) { td.classList.add("implied"); td.title = "implied by its use in inv, det or logdet"; }
        cb.disabled = MATRIX_ONLY.has(p) && kind !== "matrix";
        cb.addEventListener("change", () => edit(v.name, (d) => {
          const set = new Set(d.props);
          if (cb.checked) set.add(p); else set.delete(p);
          d.props = PROPS.filter((q) => set.has(q));
          // these need a square matrix: make dims the user typed agree
          if (cb.checked && MATRIX_ONLY.has(p) && d.dims && d.dims[0] !== d.dims[1]) d.dims = [d.dims[0], d.dims[0]];
        }));
        td.appendChild(cb);
        tr.appendChild(td);
      }

      const tdReset = document.createElement("td");
      if (decl) {
        const b = document.createElement("button");
        b.className = "small reset";
        b.textContent = "↺";
        b.title = "forget this declaration (back to the inferred kind and dims)";
        b.setAttribute("aria-label", "reset " + v.name);
        b.addEventListener("click", () => { delete state.decls[v.name]; scheduleParse(0); });
        tdReset.appendChild(b);
      }
      tr.appendChild(tdReset);

      body.appendChild(tr);
      if (errorName === v.name) {
        tr.classList.add("error");
        const etr = document.createElement("tr");
        etr.className = "row-error";
        const td = document.createElement("td");
        td.colSpan = 9;
        td.textContent = errorMessage;
        etr.appendChild(td);
        body.appendChild(etr);
      }
    }
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
  }

  function renderResult(d) {
    lastResult = d;
    setMath($("#statement"), d.statement_mathml || d.mathml, d.text);
    $("#result-text").textContent = d.text;
    $("#result-shape").textContent = "The derivative is " + shapeWords(d.shape, d.as_row, d.form) + " (" + d.layout + " layout" + (d.order > 1 ? ", order " + d.order : "") + ").";

    const tensor = d.form === "index";
    $("#tensor-forms").hidden = !tensor;
    if (tensor) {
      $("#index-text").textContent = d.index ? d.index.text : d.text;
      $("#vec-box").hidden = !d.vec;
      if (d.vec) {
        setMath($("#vec-form"), d.vec.mathml, d.vec.text);
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
    }

    const hasCode = d.code && Object.values(d.code).some((c) => c);
    $("#code-box").hidden = !hasCode;
    renderCode();

    const notes = $("#notes");
    notes.textContent = "";
    for (const [k, v] of Object.entries(d.notes || {})) {
      if (k.startsWith("code_") && !hasCode && k !== "code_numpy") continue;
      const li = document.createElement("li");
      li.textContent = (k === "extras" ? "" : k.replace("code_", "code (") + (k.startsWith("code_") ? ")" : "") + ": ") + v;
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
    note.textContent = code ? "" : ("No " + state.backend + " code" + (why ? ": " + why : "."));
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
    state.decls = {};
    state.order = 1;
    $("#expression").value = state.expression;
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
