"""log, exp and the logistic function in the canonical form.

- the logistic function recognised: ``(ones + exp(v)).^-p = sigmoid(-v).^p`` and
  ``exp(v) .* sigmoid(-v) = sigmoid(v)`` (e^v/(1 + e^v));
- ``sigmoid(u) + sigmoid(-u) = ones`` where the two meet in a sum with equal cofactors;
- ``log`` of a product split where that is shorter (``log(exp(u) .* b) = u + log(b)``); sound
  when every factor but one is known nonnegative: where the log is defined the product is
  positive, so each factor is, and the last one has an odd power;
- logs in a sum merged where that is shorter (``log(a) - log(b) = log(a ./ b)``), and
  ``logdet(c*X) = n*log(c) + logdet(X)`` for a known positive c where that cancels terms;
- ``exp`` of a sum holding logs: ``exp(u + 2*log(v)) = exp(u) .* v.^2`` (v > 0 wherever
  ``log(v)`` is defined).

The builders of canonical.py are passed in as ``b`` (they call back into these rules)."""
from __future__ import annotations

from fractions import Fraction

from .. import expr as E
from ..expr import Add, Const, Expr, Func, Hadamard, Num, Power, Product, Transpose, Var
from ..functions import EXP, FUNCTIONS, LOG, SIGMOID
from .base import size

_NONNEGATIVE_SCALARS = ("norm1", "norm2")   # >= 0 whatever their argument


def nonnegative(e: Expr) -> bool:
    """Known >= 0 entrywise wherever e is defined (declared positive, exp, c.^2, sums of those)."""
    if isinstance(e, Num):
        return e.value >= 0
    if isinstance(e, Const):
        return True
    if isinstance(e, Var):
        return "positive" in e.props
    if isinstance(e, Func):
        f = FUNCTIONS.get(e.name)
        return (f is not None and f.positive) or e.name in _NONNEGATIVE_SCALARS or \
            (e.name in ("sum", "tr") and nonnegative(e.args[0]))
    if isinstance(e, Power):
        return _even(e.exp) or nonnegative(e.base)
    if isinstance(e, (Add, Hadamard)):
        return all(nonnegative(a) for a in e.args)
    if isinstance(e, Product):
        return e.coeff >= 0 and all(nonnegative(s) for s, _ in e.scalars) and \
            all(nonnegative(f) for f in e.chain)
    if isinstance(e, Transpose):
        return nonnegative(e.arg)
    return False


def _odd(p) -> bool:
    return isinstance(p, Fraction) and p.denominator == 1 and p.numerator % 2 == 1


def _even(p) -> bool:
    return isinstance(p, Fraction) and p.denominator == 1 and p.numerator % 2 == 0


def _factors(a: Expr):
    """(coeff, [(base, power)]) of a product, its scalar factors included."""
    if isinstance(a, Product):
        if len(a.chain) > 1:   # a matrix product is one factor: log(A*x) does not split
            body = [(Product(1, (), a.chain), Fraction(1))]
        else:
            body = _factors(a.chain[0])[1] if a.chain else []
        return a.coeff, list(a.scalars) + body
    if isinstance(a, Hadamard):
        return Fraction(1), [(x.base, x.exp) if isinstance(x, Power) else (x, Fraction(1)) for x in a.args]
    if isinstance(a, Power):
        return Fraction(1), [(a.base, a.exp)]
    return Fraction(1), [(a, Fraction(1))]


def _broadcast(b, s: Expr, p, shape) -> Expr:
    """p*s as a term of the given shape (a scalar s stands for s*ones there)."""
    if s.is_scalar and shape != E.SCALAR:
        return b.product(p, [(s, Fraction(1))], [E.ones(shape)])
    return b.product(p, [], [s])


def log_of(a: Expr, b) -> Expr | None:
    """log(a) split over a's factors when that is sound and shorter, else None: each factor
    its own log, or the factors whose log simplifies (log(exp(u)) = u) split off the rest."""
    coeff, facs = _factors(a)
    if not isinstance(coeff, Fraction) or coeff <= 0 or (len(facs) == 1 and coeff == 1 and facs[0][1] == 1):
        return None
    signed = [nonnegative(f) or _even(p) for f, p in facs]   # f.^p >= 0 is known

    def own(f, p):   # log(f.^p) = p*log(f) where f > 0; log(x.^2) is not 2*log(x)
        if not nonnegative(f) and _even(p):
            return _broadcast(b, b.func(LOG, (b.power(f, p),)), 1, a.shape)
        return _broadcast(b, b.func(LOG, (f,)), p, a.shape)

    cands = []
    unknown = [p for (f, p), k in zip(facs, signed) if not k]
    if (len(unknown) == 0 or (len(unknown) == 1 and _odd(unknown[0]))) and \
            not (len(facs) == 1 and coeff == 1 and not nonnegative(facs[0][0]) and _even(facs[0][1])):
        cands.append([own(f, p) for f, p in facs] +
                     ([_broadcast(b, b.func(LOG, (Num(coeff),)), 1, a.shape)] if coeff != 1 else []))
    off = [k for k, (f, p) in enumerate(facs) if signed[k] and not _is_log(b.func(LOG, (f,)))]
    if off and len(off) < len(facs):
        rest = [facs[k] for k in range(len(facs)) if k not in off]
        sc = [(f, p) for f, p in rest if f.is_scalar and not a.is_scalar]
        body = [b.power(f, p) for f, p in rest if not (f.is_scalar and not a.is_scalar)]
        g = b.product(coeff, sc, [b.hadamard(body)]) if body and not a.is_scalar else \
            b.product(coeff, sc + ([(f, p) for f, p in rest] if a.is_scalar else []), [])
        cands.append([own(*facs[k]) for k in off] + [_broadcast(b, b.func(LOG, (g,)), 1, a.shape)])
    outs = [b.sum(t, logs=False) for t in cands]
    outs = [o for o in outs if size(o) < size(Func(LOG, (a,)))]
    return min(outs, key=size) if outs else None


def _is_log(e: Expr) -> bool:
    return isinstance(e, Func) and e.name == LOG


def exp_of(a: Expr, b) -> Expr | None:
    """exp of a sum holding c*log(v) terms as a product with v.^c, when shorter, else None."""
    logs, rest = [], []
    for t in (a.args if isinstance(a, Add) else (a,)):
        c, body = b.term_parts(t)
        if isinstance(body, Func) and body.name == LOG and body.shape == a.shape:
            logs.append(b.power(body.args[0], c))
        else:
            rest.append(t)
    if not logs:
        return None
    parts = logs + ([b.func(EXP, (b.sum(rest),))] if rest else [])
    out = b.hadamard(parts) if not a.is_scalar else b.product(1, [(p, Fraction(1)) for p in parts], [])
    return out if size(out) < size(Func(EXP, (a,))) else None


def merge_logs(terms: list[Expr], b) -> list[Expr] | None:
    """The log terms of a sum as one log (c*log(u) + c*log(v) = c*log(u .* v)), each
    logdet(c*X) of a known positive c split first; None when there is nothing to merge."""
    logs, others, split = [], [], False
    for t in terms:
        c, body = b.term_parts(t)
        scaled = _scaled(body.args[0]) if isinstance(body, Func) and body.name == "logdet" else None
        if isinstance(body, Func) and body.name == LOG and isinstance(c, Fraction):
            logs.append((c, body.args[0]))
        elif scaled is not None and isinstance(c, Fraction):
            (s, x), n, split = scaled, scaled[1].shape[0], True
            others.append(b.product(c, [], [b.func("logdet", (x,))]))
            if isinstance(n, int):
                logs.append((c * n, s))
            else:   # n*log(s), n written tr(I(n)) as sum(ones) is
                others.append(b.product(c, [(b.func(LOG, (s,)), Fraction(1)),
                                            (Func("tr", (Const("eye", (n, n)),)), Fraction(1))], []))
        else:
            others.append(t)
    if len(logs) < 2 and not split:
        return None
    if len(logs) >= 2:
        c0 = next((c for c, _ in logs if c > 0), logs[0][0])
        ps = [(v, c / c0) for c, v in logs]
        inner = b.product(1, ps, []) if logs[0][1].is_scalar else b.hadamard([b.power(v, q) for v, q in ps])
        logs = [(c0, inner)]
    return others + [b.product(c, [], [b.func(LOG, (v,))]) for c, v in logs]


def _scaled(a: Expr):
    """(c*s, X) when a is c*s*X with a square X and c*s known positive, else None."""
    if not (isinstance(a, Product) and len(a.chain) == 1 and (a.coeff != 1 or a.scalars)):
        return None
    x = a.chain[0]
    if x.shape[0] != x.shape[1] or a.coeff <= 0 or not all(nonnegative(s) for s, _ in a.scalars):
        return None
    return Product(a.coeff, a.scalars, ()) if a.scalars else Num(a.coeff), x


def complements(terms: list[Expr], b) -> list[Expr] | None:
    """c*h .* sigmoid(u) + c*h .* sigmoid(-u) = c*h (the two logistic halves make one), and
    c*h - c*h .* sigmoid(u) = c*h .* sigmoid(-u); None when no two terms pair."""
    parts = [_sigmoid_split(t, b) for t in terms]
    if not any(parts):
        return None
    for j, pj in enumerate(parts):
        if pj is None:
            continue
        for i, t in enumerate(terms):
            pi = parts[i]
            if i > j and pi and pi[1] == pj[1] and b.product(-1, [], [pi[0]]) == pj[0]:
                return [x for k, x in enumerate(terms) if k not in (i, j)] + [pi[1]]
            if i != j and b.product(-1, [], [t]) == pj[1]:
                s = b.func(SIGMOID, (b.product(-1, [], [pj[0]]),))
                pair = b.product(1, [(t, 1), (s, 1)], []) if t.is_scalar else b.hadamard([t, s])
                return [x for k, x in enumerate(terms) if k not in (i, j)] + [pair]
    return None


def _sigmoid_split(t: Expr, b):
    """(u, the term with its one sigmoid(u) factor removed), or None."""
    c, sc, ch = b.split(t)
    h = list(ch[0].args) if len(ch) == 1 and isinstance(ch[0], Hadamard) else list(ch)
    for k, (s, p) in enumerate(sc):
        if isinstance(s, Func) and s.name == SIGMOID and p == 1:
            return s.args[0], b.product(c, sc[:k] + sc[k + 1:], ch)
    if len(ch) == 1:
        for k, f in enumerate(h):
            if isinstance(f, Func) and f.name == SIGMOID:
                rest = h[:k] + h[k + 1:]
                body = b.hadamard(rest) if rest else E.ones(t.shape)
                return f.args[0], b.product(c, sc, [body])
    return None


def softplus_base(x: Expr) -> Expr | None:
    """v when x is ones + exp(v) (the denominator of the logistic function), else None."""
    if isinstance(x, Add) and len(x.args) == 2:
        one, other = x.args
        if isinstance(other, Const):
            one, other = other, one
        if isinstance(one, Const) and one.kind == "ones" and isinstance(other, Func) \
                and other.name == EXP:
            return other.args[0]
    if isinstance(x, Add) and len(x.args) == 2 and x.is_scalar:
        nums = [a for a in x.args if isinstance(a, Num) and a.value == 1]
        funcs = [a for a in x.args if isinstance(a, Func) and a.name == EXP]
        if nums and funcs:
            return funcs[0].args[0]
    return None


def sigmoid_power(base: Expr, k, b) -> Expr | None:
    """(ones + exp(v)).^-k = sigmoid(-v).^k for k > 0, else None."""
    v = softplus_base(base) if isinstance(k, Fraction) and k < 0 else None
    return None if v is None else b.power(b.func(SIGMOID, (b.product(-1, [], [v]),)), -k)


def logistic(powers: dict, b) -> dict:
    """Factors of one product (base -> exponent): (ones + exp(v)).^-p = sigmoid(-v).^p, and
    exp(v).^m .* sigmoid(-v).^m = sigmoid(v).^m (e^v/(1 + e^v) is the logistic function)."""
    out = dict(powers)
    for x, p in powers.items():
        v = softplus_base(x) if isinstance(p, Fraction) and p < 0 else None
        if v is not None:
            del out[x]
            s = b.func(SIGMOID, (b.product(-1, [], [v]),))
            out[s] = out.get(s, 0) - p
    for x, p in list(out.items()):
        if not (isinstance(x, Func) and x.name == SIGMOID and isinstance(p, Fraction) and p > 0):
            continue
        v = b.product(-1, [], [x.args[0]])
        e = b.func(EXP, (v,))
        q = out.get(e, 0)
        if isinstance(q, Fraction) and q > 0 and out.get(x, 0) > 0:
            m = min(out[x], q)
            out[x] -= m
            out[e] -= m
            s = b.func(SIGMOID, (v,))
            out[s] = out.get(s, 0) + m
    return {x: p for x, p in out.items() if p != 0}
