"""matdiff's own answer, the reference a claim is compared with.

The check package reaches the derivation pipeline only through these functions: the
engine (a ``Derivation``), never the public facade ``api``, which sits above this package.
"""
from __future__ import annotations

import dataclasses

from .. import engine, layouts
from ..engine import Options


def derivative(expression: str, wrt, **kw):
    """matdiff's derivative (an ``engine.Derivation``), with ``md.derivative``'s arguments."""
    return engine.derivative(expression, wrt, **kw)


def evaluate_text(text: str, **kw):
    """The value of an expression given as text (``md.evaluate``), e.g. an index-notation claim."""
    return engine.evaluate_text(text, **kw)


def unstructured(options):
    """These options with the symmetric/diagonal structure rules switched off."""
    return dataclasses.replace(options or Options(), structured=False)


def layout_free(f_axes: int, x_axes: int, layout: str, free: tuple):
    """How ``layout`` shows a derivative with these axes: (the free indices in the order
    shown, whether it is shown as a row)."""
    return layouts.layout_free(f_axes, x_axes, layout, free)


def max_order(options) -> int:
    """The highest order of derivative these options allow."""
    return (options or Options()).max_order
