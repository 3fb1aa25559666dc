"""Every error matdiff reports to a user: one line, with the place in the input.

All are ``MatdiffError`` subclasses; the CLI prints ``err.for_surface("cli")`` and exits 2.
"""
from __future__ import annotations


class MatdiffError(ValueError):
    """Base class. ``pos``/``end`` are 0-based offsets into ``source`` (or None)."""

    def __init__(self, message: str, pos: int | None = None, end: int | None = None,
                 source: str | None = None, fix: tuple[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.end = end if end is not None else (pos + 1 if pos is not None else None)
        self.source = source
        self.fix = fix  # (name, declaration) that makes the input type, shown in ``message``

    @property
    def column(self) -> int | None:
        return None if self.pos is None else self.pos + 1

    def message_for(self, surface: str) -> str:
        """``message`` with its fix written for the surface in use: ``"api"`` (as in
        ``message``: ``vars={...}``), ``"cli"`` (``--var '...'``), ``"web"`` or
        ``"web-claim"`` (``declaration_text``)."""
        if self.fix is None or surface == "api":
            return self.message
        return self.message.replace(declaration_text(*self.fix, "api"),
                                    declaration_text(*self.fix, surface))

    def for_surface(self, surface: str) -> str:
        """``str(self)`` with the fix written for the surface in use (``message_for``)."""
        return self._with_place(self.message_for(surface))

    def __str__(self) -> str:
        return self._with_place(self.message)

    def _with_place(self, message: str) -> str:
        message = " ".join(str(message).split())  # always one line
        if self.pos is None or self.source is None:
            return message
        src = self.source
        pos = min(max(self.pos, 0), len(src))
        if len(src) > 60:  # show a window around the place, not a 200 kB line
            lo = max(0, pos - 25)
            hi = min(len(src), max(self.end or pos, pos) + 25, lo + 80)
            snippet = ("…" if lo else "") + src[lo:hi] + ("…" if hi < len(src) else "")
        else:
            snippet = src
        snippet = "".join(ch if ch.isprintable() else "?" for ch in snippet)
        return f"{message} (column {pos + 1} of {snippet!r})"


def declaration_text(name: str, declaration: str, surface: str = "api") -> str:
    """How a user declares ``name`` on each surface: ``vars={"mu": "vector(n)"}`` in Python,
    ``--var 'mu: vector(n)'`` on the command line, the Variables table on the web page
    (``"web"``), the declarations field of its Check tab (``"web-claim"``)."""
    if surface == "cli":
        return f"--var '{name}: {declaration}'"
    if surface == "web":
        return f"in the Variables table, choose {declaration.split('(')[0]} for {name}"
    if surface == "web-claim":  # the page's Check tab: a declarations field
        return f"add '{name}: {declaration}' to the declarations"
    return f'vars={{"{name}": "{declaration}"}}'


class ParseError(MatdiffError):
    """The text is not in the language."""


class DeclarationError(MatdiffError):
    """A variable declaration such as ``A: matrix(n,n) symmetric`` is malformed."""


class ShapeError(MatdiffError):
    """Operands whose shapes cannot agree."""


class UnknownNameError(MatdiffError):
    """A name that is neither a function, a constant nor a variable where one is needed."""


class LimitError(MatdiffError):
    """The input or the derivation exceeds a configured limit."""


class NotSupportedError(MatdiffError):
    """matdiff cannot (yet) do this; it says so rather than guess."""


class EvaluationError(MatdiffError):
    """Numbers given to ``evaluate`` do not fit, or the value is undefined (singular, log of a negative)."""


class UnsizedError(EvaluationError):
    """A constant (``I``, ``ones``, ``0``) that nothing sizes: ``shape=`` would."""
