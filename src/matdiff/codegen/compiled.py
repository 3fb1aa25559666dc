"""``matdiff.compile``: a callable that computes a value and its derivatives.

The source is generated at the first call for each set of dimension sizes
(the sizes choose the order of every matrix chain), compiled with Python's
``compile`` and cached; a later call with the same sizes goes straight to
the generated function.  Only generated text is ever compiled: the user's
expression is parsed by matdiff, and every identifier in the generated
code is checked to be a Python identifier.
"""
from __future__ import annotations

import itertools
import linecache

from ..arrays import by_variable_name
from ..errors import EvaluationError, NotSupportedError
from .emit import is_identifier
from .program import BACKENDS, VALUE, Out, Program, normalize_wrt

_counter = itertools.count(1)


def program_for(expression, wrt, vars=None, order=1, layout="mixed", value=True,
                types="default", options=None) -> Program:
    """The Program that ``compile`` runs (see ``compile`` for the arguments)."""
    wrts = normalize_wrt(wrt)
    if order not in (1, 2):
        raise NotSupportedError(f"compile supports order 1 and 2, not {order!r}")
    grads = [(w,) for w in wrts]
    keys = list(grads)
    if order == 1:
        returns = (Out(grads[0]) if len(wrts) == 1 else tuple(Out(k) for k in grads),)
    else:
        blocks = [[(a, b) for b in wrts] for a in wrts]
        keys += [k for row in blocks for k in row]
        if len(wrts) == 1:
            returns = (Out(grads[0]), Out(blocks[0][0]))
        else:
            returns = (tuple(Out(k) for k in grads),
                       tuple(tuple(Out(k) for k in row) for row in blocks))
    if value:
        returns = (VALUE,) + returns
    elif len(returns) == 1:
        returns = returns[0]
    return Program(expression, keys, returns, vars=vars, layout=layout, types=types, options=options)


def _require(library: str) -> None:
    """Import a backend's library, or say in one line which extra installs it."""
    try:
        if library == "jax":
            import jax  # noqa: F401
        elif library == "dask":
            import dask.array  # noqa: F401
        else:
            import torch  # noqa: F401
    except ImportError:
        raise NotSupportedError(f"the {library} backend needs {library}, which is not installed: "
                                f"pip install 'matdiff[{library}]'") from None


def _exec(source: str, fname: str):
    """Compile and run generated source; register it so tracebacks show its lines."""
    filename = f"<matdiff-generated-{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {"__name__": "matdiff_generated"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[fname]


class CompiledFunction:
    """Call with the variables by name (or positionally, in ``params`` order)."""

    def __init__(self, program: Program, backend: str = "numpy", jit: bool | None = None):
        if backend not in BACKENDS:
            raise NotSupportedError(f"unknown backend {backend!r} (use {', '.join(BACKENDS)})")
        if backend in ("jax", "torch", "dask"):  # fail now, not at the first call
            _require(backend)
        for name in program.pynames.values():
            if not is_identifier(name):  # Namer guarantees it; checked again before exec
                raise NotSupportedError(f"{name!r} is not a Python identifier")
        self.program = program
        self.backend = backend
        self.jit = (backend == "jax") if jit is None else bool(jit)
        self.params = list(program.variables)
        self._by_shapes: dict = {}
        self._by_sizes: dict = {}
        self._by_source: dict = {}
        self._last_source: str | None = None
        program.module_source(backend, {})  # fails now on what cannot be compiled

    @property
    def returns(self):
        """The nesting of what a call returns, as output names."""
        from .program import _map
        return _map(self.program.returns, lambda k: self.program.out_names[k])

    def _bind(self, args, kwargs) -> dict:
        if len(args) > len(self.params):
            raise EvaluationError(f"too many positional arguments: the variables are "
                                  f"{', '.join(self.params)}")
        values = dict(zip(self.params, args))
        known = set(self.program.typed.variables)
        kwargs = by_variable_name(kwargs, known)  # lambda_ for the variable lambda
        for k, v in kwargs.items():
            if k not in known:
                raise EvaluationError(f"{k!r} is not a variable of {self.program.expression} "
                                      f"(variables: {', '.join(self.params)})")
            if k in values:
                raise EvaluationError(f"{k} given twice")
            values[k] = v
        return values

    def function_for(self, sizes: dict):
        key = tuple(sorted((str(k), v) for k, v in sizes.items()))
        fn = self._by_sizes.get(key)
        if fn is None:
            source = self.program.module_source(self.backend, sizes)
            fn = self._by_source.get(source)
            if fn is None:
                fn = _exec(source, "f")
                if self.jit and self.backend == "jax":
                    import jax
                    fn = jax.jit(fn)
                elif self.jit and self.backend == "torch":
                    import torch
                    fn = torch.compile(fn)
                self._by_source[source] = fn
            self._by_sizes[key] = fn
            self._last_source = source
        return fn

    def __call__(self, /, *args, **kwargs):
        values = self._bind(args, kwargs)
        try:
            ordered = [values[n] for n in self.params]
            key = tuple(getattr(v, "shape", None) for v in ordered)
            fn = self._by_shapes.get(key) if None not in key else None
        except (KeyError, TypeError):  # a missing variable, or an unhashable shape
            fn, key = None, None
        if fn is None:
            fn = self.function_for(self.program.sizes(values))  # checks the shapes
            ordered = [values[n] for n in self.params]
            if key is not None and None not in key:
                self._by_shapes[key] = fn
        return fn(*ordered)

    def source(self, **sizes) -> str:
        """The generated source: for these dimension sizes, else for the last call's."""
        if sizes or self._last_source is None:
            return self.program.module_source(self.backend, sizes)
        return self._last_source

    def __repr__(self):
        return (f"<compiled {self.program.expression} ({self.backend}): "
                f"f({', '.join(self.params)}) -> {self.returns}>")


def compile_function(expression, wrt, vars=None, backend="numpy", order=1, layout="mixed",
                     value=True, jit=None, types="default", options=None) -> CompiledFunction:
    return CompiledFunction(program_for(expression, wrt, vars, order, layout, value, types, options),
                            backend, jit)
