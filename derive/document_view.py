"""What the document's head and tail print: the introduction's facts and the verification appendix.

Like each question's view, finished data: numbers formatted, ids joined; templates/head.tex.j2
and templates/tail.tex.j2 (with appendix.tex.j2) print only these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from derive.answer import Check, Issued, Skipped, Tex
from derive.latex.escaping import escape
from derive.latex.formatting import sci
from derive.questions.base import Question
from derive.questions.registry import QUESTIONS


@dataclass(frozen=True)
class HeadView:
    """The title, derive's version, and the sub-questions whose prose quotes cited figures."""

    title: str
    version: str
    cited: Tex  # "2.2, 2.3, 2.5 and 4.1--4.3"
    variant_id: str = ""  # a variant's id: the PDF's keywords name it


def cited_runs(questions: Iterable[Question[Any, Any, Any]]) -> list[list[Issued]]:
    """The sub-questions declared `cited`, per question in runs of consecutive sub-questions
    (those with points, in declaration order: groups of checks are not sub-questions)."""
    runs: list[list[Issued]] = []
    for q in questions:
        run: list[Issued] = []
        for part in q.parts.all():
            if not part.points:
                continue
            if part.cited:
                run.append(part)
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
    return runs


def cited_ids(questions: Iterable[Question[Any, Any, Any]] = QUESTIONS) -> Tex:
    """The cited sub-questions' ids as a list: a run of three or more consecutive ones as a
    range ("4.1--4.3"), two as themselves ("2.2, 2.3"), the last joined by "and"."""
    items: list[str] = []
    for run in cited_runs(questions):
        if len(run) >= 3:
            items.append(f"{escape(run[0].id)}--{escape(run[-1].id)}")
        else:
            items += [escape(p.id) for p in run]
    if len(items) < 2:
        return Tex("".join(items))
    return Tex(f"{', '.join(items[:-1])} and {items[-1]}")


def head_view(title: str, version: str, variant_id: str = "") -> HeadView:
    return HeadView(title, version, cited_ids(), variant_id)


@dataclass(frozen=True)
class CheckRow:
    """A check's row of the appendix's table, its numbers formatted."""

    question: str
    name: str
    method: str
    max_error: Tex
    tolerance: Tex
    passed: bool


@dataclass(frozen=True)
class SkippedRow:
    """A check that did not run, and why."""

    question: str
    name: str
    reason: str


@dataclass(frozen=True)
class AppendixView:
    """The verification appendix: the counts its sentence states and one row per check."""

    checks: int  # checks run (all passed: a failed one stops the build)
    skipped: int  # checks that could not run here
    certified: int  # answer fields a passed check certifies
    fields: int  # answer fields of answers.json
    uncertified: tuple[str, ...]  # the fields no passed check certifies
    check_rows: tuple[CheckRow, ...]
    skipped_rows: tuple[SkippedRow, ...]


def _error(check: Check) -> Tex:
    """The published error: a bound, 10^k, where the check has a tolerance; the value where it is exact."""
    decade = check.error_decade
    return sci(check.max_error) if decade is None else Tex(rf"\le 10^{{{decade}}}")


def appendix_view(checks: Sequence[Check], skipped: Sequence[Skipped], fields: int,
                  uncertified: Sequence[str]) -> AppendixView:
    return AppendixView(
        checks=len(checks), skipped=len(skipped), certified=fields - len(uncertified), fields=fields,
        uncertified=tuple(uncertified),
        check_rows=tuple(CheckRow(c.question, c.name, c.method, _error(c), sci(c.tolerance), c.passed)
                         for c in checks),
        skipped_rows=tuple(SkippedRow(s.question, s.name, s.reason) for s in skipped))
