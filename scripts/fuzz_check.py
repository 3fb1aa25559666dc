"""The fuzzer's checks: one case against central finite differences of the original
expression (``check``), and the shrinking of a failure to a minimal reproducer (``shrink``).
scripts/fuzz.py describes the outcomes.
"""
from __future__ import annotations

import os
import signal
import traceback
import warnings
from dataclasses import dataclass

import numpy as np
from fuzz_gen import Case, Ex, _resolve
from support import fd
from support.variables import MATRICES, SCALARS, STRUCTURE, VARS, VECTORS, values

import matdiff as md
from matdiff.errors import EvaluationError, LimitError, NotSupportedError

# finite differences: step and tolerance (relative to max(1, max|reference|)) per order
STEPS = {1: 1e-3, 2: 2e-3}
TOLS = {1: 1e-5, 2: 2e-4}
TEXT_TOL = 1e-8        # r.evaluate vs md.evaluate(r.text): the same numbers up to rounding
BIG = 1e6              # values or derivatives beyond this: the case says nothing (skipped)


# ---- finite differences -------------------------------------------------------------

def rel_err(got, want) -> float:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return float(np.max(np.abs(got - want), initial=0.0)) / max(1.0, float(np.max(np.abs(want), initial=0.0)))


def reference(e: Ex, env: dict, wrt: str, layout: str, order: int):
    """The FD derivative in ``layout``, or None where it is unreliable or out of range."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            f0 = np.asarray(e.fn(env), dtype=float)
            if not np.all(np.isfinite(f0)) or np.max(np.abs(f0), initial=0) > BIG:
                return None
            h = STEPS[order]
            t1 = fd.canonical(e.fn, env, [wrt] * order, h, STRUCTURE)
            t2 = fd.canonical(e.fn, env, [wrt] * order, 2 * h, STRUCTURE)
        except (np.linalg.LinAlgError, ArithmeticError, ValueError, TypeError):
            return None         # TypeError: a complex value (a fractional power of a negative)
    if not (np.all(np.isfinite(t1)) and np.all(np.isfinite(t2))):
        return None
    if np.max(np.abs(t1), initial=0) > BIG or rel_err(t2, t1) > TOLS[order]:
        return None                               # steep or kinked here: FD says nothing
    x_ndim = np.ndim(env[wrt])
    return fd.present(t1, t1.ndim - x_ndim, x_ndim, layout)


# ---- one case ---------------------------------------------------------------------------

class Hang(BaseException):
    """Raised by the interval timer; a BaseException so that no ``except Exception`` eats it."""


def _on_alarm(signum, frame):
    raise Hang()


@dataclass
class Outcome:
    status: str                 # ok refused skipped wrong crash hang
    phase: str = ""             # derivative evaluate shape text
    detail: str = ""
    form: str = ""              # of a derived result: closed | index (at most 2 indices) | index3

    @property
    def failed(self) -> bool:
        return self.status in ("wrong", "crash", "hang")

    def same_failure(self, other: "Outcome") -> bool:
        return self.status == other.status and self.phase == other.phase and \
            self.detail.split(":")[0] == other.detail.split(":")[0]


def _exc_detail(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = next((f"{os.path.basename(f.filename)}:{f.lineno} in {f.name}" for f in reversed(tb)
                  if "matdiff" in f.filename), "")
    msg = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {msg}" + (f" [{where}]" if where else "")


def result_form(r) -> str:
    """closed (a matrix form), index (index notation with at most 2 indices) or index3."""
    if r.expr is not None:
        return "closed"
    return "index" if len(r.shape) <= 2 else "index3"


def _form_of_shape(want) -> str:
    """Of a refused case: "refused" where the derivative has at most 2 indices, else "refused3"."""
    return "refused" if np.ndim(want) <= 2 else "refused3"


def _check(case: Case, timeout: float | None) -> Outcome:
    env = values(case.values_seed)
    want = reference(case.expr, env, case.wrt, case.layout, case.order)
    if want is None:
        return Outcome("skipped")
    phase = "derivative"
    old = signal.signal(signal.SIGALRM, _on_alarm)
    if timeout:                                  # None or 0: no hang guard (the tests)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            r = md.derivative(case.text, wrt=case.wrt, vars=VARS, layout=case.layout,
                              order=case.order)
        except (NotSupportedError, LimitError) as exc:
            return Outcome("refused", phase, _exc_detail(exc), _form_of_shape(want))
        form = result_form(r)
        phase = "evaluate"
        try:
            with np.errstate(all="ignore"):
                got = r.evaluate(**env)
        except EvaluationError as exc:
            # a clear one-line refusal where the closed form is undefined at this point
            # (norm2 at 0, inv of a singular matrix), not a wrong value
            return Outcome("refused", phase, _exc_detail(exc), form)
        got = np.asarray(got, dtype=float)
        if got.shape != want.shape:
            return Outcome("wrong", "shape", f"r.evaluate has shape {got.shape}, expected {want.shape} "
                                             f"(r.text = {r.text!r})")
        err = rel_err(got, want)
        if not np.all(np.isfinite(got)) or err > 10 * TOLS[case.order]:
            return Outcome("wrong", "evaluate", f"relative error {err:.3g} against finite "
                                                f"differences (r.text = {r.text!r})")
        phase = "shape"
        if _resolve(r.shape) != want.shape:
            return Outcome("wrong", "shape", f"r.shape {r.shape} is not {want.shape} "
                                             f"(r.text = {r.text!r})")
        phase = "text"
        try:
            text = r.text        # a LimitError here (max_print, max_seconds) is a clear refusal
        except LimitError as exc:
            return Outcome("refused", phase, _exc_detail(exc), form)
        try:
            with np.errstate(all="ignore"):
                again = np.asarray(md.evaluate(text, vars=VARS, shape=want.shape, **env), dtype=float)
        except LimitError as exc:     # a text longer than the parser's input cap: refused clearly
            return Outcome("refused", phase, _exc_detail(exc), form)
        if again.size != got.size or rel_err(again.reshape(got.shape), got) > TEXT_TOL:
            return Outcome("wrong", "text", f"md.evaluate(r.text) differs from r.evaluate "
                                            f"(r.text = {text!r})")
        return Outcome("ok", form=form)
    except Hang:
        return Outcome("hang", phase, f"over {timeout:g} s")
    except RecursionError as exc:  # the stack is deep here: keep the report short
        return Outcome("crash", phase, f"RecursionError: {str(exc)[:100]}")
    except Exception as exc:  # noqa: BLE001 - every other exception is a crash
        return Outcome("crash", phase, _exc_detail(exc))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ---- shrinking ----------------------------------------------------------------------------

def _leaves_for(shape, wrt: str) -> list[Ex]:
    out = []
    if shape == ():
        out.append(Ex("var", (), param=wrt) if VARS[wrt] == "scalar" else Ex("lit", (), param="2"))
        out += [Ex("var", (), param=s) for s in SCALARS if s != wrt]
        out.append(Ex("lit", (), param="2"))
    elif len(shape) == 1:
        out += [Ex("var", shape, param=v) for v in VECTORS[shape[0]]]
    elif len(shape) == 2 and "?" not in shape:
        out += [Ex("var", shape, param=v) for v in MATRICES.get(shape, ())]
        out += [Ex("transpose", shape, (Ex("var", shape[::-1], param=v),), "'")
                for v in MATRICES.get(shape[::-1], ())]
    out.sort(key=lambda e: 0 if wrt in e.names() else 1)
    return out


def shrink(case: Case, outcome: Outcome, timeout: float | None, budget: int = 400,
           check=None) -> Case:
    """A smaller case that fails the same way: replace sub-expressions by leaves or by one
    of their operands of the same shape, then try the mixed layout and order 1.  At most
    ``budget`` candidates are checked (a count, so the result does not depend on speed).
    ``check(case, timeout) -> Outcome`` judges a candidate (default: the symbolic check)."""
    checks = [0]
    check = check or _check

    def still_fails(c: Case) -> bool:
        if c.wrt not in c.expr.names() and c.wrt not in VARS:
            return False
        checks[0] += 1
        return check(c, timeout).same_failure(outcome)

    best = case
    improved = True
    while improved and checks[0] < budget:
        improved = False
        for node in list(best.expr.nodes()):
            if checks[0] >= budget:
                break
            if node.op in ("var", "lit"):
                continue
            candidates = [a for a in node.args if a.shape == node.shape]
            candidates += _leaves_for(node.shape, best.wrt)
            for cand in candidates:
                e = best.expr.replace(node, cand)
                if e.size() >= best.expr.size():
                    continue
                c = Case(e, best.wrt, best.layout, best.order, best.values_seed, best.index, best.seed)
                if still_fails(c):
                    best, improved = c, True
                    break
            if improved:
                break
    for layout in ("mixed",):
        if best.layout != layout:
            c = Case(best.expr, best.wrt, layout, best.order, best.values_seed, best.index, best.seed)
            if still_fails(c):
                best = c
    if best.order != 1:
        c = Case(best.expr, best.wrt, best.layout, 1, best.values_seed, best.index, best.seed)
        if still_fails(c):
            best = c
    return best


def reproducer(case: Case, original: Case, outcome: Outcome) -> dict:
    env = values(case.values_seed)
    names = sorted(case.expr.names() | {case.wrt})
    return {
        "expr": case.text, "vars": {k: VARS[k] for k in names}, "wrt": case.wrt,
        "layout": case.layout, "order": case.order, "kind": outcome.status,
        "phase": outcome.phase, "detail": outcome.detail,
        "values": {k: np.asarray(env[k]).tolist() for k in names},
        "case": case.index, "seed": case.seed, "values_seed": case.values_seed,
        "original_expr": original.text,
    }
