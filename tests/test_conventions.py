"""The question sheet states the conventions the grader relies on, from the grader's own settings."""

from __future__ import annotations

import pytest

from derive import config
from derive.graded_parts import O_FORM
from derive.grading import evaluate
from derive.grading.conventions import O_FORM_EXAMPLE
from derive.grading.expr import parse
from derive.grading.key import parts
from derive.sheet import sheet_source
from tests.grade_support import key_of


def conventions_paragraph(cfg: config.Config) -> str:
    return sheet_source(cfg).split(r"\textbf{Conventions.}")[1].split(r"\par}")[0]


def test_the_sheet_states_log_shapes_tolerance_o_forms_and_beams():
    text = " ".join(conventions_paragraph(config.load(None)).split())
    for stated in (r"$\log$ is the natural logarithm (base $e$)", r"keepdims: the batch mean is $1\times C\times 1$",
                   r"$|\text{yours} - \text{key}| \le 10^{-9} + 10^{-3}\,|\text{key}|$",
                   r"\texttt{O(N\textasciicircum{}2 T + N log N)}", "may be listed in any order"):
        assert stated in text, stated
    assert "other tolerances" not in text


def test_the_tolerance_stated_is_the_configs_grading_table(load_text):
    cfg = load_text('[grading]\nrtol = 0.02\natol = 1e-6\n[grading.parts]\n'
                    '"decoding.greedy.log_likelihood" = { atol = 0.5 }\n')
    text = " ".join(conventions_paragraph(cfg).split())
    assert r"\le 10^{-6} + 2.0\times 10^{-2}\,|\text{key}|$" in text
    assert (r"(other tolerances: \texttt{decoding.greedy.log\_likelihood}: relative $2.0\times 10^{-2}$, "
            r"absolute $5.0\times 10^{-1}$)") in text


def test_the_o_form_example_is_in_the_grammar_and_answers_nothing():
    """The example parses, and is not the O-form of any answer in the symbols it uses (2.3's)."""
    key = key_of(config.load(None))
    decoding = [p for p in parts(key) if p.kind == O_FORM and {s.name for s in p.symbols} == {"T", "B", "N"}]
    assert len(decoding) == 2
    for part in decoding:
        names = frozenset(s.name for s in part.symbols)
        example = evaluate.o_reduction(parse(O_FORM_EXAMPLE, names), part.symbols, part.order)
        assert example == evaluate.o_reduction(parse("O(T N^2 + N log(N))", names), part.symbols, part.order)
        for answer in (part.expected, *(a for a, _ in part.alternatives)):
            assert example != evaluate.o_reduction(parse(answer, names), part.symbols, part.order), answer


@pytest.mark.parametrize("rtol, printed", [(1e-3, "10^{-3}"), (0.02, r"2.0\times 10^{-2}"), (1.0, "10^{0}")])
def test_tolerances_print_as_powers_of_ten_when_they_are(rtol, printed):
    from derive.grading.conventions import _tex

    assert _tex(rtol) == printed


def test_the_number_examples_are_no_answer_of_the_assignment():
    """The sheet's and submission.toml's examples of numbers are forms, not hints: none equals a
    numeric answer of the assignment's key (any entry of a statistic or gradient, a log-likelihood,
    the loss)."""
    from fractions import Fraction

    from derive.graded_parts import NUMBER, TENSOR
    from derive.grading.compare import flatten, read_number
    from derive.grading.conventions import DECIMAL_EXAMPLE, FRACTION_EXAMPLES

    key = key_of(config.load(None))
    values = {read_number(v) for p in parts(key) if p.kind in (NUMBER, TENSOR) for v in flatten(p.expected)}
    examples = {read_number(x) for x in (DECIMAL_EXAMPLE, *FRACTION_EXAMPLES)}
    assert examples == {Fraction(-5, 4), Fraction(-8, 7)} and len(values) > 20
    assert {abs(float(e) - float(v)) < 1e-3 for e in examples for v in values} == {False}
    assert "31/12" not in blank_text() and "31/12" not in sheet_source(config.load(None))


def blank_text() -> str:
    from derive.grading.blank import blank

    return blank(key_of(config.load(None)))
