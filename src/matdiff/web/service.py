"""What each endpoint of the web API computes, as plain functions: a JSON-able request
dict in, a JSON-able response dict out.

Everything goes through matdiff's public Python API (``matdiff.derivative``,
``matdiff.evaluate``, ``matdiff.check``, ``Result.steps``, ``Result.code``,
``Result.vec``) and ``matdiff.shapes.typecheck`` for the variables table; user
text is only ever parsed by matdiff's own parser, never evaluated as Python.

These functions run inside the worker processes of :mod:`matdiff.web.pool`
(so that a runaway derivation can be stopped); they raise ``MatdiffError``
for bad input, which the pool hands back as an error payload.
"""
from __future__ import annotations

import functools
import math
import re
import time

from ..errors import MatdiffError, NotSupportedError, ShapeError
from ..layouts import LAYOUTS

TYPES = ("default", "matrixcalculus")
BACKENDS = ("numpy", "jax", "torch", "dask")  # codegen's (tests/test_web_api.py checks)
PROPERTIES = ("symmetric", "spd", "diagonal", "positive", "invertible")
MAX_VALUE_ENTRIES = 100_000


class Unavailable(Exception):
    """A part of matdiff this endpoint needs is not in this version (HTTP 501)."""


# ---- helpers -----------------------------------------------------------------------

def mathml(latex: str | None, display: str = "block") -> str | None:
    """MathML for a LaTeX string (latex2mathml), or None when it cannot be converted."""
    if not latex:
        return None
    return _mathml(latex, display)


@functools.lru_cache(maxsize=4096)
def _mathml(latex: str, display: str) -> str | None:
    try:
        from latex2mathml.converter import convert
        # latex2mathml has no aligned environment (a where-block): the same columns as an array
        latex = latex.replace(r"\begin{aligned}", r"\begin{array}{rl}").replace(
            r"\end{aligned}", r"\end{array}").replace("&=", "&{}=")
        return convert(latex, display=display)
    except Exception:  # noqa: BLE001 - a rendering problem must not lose the result
        return None


def _dim(d) -> str:
    return str(d)


def kind_of(shape) -> str:
    r, c = shape
    if r == 1 and c == 1:
        return "scalar"
    if c == 1:
        return "vector"
    return "matrix"


def dims_of(shape) -> list[str]:
    k = kind_of(shape)
    if k == "scalar":
        return []
    if k == "vector":
        return [_dim(shape[0])]
    return [_dim(shape[0]), _dim(shape[1])]


def _implied_invertible(expr) -> set[str]:
    """Names used directly under a function that needs them invertible (inv, det, logdet:
    functions.py) or under a negative matrix power."""
    from .. import expr as E
    from ..functions import FUNCTIONS
    out: set[str] = set()
    stack = [expr]
    seen = 0
    while stack and seen < 100_000:
        e = stack.pop()
        seen += 1
        if isinstance(e, E.Func) and FUNCTIONS[e.name].domain.sample == "invertible" \
                and isinstance(e.args[0], E.Var):
            out.add(e.args[0].name)
        if isinstance(e, E.MatPow) and e.exp < 0 and isinstance(e.base, E.Var):
            out.add(e.base.name)
        stack.extend(e.children)
    return out


def variables_table(typed) -> list[dict]:
    """One row per variable: name, kind, dims, props (declared), implied, declared."""
    implied = _implied_invertible(typed.expr)
    rows = []
    for name, v in typed.variables.items():
        props = sorted(v.props)
        rows.append({
            "name": name,
            "kind": kind_of(v.shape),
            "dims": dims_of(v.shape),
            "props": props,
            "implied": ["invertible"] if name in implied and "invertible" not in v.props
                        and kind_of(v.shape) == "matrix" else [],
            "declared": name in typed.decls,
        })
    return rows


def loose_variables(req: dict) -> list[dict]:
    """The variables table of an expression that does not type: each name the text uses,
    with its declared kind or the one its name gives it, so the table stays editable."""
    from ..parse import CONSTANTS, ParseError, parse, tokenize
    from ..shapes import convention_kind, parse_decl
    text, types = req.get("expression"), req.get("types") or "default"
    if not isinstance(text, str) or types not in TYPES:
        return []
    try:
        names = [n.value for n in _name_nodes(parse(text))]
    except (ParseError, MatdiffError):
        try:  # a syntax error: the names still show, from the tokens
            toks = tokenize(text)
        except MatdiffError:
            return []
        names = [t.text for t, nxt in zip(toks, toks[1:]) if t.kind == "name" and nxt.text != "("]
    vars_ = req.get("vars") if isinstance(req.get("vars"), dict) else {}
    rows = []
    for name in dict.fromkeys(n for n in names if n not in CONSTANTS):
        try:
            d = parse_decl(vars_[name], name) if name in vars_ else None
        except MatdiffError:
            d = None
        kind = d.kind if d else convention_kind(name, types)
        rows.append({"name": name, "kind": kind, "dims": [str(x) for x in d.dims] if d else [],
                     "props": sorted(d.props) if d else [], "implied": [],
                     "declared": name in vars_})
    return rows


def kind_fixes(req: dict, error: ShapeError) -> list[dict]:
    """One-variable declarations of another kind under which the expression types (at most
    three, the likeliest first: ``kinds.kind_fixes``): the page offers each as a one-click fix
    of a kind error."""
    from ..kinds import kind_fixes as search
    from ..parse import parse
    from ..shapes import typecheck
    text, types, vars_ = req.get("expression"), req.get("types") or "default", req.get("vars")
    if not isinstance(text, str) or types not in TYPES or not isinstance(vars_, (dict, type(None))):
        return []
    try:
        tree = parse(text)
        found = search(text, vars_, types, tree,
                       lambda t, v, ty: typecheck(t, v, ty, _explain=False),
                       (error.pos or 0, error.end or 0), limit=3)
    except (MatdiffError, RecursionError):
        return []
    return [{"name": name, "declaration": kind} for name, kind, _ in found]


def _name_nodes(tree) -> list:
    """The ``name`` nodes of a parse tree in the order of the text (not I's size)."""
    out, stack = [], [tree]
    while stack:
        n = stack.pop()
        if n.op == "name":
            out.append(n)
        elif not (n.op == "call" and n.value == "I"):
            stack.extend(n.args)
    return sorted(out, key=lambda n: n.pos)


_FIX = re.compile(r"""--var\s+(['"])(?P<a>\w+)\s*:\s*(?P<b>[^'"]+)\1"""
                  r"""|vars=\{\s*(['"])(?P<c>\w+)\4\s*:\s*(['"])(?P<d>[^'"]+)\6""")


def suggested_fix(message: str) -> dict | None:
    """The declaration an error message suggests (``--var 'mu: vector(n)'`` or
    ``vars={"mu": "vector(n)"}``), for the page's one-click fix."""
    m = _FIX.search(message or "")
    if not m:
        return None
    return {"name": m.group("a") or m.group("c"), "declaration": (m.group("b") or m.group("d")).strip()}


def _shape_list(shape) -> list[str]:
    return [_dim(d) for d in shape]


def _choice(value, allowed, what):
    if value not in allowed:
        raise MatdiffError(f"unknown {what} {value!r} (use {', '.join(allowed)})")
    return value


def _order(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise MatdiffError(f"order must be a positive integer, got {value!r}")
    return value


def _vars(value):
    if value in (None, "", [], {}):
        return None
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise MatdiffError("vars maps names to declarations, e.g. "
                                   "{\"A\": \"matrix(n,n) symmetric\"}")
            out[k] = v
        return out
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise MatdiffError("vars must be an object {name: declaration}, a list of declarations "
                       "or one string")


def _expression(value, what: str = "expression") -> str:
    if not isinstance(value, str):
        raise MatdiffError(f"{what} must be a string")
    if not value.strip():
        raise MatdiffError(f"the {what} is empty", 0)
    return value


def _statement_latex(result) -> str:
    """``\\frac{\\partial}{\\partial X}(f) = result`` (the public ``Result.statement``)."""
    return result.statement


def _json_number(x):
    x = float(x)
    if math.isfinite(x):
        return x
    return None if math.isnan(x) else ("inf" if x > 0 else "-inf")


def array_json(a):
    """A NumPy array (or number) as nested lists; NaN -> null, ±inf -> "inf"/"-inf"."""
    import numpy as np
    arr = np.asarray(a, dtype=float)
    if arr.ndim == 0:
        return _json_number(arr)
    return [array_json(x) for x in arr]


def _values(values) -> dict:
    import numpy as np
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise MatdiffError("values maps names to numbers or nested lists of numbers")
    out = {}
    for k, v in values.items():
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            raise MatdiffError(f"the value of {k} must be a number or a (nested) list of "
                               f"numbers") from None
        if arr.dtype == object or arr.ndim > 2:
            raise MatdiffError(f"the value of {k} must be a number, a vector or a matrix")
        if arr.size > MAX_VALUE_ENTRIES:
            raise MatdiffError(f"the value of {k} is too large")
        out[k] = arr
    return out


# ---- the endpoints -------------------------------------------------------------------

def parse(req: dict) -> dict:
    """Live parsing: the expression's kind and shape and its variables table."""
    from ..shapes import typecheck
    text = _expression(req.get("expression"))
    types = _choice(req.get("types") or "default", TYPES, "naming convention")
    typed = typecheck(text, _vars(req.get("vars")), types)
    e = typed.expr
    return {"ok": True, "expression": text, "kind": kind_of(e.shape), "shape": dims_of(e.shape),
            "variables": variables_table(typed)}


def derivative(req: dict, max_seconds: float | None = None, extras: bool = True,
               emit=None) -> dict:
    """The derivative with everything the page shows: text, LaTeX, MathML, shape, the
    index and vec forms, the steps and the generated code (when available)."""
    import matdiff as md
    t0 = time.monotonic()
    text = _expression(req.get("expression"))
    wrt = req.get("wrt")
    if isinstance(wrt, list):
        if not wrt or not all(isinstance(w, str) for w in wrt):
            raise MatdiffError("wrt must be a variable name or a list of names")
        if len(wrt) == 1:
            wrt = wrt[0]
    elif not isinstance(wrt, str) or not wrt:
        raise MatdiffError("wrt must name a variable")
    layout = _choice(req.get("layout") or "mixed", LAYOUTS, "layout")
    order = _order(req.get("order", 1) if req.get("order") is not None else 1)
    types = _choice(req.get("types") or "default", TYPES, "naming convention")
    kw = {}
    if max_seconds:
        kw["max_seconds"] = max_seconds
    if req.get("where") is not None and not isinstance(req.get("where"), bool):
        raise MatdiffError("where must be true or false")
    r = md.derivative(text, wrt=wrt, vars=_vars(req.get("vars")), layout=layout, order=order,
                      types=types, where=req.get("where") is not False, **kw)
    statement = _statement_latex(r)
    out = {
        "ok": True,
        "expression": text,
        "wrt": list(r.wrt) if len(r.wrt) > 1 else r.wrt[0],
        "layout": layout,
        "order": r.order,
        "text": r.text,
        "latex": r.latex,
        "mathml": mathml(r.latex),
        "statement_latex": statement,
        "statement_mathml": mathml(statement),
        "shape": _shape_list(r.shape),
        "where": [dict(d, mathml=mathml(d["latex"])) for d in r.to_dict()["where"]],
        "form": "matrix" if r.expr is not None else "index",
        "as_row": bool(r.as_row),
        "index": None,
        "vec": None,
        "steps": None,
        "code": {b: None for b in BACKENDS},
        "notes": {},
        "variables": variables_table(r.typed),
    }
    if r.expr is None:
        out["index"] = {"text": r.text, "latex": r.latex, "mathml": out["mathml"]}
    out["elapsed_ms"] = round(1000 * (time.monotonic() - t0), 2)
    if not extras:
        return out
    if emit is not None:  # the result now, in case the extras run past the time cap
        emit(dict(out, notes=dict(out["notes"])))
    # the extras: each may be missing in this version or not apply; never lose the result
    try:
        v = r.vec()
        vl = v.latex
        out["vec"] = {"text": v.text, "latex": vl, "mathml": mathml(vl)}
    except MatdiffError as e:
        out["notes"]["vec"] = e.message
    except Exception as e:  # noqa: BLE001
        out["notes"]["vec"] = f"not available ({type(e).__name__})"
    try:
        s = r.steps
        items = s.to_list()
        for it in items:
            it["mathml"] = mathml(it.get("latex"))
        out["steps"] = {"heading": s.heading, "items": items}
    except MatdiffError as e:
        out["notes"]["steps"] = e.message
    except Exception as e:  # noqa: BLE001
        out["notes"]["steps"] = f"not available ({type(e).__name__})"
    for b in BACKENDS:
        try:
            out["code"][b] = r.code(b)
        except MatdiffError as e:
            out["notes"][f"code_{b}"] = e.message
        except Exception as e:  # noqa: BLE001
            out["notes"][f"code_{b}"] = f"not available ({type(e).__name__})"
    out["elapsed_ms"] = round(1000 * (time.monotonic() - t0), 2)
    return out


def evaluate(req: dict, max_seconds: float | None = None) -> dict:
    """An expression's value at given numbers, or (with ``wrt``) its derivative's."""
    import numpy as np
    import matdiff as md
    text = _expression(req.get("expression"))
    types = _choice(req.get("types") or "default", TYPES, "naming convention")
    values = _values(req.get("values"))
    vars_ = _vars(req.get("vars"))
    shape = req.get("shape")
    if shape is not None:
        if not isinstance(shape, list) or len(shape) > 2 or not all(
                isinstance(d, int) and not isinstance(d, bool) and 0 < d <= 10_000 for d in shape):
            raise MatdiffError("shape must be a list of at most two positive integers")
        shape = tuple(shape)
    wrt = req.get("wrt")
    if wrt:
        layout = _choice(req.get("layout") or "mixed", LAYOUTS, "layout")
        order = _order(req.get("order", 1) if req.get("order") is not None else 1)
        kw = {"max_seconds": max_seconds} if max_seconds else {}
        r = md.derivative(text, wrt=wrt, vars=vars_, layout=layout, order=order, types=types, **kw)
        value = r.evaluate(**values)
        what = r.text
    else:
        value = md.evaluate(text, vars=vars_, shape=shape, types=types, **values)
        what = text
    arr = np.asarray(value, dtype=float)
    return {"ok": True, "expression": text, "evaluated": what, "value": array_json(arr),
            "shape": list(arr.shape)}


def gradcheck(req: dict, max_seconds: float | None = None) -> dict:
    """The derivative's numbers beside central finite differences of the expression, at the
    given values (the others drawn at random from ``seed``): the page's evaluate panel."""
    import numpy as np
    import matdiff as md
    from .gradcheck import check_at
    text = _expression(req.get("expression"))
    wrt = req.get("wrt")
    if not isinstance(wrt, str) or not wrt:
        raise MatdiffError("wrt must name a variable")
    layout = _choice(req.get("layout") or "mixed", LAYOUTS, "layout")
    order = _order(req.get("order", 1) if req.get("order") is not None else 1)
    types = _choice(req.get("types") or "default", TYPES, "naming convention")
    seed = req.get("seed") or 0
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 32:
        raise MatdiffError("seed must be an integer from 0 to 2^32 - 1")
    kw = {"max_seconds": max_seconds} if max_seconds else {}
    r = md.derivative(text, wrt=wrt, vars=_vars(req.get("vars")), layout=layout, order=order,
                      types=types, **kw)
    out = check_at(r, _values(req.get("values")), req.get("sizes"), seed, types, max_seconds)
    numbers = ("value", "derivative", "finite_difference")
    return {"ok": True, "expression": text, "wrt": wrt, "evaluated": r.text, "layout": layout,
            "order": r.order, **{k: array_json(out[k]) for k in numbers},
            "values": {k: array_json(v) for k, v in out["values"].items()},
            "shape": list(np.shape(out["derivative"])), "sizes": out["sizes"],
            **{k: out[k] for k in ("max_abs_error", "max_rel_error", "agrees")}}


def check_function():
    """``matdiff.check.check`` (imported lazily: it may be missing from this version)."""
    import importlib
    try:
        # import_module, not "import matdiff.check": matdiff may export a function of that name
        fn = getattr(importlib.import_module("matdiff.check"), "check", None)
    except ImportError:
        fn = None
    if not callable(fn):
        raise Unavailable("checking a formula is not available in this version of matdiff")
    return fn


def check(req: dict, max_seconds: float | None = None) -> dict:
    """A verdict on a claimed derivative (``matdiff.check``)."""
    check_fn = check_function()
    claim = _expression(req.get("claim"), "claim")
    layout = _choice(req.get("layout") or "mixed", LAYOUTS, "layout")
    types = _choice(req.get("types") or "default", TYPES, "naming convention")
    trials = req.get("trials", 3) if req.get("trials") is not None else 3
    if isinstance(trials, bool) or not isinstance(trials, int) or not 1 <= trials <= 20:
        raise MatdiffError("trials must be an integer from 1 to 20")
    kw = {}
    if max_seconds:
        try:
            import matdiff as md
            kw["options"] = md.Options(max_seconds=max_seconds)
        except Exception:  # noqa: BLE001
            kw = {}
    v = check_fn(claim, vars=_vars(req.get("vars")), layout=layout, types=types, trials=trials, **kw)
    try:
        d = v.to_dict()
    except Exception:  # noqa: BLE001 - an older Verdict without to_dict
        d = {"holds": bool(v.holds), "diagnosis": getattr(v, "diagnosis", ""),
             "correct": getattr(getattr(v, "correct", None), "text", None)}
    d = _jsonable(d)
    d["ok"] = True
    d["holds"] = bool(getattr(v, "holds", d.get("holds")))
    d["report"] = str(v)
    ce = getattr(v, "counterexample", None)
    d["counterexample_text"] = None if ce is None else str(ce)
    correct = getattr(v, "correct", None)
    if correct is not None and getattr(correct, "latex", None):
        try:
            d["correct_latex"] = correct.latex
            d["correct_mathml"] = mathml(correct.latex)
        except Exception:  # noqa: BLE001
            pass
    return d


def _jsonable(x):
    """Make a to_dict() result strictly JSON (no NaN, no numpy scalars, no tuples)."""
    import numpy as np
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return array_json(x)
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return _json_number(x)
    if x is None or isinstance(x, str):
        return x
    return str(x)


ENDPOINTS = {"parse": parse, "derivative": derivative, "evaluate": evaluate, "check": check,
             "gradcheck": gradcheck}


def _locate(src, req: dict) -> tuple[str | None, int]:
    """Which request field an error's ``source`` text is (or is a part of), and its offset
    there; (None, 0) when that is not certain, and then no position is reported."""
    if not isinstance(src, str) or not src:
        return None, 0
    vars_ = req.get("vars")
    if isinstance(vars_, dict):
        for name, spec in vars_.items():
            if spec == src:
                return f"vars.{name}", 0
    texts = [(k, req.get(k)) for k in ("expression", "claim") if isinstance(req.get(k), str)]
    for key, text in texts:
        if src == text:
            return key, 0
    for key, text in texts:
        if text.count(src) == 1:  # a part of it: the claim's expression or claimed result
            return key, text.index(src)
    return None, 0


def error_payload(e: BaseException, req: dict | None = None, surface: str = "web") -> dict:
    """``{"error", "position", "end", "type", "field"}`` for a MatdiffError (or any error);
    a fix it names is written for ``surface`` (``"web-claim"``: the Check tab)."""
    if isinstance(e, MatdiffError):
        field, offset = _locate(getattr(e, "source", None),
                                req if isinstance(req, dict) else {})
        pos, end, message = e.pos, e.end, e.message_for(surface)
        if field is None or pos is None:
            if pos is not None and getattr(e, "source", None):
                message = e.for_surface(surface)  # "... (column N of '...')": the place, in words
            pos = end = None
        else:
            pos, end = pos + offset, (end if end is not None else pos + 1) + offset
        return {"error": message, "position": pos, "end": end, "type": type(e).__name__,
                "field": field}
    if isinstance(e, RecursionError):
        return {"error": "the expression is nested too deeply to handle", "position": None,
                "end": None, "type": "LimitError", "field": None}
    if isinstance(e, MemoryError):
        return {"error": "out of memory: the expression or its derivative is too large",
                "position": None, "end": None, "type": "LimitError", "field": None}
    return {"error": f"internal error ({type(e).__name__}: {e})", "position": None, "end": None,
            "type": "InternalError", "field": None}


def without_extras(body: dict) -> dict:
    """A derivative sent before its extras, answered as it is when they run out of time."""
    body = dict(body, notes=dict(body.get("notes") or {}))
    body["notes"]["extras"] = ("the steps and the generated code were left out: they take "
                               "longer than the time limit")
    return body


def run(name: str, req: dict, max_seconds: float | None, emit=None) -> tuple[int, dict]:
    """Run an endpoint; (HTTP status, body).  Never raises."""
    try:
        if not isinstance(req, dict):
            raise MatdiffError("the request must be a JSON object")
        fn = ENDPOINTS[name]
        if name == "parse":
            return 200, fn(req)
        if name == "derivative":
            return 200, fn(req, max_seconds, emit=emit)
        return 200, fn(req, max_seconds)
    except Unavailable as e:
        return 501, {"error": str(e), "position": None, "end": None, "type": "Unavailable",
                     "field": None}
    except NotSupportedError as e:
        return 422, error_payload(e, req)
    except MatdiffError as e:
        body = error_payload(e, req, "web-claim" if name == "check" else "web")
        if name == "check" and e.fix:  # the Check tab's one-click fix: a declaration to add
            body["fix"] = {"name": e.fix[0], "declaration": e.fix[1]}
        if name == "parse":  # the table stays the current expression's, and editable
            body["variables"] = loose_variables(req)
            # the fix the error names, as the kind to choose in the Variables table
            body["fix"] = ({"name": e.fix[0], "declaration": e.fix[1].split("(")[0]} if e.fix
                           else suggested_fix(e.message))
            if isinstance(e, ShapeError):
                body["fixes"] = kind_fixes(req, e)
        return 422, body
    except (RecursionError, MemoryError) as e:
        return 422, error_payload(e, req)
    except Exception as e:  # noqa: BLE001 - reported as JSON, never a traceback page
        return 500, error_payload(e, req)
