"""examples/tour.ipynb runs from top to bottom (its own asserts hold) and draws its plot.

Executed with nbclient in a fresh kernel of this interpreter; skipped when nbclient or
ipykernel is missing.  The notebook file is not rewritten: its outputs stay empty.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "tour.ipynb"


def test_the_tour_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on failure
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    latex = [o for o in outputs if "text/latex" in o.get("data", {})]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(latex) >= 4, "the derivatives are displayed as LaTeX"
    assert images, "the loss plot is drawn"
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "holds only for symmetric A" in text
    assert os.listdir(tmp_path) == []
