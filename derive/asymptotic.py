"""A check of an O-form against the exact count it summarizes, by evaluation alone.

Independent of derive/bigo.py (which reduces monomials by a dominance rule): the count and the
O-form are evaluated on rays v = k^a_v, for every direction a in {0, 1, 2, 3}^vars that
respects the order constraints (small <= large) and makes every logarithm of the count grow (so
that the count stays positive), at k = 2^16 and 2^256; a logarithm only the O-form has may
vanish there (O(BN log B) for a count of BN log BN fails on the rays that keep B = 1). The
O-form is right when count / O-form stays bounded away from 0 and infinity along every ray:
between the two points the ratio may change by at most a factor 4, where a wrong power changes
it by 2^240 or more and a missing log factor by 16; and when every kept term is needed: without
it, the ratio changes by a factor 16 or more along some ray. The grid is calibrated on every
check (`calibration`): its rays are every direction in {0..3}, each once, as the method text says,
and a log factor changes the ratio between the two points by exactly 2^NEEDED, a power by at
least 2^POWER_CHANGE.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction

import sympy as sp
from sympy.codegen.cfunctions import log2

from derive import cache
from derive.answer import Check, Issued

EXPONENTS = (0, 1, 2, 3)
LOG2_K1, LOG2_K2 = 16, 256
TOLERANCE = 2.0  # log2 of the change of count / O-form allowed between k = 2^LOG2_K1 and 2^LOG2_K2
NEEDED = 4.0  # log2 of the change that shows a term is needed: a log factor's, 256 / 16 = 2^4
POWER_CHANGE = 240  # log2 of the least change a wrong power makes: k^1 over 2^16 .. 2^256
Ray = tuple[int, ...]
Value = Callable[[Sequence[int]], Fraction]


def rays(variables: Sequence[sp.Symbol], order: Sequence[tuple[sp.Symbol, sp.Symbol]],
         logs: Sequence[sp.Expr] = ()) -> list[Ray]:
    """Every admissible direction: small <= large must hold for k >= 1, so a_small <= a_large;
    a logarithm counts as at least 1, so its argument must grow."""
    where = {v: i for i, v in enumerate(variables)}
    return [a for a in itertools.product(EXPONENTS, repeat=len(variables))
            if any(a) and all(a[where[s]] <= a[where[g]] for s, g in order)
            and all(_grows(arg, variables, a) for arg in logs)]


def _grows(arg: sp.Expr, variables: Sequence[sp.Symbol], ray: Ray) -> bool:
    return any(sum(e * r for e, r in zip(monomial, ray, strict=True)) > 0
               for monomial in sp.Poly(arg, *variables).monoms())


def _exact_log(log: Callable[[int], float]) -> Callable[[int | Fraction], Fraction]:
    return lambda x: Fraction(log(Fraction(x).numerator)) - Fraction(log(Fraction(x).denominator))


# Logarithms of exact numbers as Fractions (a float's value), ceilings as integers: the counts
# stay exact integers, and math.log2 of a power of two is exact.
FUNCTIONS = {"log": _exact_log(math.log), "log2": _exact_log(math.log2), "ceiling": math.ceil}


def _value(expr: sp.Expr, variables: Sequence[sp.Symbol]) -> Value:
    """The expression on integers, exactly but for its logarithms: a polynomial term by term,
    anything else compiled with FUNCTIONS. Scaled by its coefficients' common denominator,
    which leaves every ratio's change as it is."""
    if expr.is_polynomial(*variables):
        terms = [(monomial, Fraction(int(c.p), int(c.q))) for monomial, c in sp.Poly(expr, *variables).terms()]
        return lambda point: sum((c * math.prod(v**e for v, e in zip(point, monomial, strict=True))
                                  for monomial, c in terms), Fraction(0))
    scale = sp.ilcm(1, 1, *[q.q for q in expr.atoms(sp.Rational)])
    compiled = sp.lambdify(variables, sp.expand(expr * scale, log=False), modules=[FUNCTIONS])
    return lambda point: Fraction(compiled(*point))


def _log2(x: Fraction) -> float:
    return math.log2(x.numerator) - math.log2(x.denominator)


def _change(count: Value, form: Value, ray: Ray) -> float:
    """|log2| of how much count / form changes from k = 2^LOG2_K1 to 2^LOG2_K2 along the ray (inf if form vanishes)."""
    ratios = []
    for k in (2**LOG2_K1, 2**LOG2_K2):
        point = [k**e for e in ray]
        c, f = count(point), form(point)
        if not (c > 0 and f > 0):
            return math.inf
        ratios.append(_log2(c) - _log2(f))
    return abs(ratios[1] - ratios[0])


def worst_change(count: sp.Expr, form: sp.Expr, variables: Sequence[sp.Symbol], directions: list[Ray]) -> float:
    count_fn, form_fn = _value(count, variables), _value(form, variables)
    return max(_change(count_fn, form_fn, ray) for ray in directions)


def calibration() -> float:
    """`_calibration` of the grid as it stands, computed once per process and grid: the module's
    constants it reads are its cache key, so a grid changed (a test plants one) is judged anew."""
    return _calibration(EXPONENTS, LOG2_K1, LOG2_K2, NEEDED, POWER_CHANGE)


@functools.lru_cache(maxsize=8)
def _calibration(*grid: object) -> float:
    """(`grid`: the cache key only.) 0 when the grid is what the method text states and
    separates what it claims to: the rays of two free variables are every a in {first..last}
    (the range the text prints) but 0, each once; x log2 x against x changes by exactly
    2^NEEDED from k = 2^LOG2_K1 to 2^LOG2_K2 along a = 1, x^2 against x by at least
    2^POWER_CHANGE. Infinite otherwise."""
    x, y = sp.symbols("x y", positive=True)
    printed = range(EXPONENTS[0], EXPONENTS[-1] + 1)
    if rays([x, y], []) != [a for a in itertools.product(printed, repeat=2) if any(a)]:
        return math.inf
    by_log = worst_change(x * log2(x), x, [x], [(1,)])
    by_power = worst_change(x**2, x, [x], [(1,)])
    return 0.0 if by_log == NEEDED and by_power >= POWER_CHANGE else math.inf


@functools.lru_cache(maxsize=64)
def _error(count: sp.Expr, form: sp.Expr, variables: tuple[sp.Symbol, ...],
           order: tuple[tuple[sp.Symbol, sp.Symbol], ...]) -> tuple[float, int]:
    """The check's error and number of rays; the cost models do not depend on the config, so
    a process computes each once, and derive's cache (derive/cache.py) keeps it across processes."""
    err, directions = cache.cached("big-o", (count, form, variables, order),
                                   lambda: _uncached_error(count, form, variables, order), tuple)
    return float(err), int(directions)


def _uncached_error(count: sp.Expr, form: sp.Expr, variables: tuple[sp.Symbol, ...],
                    order: tuple[tuple[sp.Symbol, sp.Symbol], ...]) -> tuple[float, int]:
    logs = [a.args[0] for a in count.atoms(sp.log, log2) if a.args[0].free_symbols]  # the count's, not the form's
    directions = rays(variables, order, logs)
    err = worst_change(count, form, variables, directions)
    terms = sp.Add.make_args(sp.expand(form, log=False))  # log(BN) stays one factor
    for term in terms if len(terms) > 1 else ():
        rest = sp.Add(*[t for t in terms if t != term])
        err = max(err, NEEDED - worst_change(count, rest, variables, directions))
    return err, len(directions)


def big_o_check(part: Issued, name: str, count: sp.Expr, form: sp.Expr, variables: Sequence[sp.Symbol],
                order: Sequence[tuple[sp.Symbol, sp.Symbol]], certifies: tuple[str, ...]) -> Check:
    """The error is log2 of the largest change of count / form over the rays, or 4 - that of
    count / (form without one of its terms) when that term is not needed; infinite when the grid
    is not calibrated (`calibration`)."""
    err, directions = _error(sp.sympify(count), sp.sympify(form), tuple(variables), tuple(map(tuple, order)))
    err = max(err, calibration())
    where = ", ".join(f"{s} <= {g}" for s, g in order)
    return Check(part.id, name, f"count / O-form on {directions} rays v = k^a, a in "
                 f"{{{EXPONENTS[0]}..{EXPONENTS[-1]}}}{' with ' + where if where else ''}: changes by at most "
                 f"{2**TOLERANCE:g}x from k = 2^{LOG2_K1} to 2^{LOG2_K2}; every term needed", err, TOLERANCE, certifies)
