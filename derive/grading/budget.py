"""The work one graded part may cost, counted, not timed: the same answer gets the same verdict
on every machine and every run.

Each part of a submission is graded within PART_BUDGET units. Parsing charges a unit per
character of an answer's text; evaluating charges a unit per operation plus one per 1,000 bits
of its exact result (a big-number product costs more than a small one), and a power that for
each bit of its exponent; an O-form's expansion charges UNITS_PER_TERM per term. Every entry of
a tensor draws on its part's one budget, so a 4,096-entry part of heavy expressions stops at the
same entry everywhere. What exceeds it is `unparseable`, naming the limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from derive.grading.unparseable import Unparseable

PART_BUDGET = 400_000  # units per graded part: about a second of this machine's CPU at the worst
BITS_PER_UNIT = 1000
UNITS_PER_TERM = 50  # an O-form's expansion, charged by its (bounded) number of terms

class OverBudget(Unparseable):
    """The part's budget is spent: the whole part is unparseable, not one entry."""


_remaining: ContextVar[int | None] = ContextVar("derive_grading_budget", default=None)


@contextmanager
def limited(units: int | None = None) -> Iterator[None]:
    """Count the work inside against `units` (PART_BUDGET by default)."""
    token = _remaining.set(PART_BUDGET if units is None else units)
    try:
        yield
    finally:
        _remaining.reset(token)


def spend(units: int) -> None:
    """Charge `units`; Unparseable once the part's budget is spent (outside `limited`, free)."""
    left = _remaining.get()
    if left is None:
        return
    left -= units
    if left < 0:
        raise OverBudget(f"needs more work than the limit of {PART_BUDGET:,} units per part (docs/submissions.md)")
    _remaining.set(left)


def for_bits(bits: int) -> int:
    """An operation whose exact result has `bits` bits."""
    return 1 + bits // BITS_PER_UNIT
