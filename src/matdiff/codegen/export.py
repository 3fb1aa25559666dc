"""``Result.code()``: a standalone Python module for a derivative.

The module holds a docstring (the expression, the declared shapes, the
derivatives in matdiff's notation), the generated function ``f`` (with
shape asserts), ``example_data`` (random arguments of the right shapes
and properties), ``check`` (the derivatives against central finite
differences) and a ``__main__`` block that runs the check and prints OK.
It needs only NumPy and the backend's library.
"""
from __future__ import annotations

from ..expr import Var, axes
from ..layouts import shows_transposed
from ..version import __version__
from .program import VALUE, Out, Program

# Sizes given to the dimensions of the example data, in order (distinct, so that
# a transposed result cannot pass by accident).
EXAMPLE_SIZES = (4, 3, 5, 2, 6, 7, 8, 9)
# The sizes assumed when choosing multiplication orders, where none are given.
ORDER_SIZE = 1000


def program_for_result(r) -> Program:
    """The value and every derivative up to ``r``: (value, d1, ..., r)."""
    from ..engine import derivative
    wrts = list(r.wrt) * r.order if len(r.wrt) == 1 else list(r.wrt)
    keys = [tuple(wrts[:j]) for j in range(1, len(wrts) + 1)]
    decls = declarations(r.typed)
    results = {keys[-1]: r}
    for key in keys[:-1]:
        results[key] = derivative(r.expression, wrt=list(key), vars=decls, layout=r.layout,
                                  structured=r.structured, max_print=r.max_print,
                                  max_seconds=None)   # under the cap of printing the code
    return Program(r.expression, keys, (VALUE,) + tuple(Out(k) for k in keys), vars=decls,
                   layout=r.layout,
                   results=results)


def declarations(typed) -> dict:
    """Declarations that reproduce the typing of ``typed`` (names, dimensions, properties)."""
    out = {}
    for name, v in typed.variables.items():
        ax = axes(v.shape)
        if any(not isinstance(d, (int, str)) for d in ax):
            continue  # an internal size (of vec/kron): left to inference
        kind = {0: "scalar", 1: "vector", 2: "matrix"}[len(ax)]
        text = kind if not ax else f"{kind}({', '.join(str(d) for d in ax)})"
        if v.props:
            text += " " + " ".join(sorted(v.props))
        out[name] = text
    return out


def check_table(program: Program) -> list[tuple]:
    """(output index, index of what it differentiates, variable, transposed, that one transposed)."""
    flat = program.outputs_flat()
    pos = {k: i for i, k in enumerate(flat)}
    variables = program.typed.variables
    f_axes = len(axes(program.value_expr.shape))
    rows = []
    for k in program.keys:
        prev = k[:-1]
        if prev not in pos or k not in pos:
            continue
        before = f_axes + sum(len(axes(variables[w].shape)) for w in k[:-1])
        tr = shows_transposed(program.layout, before, len(axes(variables[k[-1]].shape)))
        if not prev:
            trp = False
        else:
            before_p = f_axes + sum(len(axes(variables[w].shape)) for w in k[:-2])
            trp = shows_transposed(program.layout, before_p, len(axes(variables[k[-2]].shape)))
        rows.append((pos[k], pos[prev], k[-1], tr, trp))
    return rows


def module_text(r, backend: str = "numpy", sizes: dict | None = None) -> str:
    program = program_for_result(r)
    variables = program.variables
    order_sizes = dict(sizes or {})
    for v in variables.values():
        for d in axes(v.shape):
            if isinstance(d, str):
                order_sizes.setdefault(d, ORDER_SIZE)
    flat = program.outputs_flat()
    names = [program.out_names[k] for k in flat]
    doc = _doc(program, r, backend, names)
    fdoc = (f"{program.expression}: returns ({', '.join(names)}).\n\n"
            f"Arguments: {', '.join(_decl_text(program.pynames[n], v) for n, v in variables.items())}.")
    printer, fn_src = program.function_source(backend, order_sizes, "f", doc=fdoc)
    spec = {program.pynames[n]: (_kind(v), [str(d) if not isinstance(d, int) else d
                                            for d in axes(v.shape)], sorted(v.props))
            for n, v in variables.items()}
    dims: list = []
    for _, ds, _ in spec.values():
        for d in ds:
            if isinstance(d, str) and d not in dims:
                dims.append(d)
    example_sizes = {d: (sizes or {}).get(d, EXAMPLE_SIZES[i % len(EXAMPLE_SIZES)])
                     for i, d in enumerate(dims)}
    checks = [(i, j, program.pynames[w], tr, trp) for i, j, w, tr, trp in check_table(program)]
    structured = {program.pynames[n]: ("diagonal" if "diagonal" in v.props else "symmetric")
                  for n, v in variables.items() if v.props & {"symmetric", "spd", "diagonal"}}

    parts = ['"""' + doc.replace("\\", "\\\\").replace('"', '\\"') + '"""']
    imports = ["import numpy as np"] + [i for i in printer.imports if i != "import numpy as np"]
    parts.append("\n".join(imports))
    parts += [printer.helper_text(h).rstrip("\n") for h in printer.helpers]
    parts.append(fn_src.rstrip("\n"))
    if backend == "jax":
        parts.append("f_jit = jax.jit(f)")
    call = "f_jit" if backend == "jax" else "f"
    parts.append(_CHECK_TEMPLATE.format(
        variables=repr(spec), sizes=repr(example_sizes), outputs=repr(names), checks=repr(checks),
        structured=repr(structured), to_numpy=printer.TO_NUMPY, from_numpy=printer.FROM_NUMPY,
        call=call, check="_check_float64" if backend == "jax" else "check").rstrip("\n"))
    if backend == "jax":
        parts.append(_JAX_CHECK.rstrip("\n"))
    main = ['if __name__ == "__main__":', "    check()", '    print("OK")']
    parts.append("\n".join(main))
    return "\n\n\n".join(parts) + "\n"


def _kind(v: Var) -> str:
    return {0: "scalar", 1: "vector", 2: "matrix"}[len(axes(v.shape))]


def _decl_text(name: str, v: Var) -> str:
    ax = axes(v.shape)
    kind = _kind(v)
    text = f"{name}: {kind}" + (f"({', '.join(str(d) for d in ax)})" if ax else "")
    return text + ("".join(" " + p for p in sorted(v.props)))


def _doc(program: Program, r, backend: str, names: list[str]) -> str:
    from ..render.text import to_text
    lines = [f"{program.expression} and its derivatives, generated by matdiff "
             f"{__version__} for {backend}.", "",
             f"Expression:  {program.expression}", "Variables:"]
    for n, v in program.variables.items():
        lines.append(f"    {_decl_text(n, v)}")
    lines += ["", f"f(...) returns ({', '.join(names)}), layout {program.layout}:",
              f"    {names[0]} = {to_text(program.value_expr)}"]
    for k, name in zip(program.keys, names[1:]):
        r = program.results[k]
        if r.expr is None and r.text.startswith("T["):  # index form: the output's own axes
            lines.append(f"    {name}{r.text[1:]}")
        else:
            lines.append(f"    {name} = {r.text}")
    lines += ["", "Vectors are 1-D arrays, scalars 0-d.  Run this file to check the derivatives",
              "against finite differences on random data."]
    return "\n".join(lines) + "\n"


# JAX computes in float32 unless told otherwise; the check's step and tolerances are float64's
_JAX_CHECK = '''\
def check(seed=0, h=1e-6, rtol=1e-5):
    """Each derivative against central differences of the output it differentiates, in
    64-bit floats whatever JAX's setting (which is restored afterwards)."""
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        return _check_float64(seed, h, rtol)
    finally:
        jax.config.update("jax_enable_x64", old)
'''

_CHECK_TEMPLATE = '''\
# ---- example data and a finite-difference check -------------------------------------

_VARIABLES = {variables}
_SIZES = {sizes}
_OUTPUTS = {outputs}
# (output, the output it differentiates, by which variable, output transposed, that one transposed)
_CHECKS = {checks}
_STRUCTURED = {structured}
_to_numpy = {to_numpy}
_from_numpy = {from_numpy}


def example_data(seed=0, attempt=0):
    """Random arguments with the declared shapes and properties (NumPy arrays)."""
    rng = np.random.default_rng(seed + 7919 * attempt)
    data = {{}}
    for name, (kind, dims, props) in _VARIABLES.items():
        shape = tuple(_SIZES[d] if isinstance(d, str) else d for d in dims)
        if attempt == 0:
            a = rng.standard_normal(shape) / 2
        elif attempt == 1:
            a = rng.uniform(0.5, 1.5, shape)
        else:
            a = rng.uniform(0.1, 0.3, shape)
        if len(shape) == 2 and shape[0] == shape[1]:
            n = shape[0]
            if "spd" in props:
                a = a @ a.T / n + np.eye(n)
            else:
                a = a + (1.5 if attempt == 0 else n) * np.eye(n)  # invertible, det > 0
            if "symmetric" in props:
                a = (a + a.T) / 2
            if "diagonal" in props:
                a = np.diag(np.diag(a))
        if "positive" in props:
            a = np.abs(a) + 0.1
            if "diagonal" in props:      # positive on the diagonal, 0 off it
                a = np.diag(np.diag(a))
        data[name] = np.asarray(a, dtype=float)
    return data


def _outputs(data):
    out = {call}(**{{k: _from_numpy(v) for k, v in data.items()}})
    flat = []

    def walk(x):
        if isinstance(x, (tuple, list)):
            for y in x:
                walk(y)
        else:
            flat.append(np.asarray(_to_numpy(x), dtype=float))
    walk(out)
    return flat


def _canonical(a, transposed):
    return a.T if transposed else a


def {check}(seed=0, h=1e-6, rtol=1e-5):
    """Each derivative against central differences of the output it differentiates."""
    last = None
    for attempt in range(3):
        data = example_data(seed, attempt)
        with np.errstate(all="ignore"):
            try:
                outs = _outputs(data)
            except Exception as ex:  # e.g. a matrix singular for these data
                last = ex
                continue
            if not all(np.all(np.isfinite(o)) for o in outs):
                last = "the function is not finite on the example data"
                continue
            for k, prev, wrt, tr, trp in _CHECKS:
                x = data[wrt]
                base = _canonical(outs[prev], trp)
                num = np.zeros(base.shape + x.shape)
                for idx in np.ndindex(*x.shape):
                    step = h * max(1.0, abs(float(x[idx])))
                    hi, lo = dict(data), dict(data)
                    hi[wrt] = x.copy()
                    hi[wrt][idx] += step
                    lo[wrt] = x.copy()
                    lo[wrt][idx] -= step
                    d = (_canonical(_outputs(hi)[prev], trp) - _canonical(_outputs(lo)[prev], trp))
                    num[(Ellipsis,) + idx] = d / (2 * step)
                if wrt in _STRUCTURED and x.ndim == 2:  # the gradient within that space
                    if _STRUCTURED[wrt] == "diagonal":
                        num = num * np.eye(x.shape[0])
                    else:
                        num = (num + np.swapaxes(num, -1, -2)) / 2
                got = _canonical(outs[k], tr).reshape(num.shape)
                scale = max(1.0, float(np.max(np.abs(num))) if num.size else 1.0)
                if not np.allclose(got, num, rtol=rtol, atol=rtol * scale):
                    err = float(np.max(np.abs(got - num)))
                    raise AssertionError(f"{{_OUTPUTS[k]}} differs from finite differences of "
                                         f"{{_OUTPUTS[prev]}} by {{wrt}} (max error {{err:.3g}})")
        return True
    raise AssertionError(f"no example data on which f is defined: {{last}}")
'''
