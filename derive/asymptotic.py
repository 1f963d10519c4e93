"""A check of an O-form against the exact count it summarizes, by evaluation alone.

Independent of derive/bigo.py (which reduces monomials by a dominance rule): the count and the
O-form are evaluated exactly on rays v = k^a_v, for every direction a in {0, 1, 2, 3}^vars that
respects the order constraints (small <= large), at k = 2^20 and 2^40. The O-form is right when
count / O-form stays bounded away from 0 and infinity along every ray, i.e. the log-slope of the
ratio in k is 0 (a wrong degree makes it an integer of size at least 1), and when every kept
term is needed: without it, the ratio grows along some ray.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction

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


def _polynomial(expr: sp.Expr, variables: Sequence[sp.Symbol]) -> Callable[[Sequence[int]], Fraction]:
    """The polynomial evaluated exactly on integers, term by term (faster than SymPy's subs)."""
    terms = [(monomial, Fraction(int(c.p), int(c.q))) for monomial, c in sp.Poly(expr, *variables).terms()]
    return lambda point: sum((c * math.prod(v**e for v, e in zip(point, monomial, strict=True))
                              for monomial, c in terms), Fraction(0))


def _slope(count: Callable[[Sequence[int]], Fraction], form: Callable[[Sequence[int]], Fraction], ray: Ray) -> float:
    """The log-slope in k of count / form between K1 and K2 along the ray (inf if form vanishes)."""
    ratios = []
    for k in (K1, K2):
        point = [k**e for e in ray]
        c, f = count(point), form(point)
        if c <= 0 or f <= 0:
            return math.inf
        ratios.append(c / f)
    quotient = ratios[1] / ratios[0]
    return abs(math.log2(quotient.numerator) - math.log2(quotient.denominator)) / math.log2(K2 / K1)


def worst_slope(count: sp.Expr, form: sp.Expr, variables: Sequence[sp.Symbol], directions: list[Ray]) -> float:
    count_fn, form_fn = _polynomial(count, variables), _polynomial(form, variables)
    return max(_slope(count_fn, form_fn, ray) for ray in directions)


@functools.lru_cache(maxsize=64)
def _error(count: sp.Expr, form: sp.Expr, variables: tuple[sp.Symbol, ...],
           order: tuple[tuple[sp.Symbol, sp.Symbol], ...]) -> tuple[float, int]:
    """The check's error and number of rays; the cost models do not depend on the config, so
    a process computes each once."""
    directions = rays(variables, order)
    err = worst_slope(count, form, variables, directions)
    terms = sp.Add.make_args(sp.expand(form))
    for term in terms if len(terms) > 1 else ():
        rest = sp.Add(*[t for t in terms if t != term])
        err = max(err, 1 - worst_slope(count, rest, variables, directions))
    return err, len(directions)


def big_o_check(question: str, name: str, count: sp.Expr, form: sp.Expr, variables: Sequence[sp.Symbol],
                order: Sequence[tuple[sp.Symbol, sp.Symbol]], certifies: tuple[str, ...]) -> Check:
    """The error is the largest log-slope of count / form over the rays, or 1 - the largest
    log-slope of count / (form without one of its terms) when that term is not needed."""
    err, directions = _error(sp.sympify(count), sp.sympify(form), tuple(variables), tuple(map(tuple, order)))
    where = ", ".join(f"{s} <= {g}" for s, g in order)
    return Check(question, name, f"count / O-form on {directions} rays v = k^a, a in {{0..3}}"
                 f"{' with ' + where if where else ''}, k = 2^20, 2^40: log-slope 0, every term needed",
                 err, TOLERANCE, certifies)
