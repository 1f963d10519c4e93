"""The question sheet: this config's data, every question and its points, and no answers."""

from __future__ import annotations

import pytest

from derive import config
from derive.questions.registry import QUESTIONS
from derive.sheet import SHEET_TITLE, sheet_source
from tests.conftest import needs_tex, snapshot

TREE = """
[decoding]
beam_width = 3
[decoding.tree]
"{b}" = -0.5
"#" = -1.5
"{b} 50%" = -0.25
"# x_1" = -0.75
"""


def test_sheet_restates_the_config_data(load_text):
    cfg = load_text(TREE + '[birnn]\nactivation = "sigmoid"\nsteps = 5\n[lora]\nd = 1024\nr = 4\nheads = 7\nbits = 8\n'
                    '[normalization]\ntensor = [[[7, 8]], [[9, 10]]]\n')
    source = sheet_source(cfg)
    for text in (r"x_{2,:,:} &= \left[\begin{matrix}9 & 10\end{matrix}\right]",  # the tensor, sample by sample
                 r"\{b\}", r"\#", r"50\%", r"x\_1", "$-0.25$",  # the tree's words escaped, its log p on edges
                 "with $B = 3$", r"\sigma(a) = 1/(1 + e^{-a})", r"$t = 1, \dots, 5$",
                 "$d = 1024$", "rank $r = 4$", "$h = 7$ heads", "$m = 8$ bits", "Name or student id"):
        assert text in source, text


def test_sheet_holds_no_answer():
    body = sheet_source(config.load(None)).split(r"\begin{document}")[1]
    assert r"\begin{matrix}2 & 5 & 1\\4 & 3 & 4\end{matrix}" in body  # the tensor is there, its statistics not:
    for leaked in ("31}{12}", "227}{144}", "answerbox", "Verification", "keep, line width", "greedy, dashed",
                   "draw=keep", r"\section{"):
        assert leaked not in body, leaked


def test_points_add_up_to_the_assignment():
    """The sheet's total is its questions' (the assignment's four make 61)."""
    total = sum(sum(q.parts.points().values()) for q in QUESTIONS)
    assert sum(sum(QUESTIONS[key].parts.points().values()) for key in ("normalization", "decoding", "birnn",
                                                                        "lora")) == 61
    source = sheet_source(config.load(None))
    assert f"Question sheet: {total} points" in source
    assert r"Question 2: Decoding (20 points)" in source


def test_default_title_is_not_called_solutions(load_text):
    assert SHEET_TITLE in sheet_source(config.load(None))
    assert r"\title{Midterm, variant A}" in sheet_source(load_text('[document]\ntitle = "Midterm, variant A"\n'))


def test_a_tree_too_large_to_draw_is_listed(load_text):
    edges = "".join(f'"w{i}" = -5\n"w{i} v" = -0.1\n' for i in range(40))
    source = sheet_source(load_text(f"[decoding]\nsteps = 2\n[decoding.tree]\n{edges}"))
    assert r"\begin{longtable}{lr}" in source and "w39 v & $-0.1$" in source
    assert "tikzpicture" not in source.split("Question 2")[1].split("Question 3")[0]


def test_sheet_questions_writes_only_the_question_sheet(tmp_path, run):
    code, _, err = run("build", "--no-pdf", "--sheet", "questions", "--out", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [".derive-origins.json", "questions.tex"]


def test_no_pdf_removes_a_stale_question_pdf_only(tmp_path, run):
    (tmp_path / "questions.pdf").write_bytes(b"old")
    (tmp_path / "solutions.pdf").write_bytes(b"old")
    assert run("build", "--no-pdf", "--sheet", "questions", "--out", str(tmp_path))[0] == 0
    assert not (tmp_path / "questions.pdf").exists()
    assert (tmp_path / "solutions.pdf").read_bytes() == b"old"


def test_unknown_sheet_is_a_usage_error(run):
    code, _, err = run("build", "--sheet", "answers")
    assert code == 2
    assert err.startswith("derive: argument --sheet: invalid choice: 'answers'")


@needs_tex
@pytest.mark.e2e
def test_both_sheets_compile_and_rebuild_byte_for_byte(tmp_path, run):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        code, _, err = run("build", "--sheet", "both", "--out", str(out))
        assert code == 0, err
    files = snapshot(first)
    assert {"questions.pdf", "questions.tex", "solutions.pdf", "answers.json"} <= set(files)
    assert files == snapshot(second)


def test_the_sheet_draws_the_solutions_figure_without_highlights(load_text):
    """One tree figure for both sheets: label widths set the columns, long words become keys with
    a legend, and the sheet marks no path (no colour key)."""
    long_word = "incomprehensibilities" * 3
    edges = f'"alpha" = -0.5\n"beta" = -1\n"alpha {long_word}" = -0.2\n"beta gamma" = -0.1\n'
    source = sheet_source(load_text(f"[decoding.tree]\n{edges}"))
    question = source.split("Question 2")[1].split("Question 3")[0]
    assert "tikzpicture" in question and r"Long words are drawn as keys: {[}1{]}" in question
    assert "thick green" not in question and "draw=keep" not in question
