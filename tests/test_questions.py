"""The Question registry: it numbers the questions, issues every id a check is filed under,
and holds the assignment's points once."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from derive import build, config
from derive.properties import Property
from derive.questions import QUESTIONS
from derive.questions.base import Part, Parts, Registry
from derive.questions.normalization.question import Normalization
from derive.variants_spec import QUESTION_KEYS
from tests.check_support import failing


def test_the_registry_numbers_the_questions_in_the_assignments_order():
    assert [(q.number, q.key) for q in QUESTIONS] == [("1", "normalization"), ("2", "decoding"), ("3", "birnn"),
                                                      ("4", "lora")]
    assert QUESTIONS.keys() == QUESTION_KEYS  # the [variants.<question>] tables


def test_points_per_question_are_the_assignments():
    """assignment.md: Question 1 is worth 6, Question 2 20, Question 3 17 and Question 4 18."""
    assert [q.heading().points for q in QUESTIONS] == [6, 20, 17, 18]
    assert QUESTIONS["decoding"].parts.points() == {"2.1": 2, "2.2": 2, "2.3": 3, "2.4(a)": 2, "2.4(b)": 8, "2.5": 3}


def test_every_check_is_filed_under_an_id_the_registry_issued():
    solved = build.solve(config.load(None))
    issued = {p.id for q in QUESTIONS for p in q.parts.all()}
    filed = {c.question for c in solved.checks} | {s.question for s in solved.skipped}
    assert filed <= issued, filed - issued
    positions = [QUESTIONS.position(c.question) for c in solved.checks]
    assert positions == sorted(positions)  # each question's checks together, in question order
    assert {QUESTIONS.position(i) for i in filed} == {0, 1, 2, 3}  # every question has checks


def test_ids_come_from_the_position_in_the_registry():
    class Demo(Parts):
        whole = Part(None, 3)
        first = Part("1(a)", 2)
        group = Part("1")
        span = Part.span("2", "4")

    class DemoQuestion(Normalization):
        parts = Demo

    with pytest.raises(RuntimeError, match="not registered"):
        _ = Demo.first
    Registry(DemoQuestion())
    assert (Demo.whole.id, Demo.first.id, Demo.group.id, Demo.span.id) == ("1", "1.1(a)", "1.1", "1.2-1.4")
    assert Demo.points() == {"1": 3, "1.1(a)": 2}
    assert DemoQuestion().heading().parts.first.points == 2


def test_a_question_registered_at_two_places_is_refused():
    class FirstParts(Parts):
        only = Part(None, 1)

    class SecondParts(Parts):
        only = Part(None, 1)

    class First(Normalization):
        parts = FirstParts

    class Second(Normalization):
        parts = SecondParts

    Registry(First())
    with pytest.raises(RuntimeError, match="registered twice"):
        Registry(Second(), First())  # First is question 1 already, and would be question 2


def test_a_registered_question_plans_checks_that_catch_a_planted_error():
    """The planted-error helper takes the Question itself: its plan is the one the build runs."""
    q = QUESTIONS["normalization"]
    cfg = config.load(None)
    answer = q.derive(cfg)
    layer = answer.statistic("layer")
    wrong = dataclasses.replace(answer, statistics=tuple(
        dataclasses.replace(s, variance=s.variance * sp.Rational(4, 3)) if s is layer else s  # planted: off by a third
        for s in answer.statistics))
    assert failing(q, answer, cfg) == set()
    assert "layer variance" in failing(q, wrong, cfg)


def test_a_question_proves_exactly_the_properties_declared_for_it():
    class ExtraParts(Parts):
        only = Part(None, 1)

    class Extra(Normalization):
        parts = ExtraParts
        properties = {**Normalization.properties, "pretty": Property(lambda answer, spec: True)}

    with pytest.raises(RuntimeError, match=r"^normalization proves property pretty, which variants_spec.REQUIREMENTS "
                       "does not declare for it$"):
        Registry(Extra())

    class FewerParts(Parts):
        only = Part(None, 1)

    class Fewer(Normalization):
        parts = FewerParts
        properties = {"nonzero_variance": Normalization.properties["nonzero_variance"]}

    with pytest.raises(RuntimeError, match=r"^no question proves the declared properties small_denominators$"):
        Registry(Fewer())
