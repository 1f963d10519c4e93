"""docs/architecture.md's "Adding a question", executed: a toy fifth question (tests/fixtures/toy: the softmax of
a few logits, checked with NumPy) registered after the assignment's four, and the generic suites
run with it in a pytest process of their own (DERIVE_TEST_TOY=1 makes tests/conftest.py register
it): views, templates, the registry, the question sheet and the inputs it prints, what is
published is certified, grading, the [variants] table, and tests/toy_suite.py (its build,
planted error, grading, variants and schema)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = ("tests/test_views.py", "tests/test_templates.py", "tests/test_questions.py", "tests/test_sheet.py",
          "tests/test_sheet_inputs.py", "tests/test_published.py", "tests/test_grade.py",
          "tests/test_variants_spec.py", "tests/toy_suite.py")


def test_the_generic_suites_pass_with_a_toy_fifth_question(tmp_path):
    env = {**os.environ, "DERIVE_TEST_TOY": "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-m", "not e2e",
                           "--basetemp", str(tmp_path / "t"), *SUITES], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "run by tests/test_toy_question.py" not in done.stdout, done.stdout[-1500:]  # the toy was registered
