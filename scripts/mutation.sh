#!/usr/bin/env bash
# Mutation testing of the core (issue 14, item 10): mutmut mutates the derivative rules
# (src/matdiff/diff.py) and the derivative builders of the function table
# (src/matdiff/functions.py) one change at a time and runs the fast rule tests against each
# mutant; a mutant that no test notices "survives".  scripts/mutmut_config.py chooses the
# lines (the derivative builders and rules; not spellings, LaTeX or message text).  Prints
# the kill rate and how long the run took, and writes every survivor's diff to $REPORT.
#
#   scripts/mutation.sh                 # both files; tests/test_rules.py, test_rule_names.py,
#                                       # test_rule_edges.py, test_vec_kron.py (not compiled),
#                                       # test_function_table.py
#   PATHS=src/matdiff/functions.py scripts/mutation.sh
#
# Needs the dev extra (pip install -e '.[dev]': mutmut 2.x).  mutmut edits the files it
# mutates in place, so it runs in a throw-away copy of the committed tree (git archive HEAD),
# never in the working tree; PYTHONPATH puts that copy's src/ ahead of an editable install.
# Slow: 369 mutants (51 in functions.py, 318 in diff.py), one test run each, about 30
# minutes on two busy cores. Not part of CI.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
PATHS=${PATHS:-src/matdiff/diff.py,src/matdiff/functions.py}
TESTS=${TESTS:-"tests/test_rules.py tests/test_rule_names.py tests/test_rule_edges.py tests/test_vec_kron.py tests/test_function_table.py -k 'not backend_spellings and not names_live and not compiled'"}
REPORT=${REPORT:-$ROOT/mutation-survivors.txt}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git -C "$ROOT" archive HEAD | tar -x -C "$WORK"
cp "$ROOT/scripts/mutmut_config.py" "$WORK/"
cd "$WORK"
export PYTHONPATH="$WORK/src:$WORK/tests${PYTHONPATH:+:$PYTHONPATH}"
export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1   # no hypothesis/anyio/playwright plugins: a third of the start-up
start=$(date +%s)
"$PY" -m mutmut run --paths-to-mutate "$PATHS" --tests-dir tests \
    --runner "$PY -m pytest -x -q -p no:cacheprovider $TESTS" --simple-output --no-progress \
    > mutmut.log 2>&1 || true        # its exit status says only that some mutants survived
tail -3 mutmut.log
secs=$(( $(date +%s) - start ))
"$PY" - "$secs" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(".mutmut-cache").execute(
    "select status, count(*) from Mutant group by status").fetchall()
counts = dict(rows)
tested = sum(v for k, v in counts.items() if k not in ("skipped", "untested"))
killed = counts.get("ok_killed", 0) + counts.get("ok_suspicious", 0)
print("mutants by status:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
print(f"kill rate {killed}/{tested} = {100 * killed / max(tested, 1):.1f}% in {sys.argv[1]} s "
      f"(skipped: lines that decide no derivative, scripts/mutmut_config.py)")
PY
{
    echo "# survivors of scripts/mutation.sh, $(date -u +%FT%TZ), commit $(git -C "$ROOT" rev-parse --short HEAD)"
    for id in $("$PY" - <<'PY'
import sqlite3
for (i,) in sqlite3.connect(".mutmut-cache").execute("select id from Mutant where status = 'bad_survived' or status = 'bad_timeout'"):
    print(i)
PY
); do echo "## mutant $id"; "$PY" -m mutmut show "$id" 2>/dev/null | tail -n +2; done
} > "$REPORT"
echo "survivors' diffs in $REPORT"
