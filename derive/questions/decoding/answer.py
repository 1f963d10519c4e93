"""Question decoding: its answer, derived from the config, and the answer's answers.json section."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy as sp

from derive import cache
from derive.bigo import big_o
from derive.config import Config
from derive.questions.base import Part, Parts
from derive.questions.decoding import beam_sort, search
from derive.questions.decoding import published as read_back
from derive.questions.decoding.beam_sort import SortCost
from derive.questions.decoding.search import Hypothesis, Step
from derive.questions.decoding.settings import SECTION as DECODING
from derive.questions.decoding.settings import DecodingConfig

if TYPE_CHECKING:
    pass

KEY = "decoding"  # the config section, the answers.json key, the templates' name
N, T, B = read_back.N, read_back.T, read_back.B
t, b = sp.symbols("t b", integer=True, positive=True)
VARIABLES = [T, B, N]
ORDER = [(B, N)]  # the beam is no wider than the vocabulary
RATE = 10**18  # sequences scored per second: an exaflop machine spending one operation per sequence
SECONDS_PER_YEAR = sp.Rational(36525, 100) * 86400
AGE_OF_UNIVERSE_YEARS = sp.Rational(13787, 1000) * 10**9  # Planck 2018
FEASIBILITY_LENGTHS = (5, 10, 20)  # the lengths T of 2.2's table, besides the config's own
BEAMS = "beam"  # the beams' field of answers.json

class DecodingParts(Parts):
    count = Part("1", 2)  # how many sequences
    impractical = Part("2", 2, cited=True)  # why enumerating them is impractical
    complexity = Part("3", 3, cited=True)  # beam search's time and space
    greedy = Part("4(a)", 2, inputs=("decoding.tree", "decoding.steps"))
    beam = Part("4(b)", 8, inputs=("decoding.tree", "decoding.steps", "decoding.beam_width"))
    search = Part("4")  # checks of greedy and beam search together
    essay = Part("5", 3, cited=True)  # prose


@dataclass(frozen=True)
class CostModel:
    """Operations of Algorithm 1 per step and in total, and its peak storage."""

    per_step: dict[str, sp.Expr]
    totals: dict[str, sp.Expr]
    time: sp.Expr
    space: sp.Expr
    time_big_o: sp.Expr
    space_big_o: sp.Expr


@functools.lru_cache(maxsize=1)
def cost_model() -> CostModel:
    """A pure function of nothing but Algorithm 1: computed once per process, and kept in
    derive's cache (derive/cache.py) across processes."""
    return cache.cached("decoding-cost", None, _cost_model, CostModel, types=(CostModel,))


def _cost_model() -> CostModel:
    per_step = {
        search.SCORES: sp.summation(sp.summation(1, (sp.Symbol("j"), 1, N)), (b, 1, B)),
        search.COMPARISONS: sp.summation(B * N - b, (b, 1, B)),
        search.WORDS_WRITTEN: sp.summation(t + 1, (b, 1, B)) + B * t,
    }
    totals = {k: sp.factor(sp.summation(v, (t, 1, T))) for k, v in per_step.items()}
    time = sp.expand(sp.Add(*totals.values()))
    space = B * N + B * (T + 1) + B * T + 2 * B  # the scores, w_{0:T}, the copies w~_{0:T-1}, l_{T-1} and l_T
    return CostModel(per_step, totals, time, sp.expand(space), big_o(time, VARIABLES, ORDER),
                     big_o(space, VARIABLES, ORDER))


@dataclass(frozen=True)
class Assumptions:
    """What 2.2's estimates assume: the machine's rate, the year and the age of the universe."""

    rate: int  # sequences scored per second
    seconds_per_year: sp.Rational
    universe_years: sp.Rational


@dataclass(frozen=True)
class Feasibility:
    steps: int
    count: int
    log10: float
    years: sp.Expr
    universes: sp.Expr


@dataclass(frozen=True)
class Shortfall:
    """Where greedy left the optimal path, and what the beam missed, from this tree's numbers."""

    greedy_gap: sp.Rational
    diverge_step: int | None
    greedy_word: tuple[str, sp.Rational] | None
    optimal_word: tuple[str, sp.Rational] | None
    beam_found_optimum: bool
    missed: list[tuple[Hypothesis, int]]  # better sequences outside the beam, and the step they were pruned


@dataclass(frozen=True)
class DecodingAnswer:
    config: DecodingConfig
    count: sp.Expr
    count_no_bos: sp.Expr
    assumptions: Assumptions
    feasibility: list[Feasibility]
    cost: CostModel
    cost_numbers: dict[str, int]
    sort_cost: SortCost  # the common implementation: sort all B*N candidates each step
    sort_numbers: dict[str, int]
    greedy: Hypothesis
    greedy_steps: list[Step]
    beams: list[Hypothesis]
    beam_steps: list[Step]
    ranking: list[Hypothesis]  # exhaustive, best first
    literal_first: list[tuple[Hypothesis, int]]  # (hypothesis, copies kept)
    shortfall: Shortfall

    @property
    def optimum(self) -> Hypothesis:
        return self.ranking[0]


def derive(config: Config) -> DecodingAnswer:
    cfg = DECODING.of(config)
    count, count_no_bos = _counts()
    assumptions = Assumptions(RATE, SECONDS_PER_YEAR, AGE_OF_UNIVERSE_YEARS)
    cost = cost_model()
    size = (cfg.vocabulary_size, cfg.beam_width, cfg.steps)
    numbers = dict(_evaluated((*cost.totals.items(), (search.SPACE, cost.space)), *size))
    sort_cost = beam_sort.sort_cost()
    sort_numbers = dict(_evaluated(tuple(sort_cost.totals.items()), *size))
    best_greedy, greedy_steps = search.greedy(cfg.tree, cfg.steps)
    beams, beam_steps = search.beam_search(cfg.tree, cfg.steps, cfg.beam_width)
    ranking = search.exhaustive(cfg.tree, cfg.steps)
    return DecodingAnswer(cfg, count, count_no_bos, assumptions, _feasibility(cfg, assumptions), cost, numbers,
                          sort_cost, sort_numbers, best_greedy, greedy_steps, beams, beam_steps, ranking,
                          search.literal_first_step(cfg.tree, cfg.beam_width),
                          _shortfall(cfg, best_greedy, beams, beam_steps, ranking))


@functools.cache
def _counts() -> tuple[sp.Expr, sp.Expr]:
    """2.1's counts, with and without a repeated <BOS>: they depend on nothing, and SymPy's
    products are slow enough to matter in `derive variants`, which derives each draw."""
    return (sp.Product(N, (t, 1, T)).doit(),  # N choices at each of the T positions after <BOS>
            sp.Product(N - 1, (t, 1, T)).doit())


@functools.lru_cache(maxsize=256)
def _evaluated(exprs: tuple[tuple[str, sp.Expr], ...], vocabulary: int, width: int,
               steps: int) -> tuple[tuple[str, int], ...]:
    """Each named count at N = vocabulary, B = width, T = steps, in order: a pure function of
    its values, so the draws of `derive variants` (which share the sizes) substitute once."""
    at = {N: vocabulary, B: width, T: steps}
    return tuple((name, int(expr.subs(at))) for name, expr in exprs)


def _feasibility(cfg: DecodingConfig, assumed: Assumptions) -> list[Feasibility]:
    """2.2's table: N^T sequences for the lengths shown, in years and in ages of the universe."""
    return list(_feasibility_rows(cfg.vocabulary_size, tuple(sorted({*FEASIBILITY_LENGTHS, cfg.steps})), assumed))


@functools.lru_cache(maxsize=256)
def _feasibility_rows(vocabulary: int, lengths: tuple[int, ...], assumed: Assumptions) -> tuple[Feasibility, ...]:
    """_feasibility's rows: a pure function of its values (the rows are frozen), computed once
    for the sizes the draws of `derive variants` share."""
    rows = []
    for steps in lengths:
        total = vocabulary**steps
        years = sp.Rational(total, assumed.rate) / assumed.seconds_per_year
        rows.append(Feasibility(steps, total, float(sp.log(total, 10).evalf(15)), years,
                                years / assumed.universe_years))
    return tuple(rows)


def _shortfall(cfg: DecodingConfig, greedy: Hypothesis, beams: list[Hypothesis], steps: list[Step],
               ranking: list[Hypothesis]) -> Shortfall:
    best = ranking[0]
    diverge = next((k for k in range(cfg.steps) if greedy.words[k] != best.words[k]), None)
    gw = ow = None
    if diverge is not None:
        gw = (greedy.words[diverge], cfg.tree[greedy.words[: diverge + 1]])
        ow = (best.words[diverge], cfg.tree[best.words[: diverge + 1]])
    kept_words = {h.words for h in beams}
    worst_kept = search.rank(beams[-1])  # the beams and the ranking are best first
    missed = []
    kept_by_step = [{k.words for k in s.kept} for s in steps]  # built once, not per hypothesis
    for h in itertools.takewhile(lambda h: search.rank(h) < worst_kept, ranking):
        if h.words not in kept_words:
            pruned = next(s.t for s, kept in zip(steps, kept_by_step, strict=True) if h.words[: s.t] not in kept)
            missed.append((h, pruned))
    return Shortfall(best.score - greedy.score, None if diverge is None else diverge + 1, gw, ow,
                     beams[0].words == best.words, missed)


def _words(h: Hypothesis) -> dict[str, Any]:
    return {"words": list(h.words), "log_likelihood": str(h.score)}


def as_json(answer: DecodingAnswer) -> dict[str, Any]:
    return {
        "num_sequences": read_back.text(answer.count),
        "num_sequences_without_repeated_bos": read_back.text(answer.count_no_bos),
        "greedy": _words(answer.greedy),
        BEAMS: [_words(h) for h in answer.beams],
        "optimum": _words(answer.optimum),
        "complexity": {
            "time": f"O({read_back.text(answer.cost.time_big_o)})",
            "space": f"O({read_back.text(answer.cost.space_big_o)})",
            "time_exact": read_back.text(answer.cost.time),
            "space_exact": read_back.text(answer.cost.space),
            "selection": "the b-th largest score by a linear scan over the candidates not yet taken",
            "sorted": beam_sort.as_json(answer.sort_cost),
        },
    }
