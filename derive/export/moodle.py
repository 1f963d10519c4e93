"""`derive export moodle DIR`: a Moodle XML question bank from a variants folder.

One category per question (`$course$/top/derive/Question N: title`) holding one Embedded
Answers (Cloze) question per variant: the variant's data (moodle_text.py), then a gap per graded
answer: NUMERICAL for each number (each entry of a tensor or matrix), SHORTANSWER for a word
sequence, MULTICHOICE for a choice. Expressions and O-forms have no gap: Moodle cannot compare
them as `derive grade` does (by value at integer points, by dominant terms). The general
feedback is the variant's key and its worked steps. A quiz's "random question from category"
then gives each student one variant.

Moodle's NUMERICAL tolerance is absolute: each gap gets atol + rtol * |key| of the variant's
[grading] policy, which is the bound `derive grade` applies to that answer. Gap weights are
integers: each part's points times the least common multiple of the question's denominators.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from derive.config import Config, load
from derive.export import moodle_text
from derive.export.variants_dir import Variant
from derive.graded_parts import CHOICE, EXACT, NUMBER, O_FORM, TENSOR, WORDS, GradedPart, format_points
from derive.grading.compare import flatten, read_number
from derive.grading.evaluate import typed
from derive.grading_policy import GradingPolicy
from derive.questions.base import Question
from derive.questions.registry import QUESTIONS
from derive.sheet import not_graded, sheet_source

GAP_KINDS = (TENSOR, NUMBER, WORDS, CHOICE)
# In a gap's answer Moodle ends the answer at the first ~ # } not after a backslash, & or &amp;,
# then decodes HTML entities: these characters are written as numeric references (which also keep the question's
# HTML well formed and end in ";", never in "&"). `*` is SHORTANSWER's wildcard: `\*` is a star.
CLOZE_REFERENCES = {ch: f"&#{ord(ch)};" for ch in '&<>"~#{}\\'}
PENALTY = "0"  # no penalty for a retry: the quiz's settings decide


def cloze_escape(answer: str, wildcard: bool = False) -> str:
    """An answer inside a gap, as Moodle's Cloze syntax reads it back to `answer`; `wildcard`:
    for SHORTANSWER, where a star must be escaped."""
    text = "".join(CLOZE_REFERENCES.get(ch, ch) for ch in answer)
    return text.replace("*", "\\*") if wildcard else text


def _decimal(value: Any) -> str:
    """A key's number as Moodle reads one: a decimal (repr of the nearest float)."""
    return repr(float(read_number(value)))


def _tolerance(value: Any, part: GradedPart, policy: GradingPolicy) -> str:
    tol = policy.tolerance(part.path)
    return repr(tol.atol + tol.rtol * abs(float(read_number(value))))


def gaps(part: GradedPart, weight: Fraction, policy: GradingPolicy) -> list[tuple[str, str]]:
    """(label, gap) for each answer box of a part, in the submission's order."""
    if part.kind in (TENSOR, NUMBER):
        values = flatten(part.expected) if part.kind == TENSOR else [part.expected]
        each = weight / len(values)
        shape = tuple(n for n in part.shape if n != 1) if part.kind == TENSOR else ()
        labels = [_index(i, shape) for i in range(len(values))] if len(values) > 1 else [""]
        if part.entry:
            labels = [f"entry ({part.entry[0] + 1}, {part.entry[1] + 1})"]
        return [(label, f"{{{_whole(each)}:NUMERICAL:={_decimal(v)}:{_tolerance(v, part, policy)}}}")
                for label, v in zip(labels, values, strict=True)]
    if part.kind == WORDS:
        return [("", f"{{{_whole(weight)}:SHORTANSWER:={cloze_escape(' '.join(part.expected), wildcard=True)}}}")]
    options = "~".join(("=" if o.casefold() == str(part.expected).casefold() else "") + cloze_escape(o)
                       for o in part.options)
    return [("", f"{{{_whole(weight)}:MULTICHOICE:{options}}}")]


def _whole(weight: Fraction) -> int:
    if weight.denominator != 1:  # _scale makes every box's weight whole
        raise ValueError(f"a gap's weight must be whole, got {weight}")
    return int(weight)


def _index(i: int, shape: tuple[int, ...]) -> str:
    at = []
    for n in reversed(shape):
        at.append(i % n + 1)
        i //= n
    return "entry (" + ", ".join(map(str, reversed(at))) + ")"


def _scale(parts: Sequence[GradedPart]) -> int:
    """The least common multiple of the denominators of every box's points: weights become integers."""
    scale = 1
    for p in parts:
        boxes = len(flatten(p.expected)) if p.kind == TENSOR else 1
        scale = math.lcm(scale, (p.points / boxes).denominator)
    return scale


def _key_line(part: GradedPart) -> str:
    expected = part.expected
    if part.kind == WORDS:
        shown = " ".join(expected)
    elif part.kind in (EXACT, O_FORM):
        shown = typed(expected)
    else:
        shown = ", ".join(map(str, flatten(expected)))
    return f"<li><code>{moodle_text.text(part.path)}</code>: {moodle_text.plain(shown)}</li>"


def gapped(q: Question[Any, Any, Any], answers: dict[str, Any], skipped: set[str]) -> list[GradedPart]:
    """The graded parts of q that get gaps: those Moodle can grade, of sub-questions the sheet asks."""
    return [p for p in q.graded(answers) if p.kind in GAP_KINDS and p.question not in skipped]


def cloze(q: Question[Any, Any, Any], variant: Variant, config: Config, skipped: set[str]) -> ET.Element:
    """One variant's question q as a Cloze question."""
    every = q.graded(variant.answers)
    parts = gapped(q, variant.answers, skipped)
    scale = _scale(parts)
    policy = variant.policy()
    body = [f"<p><b>Question {q.number}: {moodle_text.text(q.title)}</b> (variant "
            f"{moodle_text.plain(variant.id)})</p>", moodle_text.statement(q.key, config)]
    for part in parts:
        boxes = gaps(part, part.points * scale, policy)
        cells = " ".join(f"{moodle_text.text(label)} {gap}" if label else gap for label, gap in boxes)
        body.append(f"<p>{moodle_text.text(part.question)} <code>{moodle_text.text(part.path)}</code> "
                    f"({format_points(part.points)} {'point' if part.points == 1 else 'points'}): {cells}</p>")
    left = [p for p in every if p not in parts]
    if left:
        body.append("<p>Not in this quiz (answered on paper, graded with <code>derive grade</code>): "
                    + ", ".join(f"<code>{moodle_text.text(p.path)}</code>" for p in left) + ".</p>")
    feedback = ("<p>The key of this variant:</p><ul>" + "".join(_key_line(p) for p in every) + "</ul>"
                + moodle_text.worked(q.key, config))
    question = ET.Element("question", type="cloze")
    ET.SubElement(ET.SubElement(question, "name"), "text").text = f"Question {q.number}, variant {variant.id}"
    _html(question, "questiontext", "".join(body))
    _html(question, "generalfeedback", feedback)
    ET.SubElement(question, "penalty").text = PENALTY
    ET.SubElement(question, "hidden").text = "0"
    ET.SubElement(question, "idnumber").text = f"derive-{q.number}-{variant.folder.name}"
    return question


def _html(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(ET.SubElement(parent, tag, format="html"), "text").text = text


def _category(q: Question[Any, Any, Any]) -> ET.Element:
    question = ET.Element("question", type="category")
    path = f"$course$/top/derive/Question {q.number}: {q.title.replace('/', '//')}"  # "//": a slash in a name
    ET.SubElement(ET.SubElement(question, "category"), "text").text = path
    _html(question, "info", f"<p>One variant per question; a quiz's random question from this category "
                            f"gives each student one (Question {q.number}).</p>")
    return question


def quiz(variants: Sequence[Variant]) -> bytes:
    """The question bank: every question's category and its variants, in the key's order; a
    variant's question with nothing Moodle can grade (3.3 with an instance too large to print)
    is left out."""
    configs: list[tuple[Config, set[str]]] = []
    for v in variants:
        config = load(v.folder / "config.toml")
        configs.append((config, not_graded(sheet_source(config))))
    root = ET.Element("quiz")
    for q in QUESTIONS:
        root.append(_category(q))
        for v, (config, skipped) in zip(variants, configs, strict=True):
            if gapped(q, v.answers, skipped):  # Moodle refuses a Cloze question without a gap
                root.append(cloze(q, v, config, skipped))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"
