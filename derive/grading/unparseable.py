"""The verdict for answer text the grader cannot read: outside the grammar (expr.py) or beyond
its counted work (budget.py), both of which raise it."""

from __future__ import annotations

from derive.errors import DeriveError


class Unparseable(DeriveError):
    """Answer text outside the grammar or its limits: a verdict, never an exit."""
