"""A key is checked before it grades anyone: every graded part's answer must be one the grader
reads (a number where a number is graded, words as a list of strings, an expression its grammar
parses). A key that fails is damaged (edited by hand, cut short, from another program): the
error names the key's field, and no student is graded against it, so a damaged key is never
reported as the student's unparseable answer.
"""

from __future__ import annotations

import math
from typing import Any

from derive.errors import ConfigError
from derive.graded_parts import CHOICE, EXACT, NUMBER, O_FORM, TENSOR, WORDS, GradedPart
from derive.grading.compare import array_shape, flatten, read_number
from derive.grading.expr import Unparseable, parse
from derive.questions.registry import QUESTIONS

# What each question's `graded` may raise on a key of the wrong structure.
_STRUCTURE = (ConfigError, TypeError, KeyError, IndexError, AttributeError, ValueError, ZeroDivisionError)


class DamagedKey(ConfigError):
    """A key field the grader cannot grade against. Exit 2 (one submission); in a batch, that
    variant's row says so and the others are graded."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__("key", f"damaged key: {field}: {problem}")

    @property
    def status(self) -> str:
        return f"damaged key: {self.field}: {self.problem}"


def checked_parts(key: Any) -> list[GradedPart]:
    """Every graded part of the key, each answer checked; DamagedKey names the first bad field."""
    if not isinstance(key, dict):
        raise DamagedKey("answers", f"must be a table, got {_kind(key)}")
    out: list[GradedPart] = []
    for q in QUESTIONS:
        try:
            mine = q.graded(key)
        except _STRUCTURE:
            where = _first_damage(key.get(q.key), q.key) or (q.key, "not the structure of this derive's answers")
            raise DamagedKey(*where) from None
        for part in mine:
            _check(part)
        out += mine
    return out


def _first_damage(node: Any, path: str) -> tuple[str, str] | None:
    """The first null (or missing table) or empty list under `path`: where a structure breaks."""
    if node is None:
        return path, "missing or null"
    if isinstance(node, list) and not node:
        return path, "an empty list"
    children = node.items() if isinstance(node, dict) else enumerate(node, 1) if isinstance(node, list) else ()
    for name, child in children:
        if found := _first_damage(child, f"{path}.{name}"):
            return found
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "text", list: "an array", dict: "a table"}.get(type(value), "a number")


def _check(part: GradedPart) -> None:
    try:
        _CHECKS[part.kind](part)
    except (Unparseable, TypeError, ValueError) as exc:
        raise DamagedKey(part.path, str(exc) or f"not readable ({_kind(part.expected)})") from None


def _number(value: Any) -> None:
    if value is None or isinstance(value, bool):
        raise ValueError(f"expected a number, got {_kind(value)}")
    read = read_number(value)
    if isinstance(read, float) and not math.isfinite(read):
        raise ValueError(f"not a finite number: {read}")


def _tensor(part: GradedPart) -> None:
    if array_shape(part.expected) != part.shape or not part.shape:
        raise ValueError(f"expected an array of numbers, got {_kind(part.expected)}")
    for entry in flatten(part.expected):
        _number(entry)


def _expression(part: GradedPart) -> None:
    names = frozenset(s.name for s in part.symbols)
    for answer in (part.expected, *(a for a, _ in part.alternatives)):
        if not isinstance(answer, str):
            raise ValueError(f"expected an expression as text, got {_kind(answer)}")
        parse(answer, names)


def _words(part: GradedPart) -> None:
    if not isinstance(part.expected, list) or not part.expected or not all(
            isinstance(w, str) and w.strip() for w in part.expected):
        raise ValueError(f"expected a non-empty list of words, got {_kind(part.expected)}")


def _choice(part: GradedPart) -> None:
    labels = [o.casefold() for o in part.options]
    if not isinstance(part.expected, str) or labels and part.expected.casefold() not in labels:
        raise ValueError(f"expected one of {', '.join(part.options)}, got {_kind(part.expected)}")


_CHECKS = {NUMBER: lambda p: _number(p.expected), TENSOR: _tensor, EXACT: _expression, O_FORM: _expression,
           WORDS: _words, CHOICE: _choice}
