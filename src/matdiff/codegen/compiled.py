"""``matdiff.compile``: a callable that computes a value and its derivatives.

The source is generated at the first call for each set of dimension sizes
(the sizes choose the order of every matrix chain), compiled with Python's
``compile`` and cached; a later call with the same sizes goes straight to
the generated function.  Only generated text is ever compiled: the user's
expression is parsed by matdiff, and every identifier in the generated
code is checked to be a Python identifier.
"""
from __future__ import annotations

import functools
import itertools
import linecache

import numpy as np

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


def _exec(source: str, fname: str, namespace: dict | None = None):
    """Compile and run generated source; register it so tracebacks show its lines."""
    filename = f"<matdiff-generated-{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "matdiff_generated", **(namespace or {})}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[fname]


class _Missing:
    def __repr__(self):
        return "<required>"


_MISSING = _Missing()  # a parameter not given


class CompiledFunction:
    """Call with the variables by name (or positionally, in ``params`` order)."""

    _MISSES = (KeyError, AttributeError, TypeError)  # the short path does not apply
    _MISSING = _MISSING

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
        # the call path: the signature (class, shape, dtype) of each argument -> the function
        # to run, filled after a first call with that signature has passed the checks
        self._by_signature: dict = {}
        self._unchecked: dict = {}
        self._pynames = tuple(program.pynames[n] for n in self.params)
        self.__class__ = _with_call(type(self), self._pynames)
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

    def _unchecked_for(self, sizes: dict):
        """The NumPy function without conversions and shape checks, for these sizes."""
        key = tuple(sorted((str(k), v) for k, v in sizes.items()))
        fn = self._unchecked.get(key)
        if fn is None:
            source = self.program.module_source("numpy", sizes, checks=False)
            fn = self._unchecked[key] = _exec(source, "f")
        return fn

    def __call__(self, /, *args, **kwargs):  # replaced per instance by _call_method's
        return self._checked_call(args, kwargs)

    def _slow(self, args, kwargs, bound):
        """A call the short path did not take: the parameters it bound, then the rest."""
        given = {py: v for py, v in zip(self._pynames, bound) if v is not _MISSING}
        return self._checked_call(args, {**given, **kwargs})

    def _checked_call(self, args, kwargs):
        values = self._bind(args, kwargs)
        try:
            ordered = [values[n] for n in self.params]
            key = tuple(getattr(v, "shape", None) for v in ordered)
            fn = self._by_shapes.get(key) if None not in key else None
        except (KeyError, TypeError):  # a missing variable, or an unhashable shape
            fn, key = None, None
        sizes = None
        if fn is None:
            sizes = self.program.sizes(values)  # checks the shapes
            fn = self.function_for(sizes)
            ordered = [values[n] for n in self.params]
            if key is not None and None not in key:
                self._by_shapes[key] = fn
        self._remember(ordered, fn, sizes)
        return fn(*ordered)

    def _remember(self, ordered, fn, sizes) -> None:
        """File the checked arguments' signature; NumPy float64 arrays of the declared
        number of dimensions skip the conversions and shape checks from now on."""
        try:
            sig = tuple(a for v in ordered for a in (v.__class__, v.shape, v.dtype))
            hash(sig)
        except (AttributeError, TypeError):
            return
        if self.backend == "numpy" and all(
                v.__class__ is np.ndarray and v.dtype == np.float64 and v.ndim == len(p.shape)
                for v, p in zip(ordered, self.program.params)):
            if sizes is None:
                sizes = self.program.sizes(dict(zip(self.params, ordered)))
            fn = self._unchecked_for(sizes)
        self._by_signature[sig] = fn

    def source(self, **sizes) -> str:
        """The generated source: for these dimension sizes, else for the last call's."""
        if sizes or self._last_source is None:
            return self.program.module_source(self.backend, sizes)
        return self._last_source

    def __repr__(self):
        return (f"<compiled {self.program.expression} ({self.backend}): "
                f"f({', '.join(self.params)}) -> {self.returns}>")


@functools.lru_cache(maxsize=256)
def _with_call(cls, pynames: tuple):
    """``cls`` with a ``__call__`` whose parameters are the variables' Python names: a
    call by keyword or position binds them directly and, when the arguments' signature
    (class, shape, dtype of each) has passed the checks before, runs its function."""
    for name in pynames:
        if not is_identifier(name):
            raise NotSupportedError(f"{name!r} is not a Python identifier")
    pre = "_"
    while {pre + s for s in ("self", "args", "kw", "fn")} & set(pynames):
        pre += "_"
    me, rest, kw, fn = (pre + s for s in ("self", "args", "kw", "fn"))
    params = ", ".join([f"{me}, /", f"*{rest}"] + [p + "=_MISSING" for p in pynames] + [f"**{kw}"])
    names = "".join(p + ", " for p in pynames)
    sig = "".join(f"{p}.__class__, {p}.shape, {p}.dtype, " for p in pynames)
    slow = f"        return {me}._slow({rest}, {kw}, ({names}))"
    unset = "".join(f" or {p} is not {me}._MISSING" for p in pynames)
    source = "\n".join([
        f"def __call__({params}):",
        f"    if {rest}:",
        f"        if {kw} or len({rest}) != {len(pynames)}{unset}:",
        "    " + slow,
        f"        ({names}) = {rest}",
        f"    elif {kw}:",
        slow,
        "    try:",
        f"        {fn} = {me}._by_signature[({sig})]",
        f"    except {me}._MISSES:",  # by now every parameter is bound by name
        f"        return {me}._slow((), {kw}, ({names}))",
        f"    return {fn}({names})", ""])
    call = _exec(source, "__call__", {"_MISSING": _MISSING})
    call.__doc__ = cls.__call__.__doc__
    return type(cls.__name__, (cls,), {"__call__": call, "__module__": cls.__module__})


def compile_function(expression, wrt, vars=None, backend="numpy", order=1, layout="mixed",
                     value=True, jit=None, types="default", options=None) -> CompiledFunction:
    return CompiledFunction(program_for(expression, wrt, vars, order, layout, value, types, options),
                            backend, jit)
