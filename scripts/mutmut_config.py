"""mutmut's hook for scripts/mutation.sh (copied to the root of the run's throw-away tree).

The run mutates the derivative rules: in ``functions.py`` the table's derivative builders
(``derivative=`` and the helpers they use), in ``diff.py`` the rules (from ``_times`` on,
not the Differentiator's bookkeeping above them).  Left out: the table's spellings, LaTeX,
SymPy names and simplifier constants (the codegen, LaTeX, SymPy and simplifier tests judge
those) and the text of error messages, which no derivative depends on; and the lines in
``EQUIVALENT``, whose mutants no input can tell apart (each with its reason).
"""
import re

BUILDER_LINE = re.compile(r"derivative=|def _one|def _recip|return E\.|E\.(hadamard|sub|add)\(")
MESSAGE_LINE = re.compile(r"^(raise |#|\"|f\"|'|r\")|Error\(")
_first_rule: dict = {}
# Lines whose every mutant is equivalent (no input can tell it apart), each with the reason.
EQUIVALENT = {
    "return U.shape[0]": "_side: U is square, so shape[1] is the same size",
    "if k < 0:  # X^-k = inv(X)^k": "no MatPow has k = 0 (typing reads X^0 as I): k <= 0, k < 1 are k < 0",
    "return D.d(U if U.shape[1] == 1 else E.transpose(U), out, w)":
        "vec of a vector: a vector and its transpose have one index, the same index form",
}


def _rules_start(context) -> int:
    """The line where diff.py's rules begin (``def _times``)."""
    if context.filename not in _first_rule:
        lines = context.source.splitlines()
        _first_rule[context.filename] = next(
            (i for i, s in enumerate(lines) if s.startswith("def _times")), 0)
    return _first_rule[context.filename]


def pre_mutation(context):
    line = context.current_source_line.strip()
    if line in EQUIVALENT:
        context.skip = True
        return
    if context.filename.endswith("functions.py"):
        context.skip = not BUILDER_LINE.search(line)
    else:
        context.skip = context.current_line_index < _rules_start(context) or \
            bool(MESSAGE_LINE.search(line))
