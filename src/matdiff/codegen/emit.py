"""The common emitter: a ``Graph`` of operations -> the source of one Python function.

A ``Printer`` (one subclass per backend) spells each operation; the
emitter decides what gets a name (anything used twice, every output, any
expression grown too long) and inlines the rest, with just the
parentheses Python's precedence needs.  Every identifier it writes comes
from ``Namer``, which hands out valid, non-clashing Python identifiers.
"""
from __future__ import annotations

import keyword
import math
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from .. import clock
from ..dims import Dim, pieces
from ..errors import NotSupportedError
from ..functions import FUNCTIONS
from .graph import Graph, Op

# Python precedence levels, loosest to tightest.
ADD, MUL, UNARY, POW, ATOM = 60, 70, 80, 90, 100
# An inlined expression longer than this gets a name of its own.
MAX_INLINE = 72
# Operations whose text is an atom that costs nothing to repeat.
ATOMS = {"arg", "num", "dim"}


@dataclass(frozen=True)
class Code:
    text: str
    prec: int = ATOM


# ---- names ------------------------------------------------------------------------------

RESERVED = {"np", "jnp", "jax", "torch", "da", "dask", "math", "f", "self", "True", "False", "None",
            "float", "int", "dict", "tuple", "abs", "sum", "min", "max", "len", "print", "range"}


def is_identifier(name: str) -> bool:
    """A Python identifier that Python will not rewrite (NFKC) and that is no keyword."""
    return (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)
            and not keyword.issoftkeyword(name) and unicodedata.normalize("NFKC", name) == name)


class Namer:
    """Unique identifiers for the generated code."""

    def __init__(self, reserved=()):
        self.taken = set(RESERVED) | set(reserved)

    def name(self, want: str, fallback: str = "v") -> str:
        base = want if is_identifier(want) and not want.startswith("_") else None
        if base is None and is_identifier(f"{want}_") and not want.startswith("_"):
            base = f"{want}_"  # a keyword such as lambda
        if base is None:
            ascii_part = "".join(ch for ch in str(want) if ch.isascii() and (ch.isalnum() or ch == "_"))
            ascii_part = ascii_part.lstrip("_0123456789")
            base = ascii_part if is_identifier(ascii_part) else fallback
        out = base
        k = 1
        while out in self.taken or not is_identifier(out):
            out = f"{base}_" if k == 1 else f"{base}_{k}"
            k += 1
        self.taken.add(out)
        return out

    def temp(self) -> str:
        k = 1
        while f"t{k}" in self.taken:
            k += 1
        self.taken.add(f"t{k}")
        return f"t{k}"


# ---- printers ---------------------------------------------------------------------------

def number(v) -> Code:
    if isinstance(v, Fraction):
        v = int(v) if v.denominator == 1 else float(v)
    if isinstance(v, float) and not math.isfinite(v):
        return Code(f"float('{v}')")
    text = repr(v)
    return Code(text, UNARY if text.startswith("-") else ATOM)


class Printer:
    """Spells the operations of ``graph`` for one array library.

    ``F`` is the module alias (``np``); subclasses override the operations
    whose spelling differs.  A function of the language (``fn``) is spelled
    as functions.py's ``spell`` for ``backend`` says.  ``helpers`` collects the
    names of the prelude functions (``HELPERS``) that the printed code calls.
    """
    backend = "numpy"
    F = "np"
    IMPORTS: tuple[str, ...] = ("import numpy as np",)
    HELPERS: dict[str, str] = {}

    def __init__(self):
        self.helpers: list[str] = []
        self.imports: list[str] = list(self.IMPORTS)
        self.dim = lambda d: Code(str(d))  # set by the emitter: a dimension's code

    def need_import(self, line: str) -> None:
        if line not in self.imports:
            self.imports.append(line)

    # -- building blocks --
    def use(self, helper: str) -> str:
        if helper not in self.helpers:
            self.helpers.append(helper)
        return helper

    @staticmethod
    def wrap(c: Code, prec: int) -> str:
        return c.text if c.prec >= prec else f"({c.text})"

    def binop(self, a: Code, op: str, b: Code, prec: int) -> Code:
        return Code(f"{self.wrap(a, prec)} {op} {self.wrap(b, prec + 1)}", prec)

    def call(self, fname: str, *args, **kw) -> Code:
        parts = [a.text if isinstance(a, Code) else str(a) for a in args]
        parts += [f"{k}={v}" for k, v in kw.items()]
        return Code(f"{fname}({', '.join(parts)})")

    def suffix(self, a: Code, text: str) -> Code:
        return Code(self.wrap(a, ATOM) + text)

    def f(self, name: str) -> str:
        return f"{self.F}.{name}"

    def shape_code(self, shape) -> str:
        parts = [self.dim(d).text for d in shape]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"

    def render(self, op: Op, args: list[Code]) -> Code:
        method = getattr(self, "op_" + op.name, None)
        if method is None:
            raise NotSupportedError(f"the {self.backend} backend cannot print {op.name!r}")
        return method(op, *args)

    # -- things a backend may add around the function --
    def prologue(self, params) -> list[str]:
        """Lines converting the arguments (``params``: (pyname, ndim) pairs)."""
        return [f"{p} = {self.f('asarray')}({p}, dtype=float)" for p, _ in params]

    def needs(self) -> list[str]:
        """Lines needed by the body after the prologue (e.g. torch's dtype/device)."""
        return []

    def epilogue(self, names: list[str]) -> list[str]:
        """Lines run on the outputs (``names``) before the return (e.g. Dask's compute)."""
        return []

    def scalar(self, c: Code) -> Code:
        """A Python number as a 0-d array of the backend."""
        return self.call(self.f("asarray"), c, "dtype=float")

    # -- leaves --
    def op_arg(self, op, *_):
        return Code(op.attr[0])

    def op_num(self, op, *_):
        return number(op.attr[0])

    def op_dim(self, op, *_):
        return self.dim(op.attr[0])

    # -- arithmetic --
    def op_add(self, op, a, b):
        return self.binop(a, "+", b, ADD)

    def op_sub(self, op, a, b):
        return self.binop(a, "-", b, ADD)

    def op_neg(self, op, a):
        return Code("-" + self.wrap(a, UNARY), UNARY)

    def op_mul(self, op, a, b):
        return self.binop(a, "*", b, MUL)

    def op_div(self, op, a, b):
        return self.binop(a, "/", b, MUL)

    def op_matmul(self, op, a, b):
        return self.binop(a, "@", b, MUL)

    def op_pow(self, op, a):
        k = op.attr[0]
        if k == Fraction(1, 2):
            return self.spell("sqrt", a)
        if k == -1:
            return self.binop(Code("1"), "/", a, MUL)
        if isinstance(k, Fraction) and k.denominator % 2 == 1:  # a real odd root keeps the sign
            mag = Code(f"{self.wrap(self.spell('abs', a), ATOM)} ** {float(k)!r}", POW)
            if k.numerator % 2:  # |a|^k with a's sign (copysign: the same numbers where a != 0)
                return self.call(self.f("copysign"), mag, a)
            return mag
        kt = number(k).text
        return Code(f"{self.wrap(a, ATOM)} ** {kt}", POW)

    def op_T(self, op, a):
        return self.suffix(a, ".T")

    def op_rowscale(self, op, v, m):
        return self.binop(self.suffix(v, "[:, None]"), "*", m, MUL)

    def op_outer(self, op, a, b):
        return self.call(self.f("outer"), a, b)

    # -- linear algebra --
    def op_solve(self, op, a, b):
        return self.call(self.f("linalg.solve"), a, b)

    def op_inv(self, op, a):
        return self.call(self.f("linalg.inv"), a)

    def op_det(self, op, a):
        return self.call(self.f("linalg.det"), a)

    def op_adj(self, op, a):
        return self.call(self.use("_adj"), a)

    def op_logdet(self, op, a):
        return self.call(self.use("_logdet"), a)

    def op_matpow(self, op, a):
        return self.call(self.f("linalg.matrix_power"), a, op.attr[0])

    def op_expm(self, op, a):
        return self.call(self.use("_expm"), a)

    # -- reductions --
    def op_trace(self, op, a):
        return self.call(self.f("trace"), a)

    def op_sum(self, op, a):
        return self.call(self.f("sum"), a)

    def op_prod(self, op, a):
        return self.call(self.f("prod"), a)

    def op_axsum(self, op, a):
        return self.suffix(a, f".sum(axis={op.attr[0]})")

    def op_sumsq(self, op, a, _a):
        if self._ndim_of_arg(op) == 1:
            return self.binop(a, "@", a, MUL)
        return self.call(self.f("einsum"), "'ij,ij->'", a, a)

    def op_vdot(self, op, a, b):
        if self._ndim_of_arg(op) == 1:
            return self.binop(a, "@", b, MUL)
        return self.call(self.f("einsum"), "'ij,ij->'", a, b)

    def op_trdot(self, op, a, b):  # tr(A*B)
        return self.call(self.f("einsum"), "'ij,ji->'", a, b)

    def op_diagdot(self, op, a, b):  # diag(A*B)
        return self.call(self.f("einsum"), "'ij,ji->i'", a, b)

    def op_rowdot(self, op, a, b):  # diag(A*B') = rowwise dot products
        return self.call(self.f("einsum"), "'ij,ij->i'", a, b)

    def op_coldot(self, op, a, b):  # diag(A'*B) = columnwise dot products
        return self.call(self.f("einsum"), "'ji,ji->i'", a, b)

    def op_contract(self, op, *args):  # an index-form term: opt_einsum, path cached per shapes
        self.need_import("import opt_einsum")
        return self.call(self.use("_contract"), repr(op.attr[0]), *args)

    def helper_text(self, name: str) -> str:
        """The source of a prelude function: the backend's own, else a common one."""
        return self.HELPERS.get(name) or COMMON_HELPERS[name]

    def _ndim_of_arg(self, op) -> int:
        return op.attr[0] if op.attr else 2

    # -- structure --
    def op_diagonal(self, op, a):
        return self.call(self.f("diagonal"), a)

    def op_diagmat(self, op, v):
        return self.call(self.f("diag"), v)

    def op_eye(self, op):
        return self.call(self.f("eye"), self.dim(op.attr[0]))

    def op_ones(self, op):
        return self.call(self.f("ones"), self.shape_code(op.attr[0]))

    def op_zeros(self, op):
        return self.call(self.f("zeros"), self.shape_code(op.attr[0]))

    def op_vec(self, op, a):  # column-major
        return self.suffix(a, ".T.reshape(-1)")

    def op_splitcols(self, op, a):
        """The columns of a matrix (m*n of them) as an m×n pair of axes, vec order."""
        m, n = (self.dim(d).text for d in op.attr)
        return self.suffix(a, f".reshape(-1, {n}, {m}).swapaxes(1, 2)")

    def op_commute(self, op, a):
        """K(m,n) @ a as a reshape and a swap of axes: vec(A) -> vec(A')."""
        m, n = (self.dim(d).text for d in op.attr)
        if len(op.shape) == 1:
            return self.suffix(a, f".reshape({n}, {m}).swapaxes(0, 1).reshape(-1)")
        return self.suffix(a, f".reshape({n}, {m}, -1).swapaxes(0, 1).reshape({m} * {n}, -1)")

    def op_kron(self, op, a, b):
        oa, ob = op.attr
        if "s" in (oa, ob):  # kron by a scalar is a product (the scalar may be a Python float)
            if oa == ob:
                return self.binop(a, "*", b, MUL)
            out = self.binop(a, "*", self._as_2d(b, ob), MUL) if oa == "s" else \
                self.binop(self._as_2d(a, oa), "*", b, MUL)
        else:
            out = self.call(self.f("kron"), self._as_2d(a, oa), self._as_2d(b, ob))
        if len(op.shape) < 2:
            out = self.suffix(out, ".reshape(-1)" if op.shape else ".reshape(())")
        return out

    def _as_2d(self, a: Code, orient: str) -> Code:
        if orient == "c":
            return self.suffix(a, "[:, None]")
        if orient == "r":
            return self.suffix(a, "[None, :]")
        return a

    # -- the functions of functions.py --
    def spell(self, name: str, *args: Code) -> Code:
        """The table's spelling of ``name`` for this backend, on dense arrays."""
        fmt = FUNCTIONS[name].spell[self.backend]
        if fmt.startswith("_"):  # a helper of the backend's prelude
            self.use(fmt[:fmt.index("(")])
        texts = [self.wrap(a, ATOM) if fmt.startswith("{}") else a.text for a in args]
        return Code(fmt.format(*texts))

    def op_fn(self, op, *args):
        return self.spell(op.attr[0], *args)


# Prelude functions that every backend shares (opt_einsum serves numpy, jax and torch).
COMMON_HELPERS = {
    "_contract": '''\
_PATHS = {}


def _contract(spec, *operands):
    """opt_einsum.contract with the contraction path chosen once per spec and set of shapes."""
    key = (spec,) + tuple(tuple(a.shape) for a in operands)
    path = _PATHS.get(key)
    if path is None:
        path = _PATHS[key] = opt_einsum.contract_path(spec, *operands)[0]
    return opt_einsum.contract(spec, *operands, optimize=path)
''',
}


# ---- the emitter --------------------------------------------------------------------------

@dataclass
class Param:
    var: str            # the variable's name in matdiff
    pyname: str         # its name in the generated code
    shape: tuple        # array shape, symbolic: () | (n,) | (m, n)


def emit_function(graph: Graph, outputs: list[tuple[str, int]], returns, params: list[Param],
                  printer: Printer, namer: Namer, fname: str = "f", doc: str | None = None,
                  asserts: bool = True, names: dict[int, str] | None = None,
                  checks: bool = True) -> str:
    """The source of ``def fname(params): ...; return returns``.

    ``outputs``: (name, node) pairs, named in the code as given;
    ``returns``: a nested tuple of those names (or a single name);
    ``names``: node -> the name the printed result gives it (``where s = ...``).
    ``checks=False`` leaves out the conversions and the shape checks: for arguments
    already known to be the backend's float arrays of the right shapes.
    """
    names = names or {}
    dims = _bind_dims(params, namer)

    def dim_code(d) -> Code:
        if isinstance(d, int):
            return Code(str(d))
        if d in dims:
            return Code(dims[d])
        found = pieces(d, dims)  # a product: from its factors, or from m*n known as a whole
        if found is not None:
            return Code(" * ".join(str(p) if isinstance(p, int) else dims[p] for p in found), MUL)
        raise NotSupportedError(f"the size {str(d)!r} of a constant (I, ones or 0) follows from no "
                                f"variable: compile cannot size it")

    printer.dim = dim_code
    ops = graph.ops
    roots = [node for _, node in outputs]
    # uses within the reachable part
    reach: set[int] = set()
    stack = list(roots)
    while stack:
        i = stack.pop()
        if i in reach:
            continue
        reach.add(i)
        stack.extend(ops[i].args)
    uses = {i: 0 for i in reach}
    for i in reach:
        for a in ops[i].args:
            uses[a] += 1
    out_name: dict[int, str] = {}
    for name, node in outputs:
        out_name.setdefault(node, name)

    body: list[str] = []
    code: dict[int, Code] = {}
    for i in sorted(reach):
        clock.tick()
        op = ops[i]
        c = printer.render(op, [code[a] for a in op.args])
        # a transpose of a named array is a view: repeating it costs nothing
        cheap_view = op.name == "T" and code[op.args[0]].text.isidentifier()
        if i in out_name and op.name not in ATOMS:
            body.append(f"{out_name[i]} = {c.text}")
            c = Code(out_name[i])
        elif op.name not in ATOMS and not cheap_view and (uses[i] > 1 or len(c.text) > MAX_INLINE
                                                          or i in names):
            t = namer.name(names[i]) if i in names else namer.temp()
            body.append(f"{t} = {c.text}")
            c = Code(t)
        code[i] = c
    for name, node in outputs:
        if ops[node].name in ("num", "dim"):  # a number: returned as a 0-d array all the same
            body.append(f"{name} = {printer.scalar(code[node]).text}")
        elif code[node].text != name:
            body.append(f"{name} = {code[node].text}")

    head = [f"def {fname}({', '.join(p.pyname for p in params)}):"]
    if doc:
        head.append(_docstring(doc, "    "))
    pro = printer.prologue([(p.pyname, len(p.shape)) for p in params]) if checks else []
    for p in params if checks else ():
        if len(p.shape) == 1:
            pro.append(f"{p.pyname} = {p.pyname}.reshape(-1)")
        elif len(p.shape) == 0:
            pro.append(f"{p.pyname} = {p.pyname}.reshape(())")
    binding = []
    bound: set[str] = set()
    for p in params:
        for k, d in enumerate(p.shape):
            if d in dims and dims[d] not in bound:
                binding.append(f"{dims[d]} = {p.pyname}.shape[{k}]")
                bound.add(dims[d])
    if asserts and checks:
        for p in params:
            if len(p.shape) == 0:
                continue
            want = _shape_tuple(p.shape, dim_code)
            if want is None:
                continue
            sym = "(" + ", ".join(str(d) for d in p.shape) + ("," if len(p.shape) == 1 else "") + ")"
            binding.append(f"assert tuple({p.pyname}.shape) == {want}, "
                           f"f\"{p.var} should have shape {sym} = {{{want}}}, got {{tuple({p.pyname}.shape)}}\"")
    lines = head + ["    " + s for s in pro + binding + printer.needs() + body]
    lines += ["    " + s for s in printer.epilogue(list(dict.fromkeys(n for n, _ in outputs)))]
    lines.append("    return " + _returns(returns))
    return "\n".join(lines) + "\n"


def _shape_tuple(shape, dim_code) -> str | None:
    try:
        parts = [dim_code(d).text for d in shape]
    except NotSupportedError:
        return None
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _bind_dims(params: list[Param], namer: Namer) -> dict:
    """Dimension symbol -> Python name, for the symbols an argument's shape gives."""
    dims: dict = {}
    for p in params:
        for d in p.shape:
            if isinstance(d, int) or d in dims:
                continue
            if isinstance(d, Dim):  # a product, named only when no argument gives its factors
                continue
            dims[d] = namer.name(d if isinstance(d, str) else "d", fallback="d")
    for p in params:
        for d in p.shape:
            if isinstance(d, Dim) and d not in dims and pieces(d, dims) is None:
                dims[d] = namer.name("".join(d.factors), fallback="d")
    return dims


def _returns(r) -> str:
    if isinstance(r, str):
        return r
    inner = ", ".join(_returns(x) if isinstance(x, str) else f"({_returns(x)})" for x in r)
    return inner + ("," if len(r) == 1 else "")


def _docstring(text: str, indent: str) -> str:
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    lines = text.splitlines()
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""'
    return "\n".join([f'{indent}"""{lines[0]}'] + [(indent + ln) if ln else "" for ln in lines[1:]]
                     + [f'{indent}"""'])
