"""What the checks certify, as published: the answer fields of answers.json, which of them a
passed check vouches for, and whether the document's boxed answers say what answers.json says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from derive.answer import Check
from derive.published import fields
from derive.questions.base import Question
from derive.questions.registry import QUESTIONS

BOX_MACROS = (r"\answerbox{", r"\answertext{")  # templates/preamble.tex.j2: how a final answer is boxed


def not_answers() -> set[str]:
    """The fields each question declares are not results (inputs restated, the method's name)."""
    return {f"{q.key}.{f}" for q in QUESTIONS for f in q.not_answers}


def answer_fields(published: Mapping[str, Any]) -> list[str]:
    """The dotted path of every answer field of the published sections (a list is one field)."""
    skip = not_answers()
    return [f for q in QUESTIONS for f in fields(published[q.key], q.key) if f not in skip]


def covers(path: str, field: str) -> bool:
    """A check certifying `a.b` covers `a.b` and everything below it (`a.b.c`)."""
    return field == path or field.startswith(path + ".")


def uncertified(published: Mapping[str, Any], checks: Iterable[Check]) -> list[str]:
    """The answer fields that no passed check certifies."""
    paths = {p for c in checks if c.passed for p in c.certifies}
    return [f for f in answer_fields(published) if not any(covers(p, f) for p in paths)]


def boxes(source: str) -> list[str]:
    """The contents of every boxed answer in a rendered section (braces matched, `\\{` skipped)."""
    found = []
    for macro in BOX_MACROS:
        start = source.find(macro)
        while start >= 0:
            i, depth = start + len(macro), 1
            while depth and i < len(source):
                if source[i] == "\\":
                    i += 2
                    continue
                depth += {"{": 1, "}": -1}.get(source[i], 0)
                i += 1
            found.append(source[start + len(macro):i - 1])
            start = source.find(macro, i)
    return found


def boxed_checks(q: Question[Any, Any, Any], published: Mapping[str, Any], source: str) -> list[Check]:
    """One check per sub-question with boxed answers: each answer the question says it boxes, made
    from the parsed answers.json, stands in a box of the section as rendered. The error is the
    number of answers not found."""
    shown = boxes(source)
    by_part: dict[str, list[bool]] = {}
    for box in q.boxed(published[q.key]):
        by_part.setdefault(box.part.id, []).append(box.tex is not None and any(box.tex in b for b in shown))
    return [Check(part, "boxed answers = answers.json",
                  f"each of the {len(found)} boxed answers made again from the parsed answers.json and "
                  "found in a box of the typeset section", float(found.count(False)), 0.0)
            for part, found in by_part.items()]


def same_sections(written: Mapping[str, Any], certified: Mapping[str, Any], keys: Sequence[str]) -> bool:
    """Whether answers.json as written, parsed again, holds the sections the checks read."""
    return all(written.get(k) == certified[k] for k in keys)
