#!/usr/bin/env python3
"""Fuzz matdiff with random well-typed expressions, against finite differences.

    PYTHONPATH=src python scripts/fuzz.py --n 100000 --seed 1 --timeout 10 --out fuzz-failures.jsonl

Each case is a random expression (as TEXT, the way a user types it) over
every operator and function of LANGUAGE.md §1 — ``+ - * .* ⊙ ./ / ^ .^ '
.T``, unary ``-``/``+``, ``tr det logdet inv diag sum norm2 norm1 vec exp
log sin cos tan tanh sqrt abs sigmoid relu sign arcsin arccos arctan log1p softplus adj softmax logsumexp expm
kron``, the commutation matrix ``K(a,b)``, the constants ``I``/``eye``/``ones``/``vector(c)``/
``matrix(c)`` and literal numbers, a scalar broadcast over a vector or matrix (``1 + exp(e)``,
``1 - sigmoid(e)``, ``alpha - X``) and Hadamard factors inside products, traces and sums
(``sum(A*exp(X))``, ``norm2(W2*tanh(W1*X) - Y)^2``, ``x'*((x*x') .* C)*x``) — mixing
scalars, vectors, square and non-square matrices with symbolic dimensions (m=3, n=4, p=2),
and a declared ``spd`` matrix.
Inputs are kept in their domains: ``log``/``sqrt``/``./``/negative and
fractional powers only of positive expressions, ``inv``/``det``/``logdet``
only of well-conditioned symmetric positive definite ones.  Each expression
carries a NumPy reference.

For each case, in a random layout, of order 1 or 2:

* ``md.derivative`` evaluated at random values must equal the central
  finite-difference derivative (float64, relative tolerance), presented in
  that layout, with the symbolic ``r.shape``;
* ``md.evaluate(r.text, ...)`` must equal ``r.evaluate(...)`` (the printed
  closed form is re-parsed and re-evaluated).

Outcomes: ``ok``; ``refused`` (NotSupportedError / LimitError, or an EvaluationError from
``r.evaluate`` where the closed form is undefined at the point drawn, e.g. norm2 at 0:
acceptable, a clear refusal);
``skipped`` (the finite differences themselves are unreliable there: two
step sizes disagree, or the values overflow); ``wrong`` (a wrong answer);
``crash`` (any other exception); ``hang`` (over ``--timeout`` seconds,
caught with ``signal.setitimer``).  Every failure is shrunk to a minimal
reproducer (sub-expressions replaced by leaves or by their operands while
it still fails the same way) and written to ``--out`` as one JSON line::

    {"expr", "vars", "wrt", "layout", "order", "kind", "phase", "detail",
     "values", "case", "seed", "original_expr"}

With ``--closed-report FILE`` the derived results with at most two indices that came
out in index notation rather than closed matrix form are listed in FILE, one JSON line
each (case, expr, wrt, layout, order, text), for clustering what blocks the fold.

The last line printed is the summary ``wrong answers N, crashes N, hangs N``;
the exit status is 1 when any of them is not zero.

The run is deterministic: case ``i`` of seed ``s`` is always the same
expression with the same values, whatever ``--jobs``.

This file runs the cases and reports; the expressions are generated in
``fuzz_gen.py`` and checked (and shrunk) in ``fuzz_check.py``, beside it.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# this folder (the fuzzer's modules), the tests' support package, matdiff
for _path in (os.path.join(ROOT, "tests"), os.path.join(ROOT, "src"), HERE):
    if os.path.isdir(_path) and _path not in sys.path:
        sys.path.insert(0, _path)

from fuzz_check import Outcome, _check, reproducer, shrink  # noqa: E402, F401
from fuzz_gen import Case, Ex, Gen, make_case  # noqa: E402, F401
from support.variables import SIZES, VARS, values  # noqa: E402, F401

# ---- driver -----------------------------------------------------------------------------

STATUSES = ("ok", "refused", "skipped", "wrong", "crash", "hang")


def run_one(seed: int, index: int, timeout: float, depth: int = 3, do_shrink: bool = True):
    """(outcome, reproducer-or-None, case text) of case ``index``."""
    case = make_case(seed, index, depth)
    out = _check(case, timeout)
    if not out.failed:
        return out, None, case.text
    budget = 20 if out.status == "hang" else 400     # each hang check costs the full timeout
    small = shrink(case, out, timeout, budget) if do_shrink else case
    small_out = _check(small, timeout)
    return out, reproducer(small, case, small_out if small_out.failed else out), case.text


def _run_chunk(args):
    seed, indices, timeout, depth, do_shrink = args
    return [(i,) + run_one(seed, i, timeout, depth, do_shrink) for i in indices]


def refusal_reason(detail: str) -> str:
    """A refusal's message with what varies between cases (variable names, quoted text,
    numbers) taken out, so that refusals for the same reason group together."""
    reason = re.sub(r"\b(by|of|wrt) (?!(?:a|an|the)\b)[A-Za-z_]\w*\b(?![(\w])", r"\1 X", detail)
    reason = re.sub(r"/d[A-Za-z_]\w*'", "/dX'", reason)
    reason = re.sub(r"'[^']*'|`[^`]*`|\"[^\"]*\"", "'…'", reason)
    reason = re.sub(r"\d+(\.\d+)?(e-?\d+)?", "N", reason)
    return reason


def refusal_groups(refusals) -> list:
    """[(count, reason, example expression)] of ``refusals`` [(phase, detail, text)], most first."""
    groups: dict = {}
    for phase, detail, text in refusals:
        key = f"{phase}: {refusal_reason(detail)}"
        n, example = groups.get(key, (0, text))
        groups[key] = (n + 1, example)
    return sorted(((n, k, ex) for k, (n, ex) in groups.items()), key=lambda g: (-g[0], g[1]))


def forms_line(forms: dict) -> str:
    """The share of results with at most two indices that come in closed matrix form."""
    closed, index, refused = forms.get("closed", 0), forms.get("index", 0), forms.get("refused", 0)
    derived = closed + index
    line = (f"results with at most 2 indices: {closed} of {derived} derived in closed matrix form "
            f"({100 * closed / max(derived, 1):.2f}%), {index} in index notation")
    return line + (f"; with the {refused} refused: {100 * closed / max(derived + refused, 1):.2f}% "
                   f"closed" if refused else "")


def run(n: int, seed: int = 0, timeout: float = 10.0, out: str | None = None, jobs: int = 1,
        depth: int = 3, do_shrink: bool = True, progress: bool = False, start: int = 0) -> dict:
    """Run cases ``start .. start+n-1``; return {"counts": {...}, "failures": [...]}."""
    counts = {s: 0 for s in STATUSES}
    failures, refusals, forms, index_forms = [], [], {}, []
    fh = open(out, "w", encoding="utf-8") if out else None
    t0 = time.monotonic()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    try:
        indices = list(range(start, start + n))
        chunk = 50
        tasks = [(seed, indices[k:k + chunk], timeout, depth, do_shrink) for k in range(0, n, chunk)]
        if jobs > 1:
            import multiprocessing as mp
            pool = mp.get_context("fork").Pool(jobs)
            results = pool.imap(_run_chunk, tasks)
        else:
            pool = None
            results = map(_run_chunk, tasks)
        done = 0
        for res in results:
            for i, out, rep, text in res:
                counts[out.status] += 1
                done += 1
                if out.form:
                    forms[out.form] = forms.get(out.form, 0) + 1
                if out.form == "index":
                    index_forms.append(i)
                if out.status == "refused":
                    refusals.append((out.phase, out.detail, text))
                if rep is not None:
                    failures.append(rep)
                    if fh:
                        fh.write(json.dumps(rep, ensure_ascii=False) + "\n")
                        fh.flush()
                    if progress:
                        print(f"[{i}] {rep['kind']} ({rep['phase']}): {rep['expr']}  d/d{rep['wrt']} "
                              f"{rep['layout']} order {rep['order']}: {rep['detail'][:200]}", flush=True)
            if progress and done % 1000 < chunk:
                print(f"... {done}/{n} cases, {time.monotonic() - t0:.0f} s: {_counts_line(counts)}",
                      flush=True)
        if pool is not None:
            pool.close()
            pool.join()
    finally:
        if fh:
            fh.close()
    return {"counts": counts, "failures": failures, "seconds": time.monotonic() - t0,
            "refusals": refusal_groups(refusals), "forms": forms, "index_forms": sorted(index_forms)}


def write_closed_report(path: str, cases: list, seed: int, depth: int) -> None:
    """One JSON line per derived result with at most two indices that came out in index
    notation (not closed matrix form): the case and its index form, for clustering."""
    import matdiff as md
    with open(path, "w", encoding="utf-8") as fh:
        for i in cases:
            case = make_case(seed, i, depth)
            r = md.derivative(case.text, wrt=case.wrt, vars=VARS, layout=case.layout, order=case.order)
            fh.write(json.dumps({"case": i, "expr": case.text, "wrt": case.wrt, "layout": case.layout,
                                 "order": case.order, "text": r.text}, ensure_ascii=False) + "\n")


def run_code(n: int, backends, seed: int = 0, timeout: float = 10.0, out: str | None = None,
             depth: int = 3, module_every: int = 10, progress: bool = False, start: int = 0,
             do_shrink: bool = True) -> dict:
    """Code mode (fuzz_code.py): {"counts": {target: {status: n}}, "failures": [...]}.  The
    ``r.code()`` module self-test runs on every ``module_every``-th case (0: never).  Each
    failure is shrunk to a smaller case that fails the same way in that target."""
    import fuzz_code
    fuzz_code.setup(backends)
    counts: dict = {}
    failures = []
    t0 = time.monotonic()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    fh = open(out, "w", encoding="utf-8") if out else None
    try:
        for i in range(start, start + n):
            case = make_case(seed, i, depth)
            module = bool(module_every) and i % module_every == 0
            for target, o in fuzz_code.check_case(case, backends, timeout, module).items():
                counts.setdefault(target, {s: 0 for s in STATUSES})[o.status] += 1
                if o.failed:
                    small, so = fuzz_code.shrunk(case, target, o, timeout) if do_shrink else (case, o)
                    rep = fuzz_code.failure_record(small, target, so, case)
                    failures.append(rep)
                    if fh:
                        fh.write(json.dumps(rep, ensure_ascii=False) + "\n")
                        fh.flush()
                    if progress:
                        print(f"[{i}] {target}: {o.status} ({o.phase}): {rep['expr']}  d/d{rep['wrt']} "
                              f"{rep['layout']} order {rep['order']}: {rep['detail'][:200]}", flush=True)
            if progress and (i - start + 1) % 100 == 0:
                print(f"... {i - start + 1}/{n} cases, {time.monotonic() - t0:.0f} s", flush=True)
    finally:
        if fh:
            fh.close()
    return {"counts": counts, "failures": failures, "seconds": time.monotonic() - t0}


def _counts_line(c: dict) -> str:
    return ", ".join(f"{k} {c[k]}" for k in STATUSES)


def summary_line(counts: dict) -> str:
    return f"wrong answers {counts['wrong']}, crashes {counts['crash']}, hangs {counts['hang']}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000, help="number of cases (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the run (default 0)")
    p.add_argument("--start", type=int, default=0, help="index of the first case (default 0)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds per case before it counts as a hang (default 10; 0: no limit)")
    p.add_argument("--out", default="fuzz-failures.jsonl",
                   help="JSON-lines file for the minimal reproducers (default fuzz-failures.jsonl)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--depth", type=int, default=3, help="depth of the random expressions (default 3)")
    p.add_argument("--no-shrink", action="store_true", help="report failures as found, unshrunk")
    p.add_argument("--quiet", action="store_true", help="print the summary only")
    p.add_argument("--closed-report", default="", metavar="FILE",
                   help="write the results with at most two indices that came out in index "
                        "notation to FILE (JSON lines: case, expr, wrt, layout, order, text)")
    p.add_argument("--code", default="",
                   help="code mode: compile every derived case in these backends (e.g. "
                        "numpy,jax,torch) and check against finite differences (fuzz_code.py)")
    p.add_argument("--module-every", type=int, default=10,
                   help="code mode: run the r.code() module self-test on every K-th case "
                        "(default 10; 0: never)")
    args = p.parse_args(argv)
    if args.code:
        backends = [b.strip() for b in args.code.split(",") if b.strip()]
        res = run_code(args.n, backends, args.seed, args.timeout, args.out, args.depth,
                       args.module_every, progress=not args.quiet, start=args.start,
                       do_shrink=not args.no_shrink)
        bad = 0
        print(f"{args.n} cases in {res['seconds']:.0f} s (code mode); failures in {args.out}")
        for target, c in res["counts"].items():
            print(f"  {target:14s} {_counts_line(c)}")
            bad += c["wrong"] + c["crash"] + c["hang"]
        print(f"code mode: wrong, crashes and hangs in all targets: {bad}")
        return 1 if bad else 0
    res = run(args.n, args.seed, args.timeout, args.out, args.jobs, args.depth,
              not args.no_shrink, progress=not args.quiet, start=args.start)
    c = res["counts"]
    if res["refusals"]:
        print(f"refusals by reason ({c['refused']}):")
        for n, reason, example in res["refusals"]:
            print(f"  {n:5d}  {reason[:400]}\n         e.g. {example[:200]}")
    print(forms_line(res["forms"]))
    if args.closed_report:
        write_closed_report(args.closed_report, res["index_forms"], args.seed, args.depth)
        print(f"{len(res['index_forms'])} results in index notation listed in {args.closed_report}")
    print(f"{args.n} cases in {res['seconds']:.0f} s: {_counts_line(c)}; reproducers in {args.out}")
    print(summary_line(c))
    return 1 if c["wrong"] or c["crash"] or c["hang"] else 0


if __name__ == "__main__":
    sys.exit(main())
