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
    reference: str = "matdiff"    # what gave the correct value (or "finite differences")

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
            who = "matdiff's answer" if self.reference == "matdiff" else self.reference
            lines.append(f"the claim has shape {np.shape(self.claimed)}, {who} "
                         f"{np.shape(self.correct)}")
        else:
            at = f" at {list(self.where)}" if self.where else ""
            c = np.asarray(self.claimed, float)[self.where] if self.where else self.claimed
            r = np.asarray(self.correct, float)[self.where] if self.where else self.correct
            lines.append(f"largest difference {self.max_difference:.4g}{at}: claim "
                         f"{float(c):.6g}, {self.reference} {float(r):.6g}")
        return "\n".join(lines)


@dataclass
class Verdict:
    """Whether a claimed derivative holds; truthy exactly when it does."""
    claim: Claim
    holds: bool
    kind: str                    # stable key: holds, layout, transposed, factor, sign, order, ...
    diagnosis: str               # short readable diagnosis ("holds", "wrong sign", ...)
    method: str                  # "symbolic" or "numeric"
    correct: object              # matdiff's answer (an engine.Derivation) in the claim's layout,
                                 # None when matdiff has none (see no_symbolic)
    counterexample: Counterexample | None = None
    detail: str = ""             # one more sentence about the diagnosis
    trials: int = 0              # random inputs compared
    max_difference: float = 0.0  # largest |claim - matdiff| over the inputs (when shapes agree)
    verified: float = 0.0        # matdiff's own answer vs finite differences (relative error)
    no_symbolic: str = ""        # why matdiff has no derivative of its own; the verdict then
                                 # compares the claim with central finite differences alone

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
            if self.no_symbolic:
                extra += "; matdiff has no symbolic form to compare"
            lines.append(f"verdict:  holds ({how}: {extra})")
            if self.no_symbolic:
                lines.append(f"matdiff:  {self._no_symbolic_text()}")
            return "\n".join(lines)
        lines.append(f"verdict:  fails ({how}) - {self.diagnosis}")
        if self.detail:
            lines.append(f"          {self.detail}")
        answer = self._no_symbolic_text() if self.no_symbolic else self.correct.text
        lines.append(f"matdiff:  {answer}")
        if self.counterexample is not None:
            lines.append("counterexample:")
            lines += ["  " + line for line in str(self.counterexample).split("\n")]
        return "\n".join(lines)

    def _no_symbolic_text(self) -> str:
        return (f"no symbolic form ({' '.join(self.no_symbolic.split())}); the claim was "
                f"compared with central finite differences of {self.claim.expression}")

    def __str__(self) -> str:
        return self.report()

    def to_dict(self) -> dict:
        """The verdict as JSON-ready data; ``correct`` is None and ``no_symbolic_form`` says
        why when matdiff has no derivative of its own."""
        ce = self.counterexample
        extra = {"no_symbolic_form": self.no_symbolic} if self.no_symbolic else {}
        return {
            "claim": str(self.claim), "expression": self.claim.expression, "wrt": self.claim.wrt,
            "order": self.claim.order, "layout": self.claim.layout, "claimed": self.claim.result,
            "holds": self.holds, "kind": self.kind, "diagnosis": self.diagnosis,
            "detail": self.detail, "method": self.method,
            "correct": None if self.correct is None else self.correct.text,
            "trials": self.trials,
            "counterexample": None if ce is None else {
                "dims": ce.dims,
                "inputs": {k: np.asarray(v, float).tolist() for k, v in ce.inputs.items()},
                "claimed": None if ce.claimed is None else np.asarray(ce.claimed, float).tolist(),
                "correct": np.asarray(ce.correct, float).tolist(),
                "max_difference": ce.max_difference,
            },
            **extra,
        }


def counterexample(samples: list, claimed: list, correct: list, diffs: list,
                   reference: str = "matdiff") -> Counterexample:
    """The input with the largest difference (any input whose shapes differ comes first)."""
    best = max(range(len(diffs)), key=lambda i: -1 if diffs[i] is None else diffs[i])
    s = samples[best]
    a, b = claimed[best], correct[best]
    where = None
    if diffs[best] is not None and a.ndim:
        where = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(a - b)), a.shape))
    return Counterexample(inputs=s.arrays, dims=s.dims, claimed=a, correct=b,
                          max_difference=diffs[best], where=where, reference=reference)
