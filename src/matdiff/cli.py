"""The ``matdiff`` command line.

    matdiff EXPR --wrt X [--wrt Y] [--var "A: matrix(n,n)"]... [--layout L]
                 [--order K] [--format text|latex|json] [--json] [--types T]
    matdiff check|serve|sheet ...      (sub-commands; see SUBCOMMANDS)

``main(argv)`` never raises for bad input and never prints a traceback: a
``matdiff.MatdiffError`` becomes one line ``matdiff: error: <message>`` on
stderr and exit status 2.  It returns the exit status (the console script
passes it to ``sys.exit``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap

from .functions import FUNCTIONS

from .layouts import LAYOUTS

PROG = "matdiff"
CODE_FORMATS = ("numpy", "jax", "torch", "dask")  # codegen's backends (tests/test_cli.py checks)
FORMATS = ("text", "latex", "statement", "json") + CODE_FORMATS
TYPES = ("default", "matrixcalculus")

EXIT_OK = 0
EXIT_INTERNAL = 1      # a bug in matdiff (reported in one line, never a traceback)
EXIT_USAGE = 2         # bad input: usage, syntax, shapes, names, limits


# ---- sub-commands --------------------------------------------------------------
# ``matdiff NAME ...`` with NAME in SUBCOMMANDS runs SUBCOMMANDS[NAME](rest_of_argv),
# which returns the exit status.  Anything else is the derivative command.  To
# differentiate an expression that is literally one of these names, write
# ``matdiff -- check --wrt check`` (or use --expr).

def _from_module(module: str, name: str):
    """A sub-command implemented in ``matdiff.<module>`` (imported when it runs)."""
    def run(argv: list[str]) -> int:
        import importlib
        return getattr(importlib.import_module(f"matdiff.{module}"), name)(argv)
    run.__name__ = f"cmd_{name}"
    return run


SUBCOMMANDS: dict = {
    "check": _from_module("check", "check_main"),
    "serve": _from_module("web", "serve_main"),
    "sheet": _from_module("claims_sheet", "sheet_main"),  # claims there, derivatives in check
}
SUBCOMMAND_HELP = {
    "check": "decide whether a claimed derivative holds (matdiff check --help)",
    "serve": "start the web page and JSON API on 127.0.0.1:8000 (matdiff serve --help)",
    "sheet": "write a verified cheat sheet of derivatives or of claims (matdiff sheet --help)",
}


# ---- helpers -------------------------------------------------------------------

def _one_line(text: str) -> str:
    return " ".join(str(text).split()) if "\n" in str(text) or "\r" in str(text) else str(text)


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"{PROG}: error: {_one_line(message)}", file=sys.stderr)
    return status


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("matdiff")
    except Exception:  # not installed (run from a source tree)
        return "unknown"


def _seconds(text: str) -> float:
    try:
        s = float(text)
    except ValueError:
        s = -1.0
    if not s > 0:
        raise argparse.ArgumentTypeError(f"invalid time {text!r}: a positive number of seconds "
                                         f"is needed")
    return s


def _positive_int(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid order {text!r}: a positive integer is needed") from None
    if k < 1:
        raise argparse.ArgumentTypeError(f"invalid order {text!r}: a positive integer is needed")
    return k


DESCRIPTION = """\
Differentiate a scalar, vector or matrix expression and print the derivative
in closed form, in matdiff's own expression language (re-parseable), LaTeX,
or JSON.

""" + textwrap.fill(
    "Expressions use MATLAB-like syntax: + - * (matrix product) .* ./ / ^ .^, postfix ' or "
    ".T for the transpose, and functions " + " ".join(FUNCTIONS) + " (plus matrixcalculus.org's "
    "spellings).  I (or eye) is the identity, ones the all-ones vector; their sizes are inferred.",
    width=79, break_on_hyphens=False)

EPILOG = """\
naming convention (for names not given with --var):
  a name starting with an upper-case letter is a matrix (A, X, Sigma),
  a Greek name (alpha, beta, lambda, sigma, ...) is a scalar, any other
  lower-case name is a vector (x, w, b).  Dimensions are inferred.
  With --types matrixcalculus: a-g are scalars, h-z vectors (the
  convention of matrixcalculus.org).

declarations (--var, repeatable; several may be separated by ';'):
  "x: vector(n)"   "A: matrix(n,n) symmetric"   "s: scalar"
  properties: symmetric, invertible, spd, diagonal, positive

layouts (how a derivative that is a matrix or vector is presented):
  mixed        gradients have the shape of the variable, Jacobians are
               dF_i/dx_j (m x n); the machine-learning convention (default)
  numerator    scalar-by-matrix derivatives are transposed (n x m)
  denominator  vector-by-vector derivatives are transposed (n x m)

examples:
  matdiff "x'*A*x" --wrt x                              -> (A + A')*x
  matdiff "tr(A*X*B)" --wrt X --layout numerator        -> B*A
  matdiff "tr(X*A*X')" --wrt X --var "X: matrix(m,n)" --format latex
  matdiff "A*x" --wrt x --layout denominator            -> A'
  matdiff --wrt x -- "-x'*x"                 (an expression starting with -)

more:
  matdiff "A*X*B" --wrt X --vec                          -> kron(B', A)
  matdiff "tr(X*A*X')" --wrt X --steps                   how the result was reached
  matdiff "x'*A*x" --wrt x --format numpy > grad.py      a standalone module (jax, torch, dask too)

sub-commands (each has --help):
  matdiff check "d/dX tr(A*X*B) = B*A" --layout numerator   is a claimed derivative right?
  matdiff sheet FILE                                        a verified cheat sheet
  matdiff serve [--host 127.0.0.1] [--port 8000]            the local web page
  The item after -- is always taken as the expression, so
  matdiff -- check --wrt check  differentiates a vector named check.

exit status: 0 success; 2 bad input (usage, syntax error, shape conflict,
unknown function or name, exceeded limit), reported as one line
"matdiff: error: ..." on stderr; 1 an internal error in matdiff, also one
line (set MATDIFF_TRACEBACK=1 to see the traceback)."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    p.add_argument("expression", nargs="?", metavar="EXPR",
                   help="the expression to differentiate, e.g. \"x'*A*x\" (quote it for the shell); "
                        "'-' reads it from standard input")
    p.add_argument("--expr", dest="expr_opt", metavar="EXPR",
                   help="the expression, as an option (e.g. for one that starts with '-')")
    p.add_argument("--wrt", action="append", metavar="NAME", default=[],
                   help="the variable to differentiate with respect to (required); give --wrt "
                        "more than once for a mixed partial derivative (--wrt x --wrt y: "
                        "d2F/dxdy, with the indices of F, then x, then y)")
    p.add_argument("--var", action="append", metavar="DECL", default=[],
                   help="declare a variable, e.g. \"A: matrix(n,n) symmetric\" (repeatable; "
                        "several declarations may be separated by ';')")
    p.add_argument("--layout", choices=LAYOUTS, default="mixed",
                   help="layout of the result: mixed (default), numerator or denominator")
    p.add_argument("--order", type=_positive_int, default=1, metavar="K",
                   help="order of the derivative (default 1; 2 gives e.g. a Hessian)")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="output: text (the closed form in matdiff's language, default), latex, "
                        "statement (LaTeX of the whole ∂f/∂X = ... with the layout named), "
                        "json with keys expression, wrt, layout, derivative, latex, shape, where; or "
                        "numpy, jax, torch, dask: a standalone Python module computing it (dask: "
                        "over chunked dask.array data, one dask.compute for all results)")
    p.add_argument("--json", dest="format", action="store_const", const="json",
                   help="short for --format json")
    p.add_argument("--steps", action="store_true",
                   help="show how the result was reached: the index form, each rule applied, the "
                        "contraction to matrix form and the layout (ends in the result)")
    p.add_argument("--no-where", dest="where", action="store_false",
                   help="print the inlined form: no 'where s = ...' for repeated sub-expressions")
    p.add_argument("--vec", action="store_true",
                   help="print the Kronecker (vec) form d vec(F)/d vec(X)' instead, e.g. "
                        "kron(B', A) for A*X*B by X")
    p.add_argument("--types", choices=TYPES, default="default",
                   help="naming convention for undeclared names: default (upper-case = matrix, "
                        "Greek = scalar, other lower-case = vector) or matrixcalculus "
                        "(a-g scalars, h-z vectors, upper-case matrices)")
    p.add_argument("--max-seconds", type=_seconds, default=10.0, metavar="S",
                   help="time cap of the derivation, and of printing it (text, LaTeX, steps, "
                        "code) once more (default 10)")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    return p


# Options that take a value (so the next argv item is theirs, not an expression).
# Long options only (and -h): a short option would swallow expressions such as
# "-log(det(X))".
_VALUE_OPTIONS = {"--expr", "--wrt", "--var", "--layout", "--order", "--format", "--types",
                  "--max-seconds"}
_FLAG_OPTIONS = {"-h", "--help", "--version", "--steps", "--vec", "--json"}


def _protect_negative_expressions(argv: list[str]) -> list[str]:
    """Let ``matdiff "-x'*x" --wrt x`` work: argparse would take "-x'*x" for an option.

    An item starting with a single '-' that is not one of our options (nor the
    value of one) is rewritten to ``--expr=ITEM``; so is the item after ``--``
    (``matdiff -- check --wrt check`` differentiates an expression named like a
    sub-command).  Options may follow it.
    """
    out: list[str] = []
    expect_value = False
    expression_next = False
    for a in argv:
        if expression_next:  # the item after "--" is the expression, whatever it looks like
            out.append(f"--expr={a}")
            expression_next = False
            continue
        if a == "--" and not expect_value:
            expression_next = True
            continue
        if expect_value:
            # "--expr -x'*x": glue a value that starts with '-' to its option
            if a.startswith("-") and not a.startswith("--") and len(a) > 1:
                out[-1] = f"{out[-1]}={a}"
            else:
                out.append(a)
            expect_value = False
            continue
        if a in _VALUE_OPTIONS:
            out.append(a)
            expect_value = True
            continue
        if a.startswith("-") and not a.startswith("--") and len(a) > 1 and a not in _FLAG_OPTIONS:
            out.append(f"--expr={a}")
            continue
        out.append(a)
    return out


def _parse(argv: list[str]) -> tuple[argparse.Namespace | None, int]:
    parser = build_parser()
    try:
        args = parser.parse_args(_protect_negative_expressions(argv))
    except SystemExit as e:  # --help, --version, or a usage error (already printed)
        code = e.code
        return None, (code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_USAGE))
    if args.expression is not None and args.expr_opt is not None:
        return None, _usage_error(parser, "give the expression once (either EXPR or --expr)")
    expr = args.expr_opt if args.expr_opt is not None else args.expression
    if expr == "-":
        expr = sys.stdin.read().strip()
    if expr is None:
        return None, _usage_error(parser, "an expression to differentiate is required, e.g. "
                                          "matdiff \"x'*A*x\" --wrt x")
    if not args.wrt:
        return None, _usage_error(parser, "--wrt NAME is required: the variable to differentiate "
                                          "with respect to")
    for w in args.wrt:  # "--wrt x,A": names separated by commas
        names = [n.strip() for n in w.split(",")]
        if len(names) > 1 and all(n.isidentifier() for n in names):
            return None, _fail(f"--wrt takes one name; for a mixed partial derivative repeat it: "
                               f"{' '.join('--wrt ' + n for n in names)}")
    if args.vec and args.format in CODE_FORMATS:
        return None, _fail(f"--vec cannot be combined with --format {args.format}: the generated code "
                           f"computes the derivative itself; drop --vec (or use it with --format text, "
                           f"latex or json)")
    args.expr = expr
    return args, EXIT_OK


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    parser.print_usage(sys.stderr)
    return _fail(message)


def _declarations(items: list[str]) -> list[str] | None:
    decls = [part.strip() for item in items for part in item.split(";") if part.strip()]
    return decls or None


def _shape_json(shape):
    if shape is None:
        return None
    return [d if isinstance(d, (int, str)) else str(d) for d in shape]


def _steps_json(r):
    from .steps import format_steps
    return format_steps(r, "json")


def derivative_command(argv: list[str]) -> int:
    args, status = _parse(argv)
    if args is None:
        return status
    import matdiff as md

    wrt = args.wrt[0] if len(args.wrt) == 1 else list(args.wrt)
    r = md.derivative(args.expr, wrt=wrt, vars=_declarations(args.var), layout=args.layout,
                      order=args.order, types=args.types, max_seconds=args.max_seconds,
                      where=args.where)
    if args.format in CODE_FORMATS:
        out = r.code(args.format).rstrip("\n")
    elif args.vec:
        v = r.vec()
        out = {"text": v.text, "latex": v.latex}.get(args.format) or json.dumps(
            {"expression": args.expr, "wrt": wrt, "vec": v.text, "latex": v.latex},
            ensure_ascii=False)
    elif args.steps and args.format != "json":
        from .steps import format_steps
        out = format_steps(r, args.format)
    elif args.format == "text":
        out = r.text
    elif args.format == "latex":
        out = r.latex
    elif args.format == "statement":
        out = r.statement
    else:
        out = json.dumps({
            "expression": args.expr,
            "wrt": wrt,
            "layout": args.layout,
            "derivative": r.text,
            "latex": r.latex,
            "statement": r.statement,
            "shape": _shape_json(r.shape),
            "where": r.to_dict()["where"],
            **({"steps": _steps_json(r)} if args.steps else {}),
        }, ensure_ascii=False)
    sys.stdout.write(f"{out}\n")
    sys.stdout.flush()
    return EXIT_OK


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in SUBCOMMANDS:
        return SUBCOMMANDS[argv[0]](argv[1:])
    return derivative_command(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `matdiff ... | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK
    except Exception as e:  # noqa: BLE001 - the command line never shows a traceback
        if os.environ.get("MATDIFF_TRACEBACK"):
            raise
        errors = sys.modules.get("matdiff.errors")
        if errors is not None and isinstance(e, errors.MatdiffError):
            return _fail(e.for_surface("cli"))  # a fix as --var '...'
        if isinstance(e, RecursionError):
            return _fail("the expression is nested too deeply to handle")
        if isinstance(e, MemoryError):
            return _fail("out of memory: the expression or its derivative is too large")
        return _fail(f"internal error ({type(e).__name__}: {e}); please report it",
                     EXIT_INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
