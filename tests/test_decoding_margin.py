"""`unambiguous`: every decision of 2.4's answers won by the margin; ties planted at each kind
of decision are refused, and drawn trees hold it by construction."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy as sp

from derive import config
from derive.questions.decoding import answer as decodinga
from derive.questions.decoding import margin
from derive.questions.registry import QUESTIONS
from derive.variants import proved

SPEC = config.load(None).variants

# Each tree ties (or nearly ties) exactly one decision; every other decision is won by 0.2 or more.
PLANTED = {
    # "a" and "b" tie at greedy's first step; B = 2 keeps both (no cut), the optimum "a x" wins by 0.4
    "greedy step": ('beam_width = 2\n[decoding.tree]\n"a" = -1\n"b" = -1\n"a x" = -0.1\n"b y" = -0.5\n'
                    '"b z" = -2\n', "greedy, step 1"),
    # at depth 2, "a y" (-0.5 - 1.6) and "b z" (-1.2 - 0.9), not siblings, tie for the second place
    "beam cut between non-siblings": ('beam_width = 2\n[decoding.tree]\n"a" = -0.5\n"b" = -1.2\n"a x" = -1\n'
                                      '"a y" = -1.6\n"b z" = -0.9\n', "beam, cut at depth 2"),
    # "a x" and "b z" tie for the optimum at -1.5; both are kept by the beam, greedy takes "a x"
    "full-path optimum": ('beam_width = 2\n[decoding.tree]\n"a" = -0.5\n"b" = -1.2\n"a x" = -1\n"a y" = -2.5\n'
                          '"b z" = -0.3\n', "optimum"),
    # greedy's first step won by 0.01, less than the default margin 0.05
    "a greedy step won by less than the margin": ('beam_width = 2\n[decoding.tree]\n"a" = -1\n"b" = -1.01\n'
                                                  '"a x" = -0.1\n"b y" = -0.5\n"b z" = -2\n', "greedy, step 1"),
}


@pytest.mark.parametrize("name", PLANTED)
def test_a_tie_at_each_kind_of_decision_is_refused(load_text, name):
    text, where = PLANTED[name]
    answer = decodinga.derive(load_text(f"[decoding]\n{text}"))
    assert [d.what for d in margin.decisions(answer) if d.gap < SPEC.decoding.margin] == [where]
    assert min(d.gap for d in margin.decisions(answer) if d.what != where) >= Fraction(2, 10)
    assert margin.closest(answer).what == where
    assert proved(load_text(f"[decoding]\n{text}"), "decoding", ["unambiguous"], SPEC) == {"unambiguous": False}


def test_a_margin_of_one_hundredth_accepts_a_step_won_by_one_hundredth(load_text):
    text, _ = PLANTED["a greedy step won by less than the margin"]
    spec = load_text("[variants.decoding]\nmargin = 0.01\n").variants
    assert proved(load_text(f"[decoding]\n{text}"), "decoding", ["unambiguous"], spec) == {"unambiguous": True}


def test_the_default_tree_is_unambiguous_and_its_decisions_are_the_ones_it_shows():
    answer = decodinga.derive(config.load(None))
    # greedy: "the" over "a" (0.7), "the cat" over "the dog" (0.1), "sat" over "ran" (0.3); the
    # beam's cut at depth 2 keeps "the cat" (-1.5) over "the dog" (-1.6), at depth 3 "the cat sat"
    # (-2.4) over "the cat ran" (-2.7); the optimum "a dog barked" (-1.5) over "the dog ran" (-2.2)
    assert [(d.what, d.gap) for d in margin.decisions(answer)] == [
        ("greedy, step 1", Fraction(7, 10)), ("greedy, step 2", Fraction(1, 10)), ("greedy, step 3", Fraction(3, 10)),
        ("beam, cut at depth 2", Fraction(1, 10)), ("beam, cut at depth 3", Fraction(3, 10)),
        ("optimum", Fraction(7, 10))]
    assert margin.unambiguous(answer, SPEC)


# The lexicographic tie-break keeps "a x" over "b y" (both -1.9) at depth 2, so the beam ends at
# "a x q" (-2.7) and misses the optimum "b y r" (-2.5); keeping "b y" instead finds it.
TIE_DECIDES = ('beam_width = 2\n[decoding.tree]\n"a" = -0.7\n"b" = -1\n"a w" = -0.4\n"a x" = -1.2\n"b y" = -0.9\n'
               '"a w s" = -2.5\n"a x q" = -0.8\n"b y r" = -0.6\n')


def test_a_comparison_that_holds_only_under_the_tie_break_rule_is_not_claimed(load_text):
    cfg = load_text(f"[decoding]\n{TIE_DECIDES}")
    answer = decodinga.derive(cfg)
    assert answer.beams[0].score < answer.optimum.score  # what the lexicographic rule gives
    assert proved(cfg, "decoding", ["beam_misses_optimum", "greedy_not_best_beam", "greedy_not_optimal",
                                    "unambiguous"], SPEC) == {
        "beam_misses_optimum": False, "greedy_not_best_beam": False, "greedy_not_optimal": True,
        "unambiguous": False}


@pytest.mark.parametrize(("width", "branching", "value"), [(1, (2, 3), "0.05"), (2, (2, 3), "0.05"),
                                                           (3, (1, 3), "0.25"), (4, (3, 3), "0.05")])
def test_drawn_trees_are_unambiguous_by_construction(load_text, width, branching, value):
    spec = load_text(f"[variants.decoding]\nbranching = {list(branching)}\nmargin = {value}\n").variants
    defaults = config.parse_toml(config.default_text(), "default.toml")
    q = QUESTIONS["decoding"]
    decided = 0
    for seed in range(40):
        table = q.randomize(random.Random(seed), spec) | {"beam_width": width}
        answer = decodinga.derive(config.from_dict({"decoding": table}, defaults))
        assert margin.unambiguous(answer, spec), (seed, table)
        found = margin.decisions(answer)
        assert all(d.gap >= spec.decoding.margin for d in found), (seed, table)
        decided += len(found)
    assert decided >= 40  # trees with decisions to win, not single paths


def _searched(tree: dict, steps: int, width: int, tie_break: dict) -> tuple[list, list, tuple]:
    """Greedy, the beam's paths (as a set, sorted) and the optimum, by a search of this test's
    own: scores as Fractions, ties broken by `tie_break` (a priority per path), not by the path."""
    score = {(): Fraction(0)}
    for path in sorted(tree, key=len):
        score[path] = score[path[:-1]] + Fraction(int(tree[path].p), int(tree[path].q))

    def search(w: int) -> list:
        kept = [()]
        for depth in range(1, steps + 1):
            candidates = [p for p in tree if len(p) == depth and p[:-1] in kept]
            kept = sorted(candidates, key=lambda p: (-score[p], tie_break[p]))[:w]
        return kept

    full = [p for p in tree if len(p) == steps]
    return search(1), sorted(search(width)), max(full, key=lambda p: (score[p], -tie_break[p]))


def test_an_unambiguous_answer_is_the_same_under_every_tie_break_and_rounding(load_text):
    """Drawn trees (unambiguous) give the derived answer under 30 random tie-break rules, with every
    log p moved by up to margin / (2 T) (each path's score by less than half the margin); the tie
    planted in TIE_DECIDES changes the beam under some rule."""
    spec = SPEC
    defaults = config.parse_toml(config.default_text(), "default.toml")
    for seed in range(15):
        table = QUESTIONS["decoding"].randomize(random.Random(seed), spec)
        cfg = config.from_dict({"decoding": table}, defaults)
        answer = decodinga.derive(cfg)
        assert margin.unambiguous(answer, spec)
        tree, steps = cfg.decoding.tree, cfg.decoding.steps
        derived = ([answer.greedy.words], sorted(h.words for h in answer.beams), answer.optimum.words)
        rng = random.Random(seed)
        for _ in range(30):
            bound = float(spec.decoding.margin) / (2 * steps)
            moved = {p: logp + sp.Rational(rng.uniform(-bound, bound)) for p, logp in tree.items()}
            assert _searched(moved, steps, cfg.decoding.beam_width, {p: rng.random() for p in tree}) == derived
    cfg = load_text(f"[decoding]\n{TIE_DECIDES}")
    beams = {tuple(_searched(cfg.decoding.tree, 3, 2, {p: rng.random() for p in cfg.decoding.tree})[1])
             for _ in range(30)}
    assert beams == {(("a", "w", "s"), ("a", "x", "q")), (("a", "w", "s"), ("b", "y", "r"))}


def test_a_bad_margin_is_one_line_and_exit_2(tmp_path, write_config, run):
    path = write_config("[variants.decoding]\nmargin = 0\n")
    code, out, err = run("variants", "--count", "1", "--config", str(path), "--out", str(tmp_path / "v"), "--no-pdf")
    assert (code, out, err) == (2, "", "derive: variants.decoding.margin: must be between 0.01 (two scores rounded to "
                                       "two decimals can swap when closer) and 10, got 0\n")
    assert not (tmp_path / "v").exists()
