"""Every error matdiff reports to a user: one line, with the place in the input.

All are ``MatdiffError`` subclasses; the CLI prints ``str(err)`` and exits 2.
"""
from __future__ import annotations


class MatdiffError(ValueError):
    """Base class. ``pos``/``end`` are 0-based offsets into ``source`` (or None)."""

    def __init__(self, message: str, pos: int | None = None, end: int | None = None,
                 source: str | None = None):
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.end = end if end is not None else (pos + 1 if pos is not None else None)
        self.source = source

    @property
    def column(self) -> int | None:
        return None if self.pos is None else self.pos + 1

    def __str__(self) -> str:
        message = " ".join(str(self.message).split())  # always one line
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
