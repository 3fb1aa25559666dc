"""The fuzzer's code mode (``fuzz.py --code numpy,jax,torch``): every case that derives is
also compiled (``md.compile``) in each backend, and the generated value and derivative are
compared with central finite differences of the ORIGINAL expression (the case's own NumPy
reference, not ``r.evaluate``).  On a sample of cases the standalone module of ``r.code()``
is run and its own finite-difference self-test must pass.  Each case is also asked for its
steps (text and LaTeX) and for ``md.check`` of its own answer, which must hold.

Outcomes per target (a backend, ``<backend> module``, ``steps``, ``check``): ``ok``,
``refused`` (a MatdiffError: a clear refusal; or NaN from the compiled code exactly where
``r.evaluate`` says the formula is undefined at the point drawn, as for ``x/norm2(x)`` at a
zero vector), ``skipped`` (finite differences unreliable,
or the module's example data outside the domain), ``wrong``, ``crash`` (any other
exception) and ``hang``.  JAX runs with 64-bit floats (``jax_enable_x64``), as the
tolerances are those of float64, and without ``jax.jit`` (the same code, traced once less).
"""
from __future__ import annotations

import signal
from contextlib import contextmanager

import numpy as np
from fuzz_check import TOLS, Hang, Outcome, _exc_detail, _on_alarm, reference, rel_err, shrink
from fuzz_gen import Case
from support.variables import VARS, values

import matdiff as md
from matdiff.errors import MatdiffError

BACKENDS = ("numpy", "jax", "torch")
STATUSES = ("ok", "refused", "skipped", "wrong", "crash", "hang")


def setup(backends) -> None:
    if "jax" in backends:
        import jax
        jax.config.update("jax_enable_x64", True)


@contextmanager
def _guard(timeout):
    old = signal.signal(signal.SIGALRM, _on_alarm)
    if timeout:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _run(fn, timeout) -> Outcome:
    """``fn()`` returns an Outcome; exceptions become refused / crash / hang."""
    try:
        with _guard(timeout), np.errstate(all="ignore"):
            return fn()
    except Hang:
        return Outcome("hang", "", f"over {timeout:g} s")
    except MatdiffError as exc:
        return Outcome("refused", "", _exc_detail(exc))
    except RecursionError as exc:
        return Outcome("crash", "", f"RecursionError: {str(exc)[:100]}")
    except Exception as exc:  # noqa: BLE001 - every other exception is a crash
        return Outcome("crash", "", _exc_detail(exc))


def _numpy(a) -> np.ndarray:
    if hasattr(a, "detach"):          # a torch tensor
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=float)


def claim_text(case: Case, answer: str) -> str:
    d = f"d/d{case.wrt}" if case.order == 1 else f"d{case.order}/d{case.wrt}{case.order}"
    return f"{d} {case.text} = {answer}"


def compiled_outcome(case: Case, backend: str, env: dict, want) -> Outcome:
    f = md.compile(case.text, wrt=case.wrt, vars=VARS, backend=backend, order=case.order,
                   layout=case.layout, jit=False)
    out = f(**{p: env[p] for p in f.params})
    value, deriv = _numpy(out[0]), _numpy(out[-1])
    f0 = np.asarray(case.expr.fn(env), dtype=float)
    if value.shape != f0.shape or not np.all(np.isfinite(value)) or rel_err(value, f0) > 1e-8:
        return Outcome("wrong", "value", f"compiled value {value.ravel()[:4]} differs from the "
                                         f"expression's {f0.ravel()[:4]}")
    if deriv.shape != want.shape:
        return Outcome("wrong", "shape", f"compiled derivative has shape {deriv.shape}, "
                                         f"expected {want.shape}")
    err = rel_err(deriv, want)
    if not np.all(np.isfinite(deriv)):
        undefined = _undefined_at_point(case, env)
        if undefined is not None:   # as the printed path counts it (fuzz_check.py): refused
            return Outcome("refused", "derivative", f"NaN where the derivative's formula is "
                                                    f"undefined at the point drawn: {undefined}")
    if not np.all(np.isfinite(deriv)) or err > 10 * TOLS[case.order]:
        return Outcome("wrong", "derivative", f"relative error {err:.3g} against finite differences")
    return Outcome("ok")


def _undefined_at_point(case: Case, env: dict) -> str | None:
    """r.evaluate's EvaluationError where the formula is undefined at the point (norm2 of a
    zero array, 0/0), else None: NaN from compiled code is then the same answer, unsigned."""
    r = md.derivative(case.text, wrt=case.wrt, vars=VARS, order=case.order, layout=case.layout)
    try:
        r.evaluate(**env)
    except md.EvaluationError as exc:
        return _exc_detail(exc)
    return None


def module_outcome(r, backend: str) -> Outcome:
    text = r.code(backend)
    ns: dict = {"__name__": "matdiff_generated"}
    exec(compile(text, "<r.code()>", "exec"), ns)  # noqa: S102 - the module under test
    try:
        ns["check"]()
    except AssertionError as exc:
        if "no example data" in str(exc):
            return Outcome("skipped", "self-test", str(exc)[:200])
        return Outcome("wrong", "self-test", str(exc)[:300])
    return Outcome("ok")


def steps_outcome(r) -> Outcome:
    s = r.steps
    if not (isinstance(s.text, str) and s.text and isinstance(s.latex, str) and s.latex):
        return Outcome("wrong", "steps", "empty steps")
    return Outcome("ok")


def check_outcome(case: Case, r) -> Outcome:
    v = md.check(claim_text(case, r.text), vars=VARS, layout=case.layout)
    if not bool(v):
        return Outcome("wrong", "check", f"md.check of its own answer fails: {v.diagnosis}: "
                                         f"{str(v.detail)[:200]}")
    return Outcome("ok")


def check_case(case: Case, backends, timeout, module: bool) -> dict:
    """{target: Outcome} for one case."""
    targets = list(backends) + [f"{b} module" for b in backends if module] + ["steps", "check"]
    env = values(case.values_seed)
    want = reference(case.expr, env, case.wrt, case.layout, case.order)
    if want is None:
        return {t: Outcome("skipped") for t in targets}
    holder = {}

    def derive():
        holder["r"] = md.derivative(case.text, wrt=case.wrt, vars=VARS, layout=case.layout,
                                    order=case.order)
        return Outcome("ok")

    got = _run(derive, timeout)
    if got.status != "ok":       # not derived: nothing to compile (the plain fuzzer judges it)
        return {t: Outcome(got.status, "derivative", got.detail) for t in targets}
    r = holder["r"]
    res = {}
    for b in backends:
        res[b] = _run(lambda b=b: compiled_outcome(case, b, env, want), timeout)
        if module:
            res[f"{b} module"] = _run(lambda b=b: module_outcome(r, b), timeout)
    res["steps"] = _run(lambda: steps_outcome(r), timeout)
    res["check"] = _run(lambda: check_outcome(case, r), timeout)
    return res


def check_target(case: Case, target: str, timeout) -> Outcome:
    """The outcome of one target of ``check_case`` alone (what shrinking asks of a candidate)."""
    backend, _, module = target.partition(" ")
    backends = [] if target in ("steps", "check") else [backend]
    return check_case(case, backends, timeout, bool(module)).get(target, Outcome("skipped"))


def shrunk(case: Case, target: str, out: Outcome, timeout) -> tuple[Case, Outcome]:
    """A smaller case on which ``target`` fails the same way (fuzz_check.shrink), with its
    outcome; the case itself where nothing smaller does."""
    budget = 10 if out.status == "hang" else 150     # each candidate compiles the target again
    small = shrink(case, out, timeout, budget, check=lambda c, t: check_target(c, target, t))
    if small is case:
        return case, out
    small_out = check_target(small, target, timeout)
    return (small, small_out) if small_out.failed else (case, out)


def failure_record(case: Case, target: str, out: Outcome, original: Case | None = None) -> dict:
    return {"target": target, "expr": case.text, "wrt": case.wrt, "layout": case.layout,
            "order": case.order, "kind": out.status, "phase": out.phase, "detail": out.detail,
            "case": case.index, "seed": case.seed, "values_seed": case.values_seed,
            "vars": {k: VARS[k] for k in sorted(case.expr.names() | {case.wrt})},
            "original_expr": (original or case).text}

