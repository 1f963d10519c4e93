"""What a new user meets first: the distribution's name and hints, the interpreter check of
the Makefile, progress on long batches, and a README that needs nothing outside the repo."""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from derive import DISTRIBUTION
from derive.progress import track
from derive.verify import crosscheck_requirement, no_torch

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_distribution_name_and_the_torch_hint_come_from_pyproject():
    assert PROJECT["name"] == DISTRIBUTION != "derive"
    (extra,) = PROJECT["optional-dependencies"]["crosscheck"]
    installed = crosscheck_requirement()  # from the installed metadata, which orders the specifiers its way
    assert installed.startswith("torch") and extra.startswith("torch")
    assert sorted(installed[5:].split(",")) == sorted(extra[5:].replace(" ", "").split(","))
    assert no_torch() == f"PyTorch is not installed (pip install '{crosscheck_requirement()}')"


def test_the_readme_and_docs_need_nothing_outside_the_repo():
    texts = {p: p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
    for path, text in texts.items():
        assert "../shared" not in text and "SPEC.md" not in text, path
        for link in re.findall(r"\]\(([^)#:]+)\)", text):  # relative links resolve
            assert (path.parent / link).exists(), (path, link)


def fake_python(tmp_path: Path, version: str) -> Path:
    """A stand-in interpreter that reports `version` and fails the >= 3.11 test."""
    path = tmp_path / "python-old"
    path.write_text(f'#!/bin/sh\n[ "$1" = --version ] && echo "Python {version}" && exit 0\nexit 1\n')
    path.chmod(0o755)
    return path


def check_python(python: str | Path, venv: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(ROOT / "scripts" / "check-python.sh"), str(python), str(venv)],
                          capture_output=True, text=True, check=False)


def test_an_old_python_stops_with_one_line_before_making_a_venv(tmp_path):
    result = check_python(fake_python(tmp_path, "3.9.2"), tmp_path / ".venv")
    assert result.returncode == 2 and not (tmp_path / ".venv").exists()
    assert result.stderr == (f"derive: needs Python >= 3.11; {tmp_path / 'python-old'} is Python 3.9.2. "
                             "Run: make PYTHON=python3.11 (or newer)\n")
    missing = check_python(tmp_path / "no-python", tmp_path / ".venv")
    assert missing.returncode == 2 and "is not found" in missing.stderr


def test_a_venv_made_by_an_old_python_is_made_again(tmp_path):
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    fake_python(venv / "bin", "3.9.2").rename(venv / "bin" / "python")
    result = check_python("python3", venv)
    assert result.returncode == 0 and not venv.exists()
    assert result.stderr == f"derive: {venv} was made by an older or missing Python; making it again with python3\n"


def test_a_good_venv_is_kept(tmp_path):
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(subprocess.run(["sh", "-c", "command -v python3"], capture_output=True,
                                                        text=True, check=True).stdout.strip())
    assert check_python("python3", venv).returncode == 0 and venv.exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    assert list(track(range(250), 250, "stress", unit="variants", stream=out)) == list(range(250))
    lines = out.getvalue().splitlines()
    assert [re.sub(r"\(\d+ s\)", "(T s)", line) for line in lines] == [
        "stress: 100/250 variants (T s)", "stress: 200/250 variants (T s)", "stress: 250/250 variants (T s)"]


def test_progress_is_a_bar_on_a_terminal():
    out = Terminal()
    assert list(track(range(30), 30, "variants", unit="variants", stream=out)) == list(range(30))
    final = out.getvalue().split("\r")[-1]
    assert final.startswith("variants: 100%|") and "30/30" in final and "\n" not in final.rstrip("\n")



def test_the_wheel_is_licensed_typed_and_declares_what_it_imports(tmp_path):
    """The wheel carries the MIT license, py.typed and metadata; every third-party module that
    derive imports at its top level is a declared dependency (an optional one for the extras)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "derive/py.typed" in names and any(n.endswith("licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in metadata and "Classifier: Topic :: Education" in metadata
    required = {re.split(r"[<>=;!\s\[]", line.split(":", 1)[1].strip())[0].lower()
                for line in metadata.splitlines() if line.startswith("Requires-Dist:")}
    modules = {"sympy": "sympy", "mpmath": "mpmath", "numpy": "numpy", "jinja2": "jinja2", "tqdm": "tqdm",
               "torch": "torch", "distributed": "distributed", "dask": "distributed", "pylatex": "pylatex",
               "latex2mathml": "latex2mathml"}
    imported = set()
    for path in (ROOT / "derive").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names_here = ([a.name for a in node.names] if isinstance(node, ast.Import)
                          else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                          else [])
            imported |= {n.split(".")[0] for n in names_here}
    third_party = imported - set(sys.stdlib_module_names) - {"derive"}
    assert third_party <= set(modules), f"an import with no declared distribution: {third_party - set(modules)}"
    assert {modules[m] for m in third_party} <= required


def test_mypy_on_a_user_script_sees_the_api_types(tmp_path):
    """py.typed reaches users: a wrong annotation on what the API returns is a mypy error (with
    untyped results it would pass as Any)."""
    script = tmp_path / "user.py"
    script.write_text("import derive\n\nv = derive.variant(None, 'v1')\nn: int = derive.grade(v, v.answers).total\n"
                      "s: str = derive.solve({}).answers\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", str(script)], capture_output=True,
                          text=True, cwd=tmp_path)
    assert 'has type "Fraction", variable has type "int"' in done.stdout
    assert 'has type "Answers", variable has type "str"' in done.stdout


def test_variants_and_batch_grading_show_a_bar_on_a_terminal(tmp_path, monkeypatch):
    from derive.cli import main

    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["variants", "--count", "2", "--no-pdf", "--out", str(tmp_path / "v")]) == 0
    final = err.getvalue().split("\r")[-1]
    assert "variants: 100%|" in err.getvalue() and "2/2" in final
    assert "written (draws" not in err.getvalue()  # the bar stands for the per-variant lines
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "v001.toml").write_bytes((tmp_path / "v" / "v001" / "submission.toml").read_bytes())
    err.seek(0)
    err.truncate()
    assert main(["grade", "--variants", str(tmp_path / "v"), "--submissions", str(tmp_path / "s"),
                 "--out", str(tmp_path / "grades.csv")]) == 0
    assert "grading: 100%|" in err.getvalue() and "2/2" in err.getvalue()


def test_variants_print_a_line_per_variant_when_not_a_terminal(tmp_path, capsys):
    from derive.cli import main

    assert main(["variants", "--count", "2", "--no-pdf", "--out", str(tmp_path / "v")]) == 0
    err = capsys.readouterr().err
    assert err.count("written (draws") == 2 and "100%|" not in err
