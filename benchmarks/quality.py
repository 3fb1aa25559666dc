#!/usr/bin/env python3
"""Readability next to the textbook: each case's expected closed form beside matdiff's.

    python benchmarks/quality.py [CORPUS.json] [--only TEXT] [--worse] [--no-ml]

For every case of a corpus (default: the seeds, tests/data/seeds.json) it prints the
textbook form, matdiff's form and their size ratio (tokens: names, numbers and
operators, as ../shared/corpus/run_matdiff.py counts them), then a summary:
how many are correct, compact (ratio <= 1.25) and the median ratio and time.

A second table follows: everyday ML and statistics derivatives
(tests/data/ml_quality.json: least squares, ridge, logistic and cross-entropy in
each spelling, softmax cross-entropy, Poisson and Gaussian likelihoods, a two-layer
network, Rayleigh, matrix factorisation, log-det barriers, Mahalanobis), each with
its textbook form and the ratio; a row is correct when matdiff's value equals the
textbook form's on random inputs that respect the declarations.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))   # the tests' support package

import matdiff as md  # noqa: E402
from support import ml_table  # noqa: E402
from support.corpus import draw_inputs, expected  # noqa: E402


def _count(text):
    """Tokens of a closed form: names, numbers and operators (parentheses not counted)."""
    import re
    return len(re.findall(r"[A-Za-z_][A-Za-z_0-9]*|\d+\.?\d*(?:[eE]-?\d+)?|\.\*|\./|\.\^|[-+*/^'⊙]",
                          text.replace(".T", "'")))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", default=os.path.join(HERE, "..", "tests", "data", "seeds.json"))
    ap.add_argument("--only", default="", help="cases whose id contains TEXT")
    ap.add_argument("--worse", action="store_true", help="print only cases longer than the textbook")
    ap.add_argument("--no-ml", action="store_true", help="leave out the ML/statistics table")
    a = ap.parse_args(argv)
    cases = [c for c in json.load(open(a.corpus, encoding="utf-8")) if a.only in c["id"]]
    ratios, times, correct = [], [], 0
    for c in cases:
        t0 = time.perf_counter()
        r = md.derivative(c["expr"], wrt=c["wrt"], vars=c["vars"], layout=c["layout"],
                          order=c.get("order", 1))
        times.append((time.perf_counter() - t0) * 1e3)
        inputs = draw_inputs(c)
        want = np.asarray(expected(c, inputs), float)
        got = np.asarray(r.evaluate(**inputs), float)
        ok = got.shape == want.shape and np.allclose(got, want, rtol=1e-6, atol=1e-8)
        correct += ok
        exp = c.get("expected")
        ratio = _count(r.text) / _count(exp) if exp else None
        if ratio is not None:
            ratios.append(ratio)
        if a.worse and (ratio is None or ratio <= 1.0):
            continue
        print(f"{c['id']}  [{c['layout']}{', order ' + str(c['order']) if c.get('order', 1) > 1 else ''}]"
              f"{'' if ok else '  WRONG'}")
        print(f"   textbook: {exp if exp else '(index form)'}")
        print(f"   matdiff:  {r.text}" + (f"   ({ratio:.2f}x)" if ratio is not None else ""))
    compact = sum(x <= 1.25 for x in ratios)
    if cases:
        print(f"\n{len(cases)} cases: {correct} correct; {compact} of {len(ratios)} compact "
              f"(<= 1.25x the textbook's tokens); median size ratio "
              f"{statistics.median(ratios) if ratios else float('nan'):.3f}; "
              f"derivation median {statistics.median(times):.2f} ms, max {max(times):.1f} ms")
    ok = correct == len(cases)
    if not a.no_ml:
        ok = ml(a) and ok
    return 0 if ok else 1


def ml(a) -> bool:
    """The second table: everyday ML and statistics derivatives beside their textbook forms."""
    rows = [r for r in ml_table.ROWS if a.only in r["id"]]
    if not rows:
        return True
    print(f"\n---- everyday ML and statistics ({len(rows)} derivatives) ----")
    ratios, times, correct = [], [], 0
    for row in rows:
        t0 = time.perf_counter()
        r = md.derivative(row["expr"], wrt=row["wrt"], vars=row["vars"], layout=row["layout"],
                          order=row["order"])
        times.append((time.perf_counter() - t0) * 1e3)
        inputs = ml_table.inputs(row)
        want = np.asarray(md.evaluate(row["textbook"], vars=row["vars"], **inputs), float)
        got = np.asarray(r.evaluate(**inputs), float)
        want = np.full(got.shape, want.item()) if want.size == 1 else want   # "0" of any shape
        ok = got.size == want.size and np.allclose(got.reshape(want.shape), want, rtol=1e-6, atol=1e-8)
        correct += ok
        ratio = ml_table.tokens(r.text) / ml_table.tokens(row["textbook"])
        ratios.append(ratio)
        if a.worse and ratio <= 1.0:
            continue
        order = f", order {row['order']}" if row["order"] > 1 else ""
        print(f"{row['id']}  d/d{row['wrt']} {row['expr']}  [{row['layout']}{order}]{'' if ok else '  WRONG'}")
        print(f"   textbook: {row['textbook']}")
        print(f"   matdiff:  {r.text}   ({ratio:.2f}x)")
    compact = sum(x <= 1.25 for x in ratios)
    print(f"\n{len(rows)} ML/statistics derivatives: {correct} correct; {compact} of {len(rows)} "
          f"compact; median size ratio {statistics.median(ratios) if ratios else float('nan'):.3f}, "
          f"max {max(ratios, default=float('nan')):.2f}; derivation median "
          f"{statistics.median(times):.2f} ms, max {max(times):.1f} ms")
    return correct == len(rows)



if __name__ == "__main__":
    sys.exit(main())
