"""What every question returns: its derivation as data, and the checks run on it.

A derivation is a list of rows (left side, relation, right side, a short note) holding
SymPy objects or trusted LaTeX; the printer and the templates decide how they look.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

NOISE_DIGITS = 3  # errors below a thousandth of the tolerance's decade are published as that bound


class Trusted(str):
    """Markup derive wrote itself (LaTeX, HTML): joined with its own kind it stays trusted; joined
    with a plain str (either order) it is refused, since the str is not known to be markup: escape
    it, or, if derive wrote it, make it the trusted kind first."""

    __slots__ = ()
    LANGUAGE = "markup"

    def __add__(self, other: str) -> Self:
        if not isinstance(other, type(self)):
            raise TypeError(f"{type(self).__name__} + str: {str(other)[:40]!r} is not known to be "
                            f"{self.LANGUAGE}; escape it or make it {type(self).__name__}")
        return type(self)(str.__add__(self, other))

    def __radd__(self, other: str) -> Self:
        if not isinstance(other, type(self)):
            raise TypeError(f"str + {type(self).__name__}: {str(other)[:40]!r} is not known to be "
                            f"{self.LANGUAGE}; escape it or make it {type(self).__name__}")
        return type(self)(str.__add__(other, self))


class Tex(Trusted):
    """Trusted LaTeX written by derive itself; every plain str is escaped (derive.latex.escaping)."""

    __slots__ = ()
    LANGUAGE = "LaTeX"


@dataclass(frozen=True)
class Row:
    """One line of an aligned derivation: `lhs rel rhs` with an optional note."""

    lhs: Any
    rhs: Any
    rel: str = "="
    note: str | Tex = ""


@dataclass(frozen=True)
class Terms:
    """A sum written out term by term, `factor (t1 + t2 + ...) - minus`; long ones elide the middle."""

    terms: tuple[Any, ...]
    factor: Any = None
    minus: Any = None
    show: int = 12


@dataclass(frozen=True)
class Issued:
    """A sub-question (or a group of them that checks are filed under) with its printed id,
    as the question registry issues it (derive/questions/base.py)."""

    id: str  # "1", "2.4(b)", "4.1-4.3"
    points: int  # the assignment's points; 0 for a group that only files checks
    cited: bool = False  # its prose quotes cited figures (the document's introduction lists it)


@dataclass(frozen=True)
class Boxed:
    """A boxed final answer made from the published answers.json: the field it shows and the
    LaTeX its box must hold (None: the field does not read, so no box can show it)."""

    part: Issued
    field: str  # dotted path from answers.json's top ("lora.choice.both.mha")
    tex: str | None


@dataclass(frozen=True)
class Check:
    """A numeric or exact comparison of a derived result with an independent computation."""

    question: str
    name: str
    method: str
    max_error: float
    tolerance: float
    certifies: tuple[str, ...] = ()  # the answers.json fields (dotted paths) this check vouches for

    @property
    def passed(self) -> bool:
        return math.isfinite(self.max_error) and self.max_error <= self.tolerance

    @property
    def error_decade(self) -> int | None:
        """k of the published bound 10^k on the error: the smallest power of ten at or above it,
        and no less than NOISE_DIGITS decades below the tolerance's. Rounding noise, which differs
        between CPUs (NumPy's vectorized exp and tanh), never reaches the published bytes. None for
        an exact check (tolerance 0) and a non-finite error, which are published as they are."""
        if self.tolerance <= 0 or not math.isfinite(self.max_error):
            return None
        floor = Decimal(repr(self.tolerance)).adjusted() - NOISE_DIGITS  # repr: 1e-12, not 9.99...e-13
        if self.max_error <= 0:
            return floor
        error = Decimal(repr(self.max_error))
        return max(error.adjusted() + (error > Decimal(10) ** error.adjusted()), floor)

    @property
    def error_bound(self) -> float:
        """What answers.json publishes of the error (error_decade)."""
        decade = self.error_decade
        return self.max_error if decade is None else float(f"1e{decade}")

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "name": self.name,
            "method": self.method,
            "max_error": self.error_bound,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "certifies": list(self.certifies),
        }


def worst(errors: Iterable[float]) -> float:
    """The largest of the errors; infinite when there is none or one is not a number (max() keeps
    a NaN only when it comes first, so a row that evaluates to NaN would pass unseen)."""
    largest: float = -math.inf
    for error in errors:
        if error != error:  # NaN (and no conversion: an exact count's error may be a huge integer)
            return math.inf
        largest = max(largest, error)
    return largest if largest > -math.inf else math.inf


@dataclass(frozen=True)
class Skipped:
    """A check that could not run here (an optional dependency is missing), and why."""

    question: str
    name: str
    reason: str
    certifies: tuple[str, ...] = ()  # what it would have certified

    def as_json(self) -> dict[str, Any]:
        return {"question": self.question, "name": self.name, "reason": self.reason,
                "certifies": list(self.certifies)}
