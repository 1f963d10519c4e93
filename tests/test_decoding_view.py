"""Question 2's views (plain data by the rule every view follows: tests/test_views.py): no SymPy
object, all its templates print, and the code's constants in the prose."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp
from jinja2 import meta, nodes

from derive import build, cache, config
from derive.latex import treefig
from derive.latex.render import MACROS, environment, render
from derive.questions.base import Heading, PartIds
from derive.questions.decoding import answer as q2a
from derive.questions.decoding import beam_sort, search
from derive.questions.decoding import question as q2
from derive.questions.decoding import view as decoding_view
from derive.questions.registry import QUESTIONS
from tests.view_support import assert_plain

DECODING = QUESTIONS["decoding"]
# Twelve first words and ten beams: the step table, the beams and the pruned sequences are elided.
WIDE = "[decoding]\nbeam_width = 10\nsteps = 2\n[decoding.tree]\n" + "".join(
    f'"w{i:02}" = -{3 + i / 10:.1f}\n"w{i:02} z" = -0.01\n' for i in range(12))
LONG = '[decoding.tree]\n"internationalization" = -0.5\n"b" = -1.0\n"internationalization c" = -0.1\n"b c" = -0.2\n'
DEEP = "[decoding]\nsteps = 11\n[decoding.tree]\n" + "".join(f'"{" ".join(["x"] * k)}" = -0.01\n' for k in range(1, 12))
CONFIGS = {"default": "", "wide": WIDE, "long words": LONG, "too deep to draw": DEEP}


def _load(text: str) -> config.Config:
    return config.loads(text, "test.toml") if text else config.load(None)


@pytest.fixture(params=list(CONFIGS))
def cfg(request) -> config.Config:
    return _load(CONFIGS[request.param])


def test_the_views_hold_no_sympy_object(cfg):
    """Stricter than the rule every view follows (tests/test_views.py): Question 2 prints no
    number left to format; its counts and scores are LaTeX already."""
    leaves = assert_plain(DECODING.view(DECODING.derive(cfg), True), "v") + assert_plain(
        DECODING.prompt(cfg), "d")
    assert [path for path, leaf in leaves if isinstance(leaf, sp.Basic)] == []


# Template nodes that would compute, compare or look up by key (a view's job), or set variables.
COMPUTING = (nodes.Filter, nodes.Getitem, nodes.Compare, nodes.BinExpr, nodes.Neg, nodes.Pos, nodes.CondExpr,
             nodes.List, nodes.Tuple, nodes.Dict, nodes.Concat, nodes.Assign, nodes.AssignBlock, nodes.Macro)
DECODING_MACROS = ("draw_tree", "step_table", "path_list")


def _parse(name: str) -> nodes.Template:
    env = environment()
    return env.parse(env.loader.get_source(env, name)[0])  # type: ignore[union-attr]


def _only_prints(node: nodes.Node) -> None:
    """Nothing is computed: no filter, arithmetic, comparison, key lookup or literal collection;
    the only tests say whether an optional view field is none, the only calls are the decoding
    macros (given a view's data, and at most a literal separator)."""
    body = node.body if isinstance(node, nodes.Macro) else [node]
    for part in body:
        assert not list(part.find_all(COMPUTING)), [type(n).__name__ for n in part.find_all(COMPUTING)]
        assert {test.name for test in part.find_all(nodes.Test)} <= {"none"}
        calls = list(part.find_all(nodes.Call))
        assert all(isinstance(c.node, nodes.Name) and c.node.name in DECODING_MACROS for c in calls)
        literals = {id(arg) for c in calls for arg in c.args if isinstance(arg, nodes.Const)}
        assert all(id(const) in literals for const in part.find_all(nodes.Const))


def test_the_section_template_prints_only_the_view_and_the_heading():
    ast = _parse("decoding/solutions.tex.j2")
    assert meta.find_undeclared_variables(ast) == {"v", "heading"}  # the macros are globals
    _only_prints(ast)


def test_the_sheet_template_prints_only_the_prompt_and_the_heading():
    ast = _parse("decoding/sheet.tex.j2")
    assert meta.find_undeclared_variables(ast) == {"d", "heading"}
    _only_prints(ast)


def test_the_decoding_macros_only_print():
    macros = {m.name: m for m in _parse("macros.tex.j2").find_all(nodes.Macro)}
    assert set(DECODING_MACROS) <= set(MACROS) and set(DECODING_MACROS) <= set(macros)
    for name in DECODING_MACROS:
        _only_prints(macros[name])


def test_number_title_ids_and_points_come_from_the_heading():
    cfg = config.load(None)
    issued = {name: dataclasses.replace(part.issue("7"), points=part.points + 10)
              for name, part in q2a.DecodingParts.declared().items()}
    heading = Heading("7", "Search", PartIds(issued), 99)
    section = render("decoding/solutions.tex.j2", heading=heading, v=DECODING.view(DECODING.derive(cfg), True))
    sheet = render("decoding/sheet.tex.j2", heading=heading, d=DECODING.prompt(cfg))
    assert section.startswith("\\section{Question 7: Search}\n\\begin{question}{Question 7.}")
    for title in ("7.1 Number of sequences", "7.2 Exhaustive search", "7.3 Complexity of beam search",
                  "7.4 Greedy decoding", "7.5 Limitations"):
        assert f"\\subsection*{{{title}" in section
    assert sheet.startswith("\\section*{Question 7: Search (99 points)}")
    for item in ("\\item[7.1] (12 points)", "\\item[7.2] (12 points)", "\\item[7.3] (13 points)", "\\item[7.4] The",
                 "\\item[(a)] (12 points)", "\\item[(b)] (18 points)", "\\item[7.5] (13 points)"):
        assert item in sheet
    assert "Question 2" not in section + sheet and "\\subsection*{2." not in section and "\\item[2." not in sheet


@pytest.fixture
def fresh_costs(monkeypatch):
    """The cost models are computed once per process and kept in derive's cache folder under
    their source's digest: again with a patched name (the folder left aside), and after it."""
    monkeypatch.setattr(cache, "_enabled", False)
    q2a.cost_model.cache_clear()
    yield
    q2a.cost_model.cache_clear()


@pytest.mark.parametrize(("module", "name", "value", "shown"), [
    (q2a, "RATE", 10**15, ["scores $10^{15}$ sequences per second", "time at $10^{15}$/s (years)"]),
    (q2a, "AGE_OF_UNIVERSE_YEARS", sp.Rational(138, 10) * 10**9, ["age of the universe: 13.8 billion years"]),
    (q2a, "FEASIBILITY_LENGTHS", (7,), ["\\midrule\n3 & $10^{14.1}$", "\n7 & $10^{32.9}$", "\\\\\n\\bottomrule"]),
    (search, "DEAD_BEAM_SCORE", -(10**6), ["a score of $-10^{6}$ at the start"]),
    (beam_sort, "RECURRENCE_UP_TO", 1024, ["the recurrence for $n \\le 1024$"]),
    (beam_sort, "EXHAUSTIVE_UP_TO", 7, ["every input order for $n \\le 7$"]),
    (beam_sort, "ATTAINED_AT", (5, 9), ["exactly $W(n)$ on such orders of\n5 and 9 items"]),
    (beam_sort, "BOUND_FACTOR", 4, ["total stays below $4\\,TBN\\log_2(BN)$"]),
    (treefig, "LOGP_DIGITS", 1, ["$\\log p(\\bar w_{1:3}) = -2$", "node[lp, pos=0.6] {$-1$} (p1.west)"]),
    (decoding_view, "ESTIMATE_DIGITS", 5, ["\\approx 2.4596$ times less likely"]),
    (decoding_view, "BEST_SHOWN", 2, ["The best paths:\n``a dog barked'' ($-1.5$); \n``the dog ran'' ($-2.2$).\n"]),
    (search, "WORDS_WRITTEN", "words copied", ["\nwords copied & $B t", "and\n30 words copied, with"]),
])
def test_the_prose_prints_the_codes_constants(monkeypatch, fresh_costs, module, name, value, shown):
    monkeypatch.setattr(module, name, value)
    section = build.question_source(DECODING, DECODING.derive(config.load(None)), True)
    for text in shown:
        assert text in section


def test_the_checks_and_the_prose_name_the_operations_alike(monkeypatch, fresh_costs):
    monkeypatch.setattr(search, "COMPARISONS", "comparisons made")
    cfg = config.load(None)
    answer = DECODING.derive(cfg)
    assert "Algorithm 1: comparisons made" in {c.name for c in DECODING.plan(answer, cfg)}
    assert "603075 comparisons made and" in build.question_source(DECODING, answer, True)


def test_the_beams_field_is_named_once(monkeypatch):
    for module in (q2a, q2):  # where it is defined, and where the checks' fields import it
        monkeypatch.setattr(module, "BEAMS", "beams")
    answer = DECODING.derive(_load(WIDE))
    assert "beams" in DECODING.as_json(answer)
    assert r"under \texttt{decoding.\allowbreak{}beams})" in build.question_source(DECODING, answer, True)


def test_elided_lists_count_what_they_hide():
    assert decoding_view._elided(range(10), str, 3) == decoding_view.Elided(("0", "1", "2", None, "9"), 6)
    assert decoding_view._elided(range(10), str, 2, 2) == decoding_view.Elided(("0", "1", None, "8", "9"), 6)
    assert decoding_view._elided(range(5), str, 3) == decoding_view.Elided(("0", "1", "2", "3", "4"), 0)


def test_a_long_step_says_how_many_hidden_candidates_are_kept():
    v = DECODING.view(DECODING.derive(_load(WIDE)), True)
    first = v.search.beam_table.steps.shown[0]
    assert (len(first.candidates.shown), first.candidates.hidden, first.hidden_kept) == (8, 5, 4)
    assert (v.search.beams.hidden, v.search.beam_count) == (2, 10)


def test_the_candidate_column_fits_the_longest_path_within_the_text():
    short = DECODING.view(DECODING.derive(_load("")), True).search.greedy_table
    long = DECODING.view(DECODING.derive(_load(LONG)), True).search.greedy_table
    assert short.candidate_em == f"{decoding_view.CANDIDATE_MIN_EM:.1f}"
    assert long.candidate_em == f"{len('internationalization c') * decoding_view.EM_PER_CHARACTER:.1f}"
