"""Declarations and the naming convention: what kind and dimensions each variable has.

``x: vector(n)``, ``A: matrix(n,n) spd``; an undeclared name takes its kind from
the naming convention (docs/language.md §2).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .dims import Dim, dim_mul
from .errors import DeclarationError
from .functions import FUNCTIONS
from .parse import ALIASES, CONSTANTS, FILLERS, GREEK_LETTERS, NAME_PATTERN

PROPERTIES = ("symmetric", "invertible", "spd", "diagonal", "positive")
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "lam", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon",
         "phi", "chi", "psi", "omega"}
# Names offered to dimensions nobody named, in this order.
DIM_NAMES = ("n", "m", "p", "q", "r", "k", "l", "s", "u", "v", "w")


@dataclass
class Decl:
    name: str
    kind: str                   # scalar | vector | matrix
    dims: tuple                 # () | (d,) | (d1, d2): ints or names
    props: frozenset = field(default_factory=frozenset)


_DECL = re.compile(r"^\s*(?:(?P<name>" + NAME_PATTERN + r")\s*:\s*)?"
                   r"(?P<kind>[A-Za-z]+)\s*(?:\((?P<dims>[^()]*)\))?\s*(?P<props>[^()]*?)\s*$")


def parse_decl(spec: str, name: str | None = None) -> Decl:
    """``"x: vector(n)"`` or (with ``name``) ``"matrix(n,n) symmetric"`` -> Decl."""
    if not isinstance(spec, str):
        raise DeclarationError(f"the declaration of {name!r} must be a string like 'matrix(n,n)', "
                               f"not {type(spec).__name__}")
    m = _DECL.match(spec)
    if not m:
        if spec.count("(") != spec.count(")"):
            raise DeclarationError(f"unbalanced parentheses in declaration {spec!r}",
                                   spec.find("("), source=spec)
        missing_colon = re.match(r"\s*(" + NAME_PATTERN + r")\s+(scalar|vector|matrix)\b", spec)
        if missing_colon:
            raise DeclarationError(f"bad declaration {spec!r}: a ':' is missing after the name "
                                   f"(write {missing_colon.group(1)}: {spec[missing_colon.end(1):].strip()})",
                                   missing_colon.end(1), source=spec)
        raise DeclarationError(f"bad declaration {spec!r}: write e.g. 'x: vector(n)' or "
                               f"'A: matrix(n,n) symmetric'", 0, source=spec)
    nm = m.group("name") or name
    if nm is None:
        raise DeclarationError(f"declaration {spec!r} names no variable: write 'x: vector(n)'",
                               0, source=spec)
    kind = m.group("kind")
    if kind not in ("scalar", "vector", "matrix"):
        near = difflib.get_close_matches(kind, ["scalar", "vector", "matrix"], n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise DeclarationError(f"unknown kind {kind!r} for {nm}{hint}", m.start("kind"),
                               m.end("kind"), source=spec)
    dims: list = []
    if m.group("dims") is not None:
        for part in m.group("dims").split(","):
            part = part.strip()
            if re.fullmatch(r"\d+", part):
                if int(part) < 1:
                    raise DeclarationError(f"dimension {part} of {nm} must be positive",
                                           m.start("dims"), source=spec)
                dims.append(int(part))
            elif re.fullmatch(r"[A-Za-z_]\w*", part):
                dims.append(part)
            elif re.fullmatch(r"(?:[A-Za-z_]\w*|[1-9]\d*)(?:\s*\*\s*(?:[A-Za-z_]\w*|[1-9]\d*))+", part):
                dims.append(_product(part))  # m*n, as the size of K(m*n, p) needs
            else:
                raise DeclarationError(f"bad dimension {part!r} in the declaration of {nm}",
                                       m.start("dims"), m.end("dims"), source=spec)
    want = {"scalar": 0, "vector": 1, "matrix": 2}[kind]
    if m.group("dims") is not None and len(dims) != want:
        raise DeclarationError(f"{nm}: a {kind} takes {want} dimension{'s' if want != 1 else ''}, "
                               f"got {len(dims)}", m.start("dims"), m.end("dims"), source=spec)
    props = frozenset(m.group("props").replace(",", " ").split())
    bad = props - set(PROPERTIES)
    if bad:
        raise DeclarationError(f"unknown propert{'ies' if len(bad) > 1 else 'y'} "
                               f"{', '.join(sorted(bad))} for {nm} (known: {', '.join(PROPERTIES)})",
                               m.start("props"), m.end("props"), source=spec)
    if props - {"positive"} and kind != "matrix":
        raise DeclarationError(f"{nm}: {', '.join(sorted(props - {'positive'}))} needs a matrix",
                               m.start("props"), source=spec)
    if props - {"positive"} and len(dims) == 2 and dims[0] != dims[1] \
            and isinstance(dims[0], int) and isinstance(dims[1], int):
        raise DeclarationError(f"{nm}: {', '.join(sorted(props))} needs a square matrix", 0,
                               source=spec)
    return Decl(nm, kind, tuple(dims), props)


def _product(text: str):
    """A declared size written as a product: ``2*3`` -> 6, ``m*n`` -> Dim."""
    out = 1
    for p in Dim.parse(text).parts:
        out = dim_mul(out, p)
    return out


def parse_decls(vars) -> dict[str, Decl]:
    """Declarations from a dict ``{name: spec}``, a list of ``"name: spec"``, or one string
    with declarations separated by ``;`` or newlines."""
    out: dict[str, Decl] = {}
    if vars is None:
        return out
    if isinstance(vars, dict):
        items = [(k, v) for k, v in vars.items()]
    else:
        if isinstance(vars, str):
            vars = [s for s in re.split(r"[;\n]", vars) if s.strip()]
        if not isinstance(vars, (list, tuple)):
            raise DeclarationError(f"vars must be a dict like {{'A': 'matrix(n,n)'}}, a list of "
                                   f"declarations or a string, not {type(vars).__name__}")
        items = [(None, v) for v in vars]
    for name, spec in items:
        if name is not None and not isinstance(name, str):
            raise DeclarationError(f"a variable name must be a string, not {name!r}")
        if isinstance(spec, Decl):
            d = spec
        else:
            d = parse_decl(spec, name)
        text = spec if isinstance(spec, str) else f"{d.name}: {d.kind}"
        if name is not None and d.name != name:
            raise DeclarationError(f"the declaration given for {name!r} declares {d.name!r}", 0,
                                   len(text), source=text)
        if d.name in out:
            raise DeclarationError(f"{d.name} is declared twice", 0, len(text), source=text)
        if d.name in FUNCTIONS or d.name in CONSTANTS or d.name in ALIASES or d.name in FILLERS:
            raise DeclarationError(f"{d.name!r} is a function or constant name and cannot be declared",
                                   0, len(text), source=text)
        if not re.fullmatch(NAME_PATTERN, d.name):
            raise DeclarationError(f"{d.name!r} is not a name (letters, digits and _, starting with "
                                   f"a letter)", 0, len(text), source=text)
        out[d.name] = d
    return out


def convention_kind(name: str, types: str = "default") -> str:
    """The kind of an undeclared name (docs/language.md §2, or matrixcalculus.org's convention)."""
    if name[0].isupper():
        return "matrix"
    if types == "matrixcalculus":
        return "scalar" if name[0] in "abcdefg" else "vector"
    if name in GREEK or re.match(f"[{GREEK_LETTERS}]", name):
        return "scalar"
    return "vector"
