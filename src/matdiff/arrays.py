"""The user's arrays in and out of the evaluator (docs/language.md §3).

In: a number, a 1-D or a 2-D array, checked to be real and finite (``_to_array``).
Out: a Python float for a scalar, a 1-D array for a vector, a 2-D array for a
matrix (``_canonical``).  The texts name shapes in error messages.
"""
from __future__ import annotations

import keyword

import numpy as np

from .errors import EvaluationError
from .expr import is_vector_shape

def kind_of(shape) -> str:
    r, c = shape
    if r == 1 and c == 1:
        return "scalar"
    if is_vector_shape(shape):
        return "vector"
    return "matrix"


def canonical(value: np.ndarray, shape):
    kind = kind_of(shape)
    if kind == "scalar":
        return float(value.reshape(-1)[0])
    if kind == "vector":
        return np.ascontiguousarray(value.reshape(-1))
    return value


def dim_text(d) -> str:
    if isinstance(d, tuple):  # an internal name of typed_build.py for the size of vec/kron
        return "?"
    return str(d)


def sym_text(shape) -> str:
    r, c = shape
    kind = kind_of(shape)
    if kind == "scalar":
        return "scalar"
    if kind == "vector":
        return f"vector({dim_text(r if c == 1 else c)})"
    return f"matrix({dim_text(r)},{dim_text(c)})"


def arr_shape_text(shape: tuple) -> str:
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ",".join(str(s) for s in shape) + ")"


def to_array(name: str, value) -> np.ndarray:
    if value is None:
        raise EvaluationError(f"no value (None) given for {name}")
    try:
        a = np.asarray(value)
    except Exception:  # ragged lists and the like
        raise EvaluationError(f"the value given for {name} is not an array of numbers") from None
    if a.dtype.kind == "c":
        raise EvaluationError(f"the value given for {name} is complex; matdiff evaluates real numbers")
    if a.dtype.kind not in "biuf" and a.dtype != object:
        raise EvaluationError(f"the value given for {name} is not an array of numbers "
                              f"(got {a.dtype.name})")
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise EvaluationError(f"the value given for {name} is not an array of numbers") from None
    if not np.all(np.isfinite(a)):
        raise EvaluationError(f"the value given for {name} has a non-finite entry (nan or inf)")
    return a


def python_name(name: str) -> str:
    """A variable's name as a Python keyword argument: ``lambda`` (a keyword) is ``lambda_``,
    as in generated code (codegen/emit.py's ``Namer``)."""
    return f"{name}_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


def by_variable_name(arrays: dict, names) -> dict:
    """``arrays`` with a value given as ``lambda_`` filed under the variable ``lambda``."""
    out = dict(arrays)
    for name in names:
        alias = python_name(name)
        if alias != name and alias in out and alias not in names:
            if name in out:
                raise EvaluationError(f"{name} given twice (as {name} and as {alias})")
            out[name] = out.pop(alias)
    return out
