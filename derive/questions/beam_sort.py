"""Question 2.3, the common implementation: sort all B*N candidates each step.

Most course keys count beam search this way: each step scores the B*N candidates, sorts them
and keeps the first B, with back-pointers instead of copied prefixes. The sort is a top-down
merge sort, whose worst-case comparison count is the solution of its recurrence; SymPy sums
the per-step cost over the T steps and reduces it to O. The checks run an instrumented
implementation (search.sort_beam) and an exhaustive worst case of the instrumented merge sort.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from dataclasses import dataclass

import sympy as sp
from sympy.codegen.cfunctions import log2

from derive.answer import Check, Issued
from derive.asymptotic import big_o_check
from derive.bigo import big_o
from derive.questions import search
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
    """A pure function of nothing but the algorithm: computed once per process."""
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
        "per_step": f"O({cost.per_step_big_o})",
        "time": f"O({cost.time_big_o})",
        "time_exact": str(cost.time),
        "selection": "sort all B*N candidates each step (top-down merge sort, worst case); back-pointers",
    }


# --- Checks ----------------------------------------------------------------------------------

def plan(cost: SortCost, grid: list[tuple[int, int, int]], part: Issued) -> Planned:
    """The checks of the sorted selection, filed under `part` (2.3)."""
    checks: Planned = []
    worst = sp.lambdify(n, cost.worst_case, "math")
    exhaustive = []
    for size in range(1, EXHAUSTIVE_UP_TO + 1):
        counts = []
        for order in itertools.permutations(range(size)):
            counter = search.Counter()
            search.merge_sort([(float(x), 0, i) for i, x in enumerate(order)], counter)
            counts.append(counter.comparisons)
        exhaustive.append((max(counts), int(worst(size))))
    exact = ("decoding.complexity.sorted.time_exact",)
    checks.append(count_check(part, "sorting: merge-sort worst case W(n)",
                              f"instrumented merge sort, every input order, n = 1..{EXHAUSTIVE_UP_TO}", exhaustive,
                              certifies=exact))
    recurrence = [(int(worst(m)), int(worst((m + 1) // 2)) + int(worst(m // 2)) + m - 1)
                  for m in range(2, RECURRENCE_UP_TO + 1)]
    recurrence.append((int(cost.worst_case.subs(n, 2**k).subs(k, RSOLVE_AT)),
                       int(cost.powers_of_two.subs(k, RSOLVE_AT))))
    checks.append(count_check(part, "sorting: W(n) solves its recurrence",
                              f"n = 2..{RECURRENCE_UP_TO}, and rsolve's form at n = {2**RSOLVE_AT}", recurrence,
                              certifies=exact))
    o_form = cost.time_big_o.replace(sp.log, lambda arg: sp.log(arg, 2))  # the O-form's log in base 2
    formulas = sp.lambdify((T, B, N), (cost.totals[search.SCORES], cost.totals[SORT_COMPARISONS], o_form), "math")
    rng = random.Random(1)
    scores, excess, ratio = [], 0, 0.0
    for steps, width, vocab in grid:
        _, counter = search.sort_beam(lambda prefix, w: rng.random(), vocab, steps, width)
        derived_scores, derived_comparisons, bound = formulas(steps, width, vocab)
        scores.append((counter.scores, int(derived_scores)))
        excess = max(excess, counter.comparisons - int(derived_comparisons))
        ratio = max(ratio, (counter.scores + counter.comparisons) / bound if bound > 0 else math.inf)
    where = f"instrumented sort-based beam search, {len(grid)} (T, B, N)"
    run = (*exact, "decoding.complexity.sorted.selection")
    checks.append(count_check(part, f"sorting: {search.SCORES}", where, scores, certifies=run))
    checks.append(Check(part.id, "sorting: comparisons at most the worst case", where, float(max(excess, 0)), 0.0,
                        run))
    checks.append(Check(part.id, f"sorting: counts / O-form at most {BOUND_FACTOR} (log base 2)", where,
                        max(ratio - BOUND_FACTOR, 0.0), 0.0))
    for field, count, form in (("per_step", sp.Add(*cost.per_step.values()), cost.per_step_big_o),
                               ("time", cost.time, cost.time_big_o)):
        checks.append(big_o_check(part, f"sorting: O-form, {field.replace('_', ' ')}", count, form, [T, B, N],
                                  [(B, N)], certifies=(f"decoding.complexity.sorted.{field}",)))
    return checks
