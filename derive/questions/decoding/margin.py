"""2.4's answers without a tie-break rule: the decisions they rest on, each won by a margin.

Greedy decoding and beam search decide by ranking scores: greedy takes the best child at each
step, beam search keeps the B best of all candidates of a depth (children of every kept
path, not only siblings), and the optimum is the best full path. Where the winner of such a
decision ties with the first loser, the answer depends on the tie-break rule (derive's is
lexicographic, which only the solutions state); where it wins by less than a student's
rounding, a student's equally careful work can flip it. A decision is *won* when the last
score kept is above the first score dropped; it is won *by a margin* m when their difference
is at least m. When every decision is won, the answer is the same under every tie-break rule,
by induction on the depth: each depth's kept set is then unique, so the next depth's
candidates are too.

The properties here are proved on a derived answer: they read the decisions its own step
tables and ranking record. `random_tree` draws trees on which every such decision is won by
the margin, by construction (scores kept apart), so that `derive variants` rarely redraws.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from derive.questions.decoding.settings import SECTION as DECODING

if TYPE_CHECKING:
    from derive.questions.decoding.answer import DecodingAnswer
    from derive.questions.decoding.search import Step
    from derive.variants_spec import VariantsSpec

TENTHS = 10  # a drawn tree's log p are multiples of 1/TENTHS


@dataclass(frozen=True)
class Decision:
    """One ranking an answer rests on: the last score kept against the first score dropped."""

    what: str  # "greedy, step 2", "beam, cut at depth 3", "optimum"
    kept: Fraction
    dropped: Fraction

    @property
    def gap(self) -> Fraction:
        return self.kept - self.dropped


def _fraction(x: Any) -> Fraction:
    return Fraction(int(x.p), int(x.q))


def _cuts(steps: list[Step], width: int, name: str) -> list[Decision]:
    """Each step whose candidates outnumber the width: the width-th best against the next."""
    return [Decision(f"{name}, {'step' if width == 1 else 'cut at depth'} {s.t}",
                     _fraction(s.candidates[width - 1].score), _fraction(s.candidates[width].score))
            for s in steps if len(s.candidates) > width]


def greedy_decisions(answer: DecodingAnswer) -> list[Decision]:
    return _cuts(answer.greedy_steps, 1, "greedy")


def beam_decisions(answer: DecodingAnswer) -> list[Decision]:
    return _cuts(answer.beam_steps, answer.config.beam_width, "beam")


def optimum_decisions(answer: DecodingAnswer) -> list[Decision]:
    ranking = answer.ranking
    return [Decision("optimum", _fraction(ranking[0].score), _fraction(ranking[1].score))] if len(ranking) > 1 else []


def decisions(answer: DecodingAnswer) -> list[Decision]:
    """Every decision a graded 2.4 answer, or a property about it, depends on."""
    return greedy_decisions(answer) + beam_decisions(answer) + optimum_decisions(answer)


def _won(found: list[Decision], margin: Fraction = Fraction(0)) -> bool:
    return all(d.gap > 0 and d.gap >= margin for d in found)


def closest(answer: DecodingAnswer) -> Decision | None:
    """The decision won by the least (None: nothing to decide)."""
    return min(decisions(answer), key=lambda d: d.gap, default=None)


def unambiguous(answer: DecodingAnswer, spec: VariantsSpec) -> bool:
    """Every greedy step, every beam cut and the optimum won by at least the margin."""
    return _won(decisions(answer), DECODING.vary_of(spec).margin)


# The comparisons of the other decoding properties, claimed only where the searches they
# compare are the same under every tie-break rule (their decisions won, by any amount).

def greedy_not_optimal(answer: DecodingAnswer, _: VariantsSpec) -> bool:
    return _won(greedy_decisions(answer)) and answer.greedy.score < answer.optimum.score


def greedy_not_best_beam(answer: DecodingAnswer, _: VariantsSpec) -> bool:
    return (_won(greedy_decisions(answer) + beam_decisions(answer))
            and answer.greedy.score < answer.beams[0].score)


def beam_misses_optimum(answer: DecodingAnswer, _: VariantsSpec) -> bool:
    return _won(beam_decisions(answer)) and answer.beams[0].score < answer.optimum.score


def random_tree(rng: random.Random, spec: VariantsSpec, depth: int) -> dict[str, Decimal]:
    """A tree whose paths of each depth have scores at least the margin apart, so that every
    decision of greedy, beam search (any width) and the optimum is won by the margin.

    Depth by depth, every node above `depth` gets `branching` children with distinct words;
    their probabilities leave some mass to pruned words, and each log p is rounded down to
    tenths, so that the children's probabilities never sum to more than 1. A log p whose
    path's score would come closer than the margin to a score already drawn at that depth is
    lowered until it is far enough from all of them: lowering keeps the sum below 1.
    """
    low, high = DECODING.vary_of(spec).branching
    apart = max(1, math.ceil(DECODING.vary_of(spec).margin * TENTHS))  # in tenths
    edges: dict[str, Decimal] = {}
    level: list[tuple[list[str], int]] = [([], 0)]  # (path, score in tenths)
    for _ in range(depth):
        taken: list[int] = []
        below: list[tuple[list[str], int]] = []
        for prefix, score in level:
            words = rng.sample(DECODING.vary_of(spec).words, rng.randint(low, high))
            weights = [rng.random() + 0.05 for _ in words]
            total = sum(weights) * (1 + rng.random() / 2)
            for word, weight in zip(words, weights, strict=True):
                child = _apart(score + math.floor(math.log(weight / total) * TENTHS), taken, apart)
                taken.append(child)
                edges[" ".join([*prefix, word])] = Decimal(child - score).scaleb(-1)
                below.append(([*prefix, word], child))
        level = below
    return edges


def _apart(score: int, taken: list[int], apart: int) -> int:
    """`score`, or lower until it is at least `apart` from every taken one."""
    while any(abs(score - other) < apart for other in taken):
        score = min(other for other in taken if abs(score - other) < apart) - apart
    return score
