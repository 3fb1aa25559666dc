"""mutmut's hook for scripts/mutation.sh (copied to the root of the run's throw-away tree).

The run mutates what decides a derivative's value: in ``functions.py`` the lines of the
table's derivative builders (``derivative=``, ``fold=``, ``at_zero=``, ``on_scalar=``,
``undoes=``, ``transpose=``, and the helpers they use), in ``diff.py`` every rule.  Left
out: the spellings, LaTeX and SymPy names of the table (the codegen, LaTeX and SymPy tests
judge those) and the text of error messages, which no derivative depends on.
"""
import re

RESULT_LINE = re.compile(r"derivative=|fold=|at_zero=|on_scalar=|undoes=|transpose=|_folded\(|"
                         r"def _one|def _recip|return E\.|x = float|if not where|v = f\(x\)|"
                         r"return Fraction|return fold")
MESSAGE_LINE = re.compile(r"^(raise |#|\"|f\"|'|r\")|Error\(")


def pre_mutation(context):
    line = context.current_source_line.strip()
    if context.filename.endswith("functions.py"):
        context.skip = not RESULT_LINE.search(line)
    elif MESSAGE_LINE.search(line):
        context.skip = True
