// matdiff's web page: formulas and errors.  MathML from the server (inserted through an
// allow-list), wide formulas fitted or made scrollable, errors with their place marked.
"use strict";

window.MatdiffRender = (function () {
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

  // A formula wider than its box: first smaller type (down to 70%), then a visible scrollbar.
  function fitMath(el) {
    el.style.fontSize = "";
    el.classList.remove("overflowing");
    const old = el.nextElementSibling;
    if (old && old.classList.contains("scroll-hint")) old.hidden = true;
    const math = el.querySelector("math");
    if (!math || el.clientWidth === 0) return;
    const need = math.getBoundingClientRect().width, have = el.clientWidth - 2;
    if (need <= have) return;
    const base = parseFloat(getComputedStyle(el).fontSize);
    el.style.fontSize = Math.max(0.7, have / need) * base + "px";
    const wide = math.getBoundingClientRect().width > el.clientWidth;
    el.classList.toggle("overflowing", wide);
    let hint = el.nextElementSibling;
    if (!hint || !hint.classList.contains("scroll-hint")) {
      if (!wide) return;
      hint = document.createElement("div");
      hint.className = "scroll-hint";
      hint.textContent = "↔ wider than the page: scroll the formula sideways";
      el.after(hint);
    }
    hint.hidden = !wide;
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

  return { setMath: setMath, fitMath: fitMath, showError: showError };
})();
