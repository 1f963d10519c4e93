"""O-notation of a cost polynomial: keep the monomials that no other monomial dominates.

All variables are at least 1, and pairs (small, large) state small <= large (r <= d,
B <= N). Monomial m1 dominates m2 when m1/m2 stays bounded below by a positive constant
for every admissible assignment; coefficients are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

Exponents = dict[sp.Symbol, int]
Order = Sequence[tuple[sp.Symbol, sp.Symbol]]


def _dominates(e1: Exponents, e2: Exponents, order: Order) -> bool:
    diff = {s: e1.get(s, 0) - e2.get(s, 0) for s in set(e1) | set(e2)}
    for small, large in order:  # small^k with k < 0 is at least large^k: move the deficit to `large`
        if diff.get(small, 0) < 0:
            diff[large] = diff.get(large, 0) + diff[small]
            diff[small] = 0
    return all(v >= 0 for v in diff.values())


def big_o(expr: sp.Expr, variables: Sequence[sp.Symbol],
          order: Sequence[tuple[sp.Symbol, sp.Symbol]] = ()) -> sp.Expr:
    """The O-form of a polynomial in `variables` (positive leading behaviour assumed)."""
    poly = sp.Poly(sp.expand(expr), *variables)
    monomials = [dict(zip(variables, m, strict=True)) for m, c in poly.terms() if c > 0]
    kept: list[dict[sp.Symbol, int]] = []
    for m in monomials:
        if any(_dominates(other, m, order) and other != m for other in monomials if not _dominates(m, other, order)):
            continue
        if not any(_dominates(k, m, order) and _dominates(m, k, order) for k in kept):
            kept.append(m)
    return sp.Add(*[sp.Mul(*[s**e for s, e in m.items()]) for m in kept])
