"""Numbers for index-notation results: each term is one ``einsum`` over its factors."""
from __future__ import annotations

import numpy as np
import opt_einsum

from .errors import EvaluationError
from .tensor import TensorSum


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
            if isinstance(d, str):
                dims.setdefault(d, s)
    return dims


def evaluate_tensor(ts: TensorSum, free: tuple[str, ...], arrays: dict, variables: dict):
    """The canonical tensor (axes in ``free`` order) of an index-notation sum."""
    from .evaluate import evaluate_expr
    sizes = bind_dims(variables, arrays)

    def size(d):
        if isinstance(d, int):
            return d
        if d in sizes:
            return sizes[d]
        if isinstance(d, str) and "*" in d:  # the size of a vec or kron result
            return int(np.prod([size(int(p) if p.isdigit() else p) for p in d.split("*")]))
        raise EvaluationError(f"the size {d} is not fixed by the arrays given")

    letters: dict[str, str] = {}

    def letter(i: str) -> str:
        if i not in letters:
            letters[i] = opt_einsum.get_symbol(len(letters))
        return letters[i]

    shape = tuple(size(ts.dims[i]) for i in free)
    total = np.zeros(shape)
    cache: dict = {}
    for term in ts.terms:
        operands, subs = [], []
        for f in term.factors:
            if f.is_delta:
                arr = np.eye(size(ts.dims.get(f.idx[0], f.dim)))
            else:
                if f.expr not in cache:
                    cache[f.expr] = np.asarray(evaluate_expr(f.expr, arrays, variables), dtype=float)
                arr = cache[f.expr]
            operands.append(arr)
            subs.append("".join(letter(i) for i in f.idx))
        out = "".join(letter(i) for i in free)
        present = set("".join(subs))
        # free axes no factor mentions: the term is constant along them
        missing = [c for c in out if c not in present]
        spec = ",".join(subs) + "->" + "".join(c for c in out if c in present)
        val = opt_einsum.contract(spec, *operands) if operands else np.float64(1.0)
        val = np.asarray(val, dtype=float) * float(term.coeff)
        if missing:
            kept = [c for c in out if c in present]
            expand = tuple(slice(None) if c in present else None for c in out)
            val = np.broadcast_to(val[expand], shape) if kept or val.ndim == 0 else val
            val = np.broadcast_to(val, shape)
        total = total + val
    return total
