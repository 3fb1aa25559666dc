"""Read the index-notation text of ``index/render.py`` back (for ``md.evaluate``).

    T[k,l,i,j] = -inv(X)[k,i]*inv(X)[j,l] + 2*δ[k,i]*A[j,l]

Terms are split at top-level ``+``/``-``, factors at top-level ``*``; each
factor is a number, ``δ[a,b]`` (or ``delta[a,b]``), or an expression of
the language followed by ``[indices]`` (a scalar expression needs none).
"""
from __future__ import annotations

import re
from fractions import Fraction

import numpy as np

from ..errors import EvaluationError, ParseError, UnsizedError
from .evaluate import contract, reshape_array

HEAD = re.compile(r"^\s*T\s*(?:\[([^\]]*)\])?\s*=")   # T = ... : a scalar, all indices summed
INDEX = re.compile(r"^(.*)\[\s*([A-Za-z]\w*(?:\s*,\s*[A-Za-z]\w*)*)\s*\]\s*$", re.S)


def is_index_text(text: str) -> bool:
    return bool(HEAD.match(text))


def _split(text: str, seps: str, offset: int):
    """Split at top-level separators; returns [(sep, piece, start)]."""
    out, depth, start, sep = [], 0, 0, "+"
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch in seps and i > 0:
            j = i - 1                  # the last character before it that is not a space
            while j >= 0 and text[j].isspace():
                j -= 1
            # a sign after an operator is unary, and in 2.5e-07 it belongs to the number
            if j >= 0 and text[j] not in "*/^+-(,=" and not _ends_in_exponent(text, j):
                out.append((sep, text[start:i], offset + start))
                sep, start = ch, i + 1
        i += 1
    out.append((sep, text[start:], offset + start))
    return out


def _ends_in_exponent(text: str, j: int) -> bool:
    """text[:j + 1] ends as 2.5e does (digits or dots, then e, not within a name): looked at
    from j backwards, so that splitting a long form stays linear."""
    if text[j] not in "eE":
        return False
    k = j - 1
    while k >= 0 and (text[k].isdecimal() or text[k] == "."):
        k -= 1
    run = j - 1 - k
    return run >= 2 or (run == 1 and (k < 0 or not (text[k].isascii() and
                                                    (text[k].isalpha() or text[k] == "_"))))


def evaluate_index_text(text: str, vars, types, arrays, shape, evaluate_text):
    """The array an index form stands for; ``evaluate_text`` evaluates its atoms
    (engine.evaluate_text, passed in: this reader sits below the engine)."""
    m = HEAD.match(text)
    free = [s.strip() for s in (m.group(1) or "").split(",") if s.strip()]
    body = text[m.end():]
    sizes: dict[str, int] = {}
    terms = []
    cache: dict[tuple, np.ndarray] = {}   # the same atom recurs across terms
    deferred = []   # (term, operand, atom, indices, position) of atoms their indices size

    def learn(atom: str, idx, value, fpos):
        if value.ndim != len(idx):
            raise ParseError(f"{atom} has {value.ndim} axes but {len(idx)} indices", fpos,
                             source=text)
        for i, n in zip(idx, value.shape):
            if sizes.setdefault(i, n) != n:
                raise EvaluationError(f"index {i} has sizes {sizes[i]} and {n}")

    def value_of(atom: str, shape):
        k = (atom, shape)
        if k not in cache:
            cache[k] = np.asarray(evaluate_text(atom, vars=vars, types=types, shape=shape,
                                                **arrays), float)
        return cache[k]
    # the result axes first: they size atoms that nothing else sizes
    if shape is not None:
        if len(shape) != len(free):
            raise EvaluationError(f"shape={tuple(shape)} has {len(shape)} axes but T has {len(free)}")
        for i, n in zip(free, shape):
            if sizes.setdefault(i, n) != n:
                raise EvaluationError(f"index {i} has size {sizes[i]}, not {n} as shape= says")
    for sign, piece, pos in _split(body, "+-", m.end()):
        piece_s = piece.strip()
        if not piece_s:
            if sign == "-" or pos == m.end():
                continue
            raise ParseError("empty term in index expression", pos, source=text)
        coeff = Fraction(-1 if sign == "-" else 1)
        operands, subs = [], []
        for _, fac, fpos in _split(piece_s, "*", pos):
            fac = fac.strip()
            if fac.startswith("-"):
                coeff, fac = -coeff, fac[1:].strip()
            im = INDEX.match(fac)
            if im is None:
                try:
                    coeff *= Fraction(fac)
                    continue
                except ValueError:
                    value = value_of(fac, None)
                    operands.append(value)
                    subs.append(())
                    continue
            atom, idx = im.group(1).strip(), [s.strip() for s in im.group(2).split(",")]
            if atom in ("δ", "delta"):
                operands.append(("delta", idx))
                subs.append(idx)
                continue
            known = tuple(sizes.get(i) for i in idx)
            try:
                value = value_of(atom, known if None not in known else None)
            except UnsizedError:   # sized by its indices, once another factor sizes them
                if None not in known:
                    raise
                deferred.append((len(terms), len(operands), atom, idx, fpos))
                operands.append(None)
                subs.append(idx)
                continue
            learn(atom, idx, value, fpos)
            operands.append(value)
            subs.append(idx)
        terms.append((coeff, operands, subs))
    size_deltas(terms, sizes)
    while deferred:   # each sized by its indices, once known; else it raises UnsizedError
        ready = [d for d in deferred if all(i in sizes for i in d[3])] or deferred[:1]
        for d in ready:
            t, k, atom, idx, fpos = d
            known = tuple(sizes.get(i) for i in idx)
            value = value_of(atom, known if None not in known else None)
            learn(atom, idx, value, fpos)
            terms[t][1][k] = value
            deferred.remove(d)
        size_deltas(terms, sizes)
    missing = [i for i in free if i not in sizes]
    if missing:
        raise EvaluationError(f"the size of index {missing[0]} is not fixed by the expression")

    def array(op, idx):
        if isinstance(op, tuple):
            return reshape_array(sizes[idx[1]], sizes[idx[2]]) if len(idx) == 3 else np.eye(sizes[idx[0]])
        return op
    return contract([(coeff, [(array(o, s), s) for o, s in zip(ops, subs)])
                     for coeff, ops, subs in terms], free, tuple(sizes[i] for i in free))


def size_deltas(terms, sizes: dict) -> None:
    """Deltas take their size from another use of an index."""
    for _ in range(3):
        for _, ops, subs in terms:
            for op, s in zip(ops, subs):
                if isinstance(op, tuple) and len(s) == 3:   # δ[k,a,b]: k the vec index of (a, b)
                    k, a, b = s
                    if a in sizes and b in sizes:
                        sizes.setdefault(k, sizes[a] * sizes[b])
                    elif k in sizes and (a in sizes or b in sizes):   # the other one divides k
                        sizes.setdefault(b if a in sizes else a, sizes[k] // sizes[a if a in sizes else b])
                elif isinstance(op, tuple):
                    known = [sizes[i] for i in s if i in sizes]
                    for i in s:
                        if known:
                            sizes.setdefault(i, known[0])
