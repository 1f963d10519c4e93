"""Grading: a correct submission scores every point; each classic mistake costs exactly its parts."""

from __future__ import annotations

import copy
import functools
from fractions import Fraction

import pytest

from derive.config import Config
from derive.grading.compare import CORRECT, MISSING, PARTIAL, WRONG
from derive.grading.submission import grade
from derive.grading_policy import GradingPolicy, Tolerance
from derive.questions.registry import QUESTIONS
from tests.grade_support import ASSIGNMENT, INSTANCE, key_of, submission


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, dict]:
    from derive.config import load

    path = tmp_path_factory.mktemp("grade") / "config.toml"
    path.write_text(INSTANCE, encoding="utf-8")
    config = load(path)
    return config, key_of(config)


@functools.cache
def _graded_total() -> int:
    """The assignment's points of the graded sub-questions (assignment.md): 1, 2.1, 2.3, 2.4(a),
    2.4(b), 3.3, 4.4(a), 4.4(b); the others are answered in prose or with a figure."""
    return 6 + 2 + 3 + 2 + 8 + 5 + 9 + 3


def _extra_points(key: dict) -> Fraction:
    """The graded points of questions registered after the assignment's (tests/fixtures/toy)."""
    return sum((p.points for q in QUESTIONS if q.key not in ASSIGNMENT for p in q.graded(key)), Fraction(0))


def lost(setup: tuple[Config, dict], **mistakes: bool) -> dict[str, str]:
    config, key = setup
    report = grade(key, submission(config, **mistakes), GradingPolicy(), "sub.toml")
    return {r.part.path: r.verdict for r in report.results if r.points != r.part.points}


def test_correct_submission_scores_every_point(setup):
    config, key = setup
    report = grade(key, submission(config), GradingPolicy(), "sub.toml")
    assert [(r.part.path, r.verdict) for r in report.results if r.verdict != CORRECT] == []
    assert report.maximum - _extra_points(key) == _graded_total() == 38
    assert report.total == report.maximum


@pytest.mark.parametrize("mistake, parts", [
    ("unbiased", {f"normalization.{k}.variance": WRONG for k in ("batch", "layer", "instance")}),
    ("swapped_axes", {f"normalization.{k}.{s}": WRONG for k in ("batch", "layer") for s in ("mean", "variance")}),
    ("literal_beam", {"decoding.beam.1.words": WRONG, "decoding.beam.1.log_likelihood": WRONG}),
    ("swapped_choice", {"lora.choice.memory_limit.mha": WRONG, "lora.choice.memory_limit.lffn": WRONG}),
])
def test_classic_mistake_costs_exactly_its_parts(setup, mistake, parts):
    assert lost(setup, **{mistake: True}) == parts


def test_transposed_jacobian_costs_exactly_the_entries_it_changes(setup):
    config, key = setup
    from tests.grade_support import backprop

    _, _, right = backprop(config)
    _, _, transposed = backprop(config, transposed=True)
    changed = {f"birnn.instance.grad_U_f.{i + 1}.{j + 1}": WRONG for i in range(2) for j in range(2)
               if abs(right[i, j] - transposed[i, j]) > 1e-3 * abs(right[i, j])}
    assert len(changed) >= 3  # the instance is not degenerate: the mistake shows
    assert lost(setup, transposed=True) == changed


def test_forgotten_dequantization_is_invisible_in_the_o_form(setup):
    """d^2 <= n d^2: QLoRA's O-form is LoRA's; the O-form cannot cost the forgotten dequantization."""
    assert lost(setup, no_dequant=True) == {}


def test_partial_statistic_and_points(setup):
    config, key = setup
    sub = submission(config)
    sub["normalization"]["batch"]["mean"][1] = "3"
    result = {r.part.path: r for r in grade(key, sub, GradingPolicy(), "s").results}["normalization.batch.mean"]
    assert (result.verdict, result.points) == (PARTIAL, Fraction(1, 2))
    assert result.reason == "1 of 2 entries wrong; entry 2: expected 35/12, got 3: relative error 2.9e-2 > 1e-3"


@pytest.mark.parametrize("got, verdict, reason", [
    ("2.583", CORRECT, "2.583 matches 31/12: relative error 1.1e-4 (rtol 1e-3, atol 1e-9)"),
    ("2.58", WRONG, "expected 31/12, got 2.58: relative error 1.3e-3 > 1e-3"),
    ("31/12", CORRECT, "31/12 matches 31/12: relative error 0 (rtol 1e-3, atol 1e-9)"),
    ("2 + 7/12", CORRECT, "2 + 7/12 matches 31/12: relative error 0 (rtol 1e-3, atol 1e-9)"),
])
def test_number_reasons(setup, got, verdict, reason):
    config, key = setup
    key = copy.deepcopy(key)
    key["normalization"]["batch"]["mean"] = [[["31/12"]]]
    sub = {"normalization": {"batch": {"mean": got}}}
    result = grade(key, sub, GradingPolicy(), "s").results[0]
    assert (result.verdict, result.reason) == (verdict, "all 1 entries within rtol 1e-3, atol 1e-9"
                                               if verdict == CORRECT else f"1 of 1 entries wrong; entry 1: {reason}")


def test_shapes_keepdims_squeezed_and_wrong(setup):
    config, key = setup
    mean = key["normalization"]["instance"]["mean"]  # 4 x 2 x 1
    flat_rows = [[row[0] for row in sample] for sample in mean]  # 4 x 2
    for given, verdict in ((mean, CORRECT), (flat_rows, CORRECT), ([v for r in flat_rows for v in r], WRONG)):
        sub = {"normalization": {"instance": {"mean": given}}}
        result = next(r for r in grade(key, sub, GradingPolicy(), "s").results
                      if r.part.path == "normalization.instance.mean")
        assert result.verdict == verdict
    assert result.reason == "expected shape 4 x 2 x 1 (or 4 x 2), got 8"


def test_tolerance_per_part_from_the_policy(setup):
    config, key = setup
    sub = {"decoding": {"greedy": {"log_likelihood": "-2.41"}}}
    strict = grade(key, sub, GradingPolicy(), "s")
    loose = grade(key, sub, GradingPolicy(parts={"decoding.greedy": Tolerance(rtol=1e-2)}), "s")
    verdicts = [{r.part.path: r.verdict for r in rep.results}["decoding.greedy.log_likelihood"]
                for rep in (strict, loose)]
    assert verdicts == [WRONG, CORRECT]


@pytest.mark.parametrize("part, got, verdict", [
    ("time", "O(n d^2)", CORRECT), ("time", "O(d^2 n)", CORRECT), ("time", "O(n*d**2 + n*d*r)", CORRECT),
    ("time", "O(nd^2 + n^2 d)", WRONG), ("time", "O(n d)", WRONG), ("time", "O(n d^2 log(d))", WRONG),
    ("space", "O(r d + r^2)", CORRECT), ("space", "O(d^2)", WRONG), ("space", "2 d r", CORRECT),
])
def test_o_forms_by_dominant_terms(setup, part, got, verdict):
    config, key = setup
    sub = {"lora": {"ffn": {"lora": {f"{part}_big_o": got}}}}
    results = {r.part.path: r for r in grade(key, sub, GradingPolicy(), "s").results}
    assert results[f"lora.ffn.lora.{part}_big_o"].verdict == verdict


def test_o_form_reason_names_the_terms(setup):
    config, key = setup
    sub = {"lora": {"ffn": {"lora": {"time_big_o": "O(nd^2 + n^2 d)"}}}}
    result = {r.part.path: r for r in grade(key, sub, GradingPolicy(), "s").results}["lora.ffn.lora.time_big_o"]
    assert result.reason == "expected O(d^2*n), got O(d^2*n + d*n^2): extra d*n^2"


@pytest.mark.parametrize("got, verdict, reason", [
    ("O(T B^2 N + B T^2)", CORRECT, "same dominant terms as O(B^2*N*T + B*T^2)"),
    ("O(T B N log(B N))", CORRECT, "same dominant terms as O(B*N*T*log(B*N)) (selecting by sorting the candidates, "
                                   "as the solutions also derive)"),
    ("O(TBN log N)", CORRECT, "same dominant terms as O(B*N*T*log(B*N)) (selecting by sorting the candidates, "
                              "as the solutions also derive)"),
    ("O(T B N)", WRONG, "expected O(B^2*N*T + B*T^2), got O(B*N*T): missing B^2*N*T, B*T^2; extra B*N*T"),
    ("O(TBN log B)", WRONG, "expected O(B^2*N*T + B*T^2), got O(B*N*T*log(B)): missing B^2*N*T, B*T^2; "
                            "extra B*N*T*log(B)"),
])
def test_beam_time_by_either_derived_selection(setup, got, verdict, reason):
    config, key = setup
    result = grade(key, {"decoding": {"complexity": {"time": got}}}, GradingPolicy(), "s").results
    assert [(r.verdict, r.reason) for r in result if r.part.path == "decoding.complexity.time"] == [(verdict, reason)]


@pytest.mark.parametrize("got, verdict", [("N^T", CORRECT), ("N**T", CORRECT), ("(N - 1)^T", CORRECT),
                                          ("N^(T+1)", WRONG), ("T^N", WRONG), ("O(N^T)", WRONG)])
def test_exact_count(setup, got, verdict):
    config, key = setup
    results = grade(key, {"decoding": {"num_sequences": got}}, GradingPolicy(), "s").results
    assert {r.part.path: r.verdict for r in results}["decoding.num_sequences"] == verdict


def test_missing_words_forms_and_bos(setup):
    config, key = setup
    sub = {"decoding": {"greedy": {"words": ["<BOS>", "the", " cat  sat"]}}}
    verdicts = {r.part.path: r.verdict for r in grade(key, sub, GradingPolicy(), "s").results}
    assert verdicts["decoding.greedy.words"] == CORRECT
    assert verdicts["decoding.greedy.log_likelihood"] == MISSING


KEY_BEAMS = [{"words": ["a", "red", "cat"], "log_likelihood": "-2"},
             {"words": ["a", "red", "sat"], "log_likelihood": "-27/10"},
             {"words": ["the", "dog", "ran"], "log_likelihood": "-3"}]


def _beam_results(setup, beams: list[dict[str, str]]) -> tuple[dict[str, tuple[str, str]], tuple[str, ...]]:
    _, key = setup
    key = copy.deepcopy(key)
    key["decoding"]["beam"] = KEY_BEAMS
    report = grade(key, {"decoding": {"beam": beams}}, GradingPolicy(), "s")
    return {r.part.path.removeprefix("decoding.beam."): (r.verdict, r.reason) for r in report.results
            if r.part.path.startswith("decoding.beam.")}, report.notes


def test_beams_in_any_order_score_full(setup):
    reversed_beams = [{"words": " ".join(b["words"]), "log_likelihood": b["log_likelihood"]} for b in KEY_BEAMS[::-1]]
    results, notes = _beam_results(setup, reversed_beams)
    assert {part: verdict for part, (verdict, _) in results.items()} == {
        f"{b}.{f}": CORRECT for b in (1, 2, 3) for f in ("words", "log_likelihood")}
    assert notes == ("decoding.beam: beams are matched to the key's in any order: beam 3 as the key's beam 1, "
                     "beam 1 as the key's beam 3",)


def test_each_key_beam_is_matched_at_most_once(setup):
    twice = [{"words": "a red sat", "log_likelihood": "-2.7"}, {"words": "a red sat", "log_likelihood": "-2.7"},
             {"words": "a red cat", "log_likelihood": "-2"}]
    results, _ = _beam_results(setup, twice)
    assert results["2.words"][0] == results["1.words"][0] == CORRECT
    assert results["3.words"] == (WRONG, "expected 'the dog ran', got 'a red sat' (that is the key's beam 2, which "
                                         "another beam matches)")
    assert results["3.log_likelihood"][0] == WRONG


def test_beams_beyond_the_width_are_not_matched(setup):
    """Listing every path cannot score: only the first B beams are matched, the others are notes."""
    many = [{"words": w, "log_likelihood": "-9"} for w in ("x y z", "u v w", "a red cat", "a red sat", "the dog ran")]
    results, notes = _beam_results(setup, many)
    assert {part: verdict for part, (verdict, _) in results.items() if part.endswith("words")} == {
        "1.words": CORRECT, "2.words": WRONG, "3.words": WRONG}
    assert "decoding.beam.4: the key has 3; not graded" in notes


def test_fewer_beams_leave_the_unmatched_key_beams_missing(setup):
    results, _ = _beam_results(setup, [{"words": "the dog ran", "log_likelihood": "-3"}])
    assert {part: verdict for part, (verdict, _) in results.items()} == {
        "1.words": MISSING, "1.log_likelihood": MISSING, "2.words": MISSING, "2.log_likelihood": MISSING,
        "3.words": CORRECT, "3.log_likelihood": CORRECT}


def test_the_policys_graded_fields_are_the_questions_graded_parts():
    """The graded fields the questions' settings declare (read by config.py, which loads no
    question) are exactly the fields the questions' graded() yield: a list position is its "#",
    a matrix's entries are its field's."""
    from derive.config import load
    from derive.grading.key import parts
    from derive.grading_policy import graded_fields

    fields = {tuple("#" if isinstance(step, int) else step for step in p.field) for p in parts(key_of(load(None)))}
    assert len(set(graded_fields())) == len(graded_fields())
    assert fields == set(graded_fields())


def test_a_choice_that_is_not_a_string_names_the_labels(setup):
    from derive.grading.compare import UNPARSEABLE
    from derive.grading.key import parts
    from derive.questions.lora.model import METHODS, NAMES

    _, key = setup
    choice = next(p for p in parts(key) if p.path == "lora.choice.both.mha")
    assert choice.options == tuple(NAMES[meth] for meth in METHODS)
    sub = submission(setup[0])
    sub["lora"]["choice"]["both"]["mha"] = 1
    result = next(r for r in grade(key, sub, GradingPolicy(), "sub.toml").results if r.part == choice)
    assert (result.verdict, result.reason) == (UNPARSEABLE, "expected LoRA or QLoRA as a string")


def test_reasons_are_written_in_the_grammar_students_type(setup):
    """`^`, never `**`; the expected and the submitted O-forms a reason quotes parse back to the
    same dominant terms."""
    from derive.grading import evaluate
    from derive.grading.expr import parse

    _, key = setup
    sub = {"decoding": {"num_sequences": "N^(T+1)", "complexity": {"time": "O(T B N)", "space": "O(B N^2)"}},
           "lora": {"ffn": {"lora": {"time_big_o": "O(n^2 d)", "space_big_o": "O(d^2 + n log(n^2 + d))"}}}}
    results = [r for r in grade(key, sub, GradingPolicy(), "s").results if r.verdict != MISSING]
    assert len(results) == 5 and all(r.verdict == WRONG and "**" not in r.reason for r in results)
    assert results[0].reason == "expected N^T, got N^(T+1): differs at N = 2, T = 1 (2 vs 4)"
    for r in results[1:]:
        names = frozenset(s.name for s in r.part.symbols)
        expected, got = r.reason.removeprefix("expected ").split(": ")[0].split(", got ")
        for quoted, original in ((expected, r.part.expected), (got, sub_value(sub, r.part.field))):
            assert evaluate.o_reduction(parse(quoted, names), r.part.symbols, r.part.order) == evaluate.o_reduction(
                parse(original, names), r.part.symbols, r.part.order), (quoted, original)


def sub_value(sub: dict, field: tuple) -> str:
    for step in field:
        sub = sub[step]
    return sub  # type: ignore[return-value]
