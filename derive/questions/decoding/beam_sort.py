"""Question 2.3, the common implementation: sort all B*N candidates each step.

Most course keys count beam search this way: each step scores the B*N candidates, sorts them
and keeps the first B, with back-pointers instead of copied prefixes. The sort is a top-down
merge sort, whose worst-case comparison count is the solution of its recurrence; SymPy sums
the per-step cost over the T steps and reduces it to O. The checks sort every input order of a
few items and constructed worst-case orders of more, and run an instrumented implementation
(search.sort_beam) on random inputs and on inputs that make every step's sort a worst case, where
its count equals the published exact time.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.codegen.cfunctions import log2

from derive import cache
from derive.answer import Check, Issued
from derive.bigo import big_o
from derive.published import Section, formula, o_form
from derive.questions.decoding import published as published_q2
from derive.questions.decoding import reference, search
from derive.verify import Planned, count_check

N, T, B = sp.symbols("N T B", integer=True, positive=True)
n, k = sp.symbols("n k", integer=True, positive=True)
t = sp.Symbol("t", integer=True, positive=True)
LEVELS = sp.ceiling(log2(n))  # rounds of merging in a top-down merge sort of n items
BOUND_FACTOR = 3  # scores + comparisons <= 3 * B N log2(B N) per step whenever B N >= 2
EXHAUSTIVE_UP_TO = 6  # every input order of n = 1..6 items is sorted to find the worst case
RECURRENCE_UP_TO = 512  # the closed form of W(n) is checked against its recurrence up to here
RSOLVE_AT = 5  # rsolve's form W(2^k) is checked at k = RSOLVE_AT
SORT_COMPARISONS = "comparisons (sort)"  # the cost table's name for the merge sort's comparisons


@dataclass(frozen=True)
class SortCost:
    worst_case: sp.Expr  # W(n): comparisons of merge sort on n items, worst case
    powers_of_two: sp.Expr  # W(2^k) as rsolve finds it from the recurrence
    per_step: dict[str, sp.Expr]
    totals: dict[str, sp.Expr]
    time: sp.Expr
    per_step_big_o: sp.Expr
    time_big_o: sp.Expr


def _o_form(expr: sp.Expr) -> sp.Expr:
    """O-form of a cost in T, B, N and ceil(log2(BN)): the ceiling counts as log(BN) >= 1,
    and 2^ceil(log2(BN)) (between BN and 2BN, subtracted) is dropped with the other
    non-positive terms."""
    levels, power = sp.Symbol("L", positive=True), sp.Symbol("P", positive=True)
    at = {2 ** LEVELS.subs(n, B * N): power, LEVELS.subs(n, B * N): levels}
    poly = sp.expand(expr).subs(at)
    return big_o(poly, [T, B, N, levels, power]).subs(levels, sp.log(B * N))


@functools.lru_cache(maxsize=1)
def sort_cost() -> SortCost:
    """A pure function of nothing but the algorithm: computed once per process, and kept in
    derive's cache (derive/cache.py) across processes."""
    return cache.cached("sort-cost", None, _sort_cost, SortCost, types=(SortCost,))


def _sort_cost() -> SortCost:
    a = sp.Function("a")
    j = sp.Symbol("j", integer=True, nonnegative=True)
    # W(n) = W(ceil(n/2)) + W(floor(n/2)) + n - 1, W(1) = 0; for n = 2^j: a(j) = 2 a(j-1) + 2^j - 1.
    powers = sp.rsolve(a(j) - 2 * a(j - 1) - 2**j + 1, a(j), {a(0): 0})
    worst = n * LEVELS - 2**LEVELS + 1
    per_step = {
        search.SCORES: sp.summation(sp.summation(1, (sp.Symbol("w"), 1, N)), (sp.Symbol("b"), 1, B)),
        SORT_COMPARISONS: worst.subs(n, B * N),
    }
    totals = {key: sp.summation(v, (t, 1, T)) for key, v in per_step.items()}
    time = sp.Add(*totals.values())
    return SortCost(worst, powers.subs(j, k), per_step, totals, time,
                    _o_form(sp.Add(*per_step.values())), _o_form(time))


def as_json(cost: SortCost) -> dict[str, str]:
    return {
        "per_step": f"O({published_q2.text(cost.per_step_big_o)})",
        "time": f"O({published_q2.text(cost.time_big_o)})",
        "time_exact": published_q2.text(cost.time),
        "selection": "sort all B*N candidates each step (top-down merge sort, worst case); back-pointers",
    }


# --- Checks ----------------------------------------------------------------------------------

ATTAINED_AT = (7, 12, 33, 100, 257, 1000)  # sizes at which a constructed input attains W(n)
SORTED = "decoding.complexity.sorted"  # the sort-based cost's place in answers.json


def worst_case_order(size: int) -> list[int]:
    """An input on which the top-down merge sort makes W(n) comparisons, as the rank (0 = first
    out) of each item: the items of even rank go left and those of odd rank right, each half
    arranged so recursively, so every merge alternates between its runs to the last item and
    takes a + b - 1 comparisons."""
    def arrange(ranks: list[int]) -> list[int]:
        if len(ranks) <= 1:
            return ranks
        return arrange(ranks[0::2]) + arrange(ranks[1::2])

    return arrange(list(range(size)))


Sort = Callable[[list[tuple[float, int, int]], search.Counter], list[tuple[float, int, int]]]


def _merge_sort_comparisons(ranks: Sequence[int]) -> int:
    return _comparisons(search.merge_sort, ranks)


def _comparisons(sort: Sort, ranks: Sequence[int]) -> int:
    """The comparisons `sort` makes on items given by their ranks (0 = first out)."""
    counter = search.Counter()
    sort([(float(-r), 0, i) for i, r in enumerate(ranks)], counter)
    return counter.comparisons


@functools.lru_cache(maxsize=64)
def _measured(sort: Sort, order: Callable[[int], list[int]], exhaustive_up_to: int,
              attained_at: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The most comparisons `sort` makes over every input order of n = 1..exhaustive_up_to items,
    and those it makes on `order`'s input of each size in attained_at. A pure function of its
    arguments, the functions measured included: a sort or an order planted in their place is
    measured afresh. Every variant's checks measured the same sorts (873 of them, and the long
    constructed ones), which took most of its decoding checks' time."""
    most = tuple(max(_comparisons(sort, ranks) for ranks in itertools.permutations(range(size)))
                 for size in range(1, exhaustive_up_to + 1))
    return most, tuple(_comparisons(sort, order(size)) for size in attained_at)


def adversary(vocabulary: int, width: int) -> Callable[[tuple[int, ...], int], float]:
    """A language model on which every step of search.sort_beam sorts a worst-case input: it
    scores beam by beam and word by word, so its k-th call at a step is candidate k, given
    log p = M_t (n - rank) for the rank worst_case_order gives it. M_t exceeds the spread of
    the beams' scores (-10^9 for the beams started dead, then at most M_(t-1) n more), so the
    ranks alone order the candidates; every value is an integer below 2^53, exact as a float."""
    size = vocabulary * width
    ranks = worst_case_order(size)
    calls = itertools.count()

    def logp(prefix: tuple[int, ...], word: int) -> float:
        step, k = divmod(next(calls), size)
        scale = (abs(search.DEAD_BEAM_SCORE) + 1) * (size + 1) ** step
        if scale * size >= 2**53:
            raise ValueError(f"adversary: {width} x {vocabulary} candidates over {step + 1} steps overflow floats")
        return float(scale * (size - ranks[k]))

    return logp


@functools.lru_cache(maxsize=64)
def _lambdified(args: tuple[sp.Symbol, ...], exprs: tuple[sp.Expr, ...]) -> Callable[..., Any]:
    """The expressions as one function of `args` on Python's math module (a tuple of values, or
    the value of a single expression): lambdify writes the same code for the same expressions,
    and writing it took longer than the checks that call it."""
    return sp.lambdify(args, exprs if len(exprs) > 1 else exprs[0], "math")


@functools.lru_cache(maxsize=64)
def _recurrence(worst_case: sp.Expr, powers_of_two: sp.Expr, up_to: int,
                rsolve_at: int) -> tuple[tuple[int, int], ...]:
    """W(m) against W(ceil(m/2)) + W(floor(m/2)) + m - 1 for m = 2..up_to, and W(2^k) against
    rsolve's form at k = rsolve_at: a pure function of the expressions, evaluated once per
    process for the same ones."""
    worst = _lambdified((n,), (worst_case,))
    recurrence = [(int(worst(m)), int(worst((m + 1) // 2)) + int(worst(m // 2)) + m - 1) for m in range(2, up_to + 1)]
    recurrence.append((int(worst_case.subs(n, 2**k).subs(k, rsolve_at)), int(powers_of_two.subs(k, rsolve_at))))
    return tuple(recurrence)


def plan(cost: SortCost, grid: list[tuple[int, int, int]], part: Issued, published: Section) -> Planned:
    """The checks of the sorted selection, filed under `part` (2.3): the merge sort's worst case
    W(n) and the counts shown against instrumented runs; the published exact time against the
    instrumented search on inputs that attain the worst case, and the published O-forms against it."""
    checks: Planned = []
    worst = _lambdified((n,), (cost.worst_case,))
    most, on_order = _measured(search.merge_sort, worst_case_order, EXHAUSTIVE_UP_TO, tuple(ATTAINED_AT))
    exhaustive = [(comparisons, int(worst(size))) for size, comparisons in enumerate(most, start=1)]
    checks.append(count_check(part, "sorting: merge-sort worst case W(n)",
                              f"instrumented merge sort, every input order, n = 1..{EXHAUSTIVE_UP_TO}", exhaustive))
    attained = [(comparisons, int(worst(size))) for size, comparisons in zip(ATTAINED_AT, on_order, strict=True)]
    checks.append(count_check(part, "sorting: W(n) attained",
                              f"instrumented merge sort on a constructed worst-case order, n in {ATTAINED_AT}",
                              attained))
    recurrence = list(_recurrence(cost.worst_case, cost.powers_of_two, RECURRENCE_UP_TO, RSOLVE_AT))
    checks.append(count_check(part, "sorting: W(n) solves its recurrence",
                              f"n = 2..{RECURRENCE_UP_TO}, and rsolve's form at n = {2**RSOLVE_AT}", recurrence))
    base2 = cost.time_big_o.replace(sp.log, lambda arg: sp.log(arg, 2))  # the O-form's log in base 2
    formulas = _lambdified((T, B, N), (cost.totals[search.SCORES], cost.totals[SORT_COMPARISONS], base2))
    logp = reference.model(1)
    scores, ratio, wrong = [], 0.0, 0
    comparisons, totals = [], []
    for steps, width, vocab in grid:
        kept, counter = search.sort_beam(logp, vocab, steps, width)
        wrong += kept != reference.beams(logp, vocab, steps, width)
        derived_scores, derived_comparisons, bound = formulas(steps, width, vocab)
        scores.append((counter.scores, int(derived_scores)))
        ratio = max(ratio, (counter.scores + counter.comparisons) / bound if bound > 0 else math.inf)
        _, counter = search.sort_beam(adversary(vocab, width), vocab, steps, width)
        comparisons.append((counter.comparisons, int(derived_comparisons)))
        totals.append(counter.scores + counter.comparisons)
    random_run = f"instrumented sort-based beam search, {len(grid)} (T, B, N)"
    worst_run = f"instrumented sort-based beam search on worst-case inputs, {len(grid)} (T, B, N)"
    checks.append(count_check(part, f"sorting: {search.SCORES}", random_run, scores))
    checks.append(Check(part.id, "sorting: the beams kept", f"{random_run} on a seeded model, against a beam "
                        "search written apart", float(wrong), 0.0))
    checks.append(count_check(part, "sorting: comparisons on worst-case inputs", worst_run, comparisons))
    time_exact = formula(published, "time_exact", published_q2.SORT_NAMES)
    checks.append(published_q2.count_check(part, "sorting: time on worst-case inputs", worst_run, totals, time_exact,
                                           [{T: s, B: w, N: v} for s, w, v in grid], (f"{SORTED}.time_exact",)))
    checks.append(Check(part.id, f"sorting: counts / O-form at most {BOUND_FACTOR} (log base 2)", random_run,
                        max(ratio - BOUND_FACTOR, 0.0), 0.0))
    per_step = None if time_exact is None else time_exact.subs(T, 1)  # every step costs the same: one step's
    for field, count in (("per_step", per_step), ("time", time_exact)):
        checks.append(published_q2.o_form_check(
            part, f"sorting: O-form, {field.replace('_', ' ')}", count,
            o_form(published, field, published_q2.SORT_NAMES), [(B, N)], (f"{SORTED}.{field}",)))
    return checks
