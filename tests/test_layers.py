"""The import contracts of pyproject.toml ([tool.importlinter], `make lint`) hold for the
package, and each kind of contract catches an import planted against it in a copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="the lint extra installs import-linter (make venv does)")

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the package under `root`, with the contracts of `root`/pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
                          check=False)


def test_the_package_keeps_every_import_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "planted", "contract"), [
    ("derive/latex/escaping.py", "from derive.questions import search", "The LaTeX layer imports no question"),
    ("derive/config.py", "from derive.questions.registry import QUESTIONS", "The config layer reads the questions' "
     "settings"),
    ("derive/questions/lora/settings.py", "from derive.questions.lora import model", "The config layer reads the "
     "questions' settings"),
    ("derive/questions/decoding/search.py", "from derive.grading import key", "The grader over the questions"),
    ("derive/graded_parts.py", "from derive import build", "No circle"),
    ("derive/html/markup.py", "from derive.export import moodle", "The HTML edition and the exports"),
])
def test_an_import_against_a_contract_is_caught(tmp_path, module, planted, contract):
    shutil.copytree(ROOT / "derive", tmp_path / "derive", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / module).open("a", encoding="utf-8") as file:
        file.write(f"\n{planted}  # planted\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line]  # "... BROKEN (1 ignored import)"
    assert len(broken) >= 1 and any(line.startswith(contract) for line in broken), result.stdout
