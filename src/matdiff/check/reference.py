"""matdiff's own answer, the reference a claim is compared with.

The check package reaches the derivation pipeline only through these functions, so that
moving from the public facade (``api``) to the engine is a change to this file alone.
The imports are made at call time: ``api`` itself reaches the check package (through
``steps``), and importing it here at load time would make a circle.
"""
from __future__ import annotations

import dataclasses


def derivative(expression: str, wrt, **kw):
    """matdiff's derivative (an ``api.Result``), with ``api.derivative``'s arguments."""
    from ..api import derivative as derive
    return derive(expression, wrt, **kw)


def evaluate_text(text: str, **kw):
    """The value of an expression given as text (``api.evaluate``), e.g. an index-notation claim."""
    from ..api import evaluate
    return evaluate(text, **kw)


def unstructured(options):
    """These options with the symmetric/diagonal structure rules switched off."""
    from ..api import Options
    return dataclasses.replace(options or Options(), structured=False)


def layout_free(f_axes: int, x_axes: int, layout: str, free: tuple):
    """How ``layout`` shows a derivative with these axes: (the free indices in the order
    shown, whether it is shown as a row)."""
    from ..api import _layout_free
    return _layout_free(f_axes, x_axes, layout, free)


def max_order(options) -> int:
    """The highest order of derivative these options allow."""
    from ..api import Options
    return (options or Options()).max_order
