"""The head's and the appendix's views: the cited sub-questions come from the parts declared
`cited`, joined as the introduction prints them; the appendix's counts and rows are formatted
in Python."""

from __future__ import annotations

import dataclasses

import pytest

from derive import build
from derive.answer import Check, Skipped
from derive.build import head_source
from derive.config import load
from derive.document_view import appendix_view, cited_ids, head_view
from derive.questions.registry import QUESTIONS
from tests.view_support import assert_plain


def cited() -> list[str]:
    return [p.id for q in QUESTIONS for p in q.parts.all() if p.cited]


def test_the_head_lists_the_parts_declared_cited() -> None:
    assert cited() == ["2.2", "2.3", "2.5", "4.1", "4.2", "4.3"]
    assert cited_ids() == "2.2, 2.3, 2.5 and 4.1--4.3"
    assert "(in 2.2, 2.3, 2.5 and 4.1--4.3; each source" in head_source(load(None))


@pytest.mark.parametrize(("question", "part", "flag", "printed"), [
    ("lora", "rank", False, "2.2, 2.3, 2.5, 4.1 and 4.3"),  # a run of two is not a range
    ("decoding", "count", True, "2.1--2.3, 2.5 and 4.1--4.3"),
    ("decoding", "essay", False, "2.2, 2.3 and 4.1--4.3"),
    ("normalization", "statistics", True, "1, 2.2, 2.3, 2.5 and 4.1--4.3"),
])
def test_the_head_follows_the_declarations(monkeypatch: pytest.MonkeyPatch, question: str, part: str,
                                           flag: bool, printed: str) -> None:
    monkeypatch.setattr(QUESTIONS[question].parts.declared()[part], "cited", flag)
    assert cited_ids() == printed
    assert f"(in {printed}; each source" in head_source(load(None))


def test_a_group_of_checks_breaks_no_run() -> None:
    """2.4 (a group) sits between 2.4(b) and 2.5: marking 2.4(a), 2.4(b) makes 2.2-2.5 one run."""
    parts = QUESTIONS["decoding"].parts.declared()
    with pytest.MonkeyPatch.context() as mp:
        for name in ("greedy", "beam"):
            mp.setattr(parts[name], "cited", True)
        assert cited_ids() == "2.2--2.5 and 4.1--4.3"


def test_the_appendix_view_counts_and_formats() -> None:
    checks = [Check("1", "a", "m", 1.25e-17, 1e-9, ("normalization.x",)), Check("2.4(b)", "b", "n", 0.0, 0.0),
              Check("3", "d", "o", 2.5e-8, 1e-6)]
    skipped = [Skipped("3", "c", "no PyTorch")]
    view = appendix_view(checks, skipped, 10, ["birnn.y", "lora.z"])
    assert (view.checks, view.skipped, view.certified, view.fields) == (3, 1, 8, 10)
    assert view.uncertified == ("birnn.y", "lora.z")
    assert [(r.max_error, r.tolerance, r.passed) for r in view.check_rows] == [
        (r"\le 10^{-12}", r"1.0\times 10^{-9}", True), ("0", "0", True),
        (r"\le 10^{-7}", r"1.0\times 10^{-6}", True)]
    assert [(r.question, r.name, r.reason) for r in view.skipped_rows] == [("3", "c", "no PyTorch")]
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.checks = 3  # type: ignore[misc]


def test_the_head_and_appendix_views_are_plain_data() -> None:
    solved = build.solve(load(None))
    assert_plain(head_view(solved.config.document.title, "0"))
    assert_plain(appendix_view(solved.checks, solved.skipped, len(build.answer_fields(solved)),
                               build.uncertified(solved)))
