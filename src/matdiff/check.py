"""Checking a claimed derivative, and the verified cheat sheet.

    import matdiff as md
    v = md.check("d/dX tr(A*X*B) = B*A", layout="numerator")
    bool(v), v.diagnosis            # (True, 'holds')
    print(md.check("d/dx x'*A*x = 2*A*x"))   # fails: holds only for symmetric A

A *claim* is ``d/dX EXPR = RESULT`` (also ``d2/dx2 EXPR = RESULT`` for the
second order, ``d/dx' EXPR = RESULT`` for the ∂/∂xᵀ form, which is the
numerator layout, and ``d(EXPR)/dX = RESULT``).  ``check`` decides whether
it holds *for all inputs*:

* symbolically where the simplifier can decide it: the claim's shape
  (a row is not a column, an n×m matrix not an m×n one) and a simplified
  difference ``RESULT - matdiff's answer`` that is 0;
* otherwise numerically, at several random, well-conditioned inputs whose
  symbolic dimensions are bound to distinct sizes (so that a transpose
  never hides behind a square shape).

matdiff's own answer is itself verified against central finite
differences of the expression before it is used as the reference.

When a claim fails, the verdict carries a counterexample (the inputs and
the largest difference), matdiff's answer in the claim's layout, and a
diagnosis when the claim is a recognisable near miss: the answer in
another layout, the transpose, a constant factor or the wrong sign, the
derivative of another order, a missing term of the product rule, some
terms transposed or with the wrong sign, the unstructured or the Matrix
Cookbook's ``G + G' - diag(G)`` gradient for a symmetric variable, or an
answer that holds only when some matrix is symmetric.

``sheet`` (``matdiff sheet FILE``) turns a list of expressions into a
cheat sheet in Markdown or LaTeX; every derivative on it is checked
against finite differences before it is printed.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import re
import sys
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from . import expr as E
from .errors import (DeclarationError, EvaluationError, MatdiffError, NotSupportedError,
                     ParseError, ShapeError, UnknownNameError)
from .expr import Expr, Var

LAYOUTS = ("mixed", "numerator", "denominator")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}

# Numerical comparison: equal when max|a - b| <= RTOL * max(1, max|b|).
RTOL = 1e-7
# matdiff's own answer against finite differences (4th-order central stencil).
FD_STEP = 1e-3
FD_RTOL = 1e-6
# Inputs: a matrix under inv/det/logdet is accepted when its condition number is below this.
MAX_COND = 1e6
MAX_DRAWS = 40          # attempts to draw one valid input
KINKED = ("abs", "sign", "relu", "norm1")   # not differentiable at 0
NEAR_KINK = 0.05        # arguments of log, sqrt and KINKED functions keep this far from 0
MAX_TERMS_SEARCH = 10   # term-wise diagnoses try all subsets of at most this many terms


# =============================================================================
# 1. The claim grammar
# =============================================================================

_UNICODE = {"∂": "d", "²": "2", "³": "3", "⁴": "4", "ᵀ": "'", "⊤": "'", "’": "'", "−": "-"}
_IDENT = re.compile(r"[A-Za-z_\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff]*")


@dataclass
class Claim:
    """A parsed claim ``dK/dW EXPR = RESULT``."""
    text: str                 # the claim as given
    expression: str           # EXPR
    wrt: str                  # W
    order: int                # K
    layout: str               # the layout the claim is read in
    result: str               # RESULT, the claimed derivative
    transposed_wrt: bool = False   # written d/dW' (the ∂/∂Wᵀ form: numerator layout)

    @property
    def lhs(self) -> str:
        k = "" if self.order == 1 else str(self.order)
        w = self.wrt + ("'" if self.transposed_wrt else "")
        den = f"d{w}" if self.order == 1 else f"d{self.wrt}{k}"
        if self.order == 2 and self.transposed_wrt:
            den = f"d{self.wrt} d{self.wrt}'"
        return f"d{k}/{den} {self.expression}"

    def __str__(self) -> str:
        return f"{self.lhs} = {self.result}"


def _normalise(text: str) -> str:
    for a, b in _UNICODE.items():
        text = text.replace(a, b)
    return text


def _bad_claim(text: str, pos: int, why: str) -> ParseError:
    return ParseError(f"{why}; a claim reads 'd/dX EXPR = RESULT' (or d2/dx2, d/dx')", pos,
                      source=text)


def _read_denominator(text: str, pos: int):
    """Read ``dW``, ``dW2``, ``dW^2``, ``dW'``, ``dW dW'`` at ``pos``.

    Returns (candidates, transposed, end, hessian): candidates are (name, order-suffix)
    readings of the name token (``dx2`` may be x squared or a variable x2); the caller
    picks the one that names a variable of the expression."""
    m = re.compile(r"\s*d\s*").match(text, pos)
    if not m:
        raise _bad_claim(text, pos, "expected 'dX' after '/'")
    pos = m.end()
    t = _IDENT.match(text, pos)
    if not t:
        raise _bad_claim(text, pos, "expected the name of a variable after 'd'")
    token = t.group()
    pos = t.end()
    power = re.compile(r"\s*\^\s*(\d+)").match(text, pos)
    if power:
        pos = power.end()
    transposed = False
    tm = re.compile(r"\s*(?:'|\.T\b)").match(text, pos)
    if tm:
        transposed, pos = True, tm.end()
    # the Hessian form d2/dx dx'  (also written dxdx')
    hm = re.compile(r"\s*d\s*(" + _IDENT.pattern + r")\s*('|\.T\b)?").match(text, pos)
    candidates: list[tuple[str, str | None]] = []
    if hm and hm.group(1) == token:       # the ' of ∂x∂xᵀ is notation, not a layout
        candidates.append((token, "hessian"))
        return candidates, False, hm.end(), True
    for k in range(1, len(token)):
        if token[:k] + "d" + token[:k] == token:   # dxdx read as one name
            candidates.append((token[:k], "hessian"))
            transposed = False
    suffix = power.group(1) if power else None
    candidates.append((token, suffix))
    digits = re.search(r"\d+$", token)
    if digits and not power and digits.start() > 0:
        candidates.append((token[:digits.start()], digits.group()))
    return candidates, transposed, pos, False


def parse_claim(text: str, layout: str = "mixed") -> Claim:
    """Split a claim into its parts (the expression is not yet typed)."""
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty claim; a claim reads 'd/dX EXPR = RESULT'")
    if layout not in LAYOUTS:
        raise DeclarationError(f"unknown layout {layout!r} (use mixed, numerator or denominator)")
    src = _normalise(text)
    m = re.compile(r"\s*d\s*(\d*)\s*").match(src)
    if not m or m.end() >= len(src) or src[m.end()] not in "/(":
        raise _bad_claim(text, 0, "a claim starts with d/dX")
    order_text = m.group(1)
    pos = m.end()
    expression = None
    if src[pos] == "(":                      # d(EXPR)/dX = ...
        depth, j = 0, pos
        while j < len(src):
            depth += {"(": 1, ")": -1}.get(src[j], 0)
            if depth == 0:
                break
            j += 1
        if depth:
            raise _bad_claim(text, pos, "unbalanced parentheses")
        expression = src[pos + 1:j]
        pos = j + 1
        sm = re.compile(r"\s*/").match(src, pos)
        if not sm:
            raise _bad_claim(text, pos, "expected '/dX' after d(EXPR)")
        pos = sm.end()
    else:
        pos += 1                              # the '/'
    candidates, transposed, pos, hessian = _read_denominator(src, pos)
    rest = src[pos:]
    if "=" not in rest:
        raise _bad_claim(text, len(src), "no '=' between the expression and the claimed result")
    eq = pos + rest.index("=")
    if expression is None:
        expression = src[pos:eq]
    elif src[pos:eq].strip():
        raise _bad_claim(text, pos, "unexpected text before '='")
    result = src[eq + 1:].strip()
    if not expression.strip():
        raise _bad_claim(text, pos, "no expression to differentiate")
    if not result:
        raise _bad_claim(text, eq + 1, "no claimed result after '='")
    order = int(order_text) if order_text else (2 if hessian else 1)
    if order < 1:
        raise _bad_claim(text, 1, "the order must be at least 1")
    wrt = _pick_wrt(text, candidates, order, expression)
    claim_layout = "numerator" if transposed else layout
    return Claim(text, expression.strip(), wrt, order, claim_layout, result, transposed)


def _pick_wrt(text: str, candidates, order: int, expression: str) -> str:
    """The variable of ``dW``: the reading whose order suffix agrees with the order, preferring
    a name that occurs in the expression."""
    names = set(_IDENT.findall(expression))
    fits = []
    for name, suffix in candidates:
        if suffix == "hessian":
            ok = order == 2
        elif suffix is None:
            ok = True
        else:
            ok = int(suffix) == order
        if ok:
            fits.append(name)
    if not fits:
        raise _bad_claim(text, 0, f"the order in the denominator does not match d{order}")
    for name in fits:
        if name in names:
            return name
    return fits[0]


# =============================================================================
# 2. Random inputs
# =============================================================================

@dataclass
class Sample:
    """One random input: values of every variable and the sizes of the symbolic dimensions."""
    arrays: dict
    dims: dict


def declarations(variables: dict) -> dict:
    """Declarations (``shapes.Decl``) that re-create these typed variables exactly."""
    from .shapes import Decl
    out = {}
    for name, v in variables.items():
        shape = v.shape
        if shape == E.SCALAR:
            kind, dims = "scalar", ()
        elif E.is_vector_shape(shape):
            kind, dims = "vector", tuple(d for d in shape if d != 1)
        else:
            kind, dims = "matrix", tuple(shape)
        if not all(isinstance(d, int) or (isinstance(d, str) and _IDENT.fullmatch(d))
                   for d in dims):
            continue  # a size like m*n: let inference find it again
        out[name] = Decl(name, kind, dims, frozenset(v.props))
    return out


def _roles(exprs) -> tuple[set, set]:
    """Variables that must be positive (under log, sqrt, a fractional or negative power, a
    division) and those under inv/det/logdet or a negative matrix power (made invertible)."""
    positive: set = set()
    invertible: set = set()

    def visit(e: Expr, pos: bool, inv: bool):
        if isinstance(e, Var):
            if pos:
                positive.add(e.name)
            if inv:
                invertible.add(e.name)
            return
        if isinstance(e, E.Func) and e.name in ("log", "sqrt", "arcsin", "arccos"):
            pos = True
        if isinstance(e, E.Func) and e.name in ("inv", "det", "logdet"):
            inv = True
        if isinstance(e, E.MatPow) and e.exp < 0:
            inv = True
        if isinstance(e, E.Power) and (e.exp < 0 or Fraction(e.exp).denominator != 1):
            pos = True
        if isinstance(e, E.Product):
            for s, p in e.scalars:
                visit(s, pos or p < 0, inv)
            for f in e.chain:
                visit(f, pos, inv)
            return
        for c in e.children:
            visit(c, pos, inv)

    for e in exprs:
        if e is not None:
            visit(e, False, False)
    return positive, invertible


def _sizes(variables: dict, rng, fixed: dict | None = None) -> dict:
    """Distinct sizes 2, 3, ... for the symbolic dimensions, in random order."""
    names = []
    for v in variables.values():
        for d in v.shape:
            if isinstance(d, str) and _IDENT.fullmatch(d) and d not in names:
                names.append(d)
    names = [n for n in names if not fixed or n not in fixed]
    pool = list(range(2, 2 + max(5, len(names))))
    sizes = dict(zip(names, rng.permutation(pool)[:len(names)].tolist()))
    if fixed:
        sizes.update(fixed)
    return sizes


def _draw_value(v: Var, sizes: dict, rng, positive: bool, invertible: bool):
    def size(d):
        return d if isinstance(d, int) else sizes[d]

    props = v.props
    if v.shape == E.SCALAR:
        x = rng.uniform(0.5, 1.5)
        if not (positive or invertible or "positive" in props):
            x *= rng.choice([-1, 1])
        return float(x)
    if E.is_vector_shape(v.shape):
        n = size([d for d in v.shape if d != 1][0])
        if positive or "positive" in props:
            return rng.uniform(0.5, 2.0, n)
        return rng.standard_normal(n)
    r, c = size(v.shape[0]), size(v.shape[1])
    if "spd" in props:
        m = rng.standard_normal((r, r))
        return m @ m.T / r + np.eye(r)
    if "diagonal" in props:
        d = rng.uniform(0.5, 2.0, r)
        if not (positive or invertible or "positive" in props):
            d = d * rng.choice([-1, 1], r)
        return np.diag(d)
    if positive or "positive" in props:
        m = rng.uniform(0.5, 2.0, (r, c))
    else:
        m = rng.standard_normal((r, c))
    if "symmetric" in props:
        m = (m + m.T) / 2
    if (invertible or "invertible" in props) and r == c:
        m = m + r * np.eye(r)
    return m


def _valid(sample: Sample, exprs, variables: dict) -> bool:
    """Every inverse well-conditioned, every log/sqrt argument positive, every expression finite."""
    from .evaluate import evaluate_expr
    try:
        for e in exprs:
            if e is None:
                continue
            for node in E.walk(e):
                arg = None
                if isinstance(node, E.Func) and node.name in ("inv", "det", "logdet"):
                    arg = node.args[0]
                elif isinstance(node, E.MatPow) and node.exp < 0:
                    arg = node.base
                if arg is not None:
                    a = np.atleast_2d(evaluate_expr(arg, sample.arrays, variables))
                    if not np.all(np.isfinite(a)) or np.linalg.cond(a) > MAX_COND:
                        return False
                    if isinstance(node, E.Func) and node.name == "logdet" and np.linalg.det(a) <= 0:
                        return False
                if isinstance(node, E.Func) and node.name in ("log", "sqrt"):
                    a = np.asarray(evaluate_expr(node.args[0], sample.arrays, variables))
                    if np.any(a <= NEAR_KINK):
                        return False
                if isinstance(node, E.Func) and node.name in KINKED:
                    # away from the kink at 0, where finite differences would be meaningless
                    a = np.asarray(evaluate_expr(node.args[0], sample.arrays, variables))
                    if np.any(np.abs(a) <= NEAR_KINK):
                        return False
            if _unbound(e, variables):
                continue      # a lone I or ones: its size comes from the comparison
            value = np.asarray(evaluate_expr(e, sample.arrays, variables, shape=None))
            if not np.all(np.isfinite(value)) or np.max(np.abs(value), initial=0) > 1e8:
                return False
    except EvaluationError:
        return False
    return True


def _unbound(e: Expr, variables: dict) -> bool:
    """Whether ``e`` has a constant (I, ones, 0) whose size no variable fixes."""
    known = {d for v in variables.values() for d in v.shape}
    return any(isinstance(d, str) and d not in known
               for n in E.walk(e) if isinstance(n, E.Const) for d in n.shape)


def draw_samples(variables: dict, exprs, n: int, seed: int = 0,
                 fixed_dims: dict | None = None) -> list[Sample]:
    """``n`` random valid inputs for these variables, each with its own distinct sizes."""
    rng = np.random.default_rng(seed)
    positive, invertible = _roles(exprs)
    out = []
    for _ in range(n):
        for _attempt in range(MAX_DRAWS):
            sizes = _sizes(variables, rng, fixed_dims)
            arrays = {name: _draw_value(v, sizes, rng, name in positive, name in invertible)
                      for name, v in variables.items()}
            s = Sample(arrays, sizes)
            if _valid(s, exprs, variables):
                out.append(s)
                break
        else:
            raise EvaluationError("could not draw valid random inputs (every draw made an "
                                  "inverse singular, a logarithm's argument non-positive or a "
                                  "value infinite)")
    return out


def symmetrized(sample: Sample, names) -> Sample:
    arrays = dict(sample.arrays)
    for n in names:
        a = np.asarray(arrays[n], float)
        arrays[n] = (a + a.T) / 2
    return Sample(arrays, sample.dims)


# =============================================================================
# 3. Values in canonical form, and matdiff's answer against finite differences
# =============================================================================

def layout_transposed(result) -> bool:
    """Whether the result's layout shows the canonical 2-index array transposed."""
    return len(result.free) == 2 and tuple(result.free) != tuple(result.tensor.free)


def canonical_value(result, value) -> np.ndarray:
    """A value of ``result.evaluate`` as the canonical array T (docs/language.md §3)."""
    a = np.asarray(value, dtype=float)
    return a.T if layout_transposed(result) else a


def _direction(var: Var, value, rng) -> np.ndarray:
    """A random direction in the space of the variable (symmetric/diagonal where declared)."""
    a = np.asarray(value, dtype=float)
    v = rng.standard_normal(a.shape) if a.ndim else np.asarray(rng.choice([-1.0, 1.0]))
    if var.props & {"symmetric", "spd"}:
        v = (v + v.T) / 2
    if "diagonal" in var.props:
        v = np.diag(np.diag(v))
    return v / max(1.0, float(np.max(np.abs(v))))


def verify(result, samples: list[Sample], options=None, directions: int = 2) -> float:
    """Check ``result`` against central finite differences; returns the largest relative error.

    Order k is checked along random directions V of the variable: the finite difference of
    the order k-1 derivative (of the expression itself for k = 1) along V must equal T
    contracted with V over the variable's axes.  Raises ``NotSupportedError`` (an internal
    inconsistency) when they disagree."""
    from .api import derivative
    from .evaluate import evaluate_expr
    wrts = list(result.wrt) * result.order if len(result.wrt) == 1 else list(result.wrt)
    name = wrts[-1]
    var = result.typed.variables[name]
    decls = declarations(result.typed.variables)
    if len(wrts) > 1:
        prev = derivative(result.expression, wrts[:-1], vars=decls or None, layout="mixed",
                          options=options)

        def base(arrays):
            return canonical_value(prev, prev.evaluate(**arrays))
    else:
        def base(arrays):
            return np.asarray(evaluate_expr(result.typed.expr, arrays, result.typed.variables),
                              dtype=float)
    rng = np.random.default_rng(12345)
    worst = 0.0
    for s in samples:
        T = canonical_value(result, result.evaluate(**s.arrays))
        x0 = np.asarray(s.arrays[name], dtype=float)
        for _ in range(directions):
            V = _direction(var, x0, rng)
            acc = 0.0
            for step, weight in ((2, -1.0), (1, 8.0), (-1, -8.0), (-2, 1.0)):
                arrays = dict(s.arrays)
                moved = x0 + step * FD_STEP * V
                arrays[name] = float(moved) if moved.ndim == 0 else moved
                acc = acc + weight * base(arrays)
            fd = np.asarray(acc, dtype=float) / (12 * FD_STEP)
            exact = np.tensordot(T, V, axes=V.ndim) if V.ndim else T * float(V)
            scale = max(1.0, float(np.max(np.abs(exact), initial=0.0)))
            worst = max(worst, float(np.max(np.abs(fd - exact), initial=0.0)) / scale)
    if worst > FD_RTOL:
        raise NotSupportedError(f"internal check failed: matdiff's derivative {result.text} of "
                                f"{result.expression} disagrees with finite differences "
                                f"(relative error {worst:.2g}); please report it")
    return worst


# =============================================================================
# 4. The verdict
# =============================================================================

def _fmt_array(a) -> str:
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    return np.array2string(a, precision=4, suppress_small=True, max_line_width=96)


@dataclass
class Counterexample:
    """Inputs at which the claim and matdiff's answer differ."""
    inputs: dict                 # variable -> value
    dims: dict                   # symbolic dimension -> size
    claimed: object              # the claim's value (None when it has the wrong shape)
    correct: object              # matdiff's value
    max_difference: float | None  # largest absolute difference (None: shapes differ)
    where: tuple | None = None    # index of the largest difference
    shapes: str = ""              # why the values cannot agree (a row is not a column, ...)

    def __str__(self) -> str:
        lines = []
        if self.dims:
            lines.append("sizes: " + ", ".join(f"{k}={v}" for k, v in self.dims.items()))
        for name, value in self.inputs.items():
            text = _fmt_array(value)
            if "\n" in text:
                lines.append(f"{name} =")
                lines += ["    " + row for row in text.split("\n")]
            else:
                lines.append(f"{name} = {text}")
        if self.shapes:
            lines.append(self.shapes)
        elif self.max_difference is None:
            lines.append(f"the claim has shape {np.shape(self.claimed)}, matdiff's answer "
                         f"{np.shape(self.correct)}")
        else:
            at = f" at {list(self.where)}" if self.where else ""
            c = np.asarray(self.claimed, float)[self.where] if self.where else self.claimed
            r = np.asarray(self.correct, float)[self.where] if self.where else self.correct
            lines.append(f"largest difference {self.max_difference:.4g}{at}: claim "
                         f"{float(c):.6g}, matdiff {float(r):.6g}")
        return "\n".join(lines)


@dataclass
class Verdict:
    """Whether a claimed derivative holds; truthy exactly when it does."""
    claim: Claim
    holds: bool
    kind: str                    # stable key: holds, layout, transposed, factor, sign, order, ...
    diagnosis: str               # short readable diagnosis ("holds", "wrong sign", ...)
    method: str                  # "symbolic" or "numeric"
    correct: object              # matdiff's answer (an api.Result) in the claim's layout
    counterexample: Counterexample | None = None
    detail: str = ""             # one more sentence about the diagnosis
    trials: int = 0              # random inputs compared
    max_difference: float = 0.0  # largest |claim - matdiff| over the inputs (when shapes agree)
    verified: float = 0.0        # matdiff's own answer vs finite differences (relative error)

    def __bool__(self) -> bool:
        return self.holds

    @property
    def layout(self) -> str:
        return self.claim.layout

    def report(self) -> str:
        c = self.claim
        layout = c.layout + " layout" + (f", the d/d{c.wrt}' form" if c.transposed_wrt else "")
        how = "symbolically" if self.method == "symbolic" else "numerically"
        lines = [f"claim:    {c}   [{layout}]"]
        if self.holds:
            extra = (f"simplified difference is 0; also at {self.trials} random inputs"
                     if self.method == "symbolic" else
                     f"at {self.trials} random inputs with distinct dimensions, largest "
                     f"difference {self.max_difference:.2g}")
            lines.append(f"verdict:  holds ({how}: {extra})")
            return "\n".join(lines)
        lines.append(f"verdict:  fails ({how}) - {self.diagnosis}")
        if self.detail:
            lines.append(f"          {self.detail}")
        lines.append(f"matdiff:  {self.correct.text}")
        if self.counterexample is not None:
            lines.append("counterexample:")
            lines += ["  " + line for line in str(self.counterexample).split("\n")]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def to_dict(self) -> dict:
        ce = self.counterexample
        return {
            "claim": str(self.claim), "expression": self.claim.expression, "wrt": self.claim.wrt,
            "order": self.claim.order, "layout": self.claim.layout, "claimed": self.claim.result,
            "holds": self.holds, "kind": self.kind, "diagnosis": self.diagnosis,
            "detail": self.detail, "method": self.method, "correct": self.correct.text,
            "trials": self.trials,
            "counterexample": None if ce is None else {
                "dims": ce.dims,
                "inputs": {k: np.asarray(v, float).tolist() for k, v in ce.inputs.items()},
                "claimed": None if ce.claimed is None else np.asarray(ce.claimed, float).tolist(),
                "correct": np.asarray(ce.correct, float).tolist(),
                "max_difference": ce.max_difference,
            },
        }


# ---- shapes of claims and candidates ---------------------------------------------

def _form(shape, known: set):
    """('scalar',) / ('col', n) / ('row', n) / ('matrix', m, n); a dimension no variable
    fixes (the size of a lone I or ones) is None, a wildcard."""
    def dim(d):
        return d if (isinstance(d, int) or d in known) else None
    if shape == E.SCALAR:
        return ("scalar",)
    if E.is_vector_shape(shape):
        return ("col", dim(shape[0])) if shape[1] == 1 else ("row", dim(shape[1]))
    return ("matrix", dim(shape[0]), dim(shape[1]))


def _same_form(a, b) -> bool:
    if a is None or b is None:
        return True
    if a[0] != b[0] or len(a) != len(b):
        return False
    return all(x is None or y is None or x == y for x, y in zip(a[1:], b[1:]))


def _transposed_form(f):
    if f is None or f[0] == "scalar":
        return f
    if f[0] == "col":
        return ("row", f[1])
    if f[0] == "row":
        return ("col", f[1])
    return ("matrix", f[2], f[1])


def _shape_words(f) -> str:
    if f is None:
        return "an array"
    if f[0] == "scalar":
        return "a scalar"
    if f[0] == "col":
        return f"a column vector ({f[1] or '?'})"
    if f[0] == "row":
        return f"a row vector ({f[1] or '?'})"
    return f"a matrix ({f[1] or '?'}×{f[2] or '?'})"


def _close(a, b, rtol=RTOL) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    return float(np.max(np.abs(a - b), initial=0.0)) <= rtol * scale


def _factor(claimed: list, ref: list):
    """c with claimed = c * ref on every input (None if there is none, or ref is 0)."""
    if any(np.shape(a) != np.shape(b) for a, b in zip(claimed, ref)):
        return None
    a = np.concatenate([np.ravel(np.asarray(x, float)) for x in claimed])
    b = np.concatenate([np.ravel(np.asarray(x, float)) for x in ref])
    bb = float(b @ b)
    if bb < 1e-20:
        return None
    c = float(a @ b) / bb
    if abs(c) < 1e-6 or not _close(a, c * b):
        return None
    return c


def _factor_text(c: float) -> str:
    f = Fraction(c).limit_denominator(24)
    if abs(float(f) - c) <= 1e-6 * max(1.0, abs(c)):
        return str(f)
    return f"{c:.6g}"


def _with_factor(base: str, c: float) -> str:
    """A diagnosis with the factor c of claim = c * reference added ("" base: c alone)."""
    if abs(c - 1) < 1e-6:
        return base
    what = "wrong sign" if abs(c + 1) < 1e-6 else f"constant factor {_factor_text(c)}"
    return f"{base}, and {what}" if base else what


# ---- the checker -------------------------------------------------------------------

class _Checker:
    """Compares one claim with matdiff's derivative on a set of random inputs."""

    def __init__(self, claim: Claim, vars, types, trials, seed, options):
        from .api import derivative
        from .index_parse import is_index_text
        from .shapes import typecheck
        self.claim = claim
        self.types = types
        self.options = options
        self.r = derivative(claim.expression, claim.wrt, vars=vars, layout=claim.layout,
                            order=claim.order, types=types, options=options)
        self.variables = dict(self.r.typed.variables)
        self.decls = declarations(self.variables)
        self.known_dims = {d for v in self.variables.values() for d in v.shape
                           if isinstance(d, str)}
        # the claimed result, typed with the expression's declarations; a shape conflict
        # there (A*B where only B*A is defined) makes the claim fail, it is not bad input
        self.index_claim = is_index_text(claim.result)
        self.claim_typed = None
        self.ill_formed = None     # the shape conflict that makes the claimed result meaningless
        if not self.index_claim:
            try:
                self.claim_typed = typecheck(claim.result, self.decls or None, types)
            except ShapeError as err:
                self.ill_formed = str(err)
            except MatdiffError as err:
                raise type(err)(f"in the claimed result: {err}") from None
        if self.claim_typed is not None:
            extra = sorted(set(self.claim_typed.variables) - set(self.variables))
            if extra:
                raise UnknownNameError(f"the claimed result uses {', '.join(extra)}, which "
                                       f"{'does' if len(extra) == 1 else 'do'} not occur in "
                                       f"{claim.expression!r} (declare "
                                       f"{'it' if len(extra) == 1 else 'them'} with vars= to use)")
        self.claim_expr = self.claim_typed.expr if self.claim_typed else None
        self.samples = draw_samples(self.variables, [self.r.typed.expr, self.claim_expr],
                                    trials, seed)

    # -- values --------------------------------------------------------------------
    def correct_form(self):
        if self.r.expr is None:
            return None
        return _form(self.r.expr.shape, self.known_dims)

    def claim_form(self):
        if self.claim_expr is None or E.is_zero(self.claim_expr):
            return None
        return _form(self.claim_expr.shape, self.known_dims)

    def result_values(self, result, samples) -> list:
        return [np.asarray(result.evaluate(**s.arrays), float) for s in samples]

    def claim_values(self, samples, expr=None, reference=None) -> list:
        """The claim (or one of its terms) on the inputs; for a 3+-index derivative a matrix
        claim is read as the vec form d vec(F)/d vec(X)'."""
        from .api import evaluate as evaluate_text
        from .evaluate import evaluate_expr
        expr = expr if expr is not None else self.claim_expr
        reference = reference if reference is not None else self.result_values(self.r, samples)
        out = []
        for s, ref in zip(samples, reference):
            shape = ref.shape
            if self.r.expr is None and expr is not None and len(expr.shape) == 2 \
                    and not E.is_vector_shape(expr.shape) and not expr.is_scalar:
                shape = (int(np.prod(ref.shape[:self._f_axes()])),
                         int(np.prod(ref.shape[self._f_axes():])))
            if expr is None:      # index notation
                v = evaluate_text(self.claim.result, vars=self.decls or None, types=self.types,
                                  shape=shape, **s.arrays)
            elif E.is_zero(expr):
                v = np.zeros(shape)
            else:
                v = evaluate_expr(expr, s.arrays, self.claim_typed.variables,
                                  shape=shape if _unbound(expr, self.variables) else None)
            v = np.asarray(v, float)
            if self.r.expr is None and v.ndim == 2 and v.shape != ref.shape:
                v = self._from_vec(v, ref.shape)
            out.append(v)
        return out

    def _f_axes(self) -> int:
        x = len(E.axes(self.variables[self.claim.wrt].shape)) * self.r.order
        return len(self.r.free) - x

    def _from_vec(self, v, shape):
        """A vec-form matrix back to the canonical tensor (column-major vec on both sides)."""
        k = self._f_axes()
        f_shape, x_shape = shape[:k], shape[k:]
        if v.shape != (int(np.prod(f_shape)), int(np.prod(x_shape))):
            return v
        t = v.reshape(tuple(reversed(f_shape)) + tuple(reversed(x_shape)))
        perm = tuple(reversed(range(k))) + tuple(k + i for i in reversed(range(len(x_shape))))
        return t.transpose(perm)

    # -- the decision ------------------------------------------------------------
    def run(self) -> Verdict:
        claim, r = self.claim, self.r
        verified = verify(r, self.samples[:2], self.options)
        if self.ill_formed:
            return Verdict(claim=claim, holds=False, kind="ill-formed",
                           diagnosis="ill-formed: the claimed result has no value for these shapes",
                           method="symbolic", correct=r, detail=self.ill_formed,
                           trials=0, verified=verified)
        correct = self.result_values(r, self.samples)
        claimed = self.claim_values(self.samples, reference=correct)
        cf, rf = self.claim_form(), self.correct_form()
        shapes_agree = _same_form(cf, rf)
        numeric_ok = shapes_agree and all(_close(a, b) for a, b in zip(claimed, correct))
        diffs = [float(np.max(np.abs(a - b), initial=0.0)) if a.shape == b.shape else None
                 for a, b in zip(claimed, correct)]
        max_diff = max((d for d in diffs if d is not None), default=0.0)
        symbolic = self._symbolic_equal() if shapes_agree else False
        base = dict(claim=claim, correct=r, trials=len(self.samples), max_difference=max_diff,
                    verified=verified)
        if numeric_ok:
            return Verdict(holds=True, kind="holds", diagnosis="holds",
                           method="symbolic" if symbolic else "numeric", **base)
        method = "numeric" if shapes_agree else "symbolic"
        kind, diagnosis, detail = self._diagnose(claimed, correct, cf, rf)
        if not shapes_agree and not detail:
            detail = f"the claim is {_shape_words(cf)}, matdiff's derivative {_shape_words(rf)}"
        ce = self._counterexample(claimed, correct, diffs)
        if not shapes_agree:
            ce.shapes = f"the claim is {_shape_words(cf)}, matdiff's answer {_shape_words(rf)}"
        return Verdict(holds=False, kind=kind, diagnosis=diagnosis, method=method,
                       counterexample=ce, detail=detail, **base)

    def _symbolic_equal(self) -> bool:
        """The simplifier decides: RESULT - matdiff's answer simplifies to 0."""
        from .simplify import simplify
        if self.claim_expr is None or self.r.expr is None:
            return False
        try:
            if E.is_zero(self.claim_expr):
                return E.is_zero(self.r.expr)
            if self.claim_expr.shape != self.r.expr.shape:
                return False
            return E.is_zero(simplify(E.sub(self.claim_expr, self.r.expr))) or \
                simplify(self.claim_expr) == self.r.expr
        except Exception:  # noqa: BLE001 - the simplifier is a shortcut; numbers decide
            return False

    def _counterexample(self, claimed, correct, diffs) -> Counterexample:
        best = max(range(len(diffs)), key=lambda i: -1 if diffs[i] is None else diffs[i])
        s = self.samples[best]
        a, b = claimed[best], correct[best]
        where = None
        if diffs[best] is not None and a.ndim:
            where = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(a - b)), a.shape))
        return Counterexample(inputs=s.arrays, dims=s.dims, claimed=a, correct=b,
                              max_difference=diffs[best], where=where)

    # -- near misses ---------------------------------------------------------------
    def _diagnose(self, claimed, correct, cf, rf):
        """(kind, diagnosis, detail) for a claim that fails."""
        from .api import Options, derivative
        claim, r = self.claim, self.r

        def matches(values, form):
            if not _same_form(cf, form):
                return None
            return _factor(claimed, values)

        # 1. a constant factor or the sign
        c = matches(correct, rf)
        if c is not None:
            kind = "sign" if abs(c + 1) < 1e-6 else "factor"
            return (kind, _with_factor("", c),
                    f"the claim is {_factor_text(c)} times matdiff's answer")
        # 2. the derivative of another order
        for k in (claim.order - 1, claim.order + 1):
            if k < 1 or k > 4:
                continue
            try:
                rk = derivative(claim.expression, claim.wrt, vars=self.decls or None,
                                layout=claim.layout, order=k, types=self.types,
                                options=self.options)
            except MatdiffError:
                continue
            vk = self.result_values(rk, self.samples)
            c = matches(vk, None if rk.expr is None else _form(rk.expr.shape, self.known_dims))
            if c is not None:
                what = f"wrong order: this is the {ORDINALS.get(k, str(k))} derivative"
                return ("order", _with_factor(what, c),
                        f"the {ORDINALS.get(k, k)} derivative is {rk.text}")
        # 3. another layout's answer
        others = [L for L in ("denominator", "numerator", "mixed") if L != claim.layout]
        for L in others:
            rl = derivative(claim.expression, claim.wrt, vars=self.decls or None, layout=L,
                            order=claim.order, types=self.types, options=self.options)
            if rl.expr is not None and rf is not None and rl.free == r.free and \
                    rl.as_row == r.as_row:
                continue  # this layout shows the derivative exactly as the claim's does
            vl = self.result_values(rl, self.samples)
            c = matches(vl, None if rl.expr is None else _form(rl.expr.shape, self.known_dims))
            if c is not None:
                return ("layout", _with_factor(f"other layout: this is the {L} layout answer", c),
                        f"in the {claim.layout} layout it is {r.text}")
        # 4. the transpose
        if rf is not None and rf[0] != "scalar":
            vt = [v.T for v in correct]
            c = matches(vt, _transposed_form(rf))
            if c is not None:
                return "transposed", _with_factor("transposed", c), f"the transpose of {r.text}"
        # 5. a symmetric (diagonal) variable: the unstructured G, or the Cookbook's
        #    G + G' - diag(G)
        var = self.variables[claim.wrt]
        symmetric = bool(var.props & {"symmetric", "spd"})
        if (symmetric or "diagonal" in var.props) and claim.order == 1 and rf is not None:
            g = derivative(claim.expression, claim.wrt, vars=self.decls or None,
                           layout=claim.layout, order=1, types=self.types,
                           options=dataclasses.replace(self.options or Options(), structured=False))
            vg = self.result_values(g, self.samples)
            book = [v + v.T - np.diag(np.diag(v)) for v in vg]
            c = matches(book, rf) if symmetric else None
            if c is not None:
                return ("cookbook", _with_factor("Matrix Cookbook's G + G' - diag(G)", c),
                        f"for a symmetric {claim.wrt} the gradient is (G + G')/2 = {r.text}, "
                        f"where G = {g.text} (the unstructured derivative; see the guide's symmetric variables)")
            c = matches(vg, rf)
            if c is not None:
                what = "symmetric" if symmetric else "diagonal"
                within = "(G + G')/2" if symmetric else "G's diagonal"
                return ("unstructured", _with_factor(f"unstructured G: {claim.wrt} is {what}", c),
                        f"this is G = {g.text}, the derivative as if the entries of {claim.wrt} "
                        f"were independent; within {what} matrices it is {within} = {r.text}")
        # 6. term by term: a missing term, terms transposed or with the wrong sign
        found = self._terms(claimed, correct, cf, rf)
        if found:
            return found
        # 7. right only for symmetric matrices
        found = self._symmetric_only(cf, rf)
        if found:
            return found
        return "wrong", "wrong", ""

    def _terms(self, claimed, correct, cf, rf):
        from .simplify import simplify
        from .to_matrix import NotMatrixForm, term_to_matrix
        from .evaluate import evaluate_expr
        from .render.text import to_text
        r = self.r
        if not _same_form(cf, rf):
            return None
        # a term of matdiff's answer is missing from the claim
        if r.expr is not None and 1 < len(r.tensor.terms) <= MAX_TERMS_SEARCH:
            try:
                mats = [term_to_matrix(t, r.free, dict(r.tensor.dims)) for t in r.tensor.terms]
            except NotMatrixForm:
                mats = None
            if mats:
                vals = [[np.asarray(evaluate_expr(m, s.arrays, self.variables), float)
                         for s in self.samples] for m in mats]
                n = len(mats)
                for size in range(n - 1, 0, -1):
                    for keep in itertools.combinations(range(n), size):
                        total = [sum(vals[k][i] for k in keep) for i in range(len(self.samples))]
                        if all(_close(a, b) for a, b in zip(claimed, total)):
                            missing = [mats[k] for k in range(n) if k not in keep]
                            m = simplify(E.add(*missing))
                            if r.as_row and not m.is_scalar:
                                m = simplify(E.transpose(m))
                            text = to_text(m)
                            return ("missing term",
                                    f"missing term{'s' if len(missing) > 1 else ''}: {text}",
                                    f"matdiff's answer {r.text} also has {text}")
        # some terms of the claim transposed, or with the wrong sign
        if isinstance(self.claim_expr, E.Add) and len(self.claim_expr.args) <= MAX_TERMS_SEARCH:
            terms = self.claim_expr.args
            vals = [self.claim_values(self.samples, t, correct) for t in terms]
            n = len(terms)
            square = all(v.ndim == 2 and v.shape[0] == v.shape[1] for v in correct)
            for what, op, ok in (("transposed", lambda a: a.T, square),
                                 ("with the wrong sign", lambda a: -a, True)):
                if not ok:
                    continue
                for size in range(1, n):
                    for flip in itertools.combinations(range(n), size):
                        total = [sum(op(vals[k][i]) if k in flip else vals[k][i] for k in range(n))
                                 for i in range(len(self.samples))]
                        if all(_close(a, b) for a, b in zip(total, correct)):
                            from .render.text import to_text as tt
                            names = "; ".join(tt(terms[k]) for k in flip)
                            kind = "terms transposed" if what == "transposed" else "terms sign"
                            return (kind, f"term{'s' if size > 1 else ''} {what}: "
                                          f"{', '.join(str(k + 1) for k in flip)} of {n}",
                                    f"{what}: {names}")
        return None

    def _symmetric_only(self, cf, rf):
        """Right when some square matrix is symmetric: re-test with it symmetrised."""
        if not _same_form(cf, rf):
            return None
        square = [n for n, v in self.variables.items()
                  if v.shape[0] == v.shape[1] and v.shape != E.SCALAR
                  and not E.is_vector_shape(v.shape)
                  and not v.props & {"symmetric", "spd", "diagonal"}]
        tries = [[n] for n in square] + ([square] if len(square) > 1 else [])
        for names in tries:
            samples = [symmetrized(s, names) for s in self.samples]
            try:
                correct = self.result_values(self.r, samples)
                claimed = self.claim_values(samples, reference=correct)
            except EvaluationError:
                continue
            if all(_close(a, b) for a, b in zip(claimed, correct)):
                who = ", ".join(names)
                return ("symmetric", f"holds only for symmetric {who}",
                        f"right when {who} {'is' if len(names) == 1 else 'are'} symmetric; "
                        f"in general it is {self.r.text}")
        return None


def check(claim: str, vars=None, layout: str = "mixed", types: str = "default", trials: int = 3,
          seed: int = 0, options=None) -> Verdict:
    """Decide whether a claimed derivative holds for all inputs (see the module docstring).

    ``claim`` is ``d/dX EXPR = RESULT`` (``d2/dx2``, ``d/dx'``, ``d(EXPR)/dX`` also);
    ``vars`` declares variables as for ``derivative``; ``layout`` is the layout the claim is
    written in (``d/dx'`` means numerator).  Bad input raises a ``MatdiffError``."""
    if not isinstance(trials, int) or trials < 1:
        raise MatdiffError(f"trials must be a positive integer, got {trials!r}")
    if not isinstance(claim, str):  # a SymPy claim (docs/sympy.md)
        from .sympy_bridge import read_claim
        claim, vars = read_claim(claim, vars)
    parsed = parse_claim(claim, layout)
    return _Checker(parsed, vars, types, trials, seed, options).run()


# =============================================================================
# 5. The command lines: matdiff check, matdiff sheet
# =============================================================================

def _declarations_arg(items) -> list[str] | None:
    decls = [part.strip() for item in items or [] for part in item.split(";") if part.strip()]
    return decls or None


def _error(message: str, status: int = 2) -> int:
    print(f"matdiff: error: {' '.join(str(message).split())}", file=sys.stderr)
    return status


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors: exit status 2, one line
        self.print_usage(sys.stderr)
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def check_main(argv: list[str]) -> int:
    """``matdiff check CLAIM ...``: exit 0 when the claim holds, 1 when it fails, 2 bad input."""
    p = _Parser(prog="matdiff check", description="Decide whether a claimed derivative holds for "
                "all inputs: symbolically where the simplifier can, else numerically at random "
                "inputs with distinct dimensions.",
                epilog="examples:\n  matdiff check \"d/dX tr(A*X*B) = B*A\" --layout numerator\n"
                       "  matdiff check \"d/dx x'*A*x = 2*A*x\"\n"
                       "  matdiff check \"d2/dx2 x'*A*x = A + A'\"\n"
                       "exit status: 0 the claim holds, 1 it fails, 2 bad input.",
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("claim", nargs="?", help="the claim, e.g. \"d/dX tr(A*X*B) = B*A\"")
    p.add_argument("--claim", dest="claim_opt", metavar="CLAIM", help="the claim, as an option")
    p.add_argument("--var", action="append", default=[], metavar="DECL",
                   help="declare a variable, e.g. \"A: matrix(n,n) symmetric\" (repeatable)")
    p.add_argument("--layout", choices=LAYOUTS, default="mixed",
                   help="the layout the claim is written in (default mixed; d/dx' is numerator)")
    p.add_argument("--types", choices=("default", "matrixcalculus"), default="default",
                   help="naming convention for undeclared names (default: upper-case = matrix, "
                        "Greek = scalar, other lower-case = vector)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="the verdict as a text report (default) or as JSON")
    p.add_argument("--json", dest="format", action="store_const", const="json",
                   help="short for --format json")
    p.add_argument("--trials", type=int, default=3, help="random inputs to compare at (default 3)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    try:
        args = p.parse_args(argv)
    except _UsageError as e:
        return _error(e)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    text = args.claim_opt if args.claim_opt is not None else args.claim
    if text == "-":
        text = sys.stdin.read().strip()
    if not text:
        p.print_usage(sys.stderr)
        return _error("a claim is required, e.g. matdiff check \"d/dx x'*x = 2*x\"")
    try:
        v = check(text, vars=_declarations_arg(args.var), layout=args.layout, types=args.types,
                  trials=max(1, args.trials), seed=args.seed)
    except MatdiffError as e:
        return _error(e)
    if args.format == "json":
        print(json.dumps(v.to_dict(), ensure_ascii=False))
    else:
        print(v.report())
    return 0 if v.holds else 1


# ---- the cheat sheet ----------------------------------------------------------------

@dataclass
class SheetEntry:
    """One line of a sheet's input: ``d/dX EXPR [where DECL, DECL]`` (or a JSON object)."""
    expression: str
    wrt: str
    order: int = 1
    vars: dict | list | None = None
    section: str | None = None
    line: int = 0


def _split_decls(text: str) -> list[str]:
    """``A: matrix(n,n) symmetric, x: vector(n)`` -> two declarations (commas inside
    parentheses stay); ``;`` also separates."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch in ",;" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [d.strip() for d in out if d.strip()]


def read_sheet(text: str) -> list[SheetEntry]:
    """Entries of a sheet file.

    Text: one derivative a line, ``d/dX EXPR`` (``d2/dx2 EXPR`` for a second derivative),
    optionally followed by ``where DECL, DECL`` (or ``; DECL; DECL``); ``# ...`` is a comment,
    ``## Title`` starts a section.  JSON: a list of objects with ``expr``, ``wrt`` and
    optionally ``vars`` and ``order`` (the format of tests/data/seeds.json)."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise ParseError(f"the sheet is not valid JSON: {e.msg} (line {e.lineno})") from None
        out = []
        for k, it in enumerate(items):
            if not isinstance(it, dict) or "expr" not in it or "wrt" not in it:
                raise ParseError(f"sheet entry {k + 1} needs 'expr' and 'wrt'")
            out.append(SheetEntry(it["expr"], it["wrt"], int(it.get("order", 1)), it.get("vars"),
                                  it.get("section"), k + 1))
        return out
    out, section = [], None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or (line.startswith("#") and not line.startswith("##")):
            continue
        if line.startswith("##"):
            section = line.lstrip("#").strip() or None
            continue
        body, decls = line, None
        m = re.search(r"\s(?:where)\s|;", line)
        if m:
            body, decls = line[:m.start()], _split_decls(line[m.end():])
        try:
            c = parse_claim(body + " = 0")
        except ParseError as e:
            raise ParseError(f"line {n}: {e.message}; a sheet line reads 'd/dX EXPR "
                             f"[where DECL, ...]'") from None
        out.append(SheetEntry(c.expression, c.wrt, c.order, decls, section, n))
    return out


KIND_SECTIONS = ["Scalar by scalar", "Scalar by vector", "Scalar by matrix", "Vector by scalar",
                 "Vector by vector", "Matrix by scalar", "Second derivatives",
                 "Three or more indices"]


def _kind_section(r) -> str:
    var = r.typed.variables[r.wrt[-1]]
    x = len(E.axes(var.shape))
    f = len(E.axes(r.typed.expr.shape))
    if len(r.free) > 2:
        return "Three or more indices"
    if r.order > 1:
        return "Second derivatives"
    names = {0: "scalar", 1: "vector", 2: "matrix"}
    return f"{names[f].capitalize()} by {names[x]}"


@dataclass
class SheetLine:
    entry: SheetEntry
    result: object       # api.Result
    error: float         # relative error against finite differences
    section: str


def _decl_text(r) -> str:
    from .render.text import shape_text
    parts = []
    for name, v in r.typed.variables.items():
        props = " " + " ".join(sorted(v.props)) if v.props else ""
        parts.append(f"{name}: {shape_text(v.shape)}{props}")
    return ", ".join(parts)


def build_sheet(entries: list[SheetEntry], layout: str, trials: int = 3, seed: int = 0):
    """Derive and verify every entry; returns (lines, failures).  A line is kept only when
    matdiff's derivative agrees with finite differences at ``trials`` random inputs; one that
    does not is a failure (entry, why).  An entry matdiff cannot read or differentiate
    raises its ``MatdiffError``, naming the line."""
    from .api import derivative
    lines, failures, seen = [], [], set()
    for k, entry in enumerate(entries):
        key = (entry.expression, entry.wrt, entry.order, json.dumps(entry.vars, sort_keys=True))
        if key in seen:
            continue
        seen.add(key)
        try:
            r = derivative(entry.expression, entry.wrt, vars=entry.vars, layout=layout,
                           order=entry.order)
        except MatdiffError as e:
            raise type(e)(f"line {entry.line}: {e}") from None
        try:
            samples = draw_samples(r.typed.variables, [r.typed.expr], trials, seed + k)
            err = verify(r, samples)
        except MatdiffError as e:
            failures.append((entry, str(e)))
            continue
        lines.append(SheetLine(entry, r, err, entry.section or _kind_section(r)))
    return lines, failures


def _lhs_text(r) -> str:
    k = "" if r.order == 1 else str(r.order)
    w = r.wrt[-1]
    return f"d{k}/d{w}{k}"


def _statement_latex(r) -> str:
    from .render.latex import name_latex, statement_latex, to_latex
    var = r.typed.variables[r.wrt[-1]]
    f_latex = to_latex(r.typed.expr)
    w_latex = name_latex(var.name, var.shape)
    if r.expr is None:
        return r.latex
    return statement_latex(f_latex, w_latex, r.expr, None, r.order)


LAYOUT_NOTES = {
    "mixed": "a gradient has the shape of its variable; a Jacobian of a vector by a vector is "
             "∂yᵢ/∂xⱼ (m×n).",
    "numerator": "the derivative of a scalar by an m×n matrix is n×m (the transpose of the "
                 "gradient) and by a vector a row; a Jacobian is ∂yᵢ/∂xⱼ (m×n).",
    "denominator": "the derivative of a scalar by a matrix has the matrix's shape and by a "
                   "vector is a column; the derivative of a vector (m) by a vector (n) is n×m.",
}


LAYOUT_NOTES_LATEX = {
    "mixed": r"a gradient has the shape of its variable; a Jacobian of a vector by a vector is "
             r"$\partial y_i/\partial x_j$ ($m\times n$).",
    "numerator": r"the derivative of a scalar by an $m\times n$ matrix is $n\times m$ (the "
                 r"transpose of the gradient) and by a vector a row; a Jacobian is "
                 r"$\partial y_i/\partial x_j$ ($m\times n$).",
    "denominator": r"the derivative of a scalar by a matrix has the matrix's shape and by a "
                   r"vector is a column; the derivative of a vector ($m$) by a vector ($n$) is "
                   r"$n\times m$.",
}


def _md_cell(s: str) -> str:
    """Text for a Markdown table cell: no bare '|' (norms and absolute values in LaTeX use
    \\Vert and \\vert, which render the same)."""
    for a, b in ((r"\left\|", r"\left\Vert "), (r"\right\|", r"\right\Vert "),
                 (r"\left|", r"\left\vert "), (r"\right|", r"\right\vert ")):
        s = s.replace(a, b)
    return s.replace("|", "\\|")


def sheet_markdown(lines: list[SheetLine], layout: str, title: str | None = None,
                   trials: int = 3, source: str | None = None) -> str:
    title = title or f"Matrix calculus cheat sheet ({layout} layout)"
    command = f"matdiff sheet {source} --layout {layout}" if source else "matdiff sheet"
    out = [f"# {title}", "",
           f"Generated by `{command}`, in the **{layout} layout**: {LAYOUT_NOTES[layout]}",
           "Every formula below was checked before it was printed: matdiff's closed form, "
           f"evaluated at {trials} random inputs with distinct dimensions, agrees with central "
           "finite differences of the expression (the *check* column is the largest relative "
           "error). Repeated indices in index forms are summed.", ""]
    for section in _sections(lines):
        out += [f"## {section}", "", "| derivative | result | LaTeX | variables | check |",
                "|---|---|---|---|---|"]
        for ln in lines:
            if ln.section != section:
                continue
            r = ln.result
            lhs = f"{_lhs_text(r)} {ln.entry.expression}"
            out.append(f"| `{_md_cell(lhs)}` | `{_md_cell(r.text)}` | "
                       f"${_md_cell(_statement_latex(r))}$ | {_md_cell(_decl_text(r))} | "
                       f"{ln.error:.0e} |")
        out.append("")
    return "\n".join(out)


def sheet_latex(lines: list[SheetLine], layout: str, title: str | None = None,
                trials: int = 3) -> str:
    title = title or f"Matrix calculus cheat sheet ({layout} layout)"
    note = LAYOUT_NOTES_LATEX[layout]
    out = [r"\documentclass{article}", r"\usepackage{amsmath,amssymb}",
           r"\usepackage[margin=2cm]{geometry}", r"\begin{document}",
           r"\section*{" + title + "}",
           rf"Layout: \textbf{{{layout}}} --- {note} Every formula was checked numerically "
           rf"against central finite differences at {trials} random inputs with distinct "
           r"dimensions before it was printed."]
    for section in _sections(lines):
        out += [r"\subsection*{" + section + "}", r"\begin{align*}"]
        rows = [_statement_latex(ln.result) for ln in lines if ln.section == section]
        out.append(" \\\\\n".join("&" + row for row in rows))
        out += [r"\end{align*}"]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def _sections(lines: list[SheetLine]) -> list[str]:
    names = list(dict.fromkeys(ln.section for ln in lines))
    order = {s: k for k, s in enumerate(KIND_SECTIONS)}
    if all(n in order for n in names):
        names.sort(key=order.get)
    return names


def sheet_main(argv: list[str]) -> int:
    """``matdiff sheet FILE [--layout L]... [--format markdown|latex] [-o OUT]``."""
    p = _Parser(prog="matdiff sheet", description="Write a cheat sheet of derivatives, each "
                "checked numerically before it is printed.",
                epilog="FILE: one derivative a line, e.g.\n"
                       "  d/dx x'*A*x where A: matrix(n,n), x: vector(n)\n"
                       "  d2/dx2 x'*A*x\n"
                       "  ## A section title\n"
                       "  # a comment\n"
                       "or a JSON list of {expr, wrt, vars, order} (tests/data/seeds.json).\n"
                       "exit status: 0 every line verified, 1 some line failed its check, "
                       "2 bad input.",
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="the list of expressions ('-' for standard input)")
    p.add_argument("--layout", action="append", choices=LAYOUTS, default=None,
                   help="layout (repeatable: one sheet per layout, one after the other); "
                        "default mixed")
    p.add_argument("--format", choices=("markdown", "latex"), default=None,
                   help="markdown (default) or latex; -o NAME.tex chooses latex")
    p.add_argument("-o", "--output", metavar="OUT", help="write to this file, not standard output")
    p.add_argument("--title", help="the sheet's title")
    p.add_argument("--trials", type=int, default=3, help="random inputs per check (default 3)")
    try:
        args = p.parse_args(argv)
    except _UsageError as e:
        return _error(e)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 0
    try:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as e:
        return _error(f"cannot read {args.file}: {e.strerror}")
    fmt = args.format or ("latex" if (args.output or "").endswith(".tex") else "markdown")
    try:
        entries = read_sheet(text)
    except MatdiffError as e:
        return _error(e)
    if not entries:
        return _error(f"{args.file} lists no derivatives")
    parts, failed = [], []
    for layout in args.layout or ["mixed"]:
        try:
            lines, failures = build_sheet(entries, layout, max(1, args.trials))
        except MatdiffError as e:
            return _error(e)
        failed += failures
        if fmt == "latex":
            parts.append(sheet_latex(lines, layout, args.title, max(1, args.trials)))
        else:
            parts.append(sheet_markdown(lines, layout, args.title, max(1, args.trials),
                                        None if args.file == "-" else args.file))
    for entry, why in failed:
        print(f"matdiff: sheet line {entry.line} ({entry.expression} by {entry.wrt}) left out: "
              f"{' '.join(why.split())}", file=sys.stderr)
    doc = "\n".join(parts)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(doc if doc.endswith("\n") else doc + "\n")
    else:
        sys.stdout.write(doc if doc.endswith("\n") else doc + "\n")
    return 1 if failed else 0
