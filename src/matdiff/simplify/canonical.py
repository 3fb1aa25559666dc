"""Canonical form: equal values as equal trees, as often as cheaply possible.

Transposes pushed to the leaves (and dropped on symmetric variables and scalars),
products flattened with their numbers and scalar factors collected, ``X*X`` as
``X^2``, ``inv(X)*X`` as ``I``, like terms of sums collected, scalars written in one
orientation (``x'*y`` = ``y'*x``, ``tr`` cycled)."""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from types import SimpleNamespace

from .. import expr as E
from ..expr import (Add, Const, Expr, Func, Hadamard, MatPow, Num, Power, Product, Transpose)
from ..functions import COMMUTES, ELEMENTWISE, EXP, FUNCTIONS, IDENTITY, INVARIANT, LOG
from . import logexp
from .inverses import adj_as_inverse, base_exp as _base_exp, cancel_inverse, has_inverse_of_product
from .base import check_time as _check_time, hadamard_order, key, size
from .constants import (REDUCED, constant_array, counts, equal_rows, is_identity, kron_of_identities,
                        ones_product, reduce_constant)
from .transpose import _transpose_rule, transpose


def canonical(e: Expr) -> Expr:
    return _canon(e)


@lru_cache(maxsize=20000)
def _canon(e: Expr) -> Expr:
    _check_time()
    kids = tuple(_canon(c) for c in e.children)
    if isinstance(e, Transpose):
        return transpose(kids[0])
    if isinstance(e, Product):
        k = len(e.scalars)
        return make_product(e.coeff, [(c, p) for c, (_, p) in zip(kids[:k], e.scalars)], list(kids[k:]))
    if isinstance(e, Add):
        return make_sum(list(kids))
    if isinstance(e, Hadamard):
        return make_hadamard(list(kids))
    if isinstance(e, Power):
        return make_power(kids[0], e.exp)
    if isinstance(e, MatPow):
        return make_matpow(kids[0], e.exp)
    if isinstance(e, Func):
        return make_func(e.name, kids)
    return e


def _at_zero(name: str, shape) -> Expr | None:
    """f of a zero argument, where the function's entry knows it (f(0) = 0, cos(0) = 1, expm(0) = I)."""
    f = FUNCTIONS.get(name)
    v = f.at_zero if f is not None else None
    if v is None:
        return None
    if v is IDENTITY:
        return E.identity(shape[0])
    if v == 0:
        return E.zero(shape)
    one = Num(1) if shape == E.SCALAR else E.ones(shape)
    return one if v == 1 else make_product(v, [], [one])


def make_func(name: str, args: tuple[Expr, ...]) -> Expr:
    a = args[0]
    if name == "kron":
        if any(E.is_zero(x) for x in args):
            return E.zero(E.func_shape("kron", args))
        if a.is_scalar or args[1].is_scalar:  # kron(s, M) = s*M
            return make_product(1, [], [a, args[1]])
        if all(is_identity(x) for x in args):
            return kron_of_identities(args)
    if name == "pow" and isinstance(args[1], Num):   # u^v with v a number: the ordinary power
        return make_power(a, args[1].value)
    if name == "pow" and not a.is_scalar and constant_array(a) is not None:
        c, ones = constant_array(a)     # (c*ones).^v = c^v*ones: the ones keeps its context
        return ones if c == 1 else make_product(1, [(make_func("pow", (Num(c), args[1])), Fraction(1))], [ones])
    if name == "adj" and isinstance(a, Const) and a.kind in ("I", "eye"):
        return a                        # adj(I) = I, sized as the I was
    f = FUNCTIONS.get(name)
    if f is not None and f.undoes is not None and isinstance(a, Func) and a.name == f.undoes:
        return a.args[0]  # log(exp(u)) = u for real u, elementwise too
    const = constant_array(a)
    if name == "vec" and ones_product(a) is not None:  # vec(c*ones*ones') = c*ones
        c, scalars = ones_product(a)
        return make_product(c, scalars, [E.ones(E.func_shape("vec", args))])
    if isinstance(a, Const) and a.kind in ("I", "eye") and name == "diag":   # the diagonal of I
        return E.ones((a.shape[0], 1))
    if isinstance(a, Const) and a.kind == "ones" and name == "diag" and a.shape[1] == 1 != a.shape[0]:
        return E.identity(a.shape[0])                                     # diag(ones) = I
    if const is not None and name == "diag" and a.shape[1] != 1:  # the diagonal of c*ones
        return make_product(const[0], [], [E.ones((a.shape[0], 1))])
    if const is not None and f is not None and f.kind == ELEMENTWISE:
        c, ones = const
        v = f.fold(c)
        if v is not None:
            return make_product(v, [], [ones])     # f(c*ones) = f(c)*ones
    if name in REDUCED:
        if isinstance(a, Func) and a.name == "vec" and name != "softmax":
            return make_func(name, a.args)           # sum(vec(U)) = sum(U), the norms alike
        r = reduce_constant(name, a, make_product, make_sum, make_func)
        if r is not None:
            return r
        if name == "sum" and isinstance(a, Product) and len(a.chain) == 2 and \
                a.chain[0].shape[1] == 1 and a.chain[1].shape[0] == 1 and \
                any(isinstance(x, Const) and x.kind == "ones" for x in a.chain):
            # sum(u*v') = sum(u)*sum(v): the ones factor becomes its count, which keeps its size
            return make_product(a.coeff, list(a.scalars) + [(make_func("sum", (x,)), Fraction(1))
                                                            for x in a.chain], [])
        r = equal_rows(name, a, make_product, make_func)
        if r is not None:
            return r
    if name == "tr" and isinstance(a, Func) and a.name == "kron" and \
            all(not x.is_scalar and x.shape[0] == x.shape[1] for x in a.args):
        return make_product(1, [(make_func("tr", (a.args[0],)), Fraction(1)),   # tr(kron(A, B))
                                (make_func("tr", (a.args[1],)), Fraction(1))], [])  # = tr(A)*tr(B)
    if isinstance(a, Const) and a.kind == "ones" and name == "sum" and a.shape[1] == 1:
        return Func("tr", (Const("eye", (a.shape[0], a.shape[0])),))  # sum(ones) = n = tr(I(n))
    if isinstance(a, Const) and a.kind in ("I", "eye") and name in ("det", "logdet"):
        return Num(1 if name == "det" else 0)
    if isinstance(a, Const) and (a.kind == "I" or (a.kind == "ones" and name == "tr")) \
            and name in ("tr", "sum"):
        return make_product(1, counts((a.shape[0],)), [])  # n, written with its size
    if isinstance(a, Const) and a.kind == "ones" and name == "sum":   # sum of an m×n ones: m*n
        return make_product(1, [(Func("tr", (Const("eye", (a.shape[0],) * 2),)), Fraction(1)),
                                (Func("tr", (Const("eye", (a.shape[1],) * 2),)), Fraction(1))], [])
    if E.is_zero(a) and name != "kron":
        z = _at_zero(name, E.func_shape(name, args))
        if z is not None:
            return z
    if name in (LOG, EXP):   # log of products split, exp of logs undone, where shorter
        v = (logexp.log_of if name == LOG else logexp.exp_of)(a, BUILD)
        if v is not None:
            return v
    if name in ("det", "logdet") and (isinstance(a, MatPow) or (isinstance(a, Func) and a.name == "inv")):
        base, k = (a.base, a.exp) if isinstance(a, MatPow) else (a.args[0], -1)
        if name == "det":                    # det(X^k) = det(X)^k, det(inv(X)) = 1/det(X)
            return make_power(make_func("det", (base,)), Fraction(k))
        if k % 2:                            # logdet(X^k) = k*logdet(X) needs det(X) > 0: odd k
            return make_product(k, [], [], extra=[make_func("logdet", (base,))])
    if name == "inv":
        if isinstance(a, Func) and a.name == "inv":
            return a.args[0]
        if isinstance(a, Const) and a.kind == "I":
            return a
        if isinstance(a, Product) and not a.chain:
            return make_power(a, -1)
        if isinstance(a, Product) and (a.coeff != 1 or a.scalars) and len(a.chain) == 1:
            # inv(c*s*X) = inv(X)/(c*s): c*s is not 0 where the inverse exists
            return make_product(1 / a.coeff, [(t, -p) for t, p in a.scalars],
                                [make_func("inv", (a.chain[0],))])
    if name == "tr":
        if a.is_scalar:
            return a
        if isinstance(a, Product):
            scalars, coeff = a.scalars, a.coeff
            body = Product(1, (), a.chain) if len(a.chain) > 1 else a.chain[0]
            if coeff != 1 or scalars:
                return make_product(coeff, list(scalars), [], extra=[make_func("tr", (body,))])
            cycle = _best_cycle(a.chain)
            return cycle if cycle.is_scalar else Func("tr", (cycle,))   # tr(x*x') = x'*x
    if isinstance(a, Transpose) and _transpose_rule(name) == COMMUTES:    # f(A') = f(A)'
        return transpose(Func(name, (a.arg,)))
    if isinstance(a, Transpose) and _transpose_rule(name) == INVARIANT:   # f(A') = f(A)
        return make_func(name, (a.arg,))
    if name == "diag" and isinstance(a, Transpose) and a.arg.shape[1] == 1:
        return Func("diag", (a.arg,))
    return Func(name, args)


def _best_cycle(chain: tuple[Expr, ...]) -> Expr:
    """tr is invariant under cyclic rotation and transposition: pick one spelling."""
    n = len(chain)
    cands = []
    rev = tuple(transpose(f) for f in reversed(chain))
    for seq in (chain, rev):
        for r in range(n):
            rot = seq[r:] + seq[:r]
            cands.append(rot)
    # a rotation that is a scalar (y'*A*x) needs no tr at all
    best = min(cands, key=lambda c: (c[0].shape[0] != 1 or c[-1].shape[1] != 1, _tcount(c),
                                     key(Product(1, (), c))))
    return Product(1, (), best) if n > 1 else best[0]


def _tcount(chain) -> int:
    return sum(isinstance(f, Transpose) for f in chain)


def make_power(base: Expr, k) -> Expr:
    if k == 0:
        return Num(1) if base.is_scalar else E.ones(base.shape)
    if k == 1:
        return base
    if isinstance(base, Num):
        if isinstance(k, Fraction) and k.denominator == 1 and not isinstance(base.value, float):
            if base.value == 0 and k < 0:
                return Power(base, k)
            return Num(base.value ** int(k))
        if base.value > 0:
            return Num(float(base.value) ** float(k))
    if isinstance(base, Power) and isinstance(k, Fraction) and k.denominator == 1:
        return make_power(base.base, base.exp * k)
    if base.is_scalar and isinstance(base, Product):
        if not base.chain and isinstance(k, Fraction) and k.denominator == 1:
            # (c * s^p)^k = c^k s^(pk)
            return make_product(base.coeff ** int(k), [(s, p * k) for s, p in base.scalars], [])
    if base.is_scalar:
        return make_product(1, [(base, Fraction(k) if not isinstance(k, float) else k)], [])
    if isinstance(base, Const) and base.kind == "ones":
        return base
    if isinstance(base, Product) and base.chain and (base.coeff != 1 or base.scalars) \
            and isinstance(k, Fraction) and k.denominator == 1:
        # (c*s*M).^k = c^k*s^k*M.^k, entrywise, for an integer k (M may be a chain A*x)
        return make_product(base.coeff ** int(k), [(t, p * k) for t, p in base.scalars],
                            [make_power(make_product(1, [], list(base.chain)), k)])
    v = logexp.sigmoid_power(base, k, BUILD)
    if v is not None:   # (ones + exp(v)).^-k = sigmoid(-v).^k
        return v
    if E.is_zero(base) and k > 0:
        return base
    if isinstance(base, Product) and not base.scalars and len(base.chain) == 1 and \
            isinstance(base.chain[0], Const) and base.chain[0].kind == "ones" and \
            (base.coeff > 0 or (isinstance(k, Fraction) and k.denominator == 1)):
        c = base.coeff ** k if isinstance(k, Fraction) and k.denominator == 1 else float(base.coeff) ** float(k)
        return make_product(c, [], [base.chain[0]])  # (c*ones).^k = c^k*ones
    return Power(base, k)


def make_matpow(base: Expr, k: int) -> Expr:
    if k == 0:
        return E.identity(base.shape[0])
    if isinstance(base, Const) and base.kind in ("I", "eye"):   # I^k = I, k < 0 too
        return base
    if k == 1:
        return base
    if k == -1:
        return make_func("inv", (base,))
    if isinstance(base, MatPow):
        return make_matpow(base.base, base.exp * k)
    if isinstance(base, Func) and base.name == "inv":
        return MatPow(base.args[0], -k)
    if isinstance(base, Product) and len(base.chain) == 1:
        # (c*s*A)^k = c^k s^k A^k
        return make_product(base.coeff ** k, [(s, p * k) for s, p in base.scalars],
                            [make_matpow(base.chain[0], k)])
    return MatPow(base, k)


def make_hadamard(args: list[Expr]) -> Expr:
    plain = _hadamard(args, spread=False)
    if not any(_spreadable(a) for a in args):
        return plain
    spread = _hadamard(args, spread=True)   # (a .* b).^-1 .* b = a.^-1, where factors cancel
    return spread if size(spread) < size(plain) else plain


def _spreadable(a: Expr) -> bool:
    """(u .* v).^k for an integer k: the power may go to each factor."""
    if isinstance(a, Hadamard):
        return any(_spreadable(x) for x in a.args)
    return isinstance(a, Power) and isinstance(a.base, Hadamard) and isinstance(a.exp, Fraction) \
        and a.exp.denominator == 1


def _hadamard(args: list[Expr], spread: bool) -> Expr:
    coeff = Fraction(1)
    flat: list[Expr] = []
    scalars: list[tuple[Expr, Fraction]] = []
    for a in args:
        if spread and _spreadable(a) and isinstance(a, Power):
            flat.extend(make_power(x, a.exp) for x in a.base.args)
        elif isinstance(a, Hadamard):
            flat.extend(x for y in a.args for x in
                        ([make_power(z, y.exp) for z in y.base.args] if spread and _spreadable(y) else [y]))
        elif a.is_scalar:
            scalars.append((a, Fraction(1)))
        elif isinstance(a, Product) and a.chain:
            coeff *= a.coeff
            scalars.extend(a.scalars)
            flat.append(make_product(1, [], list(a.chain)) if len(a.chain) > 1 else a.chain[0])
        elif isinstance(a, Const) and a.kind == "ones":
            continue
        else:
            flat.append(a)
    if any(E.is_zero(a) for a in flat):
        return E.zero(args[0].shape if not args[0].is_scalar else args[-1].shape)
    # u .* u -> u.^2 ; u .* u.^k -> u.^(k+1)
    powers: dict[Expr, object] = {}
    order: list[Expr] = []
    for a in flat:
        b, p = (a.base, a.exp) if isinstance(a, Power) else (a, Fraction(1))
        if b not in powers:
            order.append(b)
            powers[b] = 0
        powers[b] = powers[b] + p
    powers = logexp.logistic({b: powers[b] for b in order}, BUILD)
    parts = [make_power(b, p) for b, p in powers.items() if p != 0]
    parts = [p for p in parts if not (isinstance(p, Const) and p.kind == "ones")]
    shape = next(a.shape for a in args if not a.is_scalar)
    if not parts:
        body: Expr = E.ones(shape)
    elif len(parts) == 1:
        body = parts[0]
    else:
        body = Hadamard(hadamard_order(parts))
    if coeff != 1 or scalars:
        return make_product(coeff, scalars, [body])
    return body


def _split(e: Expr):
    """(coeff, scalars, chain) of any expression."""
    if isinstance(e, Product):
        return e.coeff, list(e.scalars), list(e.chain)
    if isinstance(e, Num):
        return e.value, [], []
    if e.is_scalar:
        return Fraction(1), [(e, Fraction(1))], []
    return Fraction(1), [], [e]


def make_product(coeff, scalars: list[tuple[Expr, object]], chain: list[Expr], extra=()) -> Expr:
    """Canonical product: numbers multiplied, scalar factors merged by base, chain flattened."""
    c = coeff
    powers: dict[Expr, object] = {}
    order: list[Expr] = []

    def add_scalar(s: Expr, p):
        nonlocal c
        if isinstance(s, Num):
            if p == 1:
                c = c * s.value
                return
            v = make_power(s, p)
            if isinstance(v, Num):
                c = c * v.value
                return
        if isinstance(s, Product) and (s.coeff != 1 or s.scalars) and \
                (p == 1 or (isinstance(p, Fraction) and p.denominator == 1)):
            # (c * t^q * u'*M*v)^p: the number and the scalar factors come out
            c = c * (s.coeff ** int(p) if p != 1 else s.coeff)
            for s2, p2 in s.scalars:
                add_scalar(s2, p2 * p)
            if s.chain:
                add_scalar(Product(1, (), s.chain), p)
            return
        if isinstance(s, Power) and s.base.is_scalar and isinstance(p, Fraction) and p.denominator == 1:
            add_scalar(s.base, s.exp * p)
            return
        if s not in powers:
            order.append(s)
            powers[s] = 0
        powers[s] = powers[s] + p

    for s, p in scalars:
        add_scalar(s, p)
    for s in extra:
        add_scalar(s, Fraction(1))
    flat: list[Expr] = []
    for f in chain:
        if isinstance(f, Product) and (not f.is_scalar or not f.chain):
            c = c * f.coeff
            for s, p in f.scalars:
                add_scalar(s, p)
            flat.extend(f.chain)
        elif f.is_scalar:
            add_scalar(f, Fraction(1))
        else:
            flat.append(f)
    if c == 0 or any(E.is_zero(f) for f in flat):
        shape = (flat[0].shape[0], flat[-1].shape[1]) if flat else E.SCALAR
        return E.zero(shape)
    dets = {s.args[0] for s in order if isinstance(s, Func) and s.name == "det" and powers[s] < 0}
    swapped = [adj_as_inverse(f, dets) for f in order + flat] if dets else None
    if swapped and swapped != order + flat:
        # adj(U) = det(U)*inv(U) where a division by det(U) says det(U) != 0: det(U)^-1*adj(U) = inv(U)
        return make_product(c, [(canonical(t), powers[s]) for t, s in zip(swapped, order)],
                            [canonical(t) for t in swapped[len(order):]])
    # ones(a×k)*ones(k×b) = k*ones(a×b): the inner size k would otherwise be lost in print
    merged_ones: list[Expr] = []
    for f in flat:
        prev = merged_ones[-1] if merged_ones else None
        if isinstance(f, Const) and f.kind == "ones" and isinstance(prev, Const) and \
                prev.kind == "ones" and f.shape[0] != 1:
            k = f.shape[0]
            merged_ones[-1] = E.ones((prev.shape[0], f.shape[1]))
            for t, p in counts((k,)):      # k as tr(I(k)), a vec's size m*n as two of them
                add_scalar(t, p)
            if merged_ones[-1].shape == E.SCALAR:
                merged_ones.pop()
            continue
        merged_ones.append(f)
    flat = _merge_chain(merged_ones)
    if any(_square_product_inverse(f) for f in flat):
        # inv(A*X*B) = inv(B)*inv(X)*inv(A) when every factor is square (each is then
        # invertible): kept only when factors cancel, B*inv(A*X*B)*A = inv(X)
        split = _merge_chain([g for f in flat for g in (_square_product_inverse(f) or [f])])
        if len(split) < len(flat):
            flat = split
    sc = [(s, q) for s, q in logexp.logistic({s: powers[s] for s in order}, BUILD).items() if q != 0]
    sc.sort(key=lambda sp: key(sp[0]))
    if not flat and not sc:
        return Num(c)
    if c == 1 and not sc and len(flat) == 1:
        return flat[0]
    if c == 1 and not flat and len(sc) == 1 and sc[0][1] == 1:
        return sc[0][0]
    prod = Product(c, sc, flat)
    if not flat and len(sc) == 0:
        return Num(c)
    for k in {1, len(flat) - 1} if prod.is_scalar and len(flat) >= 2 else ():   # row*(column)
        total = _as_sum(_chain(flat[:k]), _chain(flat[k:]))
        if total is not None:
            return make_product(c, sc, [], extra=[total])
    if prod.is_scalar and flat:
        # a scalar chain such as x'*y: one orientation for x'*y and y'*x
        body = Product(1, (), flat)
        t = Product(1, (), tuple(transpose(f) for f in reversed(flat)))
        if (_tcount(t.chain), key(t)) < (_tcount(body.chain), key(body)):
            flat = list(t.chain)
        return Product(c, sc, flat) if (c != 1 or sc) else (Product(1, (), flat))
    return prod


def _chain(factors: list[Expr]) -> Expr:
    return factors[0] if len(factors) == 1 else Product(1, (), tuple(factors))


def _as_sum(row: Expr, col: Expr) -> Expr | None:
    """u'*v as sum(u .* v) when that cancels factors (e'.*y' * e.^-1 = sum(y)); ones'*v as sum(v)."""
    if row.shape[0] != 1 or col.shape[1] != 1:
        return None
    u = transpose(row)

    def n(e):
        return 0 if isinstance(e, Const) and e.kind == "ones" else \
            len(e.args) if isinstance(e, Hadamard) else 1
    if n(u) and n(col) and not any(isinstance(x, (Hadamard, Power)) for x in (u, col)):
        return None
    h = make_hadamard([u, col])
    return make_func("sum", (h,)) if n(h) < n(u) + n(col) or not (n(u) and n(col)) else None


def _square_product_inverse(f: Expr) -> list[Expr] | None:
    """inv(P1*...*Pk) as [inv(Pk), ..., inv(P1)] when every Pi is square, else None."""
    if isinstance(f, Transpose):
        inner = _square_product_inverse(f.arg)
        return [transpose(g) for g in reversed(inner)] if inner else None
    if not (isinstance(f, Func) and f.name == "inv" and isinstance(f.args[0], Product)):
        return None
    p = f.args[0]
    if p.coeff != 1 or p.scalars or len(p.chain) < 2 or any(g.shape[0] != g.shape[1] for g in p.chain):
        return None
    return [make_func("inv", (g,)) for g in reversed(p.chain)]


def _merge_chain(chain: list[Expr]) -> list[Expr]:
    """Drop identities, merge X*X -> X^2, X^a*X^b -> X^(a+b), inv(X)*X -> I."""
    out: list[Expr] = []
    spelled = has_inverse_of_product(chain)
    for f in chain:
        if is_identity(f):
            continue
        if out and E.is_commutation(f) and E.is_commutation(out[-1]) and f.size == out[-1].size[::-1]:
            out.pop()  # K(n,m)*K(m,n) = I
            continue
        if out:
            b1, e1 = _base_exp(out[-1])
            b2, e2 = _base_exp(f)
            if b1 == b2 and b1.shape[0] == b1.shape[1]:
                out.pop()
                m = make_matpow(b1, e1 + e2)
                if not (isinstance(m, Const) and m.kind == "I"):
                    out.append(m)
                continue
        out.append(f)
        if spelled:
            cancel_inverse(out)
    if not out and chain:   # all identities (a sized one kept as written), or inv(X)*X
        return [next((f for f in chain if is_identity(f)), None) or E.identity(chain[0].shape[0])]
    return out


def _term_parts(e: Expr):
    """A term as (coefficient, body with coefficient 1)."""
    if isinstance(e, Product):
        if e.coeff == 1:
            return Fraction(1), e
        body = Product(1, e.scalars, e.chain)
        if not e.chain and len(e.scalars) == 1 and e.scalars[0][1] == 1:
            body = e.scalars[0][0]
        elif not e.scalars and len(e.chain) == 1:
            body = e.chain[0]
        return e.coeff, body
    if isinstance(e, Num):
        return e.value, Num(1)
    return Fraction(1), e


def make_sum(args: list[Expr], expand: bool = True, logs: bool = True) -> Expr:
    flat: list[Expr] = []
    for a in args:
        if isinstance(a, Add):
            flat.extend(a.args)
        elif not E.is_zero(a):
            flat.append(a)
    coeffs: dict[Expr, object] = {}
    order: list[Expr] = []
    for t in flat:
        c, body = _term_parts(t)
        if body not in coeffs:
            order.append(body)
            coeffs[body] = 0
        coeffs[body] = coeffs[body] + c
    terms = [make_product(coeffs[b], [], [b]) for b in order if coeffs[b] != 0]
    terms = _merge_diagonals(terms)
    paired = logexp.complements(terms, BUILD)   # sigmoid(u) + sigmoid(-u) = ones
    if paired is not None:
        return make_sum(paired, expand, logs)
    if not terms:
        return E.zero(args[0].shape)
    out = _assembled(terms, expand)
    merged = logexp.merge_logs(terms, BUILD) if logs else None
    if merged is not None:   # log(a) - log(b) = log(a ./ b), where shorter
        alt = make_sum(merged, expand, logs=False)
        if size(alt) < size(out):
            return alt
    return out


def _assembled(terms: list[Expr], expand: bool) -> Expr:
    if len(terms) == 1:
        return terms[0]
    terms.sort(key=term_order)
    if expand and len(terms) > 1:
        return _expanded_if_shorter(Add(terms))
    return Add(terms)


def _expanded_if_shorter(e: Add) -> Expr:
    """(ones - y) .* s - (ones - s) .* y = s - y: elementwise products of sums are
    distributed (over their first sum, or over all of them) when the result is shorter."""
    best = e
    for full in (False, True):
        out: list[Expr] = []
        changed = False
        for t in e.args:
            c, body = _term_parts(t)
            sums = [a for a in body.args if isinstance(a, Add)] if isinstance(body, Hadamard) else []
            if not sums:
                out.append(t)
                continue
            changed = True
            sums = sums if full else sums[:1]
            rest = [a for a in body.args if not any(a is x for x in sums)]
            combos: list[list[Expr]] = [[]]
            for x in sums:
                combos = [k + [a] for k in combos for a in x.args][:64]
            out += [make_product(c, [], [make_hadamard(rest + k)]) for k in combos]
        if changed:
            new = make_sum(out, expand=False)
            best = new if size(new) < size(best) else best
    return best


def _merge_diagonals(terms: list[Expr]) -> list[Expr]:
    """c1*diag(u) + c2*diag(v) = diag(c1*u + c2*v)."""
    diags = []
    for k, t in enumerate(terms):
        c, body = _term_parts(t)
        if isinstance(body, Func) and body.name == "diag" and body.args[0].shape[1] == 1 \
                and body.shape[0] == body.shape[1] and isinstance(c, Fraction):
            diags.append((k, c, body.args[0]))
    if len(diags) < 2:
        return terms
    inner = make_sum([make_product(c, [], [v]) for _, c, v in diags])
    rest = [t for k, t in enumerate(terms) if k not in {d[0] for d in diags}]
    return rest + [make_func("diag", (inner,))]


def term_order(t: Expr):
    """Terms of a sum: positive first, then by their body without the number (B + 2*t*C)."""
    body = _term_parts(t)[1]
    constant = isinstance(body, (Num, Const))
    return (_negative(t), not constant, key(body), key(t))


def _negative(e: Expr) -> bool:
    return (isinstance(e, Product) and e.coeff < 0) or (isinstance(e, Num) and e.value < 0)


# The builders, for the rules kept in their own modules (logexp.py calls back into them).
BUILD = SimpleNamespace(func=make_func, product=make_product, hadamard=make_hadamard, power=make_power,
                        sum=lambda terms, logs=True: make_sum(terms, logs=logs), split=_split,
                        term_parts=_term_parts)
