"""Question 2's checks read what answers.json publishes: each published field planted wrong fails
the check that certifies it (by name); the instrumented runs count what they write and hold; the
sort-based count is attained; the boxed answers are made from the published section."""

from __future__ import annotations

import copy

import pytest

from derive import build, certify, config
from derive.answer import Check
from derive.questions.decoding import answer as q2a
from derive.questions.decoding import beam_sort, search
from derive.questions.decoding import question as q2
from derive.questions.registry import QUESTIONS
from derive.verify import resolve
from tests.check_support import failing

DECODING = QUESTIONS["decoding"]
# Merge sort's worst case on n = 1..16 items (OEIS A001855), and the default tree's answers.
A001855 = [0, 1, 3, 5, 8, 11, 14, 17, 21, 25, 29, 33, 37, 41, 45, 49]
SORTED_TIME = "B*N*T + T*(-2**ceiling(log2(B*N)) + B*N*ceiling(log2(B*N)) + 1)"


@pytest.fixture(scope="module")
def solved():
    cfg = config.load(None)
    answer = q2a.derive(cfg)
    return cfg, answer, DECODING.section(answer)


def _failing(solved, path: str, value) -> dict[str, tuple[str, ...]]:
    """The checks that fail when the published field at `path` (below the section) reads `value`."""
    cfg, answer, section = solved
    planted = copy.deepcopy(section)
    *parents, last = path.split(".")
    target = planted
    for key in parents:
        target = target[key]
    target[last] = value
    return {c.name: c.certifies for c in resolve(q2.plan(answer, cfg, planted))
            if isinstance(c, Check) and not c.passed}


@pytest.mark.parametrize(("path", "value", "caught"), [
    ("num_sequences", "N**(T + 1)", "number of sequences"),
    ("num_sequences", "N**T + 1/2", "number of sequences"),  # not a whole number: compared exactly
    ("num_sequences", "N**T*M", "number of sequences"),  # a name it may not use: does not read
    ("num_sequences_without_repeated_bos", "N**T", "sequences without a repeated <BOS>"),
    ("greedy.words", ["cat", "the", "sat"], "greedy = beam search with B = 1"),
    ("greedy.words", "the cat sat", "greedy = beam search with B = 1"),  # a string, not a list of words
    ("greedy.log_likelihood", "-5/2", "greedy = beam search with B = 1"),
    ("greedy.log_likelihood", "-5/2", "log-likelihoods = sums of edge log-probabilities"),
    ("greedy.log_likelihood", "about -2.4", "log-likelihoods = sums of edge log-probabilities"),
    ("beam", [{"words": ["the", "cat", "sat"], "log_likelihood": "-12/5"},
              {"words": ["a", "dog", "barked"], "log_likelihood": "-3/2"}], "beam search result"),
    ("beam", [{"words": ["a", "dog", "barked"], "log_likelihood": "-3/2"},
              {"words": ["the", "cat", "ran"], "log_likelihood": "-12/5"}],
     "log-likelihoods = sums of edge log-probabilities"),
    ("optimum", {"words": ["the", "cat", "sat"], "log_likelihood": "-12/5"}, "optimum = best of beam with B = #leaves"),
    ("complexity.time", "O(B*N*T + B*T**2)", "O-form of the time"),
    ("complexity.time", "O(B**2*N*T + B*T**2 + N)", "O-form of the time"),
    ("complexity.time", "B**2*N*T + B*T**2", "O-form of the time"),  # not an O-form
    ("complexity.space", "O(B*N)", "O-form of the space"),
    ("complexity.time_exact", "B**2*N*T - B**2*T/2 + B*N*T + B*T**2 + 3*B*T/2 + B", "Algorithm 1: time"),
    ("complexity.space_exact", "B*N + 2*B*T + 4*B", "Algorithm 1: space"),  # the copies counted at T + 1 words
    ("complexity.sorted.time_exact", "B*N*T + T*B*N*ceiling(log2(B*N))", "sorting: time on worst-case inputs"),
    ("complexity.sorted.time_exact", "B*N*T + T*B*N*lg(B*N)", "sorting: time on worst-case inputs"),
    ("complexity.sorted.per_step", "O(B*N)", "sorting: O-form, per step"),
    ("complexity.sorted.time", "O(B*N*T*log(B*N) + T)", "sorting: O-form, time"),
    ("complexity.sorted.time", "O(B*N*T)", "sorting: O-form, time"),
])
def test_a_published_field_planted_wrong_fails_the_check_that_certifies_it(solved, path, value, caught):
    failed = _failing(solved, path, value)
    assert caught in failed
    assert any(certify.covers(p, f"decoding.{path}") for p in failed[caught])


def test_the_published_section_as_derived_passes(solved):
    assert _failing(solved, "num_sequences", "N**T") == {}


def test_the_selection_methods_are_named_not_certified(solved):
    """complexity.selection and complexity.sorted.selection name a method: kept in answers.json,
    declared not answers, certified by no check."""
    cfg, answer, section = solved
    assert section["complexity"]["selection"] and section["complexity"]["sorted"]["selection"]
    assert {"decoding.complexity.selection", "decoding.complexity.sorted.selection"} <= certify.not_answers()
    certified = {p for c in resolve(q2.plan(answer, cfg, section)) if isinstance(c, Check) for p in c.certifies}
    assert not any("selection" in p for p in certified)


# --- Algorithm 1 counts what it writes and measures what it holds ---------------------------------

def test_algorithm1_counts_by_hand():
    """T = 2, B = 2, N = 3. Scores: B N per step, 12. Comparisons: the b-th scan compares
    B N - b candidates, 5 + 4 per step, 18. Words: at step t each beam saves t words, adds 1 and
    has t assigned back, 2 (2t + 1): 6 + 10 = 16. Storage at the end: 6 scores, 2 sequences of
    3 words, 2 copies of 2 words, 2 + 2 log-likelihoods: 20."""
    _, counter = search.algorithm1(lambda prefix, j: float(j), 3, 2, 2)
    assert (counter.scores, counter.comparisons, counter.words_written, counter.peak_space) == (12, 18, 16, 20)


def test_algorithm1_with_one_beam_decodes_greedily():
    """First words score -0.5, -0.2, -0.9, -0.4: word 1. After it, word j scores
    -0.1 ((1 + 2j) mod 4) - 0.05 j: -0.1, -0.35, -0.2, -0.45: word 0."""
    def logp(prefix, j):
        return [-0.5, -0.2, -0.9, -0.4][j] if len(prefix) == 1 else -0.1 * ((prefix[-1] + 2 * j) % 4) - 0.05 * j

    assert search.algorithm1(logp, 4, 2, 1)[0] == [(0, 1, 0)]


def test_a_copy_that_writes_a_word_too_many_is_counted_and_held(monkeypatch):
    """The counts come from the words written and the values held, not from formulas: a copy
    one word too long shows in the words written, the time and the storage."""
    real = search._copy
    monkeypatch.setattr(search, "_copy", lambda words, length, count: [*real(words, length, count), -1])
    cfg = config.load(None)
    failed = failing(q2, q2a.derive(cfg), cfg)
    assert {"Algorithm 1: words written", "Algorithm 1: time", "Algorithm 1: space"} <= failed


# --- The sort-based count is attained --------------------------------------------------------------

def test_the_constructed_orders_attain_merge_sorts_worst_case():
    assert [beam_sort._merge_sort_comparisons(beam_sort.worst_case_order(n)) for n in range(1, 17)] == A001855


def test_every_step_of_the_adversarial_search_sorts_a_worst_case():
    """T = 2, B = 2, N = 3: 6 candidates a step, W(6) = 11 comparisons each, 12 scores."""
    _, counter = search.sort_beam(beam_sort.adversary(3, 2), 3, 2, 2)
    assert (counter.scores, counter.comparisons) == (12, 22)


def test_an_order_that_is_not_a_worst_case_fails_the_equality_checks(monkeypatch):
    monkeypatch.setattr(beam_sort, "worst_case_order", lambda size: list(range(size)))
    cfg = config.load(None)
    assert {"sorting: W(n) attained", "sorting: comparisons on worst-case inputs",
            "sorting: time on worst-case inputs"} <= failing(q2, q2a.derive(cfg), cfg)


def test_a_sort_planted_after_its_measurements_were_kept_is_measured_again(monkeypatch):
    """The merge sort's measurements are kept per process, keyed by the sort measured: one that
    counts a comparison too many, planted after a build measured the real one, still fails."""
    cfg = config.load(None)
    answer = q2a.derive(cfg)
    assert not failing(q2, answer, cfg)
    real = search.merge_sort

    def miscounting(items, count):
        count.comparisons += 1
        return real(items, count)

    monkeypatch.setattr(search, "merge_sort", miscounting)
    assert {"sorting: merge-sort worst case W(n)", "sorting: W(n) attained"} <= failing(q2, answer, cfg)


# --- The boxed answers --------------------------------------------------------------------------

def test_each_boxed_answer_is_made_from_answers_json(solved):
    """The beam's box as the template writes it; Algorithm 1's time is a whole box of the section."""
    _, answer, section = solved
    boxes = DECODING.boxed(section)
    assert [b.field for b in boxes] == [
        "decoding.num_sequences", "decoding.complexity.time", "decoding.complexity.space",
        "decoding.complexity.sorted.per_step", "decoding.complexity.sorted.time", "decoding.greedy.words",
        "decoding.greedy.log_likelihood", "decoding.beam", "decoding.beam"]
    assert boxes[-1].tex == r"$w^{(2)}_{1:3}$ = ``the cat sat'', \quad $\log p = -2.4$"
    assert boxes[1].tex in certify.boxes(build.question_source(DECODING, answer, True))


def test_a_published_beam_the_document_does_not_print_fails_the_boxed_check(solved):
    cfg, answer, section = solved
    source = build.question_source(DECODING, answer, True)
    wrong = copy.deepcopy(section)
    wrong["beam"][1]["log_likelihood"] = "-5/2"
    assert [c.max_error for c in certify.boxed_checks(DECODING, {"decoding": section}, source)] == [0, 0, 0, 0]
    errors = {c.question: c.max_error for c in certify.boxed_checks(DECODING, {"decoding": wrong}, source)}
    assert errors["2.4(b)"] == 1


def test_a_published_field_that_does_not_read_boxes_nothing(solved):
    _, _, section = solved
    wrong = copy.deepcopy(section)
    wrong["complexity"]["time"] = "O(B**2*N*T + B*T**2"
    assert [b.tex for b in DECODING.boxed(wrong) if b.field == "decoding.complexity.time"] == [None]


def test_only_the_beams_the_solutions_list_are_boxed():
    """Ten beams: the solutions list the first seven and the last (decoding_view.BEAMS_HEAD)."""
    text = "[decoding]\nbeam_width = 10\nsteps = 2\n[decoding.tree]\n" + "".join(
        f'"w{i:02}" = -{3 + i / 10:.1f}\n"w{i:02} z" = -0.01\n' for i in range(12))
    answer = DECODING.derive(config.loads(text, "test.toml"))
    section = DECODING.section(answer)
    beams = [b.tex for b in DECODING.boxed(section) if b.field == "decoding.beam"]
    assert [tex.split("$")[1] for tex in beams] == [f"w^{{({i})}}_{{1:2}}" for i in (1, 2, 3, 4, 5, 6, 7, 10)]
    source = build.question_source(DECODING, answer, True)
    assert all(c.passed for c in certify.boxed_checks(DECODING, {"decoding": section}, source))
