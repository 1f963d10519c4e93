"""One verdict per part: numbers within a tolerance, words after whitespace normalization,
exact symbolic answers at integer points, O-forms by their dominant terms (derive/bigo.py).
Every verdict carries its reason; a wrong answer is a verdict, never an error."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sympy as sp

from derive.graded_parts import CHOICE, EXACT, NUMBER, O_FORM, TENSOR, WORDS, GradedPart
from derive.grading import budget, evaluate
from derive.grading.evaluate import typed
from derive.grading.expr import Unparseable, parse, shown
from derive.grading_policy import Tolerance

MAX_ENTRIES = 100_000
MAX_ARRAY_DEPTH = 8
# Integer points at which an exact answer must equal the key (N, T, ... take these values).
EXACT_POINTS = ((2, 1), (3, 2), (5, 3), (7, 4), (11, 5), (4, 7), (13, 2), (6, 6))
CORRECT, PARTIAL, WRONG, UNPARSEABLE, MISSING = "correct", "partial", "wrong", "unparseable", "missing"
ABSENT = object()  # the submission has no answer for the part


@dataclass(frozen=True)
class Diagnosis:
    """A misconception a wrong answer matches (derive/grading/misconceptions.py)."""

    id: str
    sentence: str


@dataclass(frozen=True)
class Result:
    part: GradedPart
    points: Fraction
    verdict: str
    reason: str
    misconception: Diagnosis | None = None


def sci(x: float) -> str:
    """1.6e-3 rather than 1.6e-03; small whole numbers plainly."""
    if x == 0 or not math.isfinite(x):
        return str(x).removesuffix(".0")
    if 1 <= abs(x) < 1000:
        return f"{x:.3g}"
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        kind = "an array" if isinstance(value, list) else "a table" if isinstance(value, dict) else "not text"
        raise Unparseable(f"expected a number or an expression as text, got {kind}")
    return value if isinstance(value, str) else str(value)


def _float(x: evaluate.Value) -> float:
    try:
        return float(x)
    except OverflowError:  # an exact value beyond float range
        return math.inf if x > 0 else -math.inf


def read_number(value: Any) -> evaluate.Value:
    if isinstance(value, float):  # a key's float (answers.json); TOML decimals arrive as Decimal
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise Unparseable(f"not a finite number: {value}")
        return Fraction(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    node = parse(_text(value))
    return evaluate.number(node)


def shown_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return shown(value if isinstance(value, str) else str(value))


def _error(e: evaluate.Value, g: evaluate.Value) -> tuple[evaluate.Value, evaluate.Value]:
    """|g - e| and |e|: exact for two fractions, in floats when either is a float."""
    if isinstance(e, Fraction) and isinstance(g, Fraction):
        return abs(g - e), abs(e)
    fe, fg = _float(e), _float(g)
    return abs(fg - fe), abs(fe)


def compare_numbers(expected: Any, got: Any, tol: Tolerance) -> tuple[bool, str]:
    error, size = _error(read_number(expected), read_number(got))
    ok = error <= tol.atol + tol.rtol * size
    if size != 0:
        measure, bound = f"relative error {sci(_float(error / size))}", sci(tol.rtol)
    else:
        measure, bound = f"absolute error {sci(_float(error))}", sci(tol.atol)
    if ok:
        return True, f"{shown_value(got)} matches {shown_value(expected)}: {measure} (rtol {sci(tol.rtol)}, " \
                     f"atol {sci(tol.atol)})"
    return False, f"expected {shown_value(expected)}, got {shown_value(got)}: {measure} > {bound}"


def array_shape(value: Any, depth: int = 0) -> tuple[int, ...]:
    """The shape of a rectangular nesting of lists (a number has shape ())."""
    if not isinstance(value, list):
        return ()
    if depth >= MAX_ARRAY_DEPTH:
        raise Unparseable(f"arrays nested deeper than {MAX_ARRAY_DEPTH}")
    if not value:
        raise Unparseable("an empty array")
    inner = [array_shape(x, depth + 1) for x in value]
    if any(s != inner[0] for s in inner):
        raise Unparseable("a ragged array (rows of different lengths)")
    shape = (len(value), *inner[0])
    size = 1
    for n in shape:
        size *= n
    if size > MAX_ENTRIES:
        raise Unparseable(f"more than {MAX_ENTRIES} entries")
    return shape


def flatten(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return [value]
    return [leaf for x in value for leaf in flatten(x)]


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for n in shape if n != 1)


def _dims(shape: tuple[int, ...]) -> str:
    return " x ".join(map(str, shape)) or "a single number"


def entries(part: GradedPart, got: Any) -> tuple[list[Any], list[Any]]:
    """Key and submission entries in order; keepdims or squeezed shapes both accepted."""
    shape = array_shape(got)
    if _squeezed(shape) != _squeezed(part.shape):
        accepted = _dims(part.shape) + (f" (or {_dims(_squeezed(part.shape))})"
                                        if _squeezed(part.shape) != part.shape else "")
        raise _ShapeMismatch(f"expected shape {accepted}, got {_dims(shape)}")
    return flatten(part.expected), flatten(got)


class _ShapeMismatch(Exception):
    """A well-formed answer of the wrong shape: a wrong answer, not an unparseable one."""


def _tensor(part: GradedPart, got: Any, tol: Tolerance) -> Result:
    expected, answers = entries(part, got)
    wrong: list[str] = []
    unparseable = 0
    for index, (e, g) in enumerate(zip(expected, answers, strict=True)):
        try:
            ok, why = compare_numbers(e, g, tol)
        except budget.OverBudget:  # the part's work is spent: the part, not this entry, is unparseable
            raise
        except Unparseable as exc:
            ok, why, unparseable = False, f"unparseable: {exc}", unparseable + 1
        if not ok:
            wrong.append(f"entry {index + 1}: {why}")
    right = len(expected) - len(wrong)
    points = part.points * right / len(expected)
    if not wrong:
        return Result(part, points, CORRECT, f"all {len(expected)} entries within rtol {sci(tol.rtol)}, "
                                             f"atol {sci(tol.atol)}")
    verdict = UNPARSEABLE if unparseable == len(expected) else WRONG if right == 0 else PARTIAL
    more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
    return Result(part, points, verdict, f"{len(wrong)} of {len(expected)} entries wrong; {wrong[0]}{more}")


def _number(part: GradedPart, got: Any, tol: Tolerance) -> Result:
    if part.entry:
        _, answers = entries(part, got)
        got = answers[part.entry[0] * part.shape[1] + part.entry[1]]
    ok, why = compare_numbers(part.expected, got, tol)
    return Result(part, part.points if ok else Fraction(0), CORRECT if ok else WRONG, why)


def _exact(part: GradedPart, got: Any) -> Result:
    names = frozenset(s.name for s in part.symbols)
    node = parse(_text(got), names)
    if evaluate.is_o_form(node):
        return Result(part, Fraction(0), WRONG, f"expected the exact count {typed(part.expected)}, got an O-form")
    points = [dict(zip(sorted(names), p, strict=False)) for p in EXACT_POINTS]
    values = [evaluate.number(node, p) for p in points]
    first_difference = ""
    for answer, why in ((part.expected, ""), *part.alternatives):
        key = parse(answer, names)
        for p, value in zip(points, values, strict=True):
            if evaluate.number(key, p) != value:
                if not why:
                    at = ", ".join(f"{k} = {v}" for k, v in p.items())
                    first_difference = f"differs at {at} ({evaluate.number(key, p)} vs {value})"
                break
        else:
            also = f" ({why})" if why else ""
            return Result(part, part.points, CORRECT, f"equals {typed(answer)}{also} at {len(points)} integer points")
    return Result(part, Fraction(0), WRONG,
                  f"expected {typed(part.expected)}, got {shown(_text(got))}: {first_difference}")


def _o_form(part: GradedPart, got: Any) -> Result:
    names = frozenset(s.name for s in part.symbols)
    mine = evaluate.o_reduction(parse(_text(got), names), part.symbols, part.order)
    for answer, why in part.alternatives:
        if set(sp.Add.make_args(mine)) == set(sp.Add.make_args(
                evaluate.o_reduction(parse(answer, names), part.symbols, part.order))):
            return Result(part, part.points, CORRECT, f"same dominant terms as {typed(answer)} ({why})")
    theirs = evaluate.o_reduction(parse(part.expected, names), part.symbols, part.order)
    missing = set(sp.Add.make_args(theirs)) - set(sp.Add.make_args(mine))
    extra = set(sp.Add.make_args(mine)) - set(sp.Add.make_args(theirs))
    if not missing and not extra:
        return Result(part, part.points, CORRECT, f"same dominant terms as {typed(part.expected)}")
    said = "; ".join(s for s in (
        "missing " + ", ".join(map(typed, sorted(missing, key=str))) if missing else "",
        "extra " + ", ".join(map(typed, sorted(extra, key=str))) if extra else "") if s)
    return Result(part, Fraction(0), WRONG, f"expected {typed(part.expected)}, got O({typed(mine)}): {said}")


def _words(value: Any) -> list[str]:
    if isinstance(value, str):
        words = value.split()
    elif isinstance(value, list) and all(isinstance(w, str) for w in value):
        words = " ".join(value).split()
    else:
        raise Unparseable("expected words as a string or an array of strings")
    return words[1:] if words[:1] == ["<BOS>"] else words


words_of = _words


def _compare_words(part: GradedPart, got: Any) -> Result:
    words = _words(got)
    expected = list(part.expected)
    if words == expected:
        return Result(part, part.points, CORRECT, f"the words are {' '.join(expected)!r}")
    hint = "".join(f" ({why})" for answer, why in part.alternatives if answer.split() == words)
    return Result(part, Fraction(0), WRONG,
                  f"expected {' '.join(expected)!r}, got {shown(' '.join(words))!r}{hint}")


def _choice(part: GradedPart, got: Any) -> Result:
    if not isinstance(got, str):
        raise Unparseable(f"expected {' or '.join(part.options)} as a string")
    if got.strip().casefold() == str(part.expected).casefold():
        return Result(part, part.points, CORRECT, f"{part.expected} (case ignored)")
    return Result(part, Fraction(0), WRONG, f"expected {part.expected}, got {shown(got.strip())!r}")


_GRADERS: dict[str, Callable[[GradedPart, Any, Tolerance], Result]] = {
    TENSOR: _tensor, NUMBER: _number, EXACT: lambda p, g, t: _exact(p, g), O_FORM: lambda p, g, t: _o_form(p, g),
    WORDS: lambda p, g, t: _compare_words(p, g), CHOICE: lambda p, g, t: _choice(p, g),
}


def grade_part(part: GradedPart, got: Any, tol: Tolerance) -> Result:
    """The verdict of one part; the submission's text is parsed by the grammar, within the part's
    counted budget (derive/grading/budget.py).
    An empty string is no answer (the blank submission.toml holds one for every field)."""
    if got is ABSENT or isinstance(got, str) and not got.strip():
        return Result(part, Fraction(0), MISSING, "no answer")
    try:
        with budget.limited():  # counted work, not time: the same verdict on every machine
            return _GRADERS[part.kind](part, got, tol)
    except _ShapeMismatch as exc:
        return Result(part, Fraction(0), WRONG, str(exc))
    except Unparseable as exc:
        return Result(part, Fraction(0), UNPARSEABLE, str(exc))
