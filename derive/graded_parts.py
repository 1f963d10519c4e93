"""What a graded part of a key is: the answer it holds, its kind, its points.

Each question says which parts of its answers.json object are graded (`Question.graded`,
built with `GradedPart` and `get` from here); derive/grading/key.py gathers them. Points follow the
assignment's values per sub-question; within one they are split evenly over its answers, then
evenly over the entries of an answer graded entry by entry (a gradient matrix).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from derive.errors import ConfigError

NUMBER, TENSOR, EXACT, O_FORM, WORDS, CHOICE = "number", "tensor", "exact", "O-form", "words", "choice"


@dataclass(frozen=True)
class GradedPart:
    path: str  # dotted, as in the report; indices count from 1
    question: str  # "2.4(b)"
    points: Fraction
    kind: str
    expected: Any  # the key's value (an entry's value for an entry of a matrix)
    field: tuple[str | int, ...]  # where the submission holds the answer (list positions from 0)
    entry: tuple[int, ...] = ()  # the entry of a matrix answer (from 0), graded on its own
    shape: tuple[int, ...] = ()  # the key's shape, for tensors and matrix entries
    symbols: tuple[sp.Symbol, ...] = ()
    order: tuple[tuple[sp.Symbol, sp.Symbol], ...] = ()
    alternatives: tuple[tuple[str, str], ...] = ()  # (answer, why): accepted when exact, a hint when words
    options: tuple[str, ...] = ()  # a choice's labels, as printed (the expected one among them)


def shape_of(value: Any) -> tuple[int, ...]:
    shape: list[int] = []
    while isinstance(value, list) and value:
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def get(key: dict[str, Any], *path: str | int) -> Any:
    """The key's value at a path of answers.json, or a one-line error naming it."""
    node: Any = key
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            where = ".".join(str(s) for s in path)
            raise ConfigError("--key", f"the key has no {where} (not an answers.json of this derive)") from None
    return node


def format_points(points: Fraction) -> str:
    """Up to 3 decimals, no trailing zeros: 1.125, 0.185, 2."""
    text = f"{float(points):.3f}".rstrip("0").rstrip(".")
    return text or "0"
