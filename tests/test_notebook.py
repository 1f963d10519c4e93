"""The example notebook runs in a real Jupyter kernel and shows what it says it shows."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbformat (make test does)")
nbclient = pytest.importorskip("nbclient", reason="the test extra installs nbclient (make test does)")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "solve-a-variant.ipynb"


def test_example_notebook_runs_and_displays_answers_derivations_and_checks(monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's own migration warning otherwise
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "ship the notebook without outputs"
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                            ).execute()
    outputs = [c.outputs for c in nb.cells if c.cell_type == "code"]
    assert not [o for out in outputs for o in out if o.output_type == "error"]
    data = [out[-1]["data"] for out in outputs]
    solution, stats, batch, jacobians, checks = data
    assert "checks passed" in solution["text/html"] and "normalization.batch" in solution["text/html"]
    # 0.5, 1.5, -1, 1, 0.25, 3 over (N, L) for channel 0: 21/4 / 6 = 7/8, read exactly.
    assert "'7/8'" in stats["text/plain"]
    assert r"\mu" in batch["text/latex"] and r"\frac{7}{8}" in batch["text/latex"]
    # sigmoid' = h (1 - h), written in the hidden state (tanh would give 1 - h h)
    assert r"h^{(f)}_{t+1} \odot \left(\mathbf{1} - h^{(f)}_{t+1}\right)" in jacobians["text/latex"]
    assert "<table>" in jacobians["text/html"]
    assert "<td>pass</td>" in checks["text/html"] and "FAIL" not in checks["text/html"]
