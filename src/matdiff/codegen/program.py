"""What a generated function computes: an expression's value and derivatives,
its parameters, and the shape of what it returns.

A ``Program`` takes its derivatives from ``matdiff.derivative`` (their
simplified ``Expr`` trees); ``source`` lowers all of them into one graph
(so that they share common sub-expressions) and prints it for a backend.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import DeclarationError, EvaluationError, NotSupportedError, UnknownNameError
from ..expr import Expr
from .contract import lower_tensor
from .emit import Namer, Param, emit_function, is_identifier
from .graph import array_shape
from .lowering import Lowering
from .dask_backend import DaskPrinter
from .jax_backend import JaxPrinter
from .numpy_backend import NumpyPrinter
from .torch_backend import TorchPrinter

BACKENDS = {"numpy": NumpyPrinter, "jax": JaxPrinter, "torch": TorchPrinter, "dask": DaskPrinter}


def printer_for(backend: str):
    cls = BACKENDS.get(backend)
    if cls is None:
        raise NotSupportedError(f"unknown backend {backend!r} (use {', '.join(BACKENDS)})")
    return cls()


@dataclass(frozen=True)
class Out:
    """A place in the returned tuple: the value (``key == ()``) or a derivative."""
    key: tuple


VALUE = Out(())


class Program:
    """The value (optional) and the derivatives of ``expression``.

    ``keys`` lists the derivatives, each a tuple of the variables it is
    taken by in turn (``("x",)`` the gradient, ``("x", "y")`` the block
    d²F/dx dy); ``returns`` nests ``Out`` places (``VALUE`` or ``Out(key)``)
    into the tuple that the function returns.  ``results`` may hold Results already computed.
    """

    def __init__(self, expression: str, keys: list[tuple[str, ...]], returns, vars=None,
                 layout: str = "mixed", types: str = "default", options=None, results=None):
        from ..engine import derivative
        from ..simplify import simplify
        if not isinstance(expression, str):
            raise DeclarationError("compile takes the expression as text, e.g. \"x'*A*x\"")
        self.expression = expression
        self.layout = layout
        self.results = dict(results or {})
        for key in keys:
            if key not in self.results:
                self.results[key] = derivative(expression, wrt=list(key), vars=vars, layout=layout,
                                               types=types, options=options)
        self.keys = list(keys)
        self.returns = returns
        first = self.results[self.keys[0]]
        self.typed = first.typed
        value = self.typed.expr
        try:
            value = simplify(value)
        except Exception:  # the unsimplified tree has the same value
            pass
        self.value_expr: Expr = value
        # parameters: the variables any output uses, and those differentiated by
        used: set[str] = set()
        for e in [self.typed.expr, self.value_expr] + [e for k in self.keys for e in self.exprs(k)]:
            used |= _var_names(e)
        used |= {w for k in self.keys for w in k}
        self.variables = {n: v for n, v in self.typed.variables.items() if n in used}
        self.optional = [n for n in self.typed.variables if n not in used]
        namer = Namer()
        self.pynames = {n: namer.name(n, fallback="v") for n in self.variables}
        self.out_names = {(): namer.name("value")}
        for k in self.keys:
            order = f"d{len(k)}f" if len(k) > 1 else "df"
            self.out_names[k] = namer.name(order + "_" + "_".join("d" + self.pynames[w] for w in k),
                                           fallback="d")
        self._namer_taken = set(namer.taken)

    def exprs(self, key) -> list[Expr]:
        """The matrix expressions an output is computed from (its factors, in index form)."""
        r = self.results[key]
        if r.expr is not None:
            return [r.expr]
        return [f.expr for t in r.value_tensor.terms for f in t.factors if not f.is_delta]

    # -- the parameters and their sizes --
    @property
    def params(self) -> list[Param]:
        return [Param(n, self.pynames[n], array_shape(v.shape)) for n, v in self.variables.items()]

    def sizes(self, values: dict) -> dict:
        """Dimension sizes from the arguments; EvaluationError where they disagree."""
        sizes: dict = {}
        src: dict = {}
        for p in self.params:
            if p.var not in values:
                raise EvaluationError(f"no value given for {p.var}")
            shape = _shape_of(values[p.var])
            want = p.shape
            if len(want) == 0:
                if _prod(shape) != 1:
                    raise EvaluationError(f"{p.var} should be a scalar, got an array of shape {shape}")
                continue
            if len(want) == 1:
                if len(shape) == 2 and 1 in shape:
                    shape = (_prod(shape),)
                if len(shape) != 1:
                    raise EvaluationError(f"{p.var} should be a vector of shape {_sym(want)}, got an "
                                          f"array of shape {shape}")
            elif len(shape) != 2:
                raise EvaluationError(f"{p.var} should be a matrix of shape {_sym(want)}, got an "
                                      f"array of shape {shape}")
            for d, v in zip(want, shape):
                if isinstance(d, int):
                    if d != v:
                        raise EvaluationError(f"{p.var} should have shape {_sym(want)}, got {shape}")
                    continue
                if d in sizes and sizes[d] != v:
                    raise EvaluationError(f"{p.var} should have shape {_sym(want)} with {d}={sizes[d]} "
                                          f"from {src[d]}, got {shape}")
                sizes.setdefault(d, v)
                src.setdefault(d, p.var)
        return sizes

    def outputs_flat(self) -> list[tuple]:
        """The keys of the returned arrays in order (``()`` for the value)."""
        out = []

        def walk(r):
            if isinstance(r, Out):
                out.append(r.key)
            else:
                for x in r:
                    walk(x)
        walk(self.returns)
        return out

    # -- the source --
    def function_source(self, backend: str, sizes: dict | None = None, fname: str = "f",
                        doc: str | None = None, asserts: bool = True, checks: bool = True):
        """(printer, source of the function) for ``backend``; ``sizes`` choose orders; under
        the derivation's time cap (``max_seconds``); ``checks=False``: no argument
        conversions or shape checks (see ``emit_function``)."""
        from ..derivation import printed_size
        first = self.results[self.keys[0]]
        size = printed_size([self.value_expr] + [e for k in self.keys for e in self.exprs(k)])
        with first.printing("the generated code", size):
            return self._function_source(backend, sizes, fname, doc, asserts, checks)

    def _function_source(self, backend, sizes, fname, doc, asserts, checks=True):
        printer = printer_for(backend)
        low = Lowering(self.pynames, sizes)
        outputs: list[tuple[str, int]] = []
        for item in self.outputs_flat():
            r = None if item == () else self.results[item]
            if r is not None and r.expr is None:  # index form: tensor contractions
                outputs.append((self.out_names[item], lower_tensor(low, r.value_tensor, r.free)))
            else:
                outputs.append((self.out_names[item], low.root(self.value_expr if r is None else r.expr)))
        namer = Namer(self._namer_taken)
        returns = _map(self.returns, lambda k: self.out_names[k])
        src = emit_function(low.g, outputs, returns, self.params, printer, namer, fname=fname,
                            doc=doc, asserts=asserts, names=self._printed_names(low), checks=checks)
        return printer, src

    def _printed_names(self, low: Lowering) -> dict[int, str]:
        """The arrays that the printed forms name (``F  where s = ...``), by node: the code
        names them alike.  A name that two outputs give different arrays is left out."""
        names: dict[int, str] = {}
        seen: dict[str, int] = {}
        for key in self.outputs_flat():
            form = self.results[key].where_form() if key != () else None
            for name, e in (form.expanded() if form is not None else []):
                v = low.memo.get(e)
                if v is None or v.rep != "dense" or seen.setdefault(name, v.node) != v.node:
                    continue
                names.setdefault(v.node, name)
        return names

    def module_source(self, backend: str, sizes: dict | None = None, fname: str = "f",
                      checks: bool = True) -> str:
        """Imports, helpers and the function: what ``compile`` runs."""
        printer, src = self.function_source(backend, sizes, fname, checks=checks)
        parts = ["\n".join(printer.imports)]
        parts += [printer.helper_text(h) for h in printer.helpers]
        parts.append(src)
        return "\n\n\n".join(p.rstrip("\n") for p in parts) + "\n"


def _var_names(e: Expr) -> set[str]:
    from ..expr import Var
    out, stack, seen = set(), [e], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, Var):
            out.add(n.name)
        stack.extend(n.children)
    return out


def _map(r, fn):
    """``returns`` with each ``Out`` replaced by ``fn(key)``."""
    if isinstance(r, Out):
        return fn(r.key)
    return tuple(_map(x, fn) for x in r)


def _prod(shape) -> int:
    out = 1
    for s in shape:
        out *= int(s)
    return out


def _shape_of(v) -> tuple:
    shape = getattr(v, "shape", None)
    if shape is None:
        import numpy as np
        try:
            shape = np.shape(v)
        except Exception:
            raise EvaluationError("an argument is not an array of numbers") from None
    return tuple(int(s) for s in shape)


def _sym(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def normalize_wrt(wrt) -> list[str]:
    if isinstance(wrt, str):
        wrts = [wrt]
    else:
        try:
            wrts = list(wrt)
        except TypeError:
            raise UnknownNameError("wrt must name a variable or list variables") from None
    if not wrts or not all(isinstance(w, str) and w for w in wrts):
        raise UnknownNameError("wrt must name at least one variable")
    if len(set(wrts)) != len(wrts):
        raise DeclarationError(f"wrt lists a variable twice: {wrts}")
    return wrts


__all__ = ["Program", "Out", "VALUE", "BACKENDS", "printer_for", "normalize_wrt", "is_identifier"]
