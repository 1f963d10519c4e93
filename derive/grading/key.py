"""The graded parts of one key (an answers.json object), gathered from every question, and
how the points are split."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from derive.graded_parts import GradedPart, format_points
from derive.questions.registry import QUESTIONS


def parts(key: dict[str, Any]) -> list[GradedPart]:
    """Every graded part of a key, in the order of the assignment."""
    return [part for q in QUESTIONS for part in q.graded(key)]


def ungraded(graded: Sequence[GradedPart]) -> list[tuple[str, int]]:
    """The sub-questions with points that no graded part belongs to (prose or figures), with their points."""
    asked = {p.question for p in graded}
    return [(question, total) for q in QUESTIONS for question, total in q.parts.points().items()
            if question not in asked]


def split_lines(graded: Sequence[GradedPart]) -> list[str]:
    """The points split, one line per graded sub-question: what each answer is worth; then the
    sub-questions answered in prose or with a figure, which are not graded."""
    lines, ungraded = [], []
    for q in QUESTIONS:
        for question, total in q.parts.points().items():
            mine = [p for p in graded if p.question == question]
            if not mine:
                ungraded.append(f"{question} ({total})")
                continue
            groups: dict[str, list[GradedPart]] = {}
            for p in mine:
                name = ".".join(p.path.split(".")[: -len(p.entry)]) if p.entry else p.path
                groups.setdefault(name, []).append(p)
            described = ", ".join(
                f"{name} {format_points(ps[0].points)}" if len(ps) == 1
                else f"{name} {len(ps)} entries x {format_points(ps[0].points)}"
                for name, ps in groups.items()
            )
            lines.append(f"{question} ({total} pts): {described}")
    lines.append(f"not graded (prose or figures): {', '.join(ungraded)}")
    return lines
