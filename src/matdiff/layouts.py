"""The three layouts: how a derivative's canonical array T is shown (docs/guide.md, layouts).

T has the axes of F, then those of X (docs/language.md §3).  *mixed* shows T as it is
(a gradient has X's shape); *numerator* transposes a scalar-by-matrix derivative
and shows a scalar-by-vector one as a row; *denominator* transposes a
vector-by-vector Jacobian and shows a vector-by-scalar one as a row.  With three
or more axes every layout shows T as it is.  This module is the only place that
knows these facts.
"""
from __future__ import annotations

import numpy as np

from .errors import DeclarationError

LAYOUTS = ("mixed", "numerator", "denominator")


def check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise DeclarationError(f"unknown layout {layout!r} (use mixed, numerator or denominator)")
    return layout


def layout_free(f_axes: int, x_axes: int, layout: str, free: tuple[str, ...]):
    """Order of the result's indices for a layout, and whether to show it as a row."""
    check_layout(layout)
    if f_axes + x_axes > 2:
        return free, False
    as_row = False
    if layout == "numerator" and f_axes == 0 and x_axes == 2:
        free = (free[1], free[0])
    if layout == "denominator" and f_axes == 1 and x_axes == 1:
        free = (free[1], free[0])
    if layout == "numerator" and f_axes == 0 and x_axes == 1:
        as_row = True
    if layout == "denominator" and f_axes == 1 and x_axes == 0:
        as_row = True
    return free, as_row


def shows_transposed(layout: str, f_axes: int, x_axes: int) -> bool:
    """Whether a layout shows the canonical 2-axis derivative transposed."""
    shown, _ = layout_free(f_axes, x_axes, layout, ("a", "b")[:f_axes + x_axes])
    return f_axes + x_axes == 2 and shown != ("a", "b")


def layout_transposed(result) -> bool:
    """Whether the result's layout shows the canonical 2-index array transposed."""
    return len(result.free) == 2 and tuple(result.free) != tuple(result.tensor.free)


def canonical_value(result, value) -> np.ndarray:
    """A value of ``result.evaluate`` as the canonical array T (docs/language.md §3)."""
    a = np.asarray(value, dtype=float)
    return a.T if layout_transposed(result) else a
