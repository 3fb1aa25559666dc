"""Numbers for index-notation results: each term is one ``einsum`` over its factors.

``contract`` is the one evaluator: the derivative's ``TensorSum`` (``evaluate_tensor``),
the steps view's partial sums (steps/sequence.py) and the index text read back
(index/parse.py) all end in it.
"""
from __future__ import annotations

import math

import numpy as np
import opt_einsum

from ..dims import Dim, pieces
from ..errors import EvaluationError
from .tensor import Factor, TensorSum


def bind_dims(variables: dict, arrays: dict) -> dict:
    """Symbolic dimension -> size, read off the arrays given for the variables."""
    dims: dict = {}
    for name, var in variables.items():
        if name not in arrays:
            continue
        shape = np.shape(arrays[name])
        want = [d for d in var.shape if d != 1]
        have = [s for s in shape if s != 1] if len(shape) != len(want) else list(shape)
        for d, s in zip(want, have):
            if isinstance(d, (str, Dim)):
                dims.setdefault(d, s)
    return dims


def size_of(d, sizes: dict) -> int:
    """The number a dimension stands for: an int, a bound symbol, or a product (vec, kron)."""
    if isinstance(d, int):
        return d
    if d in sizes:
        return sizes[d]
    found = pieces(d, sizes)  # the size of a vec or kron result, from its factors
    if found is not None:
        return math.prod(size_of(p, sizes) for p in found)
    raise EvaluationError(f"the size {d} is not fixed by the arrays given")


def reshape_array(rows: int, cols: int) -> np.ndarray:
    """δ[k,a,b] as an array: 1 where k = a + rows*b (k the vec index of (a, b))."""
    return np.eye(rows * cols).reshape(rows * cols, cols, rows).swapaxes(1, 2)


def contract(terms, free, shape: tuple) -> np.ndarray:
    """Σ coeff·einsum(operands) with axes in ``free`` order; ``terms`` are
    ``(coeff, [(array, indices), ...])``.  A free axis that no operand of a term
    mentions is broadcast: the term is constant along it."""
    letters: dict[str, str] = {}

    def letter(i: str) -> str:
        if i not in letters:
            letters[i] = opt_einsum.get_symbol(len(letters))
        return letters[i]

    total = np.zeros(shape)
    for coeff, operands in terms:
        subs = ["".join(letter(i) for i in idx) for _, idx in operands]
        out = "".join(letter(i) for i in free)
        present = set("".join(subs))
        spec = ",".join(subs) + "->" + "".join(c for c in out if c in present)
        val = opt_einsum.contract(spec, *(a for a, _ in operands)) if operands else np.float64(1.0)
        val = np.asarray(val, dtype=float) * float(coeff)
        expand = tuple(slice(None) if c in present else None for c in out)
        total = total + np.broadcast_to(val[expand] if val.ndim else val, shape)
    return total


def evaluate_tensor(ts: TensorSum, free: tuple[str, ...], arrays: dict, variables: dict,
                    value=None):
    """The canonical tensor (axes in ``free`` order) of an index-notation sum.

    ``value(factor, sizes)`` may supply a factor's array (the steps view's pending
    derivatives); where it returns None the factor is a delta or evaluated as an expression."""
    from ..evaluate import evaluate_expr
    sizes = bind_dims(variables, arrays)
    cache: dict = {}

    def array(f: Factor):
        own = value(f, sizes) if value is not None else None
        if own is not None:
            return own
        if f.is_reshape:
            return reshape_array(*(size_of(ts.dims[i], sizes) for i in f.idx[1:]))
        if f.is_delta:
            return np.eye(size_of(ts.dims.get(f.idx[0], f.dim), sizes))
        if f.expr not in cache:
            cache[f.expr] = np.asarray(evaluate_expr(f.expr, arrays, variables), dtype=float)
        return cache[f.expr]

    shape = tuple(size_of(ts.dims[i], sizes) for i in free)
    return contract([(t.coeff, [(array(f), f.idx) for f in t.factors]) for t in ts.terms],
                    free, shape)
