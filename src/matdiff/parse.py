"""The grammar of matdiff's language (docs/language.md §1), in one place.

A hand-written precedence-climbing parser: it gives exact error positions,
never recurses past ``max_depth`` and never evaluates user text.  Levels,
loosest first (MATLAB's order, left-associative on each level)::

    sum      := product (("+" | "-") product)*
    product  := unary (("*" | ".*" | "./" | "/" | "⊙") unary)*
    unary    := ("-" | "+") unary | power
    power    := postfix (("^" | ".^") exponent)*
    exponent := ("-" | "+")? postfix          # a constant number expression
    postfix  := primary ("'" | ".T")*
    primary  := NUMBER | NAME | NAME "(" sum ("," sum)* ")" | "(" sum ")"

A whole input may define names before the expression or after it (docs/language.md §1)::

    input      := (definition (";" | LINE BREAK))* sum (";")? ("where" definitions)?
    definitions := definition (("," | ";") definition)*
    definition := NAME "=" sum

A definition is a macro: each use of the name stands for its expression (typed where it is
used), so a derivative is by the variables underneath.  A name is defined once, before it is
used (in a where-list too), and never shadows a name the expression uses as a variable.

The parser builds an untyped tree of ``Node``; ``shapes.py`` types it.

Limits (each a ``LimitError`` with a message that names the option to raise;
all configurable from the API as keyword arguments of ``md.derivative`` or
fields of ``md.Options``):

=================  =======  =====================================================
``max_length``     20 000   characters of input (a 200 kB paste is refused at once); the uses
                            of definitions may add 10 times as many nodes (``EXPANSION``)
``max_depth``      100      nesting levels: parentheses, calls, unary signs, ``^``
``max_terms``      5 000    terms of a derivative in index form (``diff.py``)
``max_seconds``    10       wall time of one derivation, and of each printing of it
``max_order``      6        order of a derivative
=================  =======  =====================================================

and, fixed: a matrix power ``X^k`` has ``|k| <= 64`` (``shapes.DEFAULT_MAX_POWER``;
``(X^8)^8`` counts as ``X^64``), a scalar or elementwise power ``|k| <= 10^6``.
Nothing here recurses deeper than ``max_depth`` or evaluates user text.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from .dims import dim_mul
from .errors import LimitError, ParseError
from .functions import ALIASES as FUNCTION_ALIASES
from .functions import ARITY as FUNCTIONS

# Spellings accepted for compatibility with matrixcalculus.org and habit (a function's own
# aliases are in its entry in functions.py).
ALIASES = {**FUNCTION_ALIASES, "eye": "I", "transpose": "'"}
CONSTANTS = ("I", "ones")
SIZED = ("I", "K", "ones")   # calls whose arguments are sizes, not expressions: I(n), K(m, n), ones(n)
# Names of Python built-ins that show up in hostile or confused input; never called, of course.
PYTHONISMS = {"eval", "exec", "open", "compile", "getattr", "setattr", "globals", "locals", "print",
              "input", "system", "import", "lambda", "os", "sys", "subprocess", "vars", "dir", "type"}
# matrixcalculus.org's constant fillers: vector(c), matrix(c).
FILLERS = ("vector", "matrix")

DEFAULT_MAX_LENGTH = 20_000
# Nodes definitions' uses may add per character of max_length: a printed where-form (up to
# max_print symbols) reads back, and a0 = x + x; a1 = a0 + a0; ... types in seconds.
EXPANSION = 10
DEFAULT_MAX_DEPTH = 100

# Characters pasted from word processors, PDFs and LaTeX output, and what to write instead.
LOOKALIKES = {
    "\u2032": "'", "\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u22a4": "'",
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-",
    "\u2217": "*", "\u22c5": "*", "\u00b7": "*", "\u00d7": "*", "\uff0a": "*", "\u2219": "*",
    "\u00f7": "/", "\u2215": "/", "\u2218": ".*", "\uff08": "(", "\uff09": ")", "\uff0c": ",",
}


@dataclass
class Node:
    op: str                     # num name call add sub mul hmul hdiv div neg pow epow transpose
    pos: int
    end: int
    args: list["Node"] = field(default_factory=list)
    value: object = None        # number, name, or function name


# Letters of names: Latin, and the Greek letters (not the Greek punctuation in that block).
GREEK_LETTERS = "\u0391-\u03a1\u03a3-\u03a9\u03b1-\u03c9\u03d1\u03d5\u03d6\u03f0\u03f1\u03f5"
NAME_PATTERN = f"[A-Za-z_{GREEK_LETTERS}][A-Za-z_0-9{GREEK_LETTERS}]*"

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:[0-9]+(?:\.(?![*/^'T])[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
  | (?P<name>NAME)
  | (?P<op>\.\*|\./|\.\^|\.T(?![A-Za-z_0-9])|\.'|[-+*/^'(),⊙ᵀ=;])
""".replace("NAME", NAME_PATTERN), re.VERBOSE)


@dataclass
class Token:
    kind: str   # num name op end
    text: str
    pos: int
    end: int = -1   # where the token's text ends in the input


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise _bad_character(text, i)
        if m.lastgroup != "ws":
            kind = m.lastgroup
            tok = m.group()
            if tok in (".T", ".'", "ᵀ"):
                tok = "'"
            out.append(Token(kind, tok, i, m.end()))
        i = m.end()
    out.append(Token("end", "", len(text), len(text)))
    return out


def _looks_like_latex(text: str) -> bool:
    return "\\" in text or "$" in text or re.search(r"[\^_]\{", text) is not None


LATEX_HINT = ("this looks like LaTeX; write the expression in matdiff's language, "
              "e.g. tr(X*A*X') or x'*A*x")


def _char_name(ch: str) -> str:
    """``'−' (U+2212 MINUS SIGN)``: a character and what it is, printable or not."""
    name = unicodedata.name(ch, "")
    shown = repr(ch) if ch.isprintable() and not ch.isspace() else "character"
    return f"{shown} (U+{ord(ch):04X}{' ' + name if name else ''})"


_LATEX_WORDS = {"cdot", "times", "top", "intercal", "frac", "left", "right", "mathbf", "mathrm",
                "operatorname", "text", "sum", "partial", "circ", "odot", "otimes", "quad",
                "alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "pi", "rho",
                "sigma", "tau", "phi", "omega"}


def _left_division(text: str, i: int) -> str | None:
    """``inv(A)*b`` for MATLAB's ``A\\b`` at ``text[i]``; None where it looks like LaTeX."""
    before = re.search(r"(" + NAME_PATTERN + r"|\))\s*$", text[:i])
    after = re.match(r"\s*(" + NAME_PATTERN + r"|\()", text[i + 1:])
    if not before or not after or re.search(r"[${}]", text) \
            or after.group(1).lower() in _LATEX_WORDS:
        return None
    a = before.group(1)
    if a == ")":  # the whole parenthesised group
        depth, j = 0, before.start(1)
        for j in range(before.start(1), -1, -1):
            depth += {")": 1, "(": -1}.get(text[j], 0)
            if depth == 0:
                break
        a = text[j:before.start(1) + 1]
    b = after.group(1) if after.group(1) != "(" else "(...)"
    return f"inv{a}*{b}" if a.startswith("(") else f"inv({a})*{b}"


def _bad_character(text: str, i: int) -> ParseError:
    """The error for a character that starts no token, with advice where there is some."""
    ch = text[i]

    def err(message: str, end: int | None = None) -> ParseError:
        return ParseError(message, i, end if end is not None else i + 1, source=text)

    left = _left_division(text, i) if ch == "\\" else None
    if left:
        return err(f"'\\' (MATLAB's left division) is not in the language: write {left}")
    if ch == "\\" or ch == "$" or (ch in "{}" and _looks_like_latex(text)):
        return err(LATEX_HINT)
    if ch in "[]":
        before = text[:i].rstrip()
        if ch == "[" and before and (before[-1].isalnum() or before[-1] in ")'_"):
            return err("unexpected '[': matdiff has no indexing; use ( ) for grouping")
        return err(f"unexpected {ch!r}: use ( ) for grouping")
    if ch in "{}":
        return err(f"unexpected {ch!r}: use ( ) for grouping")
    if ch == "@":
        return err("unexpected '@': write * for the matrix product")
    if ch in "\"":
        return err("unexpected '\"': matdiff's language has no strings")
    if ch == "." and i + 1 < len(text) and (text[i + 1].isalpha() or text[i + 1] == "_"):
        j = i + 1
        while j < len(text) and (text[j].isalnum() or text[j] == "_"):
            j += 1
        return err(f"unexpected {text[i:j]!r}: matdiff has no attributes or methods "
                   f"(after '.' only .T, .', .*, ./ and .^)", j)
    if ch == ".":
        return err("unexpected '.': after '.' only .T, .', .*, ./ and .^ may follow")
    if ch in "<>!&|:":
        return err(f"unexpected {ch!r}: an expression has no assignment or comparison")
    if ch in LOOKALIKES:
        return err(f"unexpected {_char_name(ch)}: write {LOOKALIKES[ch]!r} instead")
    if ch.isspace() or not ch.isprintable() or unicodedata.category(ch) in ("Cf", "Co", "Cn"):
        return err(f"unexpected invisible {_char_name(ch)}: delete it "
                   f"(it may come from copying and pasting)")
    if unicodedata.category(ch) == "Nd":
        return err(f"unexpected digit {_char_name(ch)}: write {str(unicodedata.digit(ch))!r} instead")
    if unicodedata.category(ch).startswith("L") and unicodedata.normalize("NFKC", ch).isascii():
        plain = unicodedata.normalize("NFKC", ch)
        return err(f"unexpected {_char_name(ch)}: write {plain!r} instead")
    if unicodedata.category(ch).startswith("L"):
        return err(f"unexpected letter {_char_name(ch)}: names use Latin or Greek letters, "
                   f"digits and _")
    return err(f"unexpected character {_char_name(ch)}")


class Parser:
    def __init__(self, text: str, max_depth: int = DEFAULT_MAX_DEPTH,
                 max_nodes: int = DEFAULT_MAX_LENGTH):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0
        self.max_depth = max_depth
        self.defs: dict[str, Definition] = {}
        self.uses: dict[str, Token] = {}       # a name's first use as a variable
        self.expanded = 0                      # nodes the definitions' uses add
        self.max_nodes = max_nodes

    # -- helpers --
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def error(self, message: str, tok: Token | None = None) -> ParseError:
        tok = tok or self.tok
        return ParseError(message, tok.pos, tok.pos + max(1, len(tok.text)), source=self.text)

    def take(self, text: str | None = None, kind: str | None = None) -> Token | None:
        t = self.tok
        if (text is None or t.text == text) and (kind is None or t.kind == kind) and t.kind != "end":
            self.i += 1
            return t
        return None

    def expect(self, text: str, what: str) -> Token:
        t = self.take(text)
        if t is None:
            raise self.error(f"expected {what}, found {self.describe(self.tok)}")
        return t

    @staticmethod
    def describe(t: Token) -> str:
        return "the end of the input" if t.kind == "end" else repr(t.text)

    def enter(self):
        self.depth += 1
        if self.depth > self.max_depth:
            raise LimitError(f"expression nested too deeply (more than {self.max_depth} levels; "
                             f"raise max_depth to allow more)",
                             self.tok.pos, source=self.text)

    # -- grammar --
    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ParseError("empty expression", 0, source=self.text)
        where = self._where_index()
        while self._definition_ahead():
            d = self.definition()
            if not self.take(";") and not self._line_break_before():
                if self.tok.kind == "end" or self.i == where:
                    raise ParseError(f"{self.text[d.pos:d.end].strip()} is a definition (there is "
                                     f"no assignment): write the expression after it, e.g. "
                                     f"{d.name} = ...; EXPR", d.pos, d.end, source=self.text)
                raise self.error(f"missing ';' or a line break after the definition of {d.name!r}")
        start = self.i
        if where is not None:
            self.i = where + 1
            self.definition()
            while self.take(",") or self.take(";"):
                self.definition()
            if self.tok.kind != "end":
                raise self.error(f"expected ',' and another definition after 'where', found "
                                 f"{self.describe(self.tok)}")
            self.i = start
        if self.tok.kind == "end" or self.i == where:
            raise self.error("the definitions are not followed by an expression")
        node = self.sum()
        semi = self.take(";")
        if self.i == where or (semi and self.tok.kind == "end"):
            return node
        if semi:
            raise self.error("unexpected ';': it ends a definition (NAME = EXPR;), and the "
                             "expression comes last", semi)
        if self.tok.kind != "end":
            t = self.tok
            if t.text == "=":
                raise self.error("unexpected '=': an expression has no assignment or comparison "
                                 "(a definition reads NAME = EXPR; before the expression)")
            if t.text == ")":
                raise self.error("unbalanced ')': no '(' opens it")
            if t.kind in ("name", "num") or t.text == "(":
                raise self.error(f"missing operator before {self.describe(t)}")
            raise self.error(f"unexpected {self.describe(t)}")
        return node

    def sum(self) -> Node:
        self.enter()
        left = self.product()
        while self.tok.text in ("+", "-") and self.tok.kind == "op":
            op = self.take()
            right = self.product()
            left = Node("add" if op.text == "+" else "sub", left.pos, right.end, [left, right])
        self.depth -= 1
        return left

    PRODUCT_OPS = {"*": "mul", ".*": "hmul", "⊙": "hmul", "./": "hdiv", "/": "div"}

    def product(self) -> Node:
        left = self.unary()
        while self.tok.text in self.PRODUCT_OPS:
            op = self.take()
            if op.text in ("*", "/") and self.tok.text == op.text and self.tok.pos == op.pos + 1:
                raise ParseError(
                    "'**' is not an operator: write ^ for a power (.^ elementwise)" if op.text == "*"
                    else "'//' is not an operator: write / to divide by a scalar (./ elementwise)",
                    op.pos, op.pos + 2, source=self.text)
            right = self.unary()
            left = Node(self.PRODUCT_OPS[op.text], left.pos, right.end, [left, right])
        return left

    def unary(self) -> Node:
        if self.tok.text in ("-", "+"):
            op = self.take()
            self.enter()
            arg = self.unary()
            self.depth -= 1
            return Node("neg", op.pos, arg.end, [arg]) if op.text == "-" else arg
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        chain = 0  # a^2^2^...: each power nests the one before it, so it counts as a level
        while self.tok.text in ("^", ".^"):
            chain += 1
            self.enter()
            op = self.take()
            sign = self.take("-") or self.take("+")
            if self.tok.kind == "end":
                raise self.error(f"missing exponent after {op.text!r}")
            if self.tok.kind == "name" and self.tok.text in ("T", "top", "H"):
                b = self.text[base.pos:base.end].strip()
                raise self.error(f"for the transpose write {b}' or {b}.T ({op.text} is a power)"
                                 if sign is None else
                                 f"for the transposed inverse write inv({b})' ({op.text} is a power)")
            exp = self.postfix()
            if sign is not None and sign.text == "-":
                exp = Node("neg", sign.pos, exp.end, [exp])
            base = Node("pow" if op.text == "^" else "epow", base.pos, exp.end, [base, exp])
        self.depth -= chain
        return base

    def postfix(self) -> Node:
        node = self.primary()
        while self.tok.text == "'":
            t = self.take()
            node = Node("transpose", node.pos, t.pos + len(t.text), [node])
        return node

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.i += 1
            try:
                value = float(t.text) if any(c in t.text for c in ".eE") else int(t.text)
            except ValueError:
                raise self.error(f"bad number {t.text!r}") from None
            return Node("num", t.pos, t.pos + len(t.text), value=value)
        if t.kind == "name":
            self.i += 1
            name = ALIASES.get(t.text, t.text)
            if self.tok.text == "(":
                return self.call(t, name)
            if name in FUNCTIONS or name in FILLERS or name == "'":
                raise self.error(f"{t.text!r} is a function: write {t.text}(...)", t)
            if name in self.defs:
                return self.expand(self.defs[name], t)
            self.uses.setdefault(name, t)
            return Node("name", t.pos, t.pos + len(t.text), value=name)
        if t.text == "(":
            self.i += 1
            if self.tok.text == ")":
                raise self.error("empty parentheses")
            inner = self.sum()  # one level (sum counts it)
            if self.tok.text != ")":
                if self.tok.kind == "end":
                    raise ParseError("unbalanced '(': no ')' closes it", t.pos, source=self.text)
                raise self.error(f"expected ')' or an operator, found {self.describe(self.tok)}")
            self.i += 1
            inner.pos, inner.end = t.pos, self.toks[self.i - 1].pos + 1
            return inner
        if t.kind == "end":
            raise self.error("the expression ends where an operand is expected")
        if t.text == ")":
            raise self.error("unbalanced ')' or a missing operand before it")
        raise self.error(f"expected an operand, found {self.describe(t)}")

    def _dimension(self, what: str) -> Node:
        """A size argument of I(n) or K(m, n): a name, a positive integer, or a product of
        them (``K(m*n, p)``), which is a ``dim`` node holding a ``Dim``."""
        start, parts = self.tok, [self._size_factor(what)]
        while self.take("*"):
            parts.append(self._size_factor(what))
        if len(parts) == 1:
            return parts[0]
        value = parts[0].value
        for p in parts[1:]:
            value = dim_mul(value, p.value)
        op = "num" if isinstance(value, int) else "dim"
        return Node(op, start.pos, parts[-1].end, value=value)

    def _size_factor(self, what: str) -> Node:
        dim = self.take(kind="name") or self.take(kind="num")
        if dim is None or "." in dim.text or "e" in dim.text.lower() and dim.kind == "num":
            raise self.error(f"{what}(...) takes dimensions: a name such as n, a positive integer, "
                             f"or a product of them such as m*n")
        arg = Node("name" if dim.kind == "name" else "num", dim.pos, dim.pos + len(dim.text),
                   value=dim.text if dim.kind == "name" else int(dim.text))
        if arg.op == "num" and arg.value < 1:
            raise self.error(f"the size of {what} must be positive", dim)
        return arg

    # -- definitions (docs/language.md §1) --
    def _where_index(self) -> int | None:
        """The token index of a top-level ``where`` that starts definitions, or None."""
        depth = 0
        for j, t in enumerate(self.toks[:-2]):
            depth += {"(": 1, ")": -1}.get(t.text, 0) if t.kind == "op" else 0
            if depth == 0 and t.kind == "name" and t.text == "where" and j > 0 \
                    and self.toks[j + 1].kind == "name" and self.toks[j + 2].text == "=":
                return j
        return None

    def _definition_ahead(self) -> bool:
        nxt = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else self.tok
        return self.tok.kind == "name" and nxt.text == "=" and self.toks[self.i + 2].text != "="

    def _line_break_before(self) -> bool:
        return self.i > 0 and "\n" in self.text[self.toks[self.i - 1].end:self.tok.pos]

    def definition(self) -> "Definition":
        t = self.tok
        if t.kind != "name" or self.toks[self.i + 1].text != "=":
            raise self.error(f"expected a definition NAME = EXPR, found {self.describe(t)}")
        name = ALIASES.get(t.text, t.text)
        if name in FUNCTIONS or name in FILLERS or name in CONSTANTS or name in ALIASES:
            raise self.error(f"{t.text!r} is a {'constant' if name in CONSTANTS else 'function'} "
                             f"of the language: a definition needs a name of its own", t)
        if name in self.defs:
            raise self.error(f"{name!r} is defined twice (first at column "
                             f"{self.defs[name].pos + 1}): give one of them another name", t)
        self.i += 2
        if self.tok.kind == "end" or self.tok.text in (";", ","):
            raise self.error(f"the definition of {name!r} has no expression after '='")
        used_before = self.uses.get(name)
        node = self.sum()
        used = self.uses.get(name)
        if used is not None and used_before is None:
            raise self.error(f"{name!r} is defined in terms of itself: a definition needs a new "
                             f"name", used)
        if used is not None:
            raise self.error(f"{name!r} is used here before its definition at column {t.pos + 1}: "
                             f"define it first, or rename the variable or the definition", used)
        d = Definition(name, node, t.pos, node.end, *_size(node))
        self.defs[name] = d
        return d

    def expand(self, d: "Definition", t: Token) -> Node:
        """A copy of ``d``'s expression for its use at ``t`` (each use is typed on its own)."""
        self.expanded += d.size
        if self.expanded > self.max_nodes:
            raise LimitError(f"the definitions expand to over {self.max_nodes} nodes (raise "
                             f"max_length to allow more)", t.pos, t.end, source=self.text)
        if self.depth + d.height > self.max_depth:
            raise LimitError(f"expression nested too deeply where {d.name!r} is used (more than "
                             f"{self.max_depth} levels; raise max_depth to allow more)",
                             t.pos, t.end, source=self.text)
        copies: dict[int, Node] = {}
        stack = [(d.node, False)]
        while stack:
            n, done = stack.pop()
            if not done:
                stack.append((n, True))
                stack.extend((c, False) for c in n.args)
                continue
            copies[id(n)] = Node(n.op, n.pos, n.end, [copies[id(c)] for c in n.args], n.value)
        return copies[id(d.node)]

    def call(self, name_tok: Token, name: str) -> Node:
        if name == "I":  # I(n), eye(3): an identity of a given size
            self.take("(")
            arg = self._dimension("I")
            close = self.expect(")", "')' after the size of I")
            return Node("call", name_tok.pos, close.pos + 1, [arg], value="I")
        if name == "K" and self.toks[self.i + 1].kind in ("name", "num"):  # K(m, n): commutation
            self.take("(")
            dims = [self._dimension("K"), None]
            self.expect(",", "',' between the two sizes of K(m, n)")
            dims[1] = self._dimension("K")
            close = self.expect(")", "')' after the sizes of K(m, n)")
            return Node("call", name_tok.pos, close.pos + 1, dims, value="K")
        if name == "ones" and self.toks[self.i + 1].kind in ("name", "num"):  # ones(n), ones(m, n)
            self.take("(")
            dims = [self._dimension("ones")]
            if self.take(","):
                dims.append(self._dimension("ones"))
            close = self.expect(")", "')' after the size of ones(n) or ones(m, n)")
            return Node("call", name_tok.pos, close.pos + 1, dims, value="ones")
        if name == "ones":
            raise self.error("ones takes sizes, ones(n) or ones(m, n), or none: a bare ones has "
                             "its size inferred from its use", name_tok)
        if name not in FUNCTIONS and name not in FILLERS and name != "'":
            near = difflib.get_close_matches(name, list(FUNCTIONS) + [a for a in ALIASES if a != "transpose"],
                                             n=1, cutoff=0.6)
            if near:
                hint = f"; did you mean {ALIASES.get(near[0], near[0])!r}?"
            elif name in PYTHONISMS or name.startswith("__"):
                hint = ": matdiff's language is not Python, and nothing in it is executed"
            elif len(name) <= 2:
                hint = f" (there is no indexing; for a product write {name_tok.text}*(...))"
            else:
                hint = ""
            raise ParseError(f"unknown function {name_tok.text!r}{hint}", name_tok.pos,
                             name_tok.pos + len(name_tok.text), source=self.text)
        open_tok = self.take("(")
        args = []
        if self.tok.text == ")":
            raise self.error(f"{name_tok.text}() needs an argument")
        args.append(self.sum())
        while self.take(","):
            args.append(self.sum())
        if self.tok.text != ")":
            if self.tok.kind == "end":
                raise ParseError("unbalanced '(': no ')' closes it", open_tok.pos, source=self.text)
            raise self.error(f"expected ',' or ')' in the call of {name_tok.text}, "
                             f"found {self.describe(self.tok)}")
        close = self.take(")")
        want = FUNCTIONS.get(name, 1)
        if name == "'" and len(args) == 1:  # transpose(X)
            return Node("transpose", name_tok.pos, close.pos + 1, args)
        if len(args) != want:
            raise ParseError(f"{name_tok.text} takes {want} argument{'s' if want > 1 else ''}, "
                             f"got {len(args)}", name_tok.pos, close.pos + 1, source=self.text)
        return Node("call", name_tok.pos, close.pos + 1, args, value=name)


@dataclass
class Definition:
    """``name = node`` in the input, at ``pos..end``: ``size`` nodes, ``height`` levels."""
    name: str
    node: Node
    pos: int
    end: int
    size: int
    height: int


def _size(node: Node) -> tuple[int, int]:
    """(nodes, levels) of a tree."""
    n, height, stack = 0, 0, [(node, 1)]
    while stack:
        x, h = stack.pop()
        n, height = n + 1, max(height, h)
        stack.extend((c, h + 1) for c in x.args)
    return n, height


def parse(text: str, max_length: int = DEFAULT_MAX_LENGTH, max_depth: int = DEFAULT_MAX_DEPTH) -> Node:
    """Parse an expression into an untyped ``Node`` tree, or raise ``ParseError``/``LimitError``."""
    return parse_input(text, max_length, max_depth)[0]


def parse_input(text: str, max_length: int = DEFAULT_MAX_LENGTH,
                max_depth: int = DEFAULT_MAX_DEPTH) -> tuple[Node, dict[str, Definition]]:
    """Parse an input: the expression's tree, its definitions already expanded, and the
    definitions by name."""
    if not isinstance(text, str):
        raise ParseError(f"an expression must be a string, not {type(text).__name__}")
    if len(text) > max_length:
        raise LimitError(f"expression too large: {len(text)} characters (the limit is {max_length}; "
                         f"raise max_length to allow more)", max_length, source=text)
    parser = Parser(text, max_depth, EXPANSION * max_length)
    try:
        return parser.parse(), parser.defs
    except RecursionError:  # max_depth raised past what Python's stack holds
        raise LimitError(f"expression nested too deeply for this Python's stack (over "
                         f"{parser.depth} levels); lower the nesting", parser.tok.pos,
                         source=text) from None
