"""Plants in a published section: each field of answers.json moved in the ways its type allows.

`plants(value)` gives the wrong values a field can take that a reader could not tell from a
right one by its form: a number moved past any tolerance, a matrix transposed, two entries or
two list items swapped, a word changed, an O-form given a dominated term or losing a dominant
one, an exact expression given another term, a label swapped for another label.
`escaped(solved)` plants each in turn and runs the question's checks on the planted section:
a plant that no check certifying its field catches means that field's checks cannot fail
(`derive check --plant`, and the test suite on four configs).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from derive import certify
from derive.answer import Check
from derive.published import fields
from derive.questions.base import Question
from derive.questions.registry import QUESTIONS
from derive.verify import Planned, TorchJob, resolve

if TYPE_CHECKING:
    from derive.build import Solved

_RATIONAL = re.compile(r"-?\d+(/\d+|\.\d+)?")
LABELS = ("LoRA", "QLoRA")  # the choice table's labels: a plant swaps one for the other


def _number(value: Any) -> Any:
    """A number, or an exact value as text, moved by a thousandth of itself plus 1/7."""
    if isinstance(value, str):
        return str(sp.Rational(value) * sp.Rational(1001, 1000) + sp.Rational(1, 7))
    if isinstance(value, bool):
        return not value
    return value + 1 if isinstance(value, int) else value * 1.001 + 1 / 7


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) or (
        isinstance(value, str) and bool(_RATIONAL.fullmatch(value)))


def _terms(inner: str) -> list[str]:
    """The top-level terms of a sum as printed by SymPy ("a + b - c": a, b, -c)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and inner[i:i + 3] in (" + ", " - "):
            out.append(inner[start:i])
            start = i + 1
    out.append(inner[start:])
    return [t.strip() for t in out]


def _string(value: str) -> Iterator[tuple[str, str]]:
    if _is_number(value):
        yield "moved", _number(value)
    elif value in LABELS:
        yield "label swapped", LABELS[1 - LABELS.index(value)]
    elif value.startswith("O(") and value.endswith(")"):
        inner = value[2:-1]
        yield "a dominated term kept", f"O({inner} + 1)"
        terms = _terms(inner)
        if len(terms) > 1:
            yield "a dominant term lost", f"O({' '.join(terms[1:]).lstrip('+ ')})"
        else:
            yield "the dominant term lost", "O(1)"
    elif "\\" in value or not re.fullmatch(r"[\w*/() +\-.]+", value):
        yield "a character changed", value[:-1] + ("x" if value[-1] != "x" else "y")
    else:  # an exact expression (SymPy's text), a shape, a word
        yield "a term added", f"{value} + 1"


def _array(value: list[Any]) -> Iterator[tuple[str, Any]]:
    array = np.array(value, dtype=object)
    flat = list(array.flat)
    if all(_is_number(x) for x in flat):
        moved = array.copy()
        moved.flat[0] = _number(flat[0])
        yield "an entry moved", moved.tolist()
        if array.ndim >= 2:
            transposed = np.swapaxes(array, -1, -2)
            if transposed.shape != array.shape or not np.array_equal(transposed, array):
                yield "transposed", transposed.tolist()
        if len(set(map(str, flat))) > 1:
            i = next(i for i, x in enumerate(flat) if str(x) != str(flat[0]))
            swapped = array.copy()
            swapped.flat[0], swapped.flat[i] = flat[i], flat[0]
            yield "two entries swapped", swapped.tolist()


def plants(value: Any) -> Iterator[tuple[str, Any]]:
    """(what was planted, the wrong value) for one field of answers.json."""
    if isinstance(value, str):
        yield from _string(value)
    elif _is_number(value) or isinstance(value, bool):
        yield "moved", _number(value)
    elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        if len(value) > 1 and value[0] != value[1]:
            yield "two items swapped", [value[1], value[0], *value[2:]]
        for key, item in value[0].items():
            for what, wrong in plants(item):
                yield f"item 1's {key}: {what}", [{**value[0], key: wrong}, *value[1:]]
    elif isinstance(value, list) and value and all(isinstance(x, str) and not _is_number(x) for x in value):
        if len(set(value)) > 1:
            i = next(i for i, x in enumerate(value) if x != value[0])
            swapped = list(value)
            swapped[0], swapped[i] = value[i], value[0]
            yield "two words swapped", swapped
        yield "a word changed", [value[0] + "x", *value[1:]]
    elif isinstance(value, list) and value:
        yield from _array(value)


def planted(section: dict[str, Any], path: str, wrong: Any) -> dict[str, Any]:
    """A copy of a section with the field at `path` (below the section) replaced."""
    out = copy.deepcopy(section)
    *parents, last = path.split(".")
    target: Any = out
    for key in parents:
        target = target[key]
    target[last] = json.loads(json.dumps(wrong))
    return out


def value_at(section: dict[str, Any], path: str) -> Any:
    """The field at `path` (below the section)."""
    value: Any = section
    for key in path.split("."):
        value = value[key]
    return value


def field_plants(solved: Solved, questions: Iterable[Question[Any, Any, Any]] = QUESTIONS
                 ) -> Iterator[tuple[Question[Any, Any, Any], str, str, Any]]:
    """(question, field, what was planted, the wrong value) for every answer field published."""
    skip = certify.not_answers()
    for q in questions:
        for path in fields(solved.published[q.key], q.key):
            if path not in skip:
                for what, wrong in plants(value_at(solved.published[q.key], path.partition(".")[2])):
                    yield q, path, what, wrong


def escaped(solved: Solved, questions: Iterable[Question[Any, Any, Any]] = QUESTIONS) -> tuple[int, list[str]]:
    """How many plants were made in certified fields, and those (field: what) that no check
    certifying the field caught. The PyTorch checks are left out: every field must be defended
    by the build's own checks, with or without PyTorch."""
    certified = {p for c in solved.checks for p in c.certifies}
    count, missed = 0, []
    for q, path, what, wrong in field_plants(solved, questions):
        if not any(certify.covers(p, path) for p in certified):
            continue
        section = planted(solved.published[q.key], path.partition(".")[2], wrong)
        plan: Planned = [c for c in q.plan(solved.answers[q.key], solved.config, section)
                         if not isinstance(c, TorchJob)]
        count += 1
        if not any(isinstance(c, Check) and not c.passed and any(certify.covers(p, path) for p in c.certifies)
                   for c in resolve(plan)):
            missed.append(f"{path}: {what}")
    return count, missed
