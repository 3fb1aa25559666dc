"""The verdict on a claim, and the counterexample that shows a failing one."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .claim import Claim


def _fmt_array(a) -> str:
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    return np.array2string(a, precision=4, suppress_small=True, max_line_width=96)


@dataclass
class Counterexample:
    """Inputs at which the claim and matdiff's answer differ."""
    inputs: dict                 # variable -> value
    dims: dict                   # symbolic dimension -> size
    claimed: object              # the claim's value (None when it has the wrong shape)
    correct: object              # matdiff's value
    max_difference: float | None  # largest absolute difference (None: shapes differ)
    where: tuple | None = None    # index of the largest difference
    shapes: str = ""              # why the values cannot agree (a row is not a column, ...)

    def __str__(self) -> str:
        lines = []
        if self.dims:
            lines.append("sizes: " + ", ".join(f"{k}={v}" for k, v in self.dims.items()))
        for name, value in self.inputs.items():
            text = _fmt_array(value)
            if "\n" in text:
                lines.append(f"{name} =")
                lines += ["    " + row for row in text.split("\n")]
            else:
                lines.append(f"{name} = {text}")
        if self.shapes:
            lines.append(self.shapes)
        elif self.max_difference is None:
            lines.append(f"the claim has shape {np.shape(self.claimed)}, matdiff's answer "
                         f"{np.shape(self.correct)}")
        else:
            at = f" at {list(self.where)}" if self.where else ""
            c = np.asarray(self.claimed, float)[self.where] if self.where else self.claimed
            r = np.asarray(self.correct, float)[self.where] if self.where else self.correct
            lines.append(f"largest difference {self.max_difference:.4g}{at}: claim "
                         f"{float(c):.6g}, matdiff {float(r):.6g}")
        return "\n".join(lines)


@dataclass
class Verdict:
    """Whether a claimed derivative holds; truthy exactly when it does."""
    claim: Claim
    holds: bool
    kind: str                    # stable key: holds, layout, transposed, factor, sign, order, ...
    diagnosis: str               # short readable diagnosis ("holds", "wrong sign", ...)
    method: str                  # "symbolic" or "numeric"
    correct: object              # matdiff's answer (an api.Result) in the claim's layout
    counterexample: Counterexample | None = None
    detail: str = ""             # one more sentence about the diagnosis
    trials: int = 0              # random inputs compared
    max_difference: float = 0.0  # largest |claim - matdiff| over the inputs (when shapes agree)
    verified: float = 0.0        # matdiff's own answer vs finite differences (relative error)

    def __bool__(self) -> bool:
        return self.holds

    @property
    def layout(self) -> str:
        return self.claim.layout

    def report(self) -> str:
        c = self.claim
        layout = c.layout + " layout" + (f", the d/d{c.wrt}' form" if c.transposed_wrt else "")
        how = "symbolically" if self.method == "symbolic" else "numerically"
        lines = [f"claim:    {c}   [{layout}]"]
        if self.holds:
            extra = (f"simplified difference is 0; also at {self.trials} random inputs"
                     if self.method == "symbolic" else
                     f"at {self.trials} random inputs with distinct dimensions, largest "
                     f"difference {self.max_difference:.2g}")
            lines.append(f"verdict:  holds ({how}: {extra})")
            return "\n".join(lines)
        lines.append(f"verdict:  fails ({how}) - {self.diagnosis}")
        if self.detail:
            lines.append(f"          {self.detail}")
        lines.append(f"matdiff:  {self.correct.text}")
        if self.counterexample is not None:
            lines.append("counterexample:")
            lines += ["  " + line for line in str(self.counterexample).split("\n")]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def to_dict(self) -> dict:
        ce = self.counterexample
        return {
            "claim": str(self.claim), "expression": self.claim.expression, "wrt": self.claim.wrt,
            "order": self.claim.order, "layout": self.claim.layout, "claimed": self.claim.result,
            "holds": self.holds, "kind": self.kind, "diagnosis": self.diagnosis,
            "detail": self.detail, "method": self.method, "correct": self.correct.text,
            "trials": self.trials,
            "counterexample": None if ce is None else {
                "dims": ce.dims,
                "inputs": {k: np.asarray(v, float).tolist() for k, v in ce.inputs.items()},
                "claimed": None if ce.claimed is None else np.asarray(ce.claimed, float).tolist(),
                "correct": np.asarray(ce.correct, float).tolist(),
                "max_difference": ce.max_difference,
            },
        }
