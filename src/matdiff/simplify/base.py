"""What every simplifier stage shares: the sort key, the token count and the time limit."""
from __future__ import annotations

import re

from .. import clock
from ..expr import Expr, Power
from ..render.text import to_text

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+\.?\d*(?:[eE]-?\d+)?|\.\*|\./|\.\^|[-+*/^']")


def key(e: Expr) -> str:
    return to_text(e)


def hadamard_order(parts) -> list[Expr]:
    """The canonical order of a Hadamard product's factors: divisors last, else by text, so
    that ``A .* A'`` and ``A' .* A`` (a transposed ``A .* A'``) are one expression."""
    return sorted(parts, key=lambda p: (isinstance(p, Power) and p.exp < 0, key(p)))


def size(e: Expr) -> int:
    """Tokens of the printed form, as the corpus counts them (no parentheses)."""
    return len(_TOKEN.findall(to_text(e)))


_deadline: list[float | None] = [None]


def check_time() -> None:
    clock.tick()       # simplifying inside a printing (the index form's atoms) is printing
    if clock.expired(_deadline[0]):
        from ..errors import LimitError
        raise LimitError("simplifying the derivative takes too long (over the time limit); "
                         "raise max_seconds to allow it")
