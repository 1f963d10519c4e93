"""A check of an O-form against the exact count it summarizes, by evaluation alone.

Independent of derive/bigo.py (which reduces monomials by a dominance rule): the count and the
O-form are evaluated exactly on rays v = k^a_v, for every direction a in {0, 1, 2, 3}^vars that
respects the order constraints (small <= large), at k = 2^20 and 2^40. The O-form is right when
count / O-form stays bounded away from 0 and infinity along every ray, i.e. the log-slope of the
ratio in k is 0 (a wrong degree makes it an integer of size at least 1), and when every kept
term is needed: without it, the ratio grows along some ray.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import sympy as sp

from derive.answer import Check

EXPONENTS = (0, 1, 2, 3)
K1, K2 = 2**20, 2**40
TOLERANCE = 0.5  # half the smallest degree mismatch
Ray = tuple[int, ...]


def rays(variables: Sequence[sp.Symbol], order: Sequence[tuple[sp.Symbol, sp.Symbol]]) -> list[Ray]:
    """Every admissible direction: small <= large must hold for k >= 1, so a_small <= a_large."""
    where = {v: i for i, v in enumerate(variables)}
    return [a for a in itertools.product(EXPONENTS, repeat=len(variables))
            if any(a) and all(a[where[s]] <= a[where[g]] for s, g in order)]


def _slope(count: Callable[..., sp.Rational], form: Callable[..., sp.Rational], ray: Ray) -> float:
    """The log-slope in k of count / form between K1 and K2 along the ray (inf if form vanishes)."""
    ratios = []
    for k in (K1, K2):
        point = [k**e for e in ray]
        c, f = sp.Rational(count(*point)), sp.Rational(form(*point))
        if c <= 0 or f <= 0:
            return math.inf
        ratios.append(c / f)
    return abs(math.log2(ratios[1] / ratios[0])) / math.log2(K2 / K1)


def worst_slope(count: sp.Expr, form: sp.Expr, variables: Sequence[sp.Symbol], directions: list[Ray]) -> float:
    count_fn = sp.lambdify(variables, count, "sympy")
    form_fn = sp.lambdify(variables, form, "sympy")
    return max(_slope(count_fn, form_fn, ray) for ray in directions)


def big_o_check(question: str, name: str, count: sp.Expr, form: sp.Expr, variables: Sequence[sp.Symbol],
                order: Sequence[tuple[sp.Symbol, sp.Symbol]], certifies: tuple[str, ...]) -> Check:
    """The error is the largest log-slope of count / form over the rays, or 1 - the largest
    log-slope of count / (form without one of its terms) when that term is not needed."""
    directions = rays(variables, order)
    err = worst_slope(count, form, variables, directions)
    terms = sp.Add.make_args(sp.expand(form))
    for term in terms if len(terms) > 1 else ():
        rest = sp.Add(*[t for t in terms if t != term])
        err = max(err, 1 - worst_slope(count, rest, variables, directions))
    where = ", ".join(f"{s} <= {g}" for s, g in order)
    return Check(question, name, f"count / O-form on {len(directions)} rays v = k^a, a in {{0..3}}"
                 f"{' with ' + where if where else ''}, k = 2^20, 2^40: log-slope 0, every term needed",
                 err, TOLERANCE, certifies)
