// matdiff's web page: the variables table.  One row per variable: its kind, dims and
// properties, each editable; a row whose declaration is wrong says why under it.
"use strict";

window.MatdiffVariables = (function () {
  const $ = (sel) => document.querySelector(sel);
  const PROPS = ["symmetric", "spd", "diagonal", "positive", "invertible"];
  const MATRIX_ONLY = new Set(["symmetric", "spd", "diagonal", "invertible"]);

  // variables: the rows; decls: the user's declarations by name; edit(name, change) and
  // reset(name): what a change of a row does
  function render(variables, decls, edit, reset, errorName, errorMessage) {
    const body = $("#variables tbody");
    const table = $("#variables");
    table.classList.remove("stale");
    body.textContent = "";
    $("#no-variables").hidden = variables.length > 0;
    table.hidden = variables.length === 0;
    for (const v of variables) {
      const tr = document.createElement("tr");
      tr.dataset.name = v.name;
      if (decls[v.name]) tr.classList.add("declared");
      const decl = decls[v.name];

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
      sel.value = decl && decl.kind ? decl.kind : v.kind;
      sel.addEventListener("change", () => edit(v.name, (d) => { d.kind = sel.value; d.dims = null; }));
      tdKind.appendChild(sel);
      tr.appendChild(tdKind);

      const tdDims = document.createElement("td");
      tdDims.className = "dims";
      const kind = decl && decl.kind ? decl.kind : v.kind;
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

      const props = decl && decl.kind ? decl.props : v.props;
      for (const p of PROPS) {
        const td = document.createElement("td");
        td.className = "prop";
        const wrap = document.createElement("label");
        const cb = document.createElement("input");
        cb.type = "checkbox";
        cb.name = p;
        cb.setAttribute("aria-label", p + " " + v.name);
        const word = document.createElement("span");
        word.className = "prop-name";  // shown where the header row is not (narrow screens)
        word.textContent = p;
        wrap.append(cb, word);
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
        td.appendChild(wrap);
        tr.appendChild(td);
      }

      const tdReset = document.createElement("td");
      if (decl) {
        const b = document.createElement("button");
        b.className = "small reset";
        b.textContent = "↺";
        b.title = "forget this declaration (back to the inferred kind and dims)";
        b.setAttribute("aria-label", "reset " + v.name);
        b.addEventListener("click", () => reset(v.name));
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

  return { render: render };
})();
