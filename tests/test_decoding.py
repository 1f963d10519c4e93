"""Question 2: decoding results, cost model, property tests against brute force, bad input."""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import config
from derive.errors import ConfigError
from derive.latex import printer
from derive.questions.decoding import answer as q2a
from derive.questions.decoding import beam_sort, reference, search
from derive.questions.decoding import published as read_back
from derive.questions.decoding import question as q2
from derive.questions.decoding import view as decoding_view
from derive.questions.registry import QUESTIONS
from tests.check_support import failing


def test_default_tree_results():
    a = q2a.derive(config.load(None))
    assert (a.greedy.words, a.greedy.score) == (("the", "cat", "sat"), sp.Rational(-12, 5))
    assert [(h.words, h.score) for h in a.beams] == [
        (("a", "dog", "barked"), sp.Rational(-3, 2)), (("the", "cat", "sat"), sp.Rational(-12, 5))]
    assert a.optimum.words == ("a", "dog", "barked")
    assert [(h.words, copies) for h, copies in a.literal_first] == [(("the",), 2)]
    assert a.shortfall.missed[0][0].words == ("the", "dog", "ran")


def test_cost_model_formulas():
    c = q2a.cost_model()
    N, T, B = q2a.N, q2a.T, q2a.B
    assert sp.expand(c.totals[search.COMPARISONS] - T * (B**2 * N - B * (B + 1) / 2)) == 0
    assert sp.expand(c.totals[search.WORDS_WRITTEN] - B * T * (T + 2)) == 0
    assert c.time_big_o == B**2 * N * T + B * T**2
    assert c.space_big_o == B * N + B * T


def test_sort_cost_formulas():
    s = beam_sort.sort_cost()
    N, T, B = q2a.N, q2a.T, q2a.B
    # the worst case of top-down merge sort on n = 1..16 items (OEIS A001855)
    assert [int(s.worst_case.subs(beam_sort.n, m)) for m in range(1, 17)] == [
        0, 1, 3, 5, 8, 11, 14, 17, 21, 25, 29, 33, 37, 41, 45, 49]
    assert s.powers_of_two == beam_sort.k * 2**beam_sort.k - 2**beam_sort.k + 1
    assert s.totals[search.SCORES] == B * N * T
    assert s.per_step_big_o == B * N * sp.log(B * N)
    assert s.time_big_o == B * N * T * sp.log(B * N)
    assert q2a.as_json(q2a.derive(config.load(None)))["complexity"]["sorted"]["time"] == "O(B*N*T*log(B*N))"


def _plant_sort(answer, **fields):
    totals = fields.pop("totals", {})
    cost = dataclasses.replace(answer.sort_cost, totals={**answer.sort_cost.totals, **totals}, **fields)
    return dataclasses.replace(answer, sort_cost=cost)


O_FORM_CHECK = f"sorting: counts / O-form at most {beam_sort.BOUND_FACTOR} (log base 2)"


def test_checks_pass():
    cfg = config.load(None)
    assert failing(q2, q2a.derive(cfg), cfg) == set()


def _plant_cost(cost, **totals):
    return dataclasses.replace(cost, totals={**cost.totals, **totals})


def _plant_step(answer, change):
    """The last beam-search step's table with its candidate rows changed."""
    *before, last = answer.beam_steps
    changed = dataclasses.replace(last, candidates=change(last.candidates))
    return dataclasses.replace(answer, beam_steps=[*before, changed])


@pytest.mark.parametrize(
    ("plant", "caught"),
    [
        (lambda a: dataclasses.replace(a, count=q2a.N ** (q2a.T + 1)), "number of sequences"),
        (lambda a: dataclasses.replace(a, cost=_plant_cost(a.cost, **{search.COMPARISONS: q2a.B**2 * q2a.N * q2a.T})),
         "Algorithm 1: comparisons"),
        (lambda a: dataclasses.replace(a, cost=_plant_cost(a.cost, **{search.WORDS_WRITTEN: q2a.B * q2a.T**2})),
         "Algorithm 1: words written"),
        (lambda a: dataclasses.replace(a, cost=dataclasses.replace(a.cost, space=q2a.B * q2a.N)), "Algorithm 1: space"),
        (lambda a: dataclasses.replace(a, cost=_plant_cost(a.cost, **{search.SCORES: q2a.N * q2a.T})),
         "Algorithm 1: scores"),
        (lambda a: _plant_sort(a, worst_case=beam_sort.n * beam_sort.LEVELS), "sorting: merge-sort worst case W(n)"),
        (lambda a: _plant_sort(a, worst_case=beam_sort.n * beam_sort.LEVELS - 2**beam_sort.LEVELS),
         "sorting: W(n) solves its recurrence"),
        (lambda a: _plant_sort(a, powers_of_two=beam_sort.k * 2**beam_sort.k), "sorting: W(n) solves its recurrence"),
        (lambda a: _plant_sort(a, totals={beam_sort.SORT_COMPARISONS: q2a.T * q2a.B * q2a.N}),
         "sorting: comparisons on worst-case inputs"),
        (lambda a: _plant_sort(a, totals={search.SCORES: q2a.N * q2a.T}), "sorting: scores"),
        (lambda a: _plant_sort(a, time_big_o=q2a.B * q2a.N * q2a.T), O_FORM_CHECK),
        (lambda a: _plant_sort(a, time_big_o=q2a.B * q2a.N * q2a.T * sp.log(q2a.B)), O_FORM_CHECK),
        (lambda a: dataclasses.replace(a, assumptions=dataclasses.replace(a.assumptions, rate=10**17)),
         "sequences, years and universes"),
        (lambda a: dataclasses.replace(a, assumptions=dataclasses.replace(a.assumptions, universe_years=13 * 10**9)),
         "sequences, years and universes"),
        (lambda a: dataclasses.replace(a, ranking=a.ranking[::-1]), "beam with B = #leaves = exhaustive ranking"),
        (lambda a: dataclasses.replace(a, beams=a.beams[::-1]), "beam search result"),
        (lambda a: dataclasses.replace(a, greedy=a.beams[0]), "greedy = beam search with B = 1"),
        (lambda a: _plant_step(a, lambda rows: rows[:-1]), "greedy and beam search tables"),
        (lambda a: _plant_step(a, lambda rows: (dataclasses.replace(rows[0], kept=not rows[0].kept), *rows[1:])),
         "greedy and beam search tables"),
        (lambda a: _plant_step(a, lambda rows: (dataclasses.replace(rows[0], score=rows[0].score - 1), *rows[1:])),
         "greedy and beam search tables"),
        (lambda a: _plant_step(a, lambda rows: (dataclasses.replace(rows[0], score=rows[0].score + sp.Rational(1, 7)),
                                                *rows[1:])), "greedy and beam search tables"),
        (lambda a: _plant_step(a, lambda rows: (*rows[:-1], dataclasses.replace(rows[-1], parent_score=sp.Integer(0)))),
         "greedy and beam search tables"),
        (lambda a: _plant_step(a, lambda rows: (*rows[:-1], dataclasses.replace(rows[-1], logp=rows[0].logp))),
         "greedy and beam search tables"),
        (lambda a: _plant_step(a, lambda rows: (dataclasses.replace(rows[0], words=("the", "cat", "sat")),
                                                *rows[1:])), "greedy and beam search tables"),
        (lambda a: dataclasses.replace(a, greedy=dataclasses.replace(a.greedy, score=a.greedy.score + 1)),
         "log-likelihoods = sums of edge log-probabilities"),
        (lambda a: dataclasses.replace(a, greedy=dataclasses.replace(a.greedy,
                                                                     score=a.greedy.score + sp.Rational(1, 7))),
         "log-likelihoods = sums of edge log-probabilities"),
        (lambda a: dataclasses.replace(a, beams=[dataclasses.replace(a.beams[0], score=a.beams[0].score - 1),
                                                 *a.beams[1:]]), "beam search result"),
        (lambda a: dataclasses.replace(a, shortfall=dataclasses.replace(a.shortfall, missed=[])),
         "what greedy and the beam missed"),
        (lambda a: dataclasses.replace(a, shortfall=dataclasses.replace(
            a.shortfall, missed=[(h, t + 1) for h, t in a.shortfall.missed])), "what greedy and the beam missed"),
    ],
)
def test_planted_errors_are_caught(plant, caught):
    cfg = config.load(None)
    assert caught in failing(q2, plant(q2a.derive(cfg)), cfg)


def _worst_first(items, count):
    """merge_sort with its comparison reversed: it sorts worst first."""
    return sorted(ORIGINAL_MERGE_SORT(items, count), key=lambda item: (item[0], [-x for x in item[1:]]))


ORIGINAL_MERGE_SORT = search.merge_sort
ORIGINAL_ALGORITHM1 = search.algorithm1


@pytest.mark.parametrize(("name", "value", "caught"), [
    ("merge_sort", _worst_first, "sorting: the beams kept"),
    ("algorithm1", lambda *args: ([(0,)] + ORIGINAL_ALGORITHM1(*args)[0][1:], ORIGINAL_ALGORITHM1(*args)[1]),
     "Algorithm 1 as printed keeps B copies of the greedy path"),
])
def test_an_instrument_that_searches_wrong_is_caught(monkeypatch, name, value, caught):
    """The counts of a run are only worth something if the run is a search that works."""
    monkeypatch.setattr(search, name, value)
    cfg = config.load(None)
    assert caught in failing(q2, q2a.derive(cfg), cfg)


# --- Property tests: an independent brute force, written here ---------------------------------

def _score(tree, path):
    return sum(tree[path[:k]] for k in range(1, len(path) + 1))


def _key(tree, path):
    return (-_score(tree, path), path)


def _brute_beam(tree, steps, width):
    beams = [()]
    for depth in range(1, steps + 1):
        pool = [p for p in tree if len(p) == depth and p[:-1] in beams]
        beams = sorted(pool, key=lambda p: _key(tree, p))[:width]
    return beams


def _brute_greedy(tree, steps):
    path = ()
    for _ in range(steps):
        kids = [p for p in tree if len(p) == len(path) + 1 and p[:-1] == path]
        path = min(kids, key=lambda p: (-tree[p], p))
    return path


@st.composite
def trees(draw):
    steps = draw(st.integers(1, 3))
    words = ["a", "b", "c"]
    # a small set (ties are frequent) over several denominators (scores summed over their least common one)
    logps = st.sampled_from([Fraction(-k, d) for d in (4, 3, 10) for k in range(2, 8)])
    tree = {}

    def grow(prefix):
        kids = draw(st.lists(st.sampled_from(words), min_size=1, max_size=3, unique=True))
        for w in kids:
            tree[prefix + (w,)] = draw(logps)
            if len(prefix) + 1 < steps:
                grow(prefix + (w,))

    grow(())
    return {k: sp.Rational(v.numerator, v.denominator) for k, v in tree.items()}, steps, draw(st.integers(1, 4))


@settings(max_examples=150, deadline=None)
@given(trees())
def test_against_brute_force(case):
    tree, steps, width = case
    best, _ = search.greedy(tree, steps)
    assert best.words == _brute_greedy(tree, steps)
    beams, table = search.beam_search(tree, steps, width)
    assert [h.words for h in beams] == _brute_beam(tree, steps, width)
    assert all(h.score == _score(tree, h.words) for h in beams)
    assert all((c.parent_score, c.logp, c.score) == (_score(tree, c.words[:-1]), tree[c.words], _score(tree, c.words))
               for step in table for c in step.candidates)
    assert search.beam_search(tree, steps, width, tables=False) == (beams, [])
    leaves = [p for p in tree if len(p) == steps]
    optimum = min(leaves, key=lambda p: _key(tree, p))
    assert search.exhaustive(tree, steps)[0].words == optimum
    assert [h.words for h in search.beam_search(tree, steps, len(leaves))[0]] == sorted(
        leaves, key=lambda p: _key(tree, p))
    assert search.beam_search(tree, steps, 1)[0][0].words == best.words


def _brute_literal(tree, steps, width):
    """Algorithm 1 taken literally, every copy an object: B identical <BOS> beams, B x N candidates."""
    beams = [()] * width
    for depth in range(1, steps + 1):
        pool = [p for b in beams for p in tree if len(p) == depth and p[:-1] == b]
        beams = sorted(pool, key=lambda p: _key(tree, p))[:width]
    return beams


@settings(max_examples=150, deadline=None)
@given(trees())
def test_the_literal_search_holds_copies_once_and_keeps_what_every_copy_would(case):
    tree, steps, width = case
    literal = search.literal_beam_search(tree, steps, width)
    assert [h.words for h in literal] == _brute_literal(tree, steps, width)
    assert all(h.score == _score(tree, h.words) for h in literal)
    first = search.literal_beam_search(tree, 1, width)
    assert [(h.words, sum(g.words == h.words for g in first)) for h in dict.fromkeys(first)] == [
        (h.words, copies) for h, copies in search.literal_first_step(tree, width)]


def test_algorithm1_counts_match_formulas_beyond_the_checked_grid():
    c = q2a.cost_model()
    for steps, width, vocab in itertools.product((5,), (4,), (6, 7)):
        _, counter = search.algorithm1(lambda p, j: float((hash(p) + j) % 7), vocab, steps, width)
        at = {q2a.T: steps, q2a.B: width, q2a.N: vocab}
        assert counter.comparisons == c.totals[search.COMPARISONS].subs(at)
        assert counter.peak_space == c.space.subs(at)


def test_unseen_tree_with_ties_and_latex_words(write_config, run, tmp_path):
    path = write_config('[decoding]\nbeam_width = 2\n[decoding.tree]\n"x" = -1.0\n"y" = -1.0\n'
                        '"x 50%" = -0.5\n"x a_b" = -1.7\n"y {z}" = -0.5\n')
    code, _, err = run("build", "--no-pdf", "--config", str(path), "--out", str(tmp_path))
    assert code == 0, err
    d = json.loads((tmp_path / "answers.json").read_text())["decoding"]
    assert d["greedy"] == {"words": ["x", "50%"], "log_likelihood": "-3/2"}
    assert d["beam"] == [{"words": ["x", "50%"], "log_likelihood": "-3/2"},
                         {"words": ["y", "{z}"], "log_likelihood": "-3/2"}]
    tex = (tmp_path / "solutions.tex").read_text()
    assert r"x 50\%" in tex and r"y \{z\}" in tex


@pytest.mark.parametrize(
    ("tree", "extra", "message"),
    [
        ('"a b" = -1\n', "", r'^decoding\.tree\["a b"\]: its prefix "a" is not listed$'),
        ('"a" = 0.5\n', "", r"^decoding\.tree\.a: is a log-probability and must be <= 0, got 0\.5$"),
        ('"a" = "x"\n', "", r"^decoding\.tree\.a: must be a number, got a string$"),
        ('"a" = -0.1\n"b" = -0.2\n', "", r"^decoding\.tree: the first words' probabilities sum to 1\.72"),
        ('"a" = -1\n"a b" = -0.1\n"a c" = -0.2\n', "",
         r"^decoding\.tree\.a: its children's probabilities sum to 1\.72.*, more than 1 \(compared exactly\)$"),
        ('"a" = 0\n"b" = -150\n', "", r"^decoding\.tree: the first words' probabilities sum to 1 \+ 7\.18e-66, more"),
        ('"a" = 0\n"b" = -1000\n', "", r"^decoding\.tree: the first words' probabilities sum to 1 \+ 5\.08e-435, more"),
        ('"a" = -0.5\n"b" = -0.93275212956718852\n', "",
         r"^decoding\.tree: the first words' probabilities sum to 1 \+ 2\.04e-17, more"),
        ('"a" = -1\n"b" = -1\n"a c" = -1\n', "steps = 2\n",
         r"^decoding\.tree\.b: has no child, but every node above depth steps = 2 needs one$"),
        ('"a" = -1\n', "steps = 2\n", r"^decoding\.steps: is 2, deeper than the tree \(depth 1\)$"),
        ('"a" = -1\n', "beam_width = 0\n", r"^decoding\.beam_width: must be between 1 and 1000000, got 0$"),
        ('"a" = -1\n', "beam_width = 1.5\n", r"^decoding\.beam_width: must be an integer, got a number$"),
        ('"a  b" = -1\n', "", r'^decoding\.tree\["a  b"\]: words must be non-empty and separated by single spaces$'),
        ('"a\\tb" = -1\n', "", r'^decoding\.tree\["a\\tb"\]: words must not contain whitespace'),
        ('" a" = -1\n', "", r'^decoding\.tree\[" a"\]: words must be non-empty'),
    ],
)
def test_bad_trees(load_text, tree, extra, message):
    with pytest.raises(ConfigError, match=message):
        load_text(f"[decoding]\n{extra}[decoding.tree]\n{tree}")


@pytest.mark.parametrize("tree", [
    '"a" = 0\n',                                       # the one case where the sum is exactly 1
    '"a" = -0.5\n"b" = -0.93275212956718858\n',       # 1 - 3.2e-18: closer to 1 than float precision
    '"a" = -1e-100\n"b" = -1000\n',                    # 1 - 1e-100 + 5.1e-435: below 1 by about 1e-100
])
def test_trees_whose_sums_are_at_most_one_load(load_text, tree):
    assert load_text(f"[decoding]\n[decoding.tree]\n{tree}").decoding.tree


@pytest.mark.parametrize("width", [1, 2, 3, 7])
def test_algorithm1_taken_literally_keeps_what_materialized_copies_keep(width):
    """The counted first step against the B x N candidates built and sorted, as printed."""
    tree = {("a",): sp.Rational(-1), ("b",): sp.Rational(-1), ("c",): sp.Rational(-1, 2)}
    built = sorted((search.Hypothesis(p, tree[p]) for _ in range(width) for p in tree), key=search.rank)[:width]
    counted = [h for h, copies in search.literal_first_step(tree, width) for _ in range(copies)]
    assert counted == built


def test_the_largest_beam_costs_what_its_candidates_cost(load_text):
    """B = 10^6 over 30 first words: built as copies this took minutes and gigabytes."""
    words = "".join(f'"w{i:02}" = -4\n' for i in range(30))
    cfg = load_text(f"[decoding]\nbeam_width = 1000000\n[decoding.tree]\n{words}")
    answer = q2a.derive(cfg)
    assert [(h.words, copies) for h, copies in answer.literal_first] == [(("w00",), 10**6)]
    assert [h.words for h in answer.beams] == [(f"w{i:02}",) for i in range(30)]


# --- What is kept per process ---------------------------------------------------------------------

MEMOS = (q2a._counts, q2a._evaluated, q2a._feasibility_rows, read_back._count_error, read_back.text,
         beam_sort._lambdified, beam_sort._recurrence, beam_sort._measured, reference._uniform,
         printer._remembered_decimal, printer._remembered_tex)


def _everything(cfg: config.Config) -> tuple:
    answer = q2a.derive(cfg)
    return answer, q2a.as_json(answer), q2.plan(answer, cfg), decoding_view.view(answer, "decoding.beam")


def test_what_is_kept_per_process_is_what_is_computed_afresh():
    """The memos are of pure functions: on seeded draws of several sizes, the answer, its section
    of answers.json, its checks and its view, with every memo warm, are those computed after
    every memo was emptied."""
    defaults = config.parse_toml(config.default_text(), "default.toml")
    spec = config.load(None).variants
    for seed in range(12):
        table = QUESTIONS["decoding"].randomize(random.Random(seed), spec)
        cfg = config.from_dict({"decoding": table | {"beam_width": 1 + seed % 3, "vocabulary_size": 13 + seed % 4}},
                               defaults)
        _everything(cfg)
        warm = _everything(cfg)
        for memo in MEMOS:
            memo.cache_clear()
        assert _everything(cfg) == warm, seed
