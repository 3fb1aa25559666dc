"""The command lines: ``matdiff check CLAIM`` and ``matdiff sheet FILE``."""
from __future__ import annotations

import argparse
import json
import sys

from ..errors import MatdiffError
from .checker import check
from .claim import LAYOUTS
from .sheet import build_sheet, read_sheet, sheet_latex, sheet_markdown


def _declarations_arg(items) -> list[str] | None:
    decls = [part.strip() for item in items or [] for part in item.split(";") if part.strip()]
    return decls or None


def _error(message, status: int = 2) -> int:
    if isinstance(message, MatdiffError):
        message = message.for_surface("cli")  # a fix as --var '...'
    print(f"matdiff: error: {' '.join(str(message).split())}", file=sys.stderr)
    return status


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors: exit status 2, one line
        self.print_usage(sys.stderr)
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def check_main(argv: list[str]) -> int:
    """``matdiff check CLAIM ...``: exit 0 when the claim holds, 1 when it fails, 2 bad input."""
    p = _Parser(prog="matdiff check", description="Decide whether a claimed derivative holds for "
                "all inputs: symbolically where the simplifier can, else numerically at random "
                "inputs with distinct dimensions.",
                epilog="examples:\n  matdiff check \"d/dX tr(A*X*B) = B*A\" --layout numerator\n"
                       "  matdiff check \"d/dx x'*A*x = 2*A*x\"\n"
                       "  matdiff check \"d2/dx2 x'*A*x = A + A'\"\n"
                       "exit status: 0 the claim holds, 1 it fails, 2 bad input.",
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("claim", nargs="?", help="the claim, e.g. \"d/dX tr(A*X*B) = B*A\"")
    p.add_argument("--claim", dest="claim_opt", metavar="CLAIM", help="the claim, as an option")
    p.add_argument("--var", action="append", default=[], metavar="DECL",
                   help="declare a variable, e.g. \"A: matrix(n,n) symmetric\" (repeatable)")
    p.add_argument("--layout", choices=LAYOUTS, default="mixed",
                   help="the layout the claim is written in (default mixed; d/dx' is numerator)")
    p.add_argument("--types", choices=("default", "matrixcalculus"), default="default",
                   help="naming convention for undeclared names (default: upper-case = matrix, "
                        "Greek = scalar, other lower-case = vector)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="the verdict as a text report (default) or as JSON")
    p.add_argument("--json", dest="format", action="store_const", const="json",
                   help="short for --format json")
    p.add_argument("--trials", type=int, default=3, help="random inputs to compare at (default 3)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    try:
        args = p.parse_args(argv)
    except _UsageError as e:
        return _error(e)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    text = args.claim_opt if args.claim_opt is not None else args.claim
    if text == "-":
        text = sys.stdin.read().strip()
    if not text:
        p.print_usage(sys.stderr)
        return _error("a claim is required, e.g. matdiff check \"d/dx x'*x = 2*x\"")
    try:
        v = check(text, vars=_declarations_arg(args.var), layout=args.layout, types=args.types,
                  trials=max(1, args.trials), seed=args.seed)
    except MatdiffError as e:
        return _error(e)
    if args.format == "json":
        print(json.dumps(v.to_dict(), ensure_ascii=False))
    else:
        print(v.report())
    return 0 if v.holds else 1


# ---- the cheat sheet ----------------------------------------------------------------


def sheet_main(argv: list[str], text: str | None = None) -> int:
    """``matdiff sheet FILE [--layout L]... [--format markdown|latex] [-o OUT]``; ``text``: the
    file's text, already read (from standard input) by the claim sheet's ``sheet_main``."""
    p = _Parser(prog="matdiff sheet", description="Write a cheat sheet of derivatives, each "
                "checked numerically before it is printed.",
                epilog="FILE: one derivative a line, e.g.\n"
                       "  d/dx x'*A*x where A: matrix(n,n), x: vector(n)\n"
                       "  d2/dx2 x'*A*x\n"
                       "  ## A section title\n"
                       "  # a comment\n"
                       "or a JSON list of {expr, wrt, vars, order} (tests/data/seeds.json).\n"
                       "exit status: 0 every line verified, 1 some line failed its check, "
                       "2 bad input.",
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="the list of expressions ('-' for standard input)")
    p.add_argument("--layout", action="append", choices=LAYOUTS, default=None,
                   help="layout (repeatable: one sheet per layout, one after the other); "
                        "default mixed")
    p.add_argument("--format", choices=("markdown", "latex"), default=None,
                   help="markdown (default) or latex; -o NAME.tex chooses latex")
    p.add_argument("-o", "--output", metavar="OUT", help="write to this file, not standard output")
    p.add_argument("--title", help="the sheet's title")
    p.add_argument("--trials", type=int, default=3, help="random inputs per check (default 3)")
    try:
        args = p.parse_args(argv)
    except _UsageError as e:
        return _error(e)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 0
    try:
        if text is not None:
            pass
        elif args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as e:
        return _error(f"cannot read {args.file}: {e.strerror}")
    fmt = args.format or ("latex" if (args.output or "").endswith(".tex") else "markdown")
    try:
        entries = read_sheet(text)
    except MatdiffError as e:
        return _error(e)
    if not entries:
        return _error(f"{args.file} lists no derivatives")
    parts, failed = [], []
    for layout in args.layout or ["mixed"]:
        try:
            lines, failures = build_sheet(entries, layout, max(1, args.trials))
        except MatdiffError as e:
            return _error(e)
        failed += failures
        if fmt == "latex":
            parts.append(sheet_latex(lines, layout, args.title, max(1, args.trials)))
        else:
            parts.append(sheet_markdown(lines, layout, args.title, max(1, args.trials),
                                        None if args.file == "-" else args.file))
    for entry, why in failed:
        print(f"matdiff: sheet line {entry.line} ({entry.expression} by {entry.wrt}) left out: "
              f"{' '.join(why.split())}", file=sys.stderr)
    doc = "\n".join(parts)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(doc if doc.endswith("\n") else doc + "\n")
    else:
        sys.stdout.write(doc if doc.endswith("\n") else doc + "\n")
    return 1 if failed else 0
