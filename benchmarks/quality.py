#!/usr/bin/env python3
"""Readability next to the textbook: each case's expected closed form beside matdiff's.

    python benchmarks/quality.py [CORPUS.json] [--only TEXT] [--worse]

For every case of a corpus (default: the seeds, tests/data/seeds.json) it prints the
textbook form, matdiff's form and their size ratio (tokens: names, numbers and
operators, as ../shared/corpus/run_matdiff.py counts them), then a summary:
how many are correct, compact (ratio <= 1.25) and the median ratio and time.
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
    print(f"\n{len(cases)} cases: {correct} correct; {compact} of {len(ratios)} compact "
          f"(<= 1.25x the textbook's tokens); median size ratio "
          f"{statistics.median(ratios) if ratios else float('nan'):.3f}; "
          f"derivation median {statistics.median(times):.2f} ms, max {max(times):.1f} ms")
    return 0 if correct == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
