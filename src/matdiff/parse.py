"""The grammar of matdiff's language (LANGUAGE.md §1), in one place.

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

The parser builds an untyped tree of ``Node``; ``shapes.py`` types it.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .errors import LimitError, ParseError
from .expr import FUNCTIONS

# Spellings accepted for compatibility with matrixcalculus.org and habit.
ALIASES = {"trace": "tr", "eye": "I", "transpose": "'", "logistic": "sigmoid",
           "asin": "arcsin", "acos": "arccos", "atan": "arctan", "norm": "norm2",
           "ln": "log", "Tr": "tr"}
CONSTANTS = ("I", "ones")
# matrixcalculus.org's constant fillers: vector(c), matrix(c).
FILLERS = ("vector", "matrix")

DEFAULT_MAX_LENGTH = 20_000
DEFAULT_MAX_DEPTH = 200


@dataclass
class Node:
    op: str                     # num name call add sub mul hmul hdiv div neg pow epow transpose
    pos: int
    end: int
    args: list["Node"] = field(default_factory=list)
    value: object = None        # number, name, or function name


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_\u0370-\u03ff][A-Za-z_0-9\u0370-\u03ff]*)
  | (?P<op>\.\*|\./|\.\^|\.T(?![A-Za-z_0-9])|\.'|[-+*/^'(),⊙ᵀ])
""", re.VERBOSE)


@dataclass
class Token:
    kind: str   # num name op end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            ch = text[i]
            if ch == "\\":
                raise ParseError("this looks like LaTeX; write the expression in matdiff's language, "
                                 "e.g. tr(X*A*X') or x'*A*x", i, source=text)
            if ch in "[]{}":
                raise ParseError(f"unexpected {ch!r}: use ( ) for grouping", i, source=text)
            if ch in "=<>!&|;:":
                raise ParseError(f"unexpected {ch!r}: an expression has no assignment or comparison",
                                 i, source=text)
            shown = ch if ch.isprintable() else f"U+{ord(ch):04X}"
            raise ParseError(f"unexpected character {shown!r}", i, source=text)
        if m.lastgroup != "ws":
            kind = m.lastgroup
            tok = m.group()
            if tok in (".T", ".'", "ᵀ"):
                tok = "'"
            out.append(Token(kind, tok, i))
        i = m.end()
    out.append(Token("end", "", len(text)))
    return out


class Parser:
    def __init__(self, text: str, max_depth: int = DEFAULT_MAX_DEPTH):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0
        self.max_depth = max_depth

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
            raise LimitError(f"expression nested too deeply (more than {self.max_depth} levels)",
                             self.tok.pos, source=self.text)

    # -- grammar --
    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ParseError("empty expression", 0, source=self.text)
        node = self.sum()
        if self.tok.kind != "end":
            t = self.tok
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
        while self.tok.text in ("^", ".^"):
            op = self.take()
            sign = self.take("-") or self.take("+")
            if self.tok.kind == "end":
                raise self.error(f"missing exponent after {op.text!r}")
            self.enter()
            exp = self.postfix()
            self.depth -= 1
            if sign is not None and sign.text == "-":
                exp = Node("neg", sign.pos, exp.end, [exp])
            base = Node("pow" if op.text == "^" else "epow", base.pos, exp.end, [base, exp])
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
                raise self.error(f"bad number {t.text!r}")
            return Node("num", t.pos, t.pos + len(t.text), value=value)
        if t.kind == "name":
            self.i += 1
            name = ALIASES.get(t.text, t.text)
            if self.tok.text == "(":
                return self.call(t, name)
            if name in FUNCTIONS or name in FILLERS:
                raise self.error(f"{t.text!r} is a function: write {t.text}(...)", t)
            return Node("name", t.pos, t.pos + len(t.text), value=name)
        if t.text == "(":
            self.i += 1
            self.enter()
            if self.tok.text == ")":
                raise self.error("empty parentheses")
            inner = self.sum()
            self.depth -= 1
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

    def call(self, name_tok: Token, name: str) -> Node:
        if name == "I":  # I(n), eye(3): an identity of a given size
            self.take("(")
            dim = self.take(kind="name") or self.take(kind="num")
            if dim is None or "." in dim.text or "e" in dim.text.lower() and dim.kind == "num":
                raise self.error("I(...) takes a dimension: a name such as n or a positive integer")
            close = self.expect(")", "')' after the size of I")
            arg = Node("name" if dim.kind == "name" else "num", dim.pos, dim.pos + len(dim.text),
                       value=dim.text if dim.kind == "name" else int(dim.text))
            if arg.op == "num" and arg.value < 1:
                raise self.error("the size of I must be positive", dim)
            return Node("call", name_tok.pos, close.pos + 1, [arg], value="I")
        if name not in FUNCTIONS and name not in FILLERS:
            near = difflib.get_close_matches(name, list(FUNCTIONS) + list(ALIASES), n=1, cutoff=0.6)
            hint = f"; did you mean {ALIASES.get(near[0], near[0])!r}?" if near else ""
            raise ParseError(f"unknown function {name_tok.text!r}{hint}", name_tok.pos,
                             name_tok.pos + len(name_tok.text), source=self.text)
        open_tok = self.take("(")
        self.enter()
        args = []
        if self.tok.text == ")":
            raise self.error(f"{name_tok.text}() needs an argument")
        args.append(self.sum())
        while self.take(","):
            args.append(self.sum())
        self.depth -= 1
        if self.tok.text != ")":
            if self.tok.kind == "end":
                raise ParseError("unbalanced '(': no ')' closes it", open_tok.pos, source=self.text)
            raise self.error(f"expected ',' or ')' in the call of {name_tok.text}, "
                             f"found {self.describe(self.tok)}")
        close = self.take(")")
        want = FUNCTIONS.get(name, 1)
        if len(args) != want:
            raise ParseError(f"{name_tok.text} takes {want} argument{'s' if want > 1 else ''}, "
                             f"got {len(args)}", name_tok.pos, close.pos + 1, source=self.text)
        return Node("call", name_tok.pos, close.pos + 1, args, value=name)


def parse(text: str, max_length: int = DEFAULT_MAX_LENGTH, max_depth: int = DEFAULT_MAX_DEPTH) -> Node:
    """Parse an expression into an untyped ``Node`` tree, or raise ``ParseError``/``LimitError``."""
    if not isinstance(text, str):
        raise ParseError(f"an expression must be a string, not {type(text).__name__}")
    if len(text) > max_length:
        raise LimitError(f"expression too large: {len(text)} characters (the limit is {max_length})",
                         max_length, source=text[:200])
    return Parser(text, max_depth).parse()
