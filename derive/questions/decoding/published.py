"""Question 2's section of answers.json read back, as its checks and its boxed answers read it.

The counts and costs are SymPy text over N, T, B (the sort-based cost also uses log, ceiling
and log2); the sequences are lists of words with an exact log-likelihood. A field that does not
read is None, and a check given None fails.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import sympy as sp
from sympy.codegen.cfunctions import log2

from derive.answer import Check, Issued
from derive.asymptotic import TOLERANCE, big_o_check
from derive.published import Section, at, rational, read
from derive.questions.decoding.search import Hypothesis

N, T, B = sp.symbols("N T B", integer=True, positive=True)
COUNT_NAMES: dict[str, Any] = {"N": N, "T": T}  # 2.1's counts
COST_NAMES: dict[str, Any] = {"T": T, "B": B, "N": N}  # Algorithm 1's costs
SORT_NAMES: dict[str, Any] = {**COST_NAMES, "log": sp.log, "ceiling": sp.ceiling, "log2": log2}  # the sort-based costs


@functools.lru_cache(maxsize=256, typed=True)
def text(expr: sp.Expr) -> str:
    """An expression as answers.json writes it (str): a pure function of it, kept because the
    cost models' expressions are the same in every variant and SymPy's printer is slow."""
    return str(expr)


def _hypothesis(item: Any) -> Hypothesis:
    words = item["words"]
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ValueError(f"not a list of words: {words!r}")
    return Hypothesis(tuple(words), rational(item["log_likelihood"]))


def hypothesis(section: Section, path: str) -> Hypothesis | None:
    """A sequence as published (its words and exact log-likelihood), or None."""
    return read(_hypothesis, read(at, section, path))


def hypotheses(section: Section, path: str) -> list[Hypothesis] | None:
    """A list of sequences as published, in its order, or None when any of them does not read."""
    items = read(at, section, path)
    if not isinstance(items, list):
        return None
    read_back = [read(_hypothesis, item) for item in items]
    return None if any(h is None for h in read_back) else [h for h in read_back if h is not None]


def count_error(measured: Sequence[int], published: sp.Expr | None, points: Sequence[Mapping[sp.Symbol, int]]) -> float:
    """The largest |measured - published| over the points, compared exactly (a published value
    that is not a whole number differs); infinite when the published expression did not read."""
    if published is None:
        return math.inf
    return _count_error(tuple(measured), published, tuple(tuple(p.items()) for p in points))


@functools.lru_cache(maxsize=1024)
def _count_error(measured: tuple[int, ...], published: sp.Expr,
                 points: tuple[tuple[tuple[sp.Symbol, int], ...], ...]) -> float:
    """count_error's comparison, a pure function of immutable values: the published expressions
    are the same in every variant, and substituting at each point dominated a variant's checks,
    so the same expression is compared with the same counts once per process."""
    gaps = [sp.Abs(sp.Integer(m) - published.subs(dict(p))) for m, p in zip(measured, points, strict=True)]
    return max((float(g) if g.is_number else math.inf for g in gaps), default=0.0)


def count_check(part: Issued, name: str, method: str, measured: Sequence[int], published: sp.Expr | None,
                points: Sequence[Mapping[sp.Symbol, int]], certifies: tuple[str, ...]) -> Check:
    """Measured counts against a published exact expression at the points they were measured at."""
    return Check(part.id, name, method, count_error(measured, published, points), 0.0, certifies)


def o_form_check(part: Issued, name: str, count: sp.Expr | None, form: sp.Expr | None,
                 order: Sequence[tuple[sp.Symbol, sp.Symbol]], certifies: tuple[str, ...]) -> Check:
    """A published O-form against the published exact count it summarizes (derive/asymptotic.py);
    it fails when either does not read, or cannot be evaluated on integers."""
    if count is not None and form is not None:
        try:
            return big_o_check(part, name, count, form, [T, B, N], order, certifies)
        except (ArithmeticError, TypeError, ValueError):
            pass
    return Check(part.id, name, "the published count or O-form does not read or evaluate", math.inf, TOLERANCE,
                 certifies)
