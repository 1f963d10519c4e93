"""derive build --html: solutions.html's structure, its MathML, figures and escaping (no browser)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sympy as sp

from derive import config
from derive.answer import Tex
from derive.html import markup
from derive.html.markup import Markup, escape, finalize, tex_plain
from derive.latex.escaping import escape as latex_escape
from derive.latex.escaping import words
from derive.latex.printer import decimal
from derive.latex.treefig import LOGP_DIGITS
from derive.questions.registry import QUESTIONS
from tests.html_support import foreign_tags, read
from tests.test_robustness import HOSTILE, TITLE, _hostile_config


@pytest.fixture(scope="module")
def default_page(tmp_path_factory) -> tuple[str, dict]:
    from derive import cli

    out = tmp_path_factory.mktemp("html")
    assert cli.main(["build", "--no-pdf", "--html", "--out", str(out)]) == 0
    return (out / "solutions.html").read_text(encoding="utf-8"), json.loads((out / "answers.json").read_text())


def test_markup_is_the_only_way_past_escaping():
    assert escape("<b>&\"'") == "&lt;b&gt;&amp;&quot;&#x27;"
    assert escape(Markup("<b>")) == "<b>"
    assert finalize("<i>") == "&lt;i&gt;"
    assert finalize(Markup("<i>")) == "<i>"
    assert finalize(Tex(r"a\textless{}b")) == "a&lt;b"  # text-mode Tex reads as the text it prints
    with pytest.raises(TypeError):
        Markup("<p>") + "<script>"
    with pytest.raises(TypeError):
        "<script>" + Markup("<p>")
    for bad in (True, 0.5, object()):
        with pytest.raises(TypeError):
            finalize(bad)


@pytest.mark.parametrize("word", [*HOSTILE, "a,,b", "[k]", "averyveryverylongwordthatiscut"])
def test_text_tex_reads_back_as_the_user_wrote_it(word):
    assert tex_plain(latex_escape(word)) == word
    assert tex_plain(words([word])) == word


def test_formulas_are_mathml():
    x = sp.Symbol("x")
    assert finalize(x**2).startswith("<math") and "<msup>" in finalize(x**2)
    assert "<mfrac>" in markup.math(Tex(r"\frac{1}{2}"))


def test_the_page_is_one_self_contained_document(default_page):
    html, _ = default_page
    page = read(html)
    assert re.match(r'<!DOCTYPE html>\n<html lang="en">', html)
    tags = [tag for tag, _ in page.tags]
    assert tags.count("h1") == 1 and tags.count("main") == 1 and tags.count("nav") == 1
    assert foreign_tags(page) == set()
    for tag, attrs in page.tags:  # nothing is fetched: no scripts, links, images or external references
        assert tag not in ("script", "link", "img", "iframe"), tag
        assert not any(k in ("src", "srcset") for k in attrs), (tag, attrs)
        assert not (attrs.get("href") or "#").startswith(("http:", "https:", "//")), attrs
    anchors = {attrs["id"] for _, attrs in page.tags if "id" in attrs}
    toc = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert toc and all(href[1:] in anchors for href in toc)
    assert [f"#q{q.number}" for q in QUESTIONS] + ["#verification"] == toc[: len(QUESTIONS) + 1]


def test_every_formula_is_mathml_and_no_latex_is_left_in_the_text(default_page):
    html, _ = default_page
    page = read(html)
    assert html.count("<math") > 100
    leftovers = [t for t in page.text + page.math_text if "\\" in t or "$" in t]
    assert not leftovers, leftovers[:5]
    assert "<merror" not in html


def test_a_leftover_latex_command_is_seen(default_page):
    html, _ = default_page
    page = read(html.replace("</main>", "<p>\\unknown{x}</p></main>"))
    assert any("\\" in t for t in page.text)  # what the test above looks for


def test_boxed_results_and_checks_are_those_of_answers_json(default_page):
    html, published = default_page
    page = read(html)
    boxes = [attrs for tag, attrs in page.tags if tag == "div" and attrs.get("class") == "result"]
    fields = [q.boxed(published[q.key]) for q in QUESTIONS]
    assert len(boxes) == sum(len(f) for f in fields) > 0
    for f in fields:
        for box in f:
            assert f"<code>{box.field}</code>" in html
    rows = html.split("<caption>The checks</caption>")[1].split("</table>")[0].count("<tr>") - 1  # less the head
    assert rows == len(published["checks"]) + len(published["skipped_checks"])


def test_figures_are_svg_with_a_text_alternative(default_page):
    html, _ = default_page
    page = read(html)
    svgs = [attrs for tag, attrs in page.tags if tag == "svg"]
    assert len(svgs) == 3  # the normalization tensor, the decoding tree and the BiRNN graph
    ids = {attrs.get("id") for _, attrs in page.tags}
    for attrs in svgs:
        assert attrs["role"] == "img"
        assert attrs["aria-labelledby"] in ids and attrs["aria-describedby"] in ids
    descriptions = html.split("<desc ")[1:]
    assert all(len(d.split(">", 1)[1].split("</desc>")[0]) > 80 for d in descriptions)
    tree = config.load(None).decoding.tree  # the tree's description names every path, with its log-probabilities
    leaves = [p for p in tree if not any(len(q) > len(p) and q[: len(p)] == p for q in tree)]
    assert len(leaves) == html.split("Its paths: ")[1].split("</desc>")[0].count(";") + 1
    for leaf in leaves:
        said = " ".join(f"{w} ({decimal(tree[leaf[:i + 1]], LOGP_DIGITS)})" for i, w in enumerate(leaf))
        assert said in html, said


@pytest.mark.parametrize("sheet", ["solutions", "questions"])
def test_hostile_words_and_title_appear_literally_and_make_no_element(write_config, tmp_path, sheet):
    from derive import cli

    assert cli.main(["build", "--no-pdf", "--html", "--sheet", sheet, "--config",
                     str(_hostile_config(write_config)), "--out", str(tmp_path)]) == 0
    page = read((tmp_path / f"{sheet}.html").read_text(encoding="utf-8"))
    assert foreign_tags(page) == set()
    assert page.title == TITLE
    text = "".join(page.text)
    for word in HOSTILE:
        assert word in text, word


def test_unescaped_user_text_would_be_caught(monkeypatch, write_config, tmp_path):
    """The hostile test's element check can fail: with escaping bypassed, "<<x>>" makes an element."""
    from derive import cli

    monkeypatch.setattr(markup, "escape", lambda text: Markup(text))
    assert cli.main(["build", "--no-pdf", "--html", "--config", str(_hostile_config(write_config)),
                     "--out", str(tmp_path)]) == 0
    assert foreign_tags(read((tmp_path / "solutions.html").read_text(encoding="utf-8")))


def test_same_config_same_bytes_and_a_build_without_html_removes_the_stale_page(run, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        assert run("build", "--no-pdf", "--html", "--out", str(out))[0] == 0
    assert (first / "solutions.html").read_bytes() == (second / "solutions.html").read_bytes()
    assert run("build", "--no-pdf", "--out", str(first))[0] == 0
    assert not (first / "solutions.html").exists()
    assert Path(first / "answers.json").exists()


def test_a_crowded_graph_gives_its_weights_under_it(write_config, tmp_path):
    from derive import cli

    assert cli.main(["build", "--no-pdf", "--html", "--config", str(write_config("[birnn]\nsteps = 8\n")),
                     "--out", str(tmp_path)]) == 0
    html = (tmp_path / "solutions.html").read_text(encoding="utf-8")
    svg = html.split('<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="fig-graph-t"')[1]
    graph, after = svg.split("</svg>", 1)
    assert "<mi>W</mi>" not in graph  # no edge label: the figure is crowded
    key = after.split("Edge weights: ")[1].split("</p>")[0]  # the PDF's key, from the same template
    assert key.count("<math") == 12  # six kinds of weighted edge, each with its weight


def test_the_step_tables_keep_one_candidate_per_greedy_step_and_b_per_beam_step(default_page):
    html, _ = default_page
    beam = html.split("<caption>Beam search, step by step</caption>")[1].split("</table>")[0]
    cfg = config.load(None).decoding  # every step of the default tree has at least B candidates: B kept at each
    assert beam.count('<span class="pass">yes</span>') == cfg.beam_width * cfg.steps
    greedy = html.split("<caption>Greedy decoding, step by step</caption>")[1].split("</table>")[0]
    assert greedy.count('<span class="pass">yes</span>') == cfg.steps  # one kept per step


def test_each_question_is_restated_with_its_prose(default_page):
    html, _ = default_page
    page = read(html)
    statements = [attrs for tag, attrs in page.tags if tag == "div" and attrs.get("class") == "statement"]
    assert len(statements) == len(QUESTIONS)
    for q in QUESTIONS:
        assert f"<strong>Question {q.number}.</strong>" in html
    cites = [attrs["href"] for tag, attrs in page.tags if tag == "a" and attrs["href"].startswith("#ref-")]
    assert cites and {f"ref-{k}" for k in re.findall(r"\\bibitem\{([^}]*)\}", _references())} >= {c[1:] for c in cites}
    names = [attrs["aria-label"] for _, attrs in page.tags if attrs.get("role") == "region"]
    assert len(names) == len(set(names))  # every box that scrolls has a name of its own


def _references() -> str:
    from derive.latex.render import render

    return render("references.tex.j2")


def test_text_inside_a_formula_is_escaped():
    """latex2mathml copies \\texttt's argument into <mtext> as it is: tex_math escapes it first."""
    assert "&lt;BOS&gt;" in markup.tex_math(Tex(r"w_0 = \texttt{<BOS>}"))
    assert "<BOS>" not in markup.tex_math(Tex(r"w_0 = \texttt{<BOS>}"))
    assert "&lt;b&gt;" in markup.tex_math(Tex(r"\text{" + str(latex_escape("<b>")) + "}"))


def test_the_prose_reader_refuses_latex_it_does_not_know():
    from derive.html.prose import Reader

    assert "<strong>x</strong>" in Reader("a test").paragraphs(r"\textbf{x} and $y$")
    for word in HOSTILE:  # user text, escaped for LaTeX, reads back as written: no command, no element
        page = read(str(Reader("a test").paragraphs(r"A word: \texttt{" + str(latex_escape(word)) + "}.")))
        assert "".join(page.text) == f"A word: {word}." and foreign_tags(page) == set(), word
    for unknown in (r"\unknown{x}", r"\begin{tabbing}x\end{tabbing}"):
        with pytest.raises(ValueError, match="does not know"):
            Reader("a test").paragraphs(unknown)


@pytest.fixture(scope="module")
def sheet_page(tmp_path_factory) -> str:
    from derive import cli

    out = tmp_path_factory.mktemp("sheet")
    assert cli.main(["build", "--no-pdf", "--html", "--sheet", "questions", "--out", str(out)]) == 0
    assert not (out / "solutions.html").exists() and (out / "questions.tex").exists()
    return (out / "questions.html").read_text(encoding="utf-8")


def test_the_question_sheet_page(sheet_page):
    html = sheet_page
    page = read(html)
    assert re.match(r'<!DOCTYPE html>\n<html lang="en">', html)
    tags = [tag for tag, _ in page.tags]
    assert tags.count("h1") == 1 and tags.count("main") == 1 and tags.count("nav") == 1
    assert foreign_tags(page) == set()
    assert not [t for t in page.text + page.math_text if "\\" in t or "$" in t]
    assert "<merror" not in html and html.count("<math") > 50
    assert not {"script", "link", "img", "iframe"} & set(tags)
    toc = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert toc == [f"#q{q.number}" for q in QUESTIONS]
    for q in QUESTIONS:
        assert f"Question {q.number}: {q.title} ({q.heading().points} points)</h2>" in html
    (svg,) = [attrs for tag, attrs in page.tags if tag == "svg"]  # the decoding tree, given
    assert svg["role"] == "img"
    assert "Its paths: " in html and "final beams" not in html  # the sheet marks no answer on it
    assert "Figure 1: The tree of" in html and "drawn in Figure 1" in html


def test_a_sheet_build_without_html_removes_the_stale_sheet_page(run, tmp_path):
    assert run("build", "--no-pdf", "--html", "--sheet", "questions", "--out", str(tmp_path))[0] == 0
    assert (tmp_path / "questions.html").exists()
    assert run("build", "--no-pdf", "--sheet", "questions", "--out", str(tmp_path))[0] == 0
    assert not (tmp_path / "questions.html").exists()


def test_the_pages_prose_says_what_the_pdfs_says_of_pytorch_when_another_check_is_skipped():
    """Whether PyTorch is installed is the build's one answer (Solved.pytorch), not whether any
    check was skipped: a check skipped for another reason (a saturated unit, a single value)
    does not make the page say PyTorch is missing."""
    import dataclasses

    from derive.answer import Skipped
    from derive.build import appendix, solve
    from derive.html.page import solutions_html

    solved = solve(config.load(None))
    other = Skipped("3.3", "a check", "every unit saturated")
    for pytorch in (True, False):
        shown = dataclasses.replace(solved, pytorch=pytorch, skipped=[other])
        text = "".join(read(solutions_html(shown, appendix(shown))).text)
        assert ("PyTorch is not installed here" in text) is not pytorch
