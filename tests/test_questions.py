"""The Question registry: it numbers the questions, issues every id a check is filed under,
and holds the assignment's points once."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from derive import build, config
from derive.properties import Property
from derive.questions import sections
from derive.questions.base import Part, Parts, Registry
from derive.questions.normalization.question import Normalization
from derive.questions.registry import QUESTIONS
from tests.check_support import failing

ASSIGNMENT = ("normalization", "decoding", "birnn", "lora")  # the assignment's questions, in its order


def test_the_registry_numbers_the_questions_in_the_assignments_order():
    """The assignment's four come first; a question registered after them (tests/fixtures/toy)
    follows them."""
    assert [(q.number, q.key) for q in QUESTIONS][:4] == [(str(n), key) for n, key in enumerate(ASSIGNMENT, 1)]
    assert [q.number for q in QUESTIONS] == [str(n) for n in range(1, len(QUESTIONS) + 1)]
    assert QUESTIONS.keys() == sections.keys()  # the config tables, [variants.<question>] among them


def test_points_per_question_are_the_assignments():
    """assignment.md: Question 1 is worth 6, Question 2 20, Question 3 17 and Question 4 18."""
    assert [QUESTIONS[key].heading().points for key in ASSIGNMENT] == [6, 20, 17, 18]
    assert QUESTIONS["decoding"].parts.points() == {"2.1": 2, "2.2": 2, "2.3": 3, "2.4(a)": 2, "2.4(b)": 8, "2.5": 3}


def test_every_check_is_filed_under_an_id_the_registry_issued():
    solved = build.solve(config.load(None))
    issued = {p.id for q in QUESTIONS for p in q.parts.all()}
    filed = {c.question for c in solved.checks} | {s.question for s in solved.skipped}
    assert filed <= issued, filed - issued
    positions = [QUESTIONS.position(c.question) for c in solved.checks]
    assert positions == sorted(positions)  # each question's checks together, in question order
    assert {QUESTIONS.position(i) for i in filed} == set(range(len(QUESTIONS)))  # every question has checks


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
    Registry(DemoQuestion(), tables=("normalization",))
    assert (Demo.whole.id, Demo.first.id, Demo.group.id, Demo.span.id) == ("1", "1.1(a)", "1.1", "1.2-1.4")
    assert Demo.points() == {"1": 3, "1.1(a)": 2}
    assert DemoQuestion().heading().parts.first.points == 2


def test_the_registry_and_the_config_tables_list_the_same_questions():
    """A question in the registry without its settings in derive/questions/sections.py (or in
    another order) would read no config table: the registry refuses to start."""
    assert QUESTIONS.keys() == sections.keys()
    with pytest.raises(RuntimeError, match="list each question in both, in the same order"):
        Registry(*reversed(list(QUESTIONS)), tables=sections.keys())


def test_a_question_registered_at_two_places_is_refused():
    class FirstParts(Parts):
        only = Part(None, 1)

    class SecondParts(Parts):
        only = Part(None, 1)

    class First(Normalization):
        parts = FirstParts

    class Second(Normalization):
        parts = SecondParts

    Registry(First(), tables=("normalization",))
    with pytest.raises(RuntimeError, match="registered twice"):
        # First is question 1 already, and would be question 2
        Registry(Second(), First(), tables=("normalization", "normalization"))


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

    with pytest.raises(RuntimeError, match=r"^normalization proves property pretty, which its settings do not "
                       "declare$"):
        Registry(Extra(), tables=("normalization",))

    class FewerParts(Parts):
        only = Part(None, 1)

    class Fewer(Normalization):
        parts = FewerParts
        properties = {"nonzero_variance": Normalization.properties["nonzero_variance"]}

    with pytest.raises(RuntimeError, match=r"^no question proves the declared properties small_denominators$"):
        Registry(Fewer(), tables=("normalization",))


def test_a_refused_outside_registration_leaves_the_registry_and_the_tables_as_they_were():
    from derive.questions.registry import register
    from tests.fixtures.toy.question import Softmax
    from tests.fixtures.toy.settings import SECTION as TOY

    class ToyParts(Parts):
        only = Part(None, 1)

    class Unproved(Softmax):  # proves a property its settings do not declare
        key = "softmax_unproved"  # not the toy's own key, which DERIVE_TEST_TOY=1 has registered
        parts = ToyParts
        properties = {"pretty": Property(lambda answer, spec: True)}

    table = dataclasses.replace(TOY, key=Unproved.key, requirements={})
    before = (QUESTIONS.questions, tuple(sections.SECTIONS))
    with pytest.raises(RuntimeError, match=r"^softmax_unproved proves property pretty, which its settings do not "
                       "declare$"):
        register(Unproved(), table)
    assert (QUESTIONS.questions, tuple(sections.SECTIONS)) == before
    assert sections.keys() == tuple(q.key for q in QUESTIONS)
