"""End to end: the CLI, the outputs, exit codes, and failure safety."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

import pytest

from derive import build as build_module
from derive.answer import Check
from tests.conftest import needs_tex, snapshot


def test_tex_only_build(tmp_path, run):
    code, _, err = run("build", "--no-pdf", "--out", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [".derive-origins.json", "answers.json", "overleaf.zip",
                                                          "solutions.tex"]
    answers = json.loads((tmp_path / "answers.json").read_text())
    assert answers["normalization"]["batch"]["mean"] == [[["31/12"], ["35/12"]]]
    assert all(c["passed"] for c in answers["checks"])
    with zipfile.ZipFile(tmp_path / "overleaf.zip") as z:
        assert z.namelist() == ["main.tex"]
        assert z.read("main.tex") == (tmp_path / "solutions.tex").read_bytes()


def test_bad_config_exit_2_one_line_and_outputs_untouched(tmp_path, write_config, run):
    out = tmp_path / "out"
    assert run("build", "--no-pdf", "--out", str(out))[0] == 0
    before = snapshot(out)
    bad = write_config("[lora]\nr = 0\n")
    code, stdout, err = run("build", "--no-pdf", "--out", str(out), "--config", str(bad))
    assert code == 2
    assert err == "derive: lora.r: must be between 1 and 1000000, got 0\n"
    assert snapshot(out) == before


@pytest.mark.parametrize("pdf", [pytest.param(True, marks=needs_tex), False])
def test_failed_check_exit_1_and_no_outputs(tmp_path, run, monkeypatch, pdf):
    """With a PDF, pdflatex is already typesetting when the check fails: it is stopped and its
    temporary folder removed."""
    planted = Check("1", "planted", "a check that fails", 1.0, 1e-9)
    real_solve = build_module.solve

    def solve_with_failure(*args, **kwargs):
        solved = real_solve(*args, **kwargs)
        return dataclasses.replace(solved, checks=[*solved.checks, planted])

    monkeypatch.setattr(build_module, "solve", solve_with_failure)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    code, _, err = run("build", "--out", str(tmp_path / "out"), *([] if pdf else ["--no-pdf"]))
    assert code == 1
    assert err.splitlines()[-1] == (
        "derive: check failed: question 1, planted (a check that fails): max error 1 > tolerance 1e-09")
    assert not (tmp_path / "out").exists()
    assert not any(scratch.iterdir())


def test_check_command_prints_one_line_per_check(run):
    code, out, _ = run("check")
    lines = out.splitlines()
    assert code == 0
    ran = [line for line in lines[:-1] if line.startswith("ok  ")]
    skipped = [line for line in lines[:-1] if line.startswith("skip")]
    assert len(ran) + len(skipped) == len(lines) - 1  # no FAIL line, nothing else
    assert lines[-1] == f"{len(ran)} passed, 0 failed, {len(skipped)} skipped"


def test_the_command_flushes_its_output_before_it_exits():
    """`derive` ends with os._exit (no interpreter teardown): piped output must still arrive whole."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # a pipe: block-buffered stdout
    done = subprocess.run([sys.executable, "-m", "derive", "check"], capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"(\d+) passed, 0 failed, \d+ skipped", lines[-1])
    assert len(lines) - 1 == int(lines[-1].split()[0]) + int(lines[-1].split()[4])


def test_usage_error_is_exit_2(run):
    code, _, err = run("build", "--bogus")
    assert code == 2
    assert len(err.splitlines()) == 1


@needs_tex
@pytest.mark.e2e
def test_pdf_build_and_latex_error_safety(tmp_path, run, monkeypatch):
    out = tmp_path / "out"
    code, _, err = run("build", "--out", str(out))
    assert code == 0, err
    text = subprocess.run(["pdftotext", "-layout", str(out / "solutions.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    for expected in ("Question 1", "2.583", "1.576",  # normalization
                     "the cat sat", "a dog barked", "−2.4",  # decoding
                     "Computational graph", "diag",  # BiRNN
                     "hd × d", "Which method for which module",  # LoRA
                     "Verification", "References"):
        assert expected in text, expected
    assert "FAIL" not in text
    before = snapshot(out)
    real_question = build_module.question_source

    def broken(q, answer, pytorch):  # a template error in Question 2's section
        return real_question(q, answer, pytorch) + ("\\undefinedmacro\n" if q.key == "decoding" else "")

    monkeypatch.setattr(build_module, "question_source", broken)
    code, _, err = run("build", "--out", str(out))
    assert code == 1
    line = next(n for n, text in enumerate((out / "solutions.tex").read_text().splitlines(), 1)
                if text.startswith("\\section{Question 3"))
    assert err.splitlines()[-1] == (
        f"derive: LaTeX failed: solutions.tex:{line}: Undefined control sequence. [l.{line} \\undefinedmacro]")
    assert snapshot(out) == before


@needs_tex
@pytest.mark.e2e
def test_overleaf_bundle_compiles_alone_with_pdflatex(tmp_path, run):
    assert run("build", "--no-pdf", "--out", str(tmp_path))[0] == 0
    folder = tmp_path / "overleaf"
    with zipfile.ZipFile(tmp_path / "overleaf.zip") as z:
        z.extractall(folder)
    for _ in range(2):
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "main.tex"],
                              cwd=folder, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stdout[-2000:]
    assert (folder / "main.pdf").stat().st_size > 10_000


def test_the_command_and_the_pytorch_checks_import_no_sympy():
    """The worker is forked before SymPy is imported and unpickles functions of derive.crosscheck:
    none of these may pull SymPy in, or its import would no longer overlap PyTorch's."""
    code = ("import sys, derive.cli, derive.parallel, derive.crosscheck, derive.verify; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sympy'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
