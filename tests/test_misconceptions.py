"""The grader names misconceptions: each one planted (independently of derive's catalog, in
feedback_support) is named on the default config and on variants, and nothing else is; a correct
submission gets none; an ambiguous diagnosis, a table swapped in part and a config of another
variant name nothing."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from derive.config import Config
from derive.grading import misconceptions as mc
from derive.grading.compare import CORRECT
from derive.grading.report import render
from derive.grading.submission import Report, grade
from derive.grading_policy import GradingPolicy
from derive.questions.base import Misconception
from tests.feedback_support import PLANTS, configs, correct, planted
from tests.grade_support import key_of

POLICY = GradingPolicy()
VARIANTS = ("sigmoid", "small", "instance", "v012", "drawn1001", "drawn1002")


@functools.cache
def variant(name: str) -> tuple[Config, dict[str, Any], mc.Catalog]:
    config = configs_()[name]
    key = key_of(config)
    return config, key, mc.for_key(config, key, POLICY, name)


@functools.cache
def configs_() -> dict[str, Config]:
    return configs()


def graded(name: str, submission: dict[str, Any]) -> Report:
    _, key, catalog = variant(name)
    return mc.name(grade(key, submission, POLICY, name), key, submission, catalog, POLICY)


def named_ids(report: Report) -> set[str]:
    return {r.misconception.id for r in report.results if r.misconception is not None}


def test_every_misconception_of_the_catalog_is_planted_by_the_tests():
    _, _, catalog = variant("default")
    assert not catalog.note
    assert {m.id for m in catalog.misconceptions} == set(PLANTS)
    assert len(catalog.misconceptions) >= 30


@pytest.mark.parametrize("mistake", sorted(PLANTS))
def test_each_misconception_is_named_on_the_default_and_on_variants(mistake):
    caught = []
    for name in ("default", *VARIANTS):
        config, _, _ = variant(name)
        report = graded(name, planted(config, mistake))
        ids = named_ids(report)
        assert ids <= {mistake}, f"{name}: {mistake} planted, {ids} named"
        if ids:
            caught.append(name)
            # only on parts the plant made wrong; the verdict stays wrong (or partly so)
            assert all(r.verdict != CORRECT for r in report.results if r.misconception is not None)
    assert caught[:1] == ["default"] and len(caught) >= 3, f"{mistake} named on {caught}"


@pytest.mark.parametrize("name", ("default", *VARIANTS))
def test_a_correct_submission_gets_no_misconception(name):
    config, _, _ = variant(name)
    report = graded(name, correct(config))
    assert all(r.verdict == CORRECT for r in report.results)
    assert named_ids(report) == set()


def test_two_misconceptions_of_the_same_value_name_neither():
    config, key, catalog = variant("default")
    unbiased = next(m for m in catalog.misconceptions if m.id == "unbiased-variance")
    twin = Misconception("twin", "The same numbers by another mistake.", unbiased.values)
    submission = planted(config, "unbiased-variance")
    alone = mc.name(grade(key, submission, POLICY, ""), key, submission, mc.Catalog((unbiased,)), POLICY)
    both = mc.name(grade(key, submission, POLICY, ""), key, submission, mc.Catalog((unbiased, twin)), POLICY)
    assert named_ids(alone) == {"unbiased-variance"}
    assert named_ids(both) == set()


def test_a_misconception_equal_to_the_key_is_never_named_on_a_right_answer():
    config, key, _ = variant("default")
    right = correct(config)["normalization"]["layer"]
    same = Misconception("same", "The key's own numbers.", {"normalization.layer.mean": right["mean"]})
    submission = planted(config, "batch-over-CL")  # batch wrong, layer right
    report = mc.name(grade(key, submission, POLICY, ""), key, submission, mc.Catalog((same,)), POLICY)
    assert any(r.verdict != CORRECT for r in report.results)
    assert named_ids(report) == set()


def test_a_table_swapped_in_part_is_not_the_swapped_table():
    config, _, _ = variant("default")
    submission = correct(config)
    choice = submission["lora"]["choice"]
    choice["memory_limit"] = dict(choice["faster_inference"])  # one row moved, the other left right
    report = graded("default", submission)
    assert any(r.verdict != CORRECT for r in report.results)
    assert named_ids(report) == set()
    assert named_ids(graded("default", planted(config, "choice-swapped"))) == {"choice-swapped"}


def test_the_config_of_another_variant_names_nothing_and_says_so():
    config, key, _ = variant("default")
    other, _, _ = variant("v012")
    catalog = mc.for_key(other, key, POLICY, "v012/config.toml")
    assert catalog.misconceptions == ()
    assert catalog.note == "misconceptions not named: v012/config.toml does not derive this key's answers"
    submission = planted(config, "unbiased-variance")
    report = mc.name(grade(key, submission, POLICY, ""), key, submission, catalog, POLICY)
    assert named_ids(report) == set() and catalog.note in report.notes


def test_the_same_tolerance_as_a_correct_answer():
    """An answer within rtol of the misconception's value is named; one outside is not."""
    config, _, _ = variant("instance")
    submission = planted(config, "half-squared-error")
    loss = submission["birnn"]["instance"]["loss"]
    near = graded("instance", {**submission, "birnn": {"instance": {"loss": float(loss) * (1 + 5e-4)}}})
    far = graded("instance", {**submission, "birnn": {"instance": {"loss": float(loss) * (1 + 5e-3)}}})
    assert [r.misconception.id for r in near.results if r.misconception] == ["half-squared-error"]
    assert named_ids(far) == set()


def test_json_gives_each_part_its_misconception_or_null_and_text_and_csv_say_it():
    config, _, _ = variant("default")
    report = graded("default", planted(config, "count-bos"))
    parts = json.loads(render(report, "json", ""))["parts"]
    by_part = {p["part"]: p["misconception"] for p in parts}
    sentence = next(m.sentence for m in variant("default")[2].misconceptions if m.id == "count-bos")
    assert by_part["decoding.num_sequences"] == {"id": "count-bos", "text": sentence}
    assert all(v is None for k, v in by_part.items() if k != "decoding.num_sequences")
    for fmt in ("text", "csv"):
        assert f"misconception count-bos: {sentence}" in render(report, fmt, "title")
    assert (report.results[0].verdict, report.results[0].misconception) == (CORRECT, None)
