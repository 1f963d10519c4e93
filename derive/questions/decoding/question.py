"""Question 2: decoding. Counts and costs are SymPy expressions; greedy and beam search run
on the config's tree and are checked against exhaustive search and an instrumented
Algorithm 1."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy as sp

from derive.answer import Boxed, Check, Issued, worst
from derive.config import Config
from derive.graded_parts import EXACT, NUMBER, O_FORM, WORDS, GradedPart, get
from derive.properties import Property
from derive.published import Section, at, formula, o_form, section_of
from derive.questions.base import Misconception, Question, Table
from derive.questions.decoding import beam_sort, margin, reference, search
from derive.questions.decoding import published as read_back
from derive.questions.decoding import view as decoding_view
from derive.questions.decoding.misconceptions import misconceptions
from derive.questions.decoding.search import Hypothesis
from derive.verify import Planned

if TYPE_CHECKING:
    from derive.variants_spec import VariantsSpec
from derive.questions.decoding.answer import (
    BEAMS,
    KEY,
    ORDER,
    B,
    DecodingAnswer,
    DecodingParts,
    N,
    T,
    as_json,
    cost_model,
    derive,
)
from derive.questions.decoding.settings import SECTION as DECODING

# --- Checks --------------------------------------------------------------------------------------

ENUMERATED_N, ENUMERATED_T = (2, 3, 4), (1, 2, 3)  # the sizes the counts are enumerated at
ENUMERATED = f"N in {ENUMERATED_N[0]}..{ENUMERATED_N[-1]}, T in {ENUMERATED_T[0]}..{ENUMERATED_T[-1]}"
GRID = [(steps, width, vocab) for steps in (1, 2, 3, 4) for width in (1, 2, 3) for vocab in (2, 3, 5) if width <= vocab]


def plan(answer: DecodingAnswer, config: Config, published: Section | None = None) -> Planned:
    """The published section (parsed answers.json; None: published here from the answer) against
    enumeration, instrumented runs of Algorithm 1 and of the sort-based search, and searches
    restated on the tree; the work shown (cost tables, step tables, 2.2's and 2.5's numbers)
    against the same."""
    section = section_of(KEY, as_json(answer)) if published is None else published
    cfg = DECODING.of(config)
    checks: Planned = [*_count_checks(section), _feasibility_check(answer)]
    checks += _algorithm1_checks(answer, section)
    checks += beam_sort.plan(answer.sort_cost, GRID, DecodingParts.complexity, at(section, "complexity.sorted"))
    tree = cfg.tree
    restated = _restated(tree)
    ranked = functools.cache(functools.partial(_ranked_by_depth, restated, cfg.steps))  # by beam width
    beams = read_back.hypotheses(section, BEAMS)  # read once: the list can be long
    checks.append(_same_paths(DecodingParts.search, "greedy = beam search with B = 1", "beam search, B = 1",
                              _listed(read_back.hypothesis(section, "greedy")), restated, ranked(1)[-1][:1],
                              (field("greedy"),)))
    checks.append(_same_paths(DecodingParts.search, "beam search result", "independent beam (prefix sets per depth)",
                              beams, restated, ranked(cfg.beam_width)[-1][:cfg.beam_width], (field(BEAMS),)))
    leaves = sum(1 for p in tree if len(p) == cfg.steps)
    by_beam = search.beam_search(tree, cfg.steps, leaves, tables=False)[0]
    checks.append(_same(DecodingParts.search, "beam with B = #leaves = exhaustive ranking", "enumeration of all paths",
                        by_beam, answer.ranking, ()))
    checks.append(_same(DecodingParts.search, "optimum = best of beam with B = #leaves", "beam search, B = #leaves",
                        _listed(read_back.hypothesis(section, "optimum")), by_beam[:1],
                        (field("optimum"),)))
    checks.append(_tables_check(answer, restated, ranked))
    checks.append(_shortfall_check(answer, restated, ranked(cfg.beam_width)))
    checks.append(_edges_check(restated, section, beams))
    checks.append(_literal_check(answer))
    return checks


def field(*path: str) -> str:
    """A dotted key under this question's: `field("greedy", "words")` is "decoding.greedy.words"."""
    return ".".join((KEY, *path))


def _count_checks(section: Section) -> list[Check]:
    """2.1's published counts against the sequences enumerated (all of them; those without word 0),
    at every size of the ranges the method text prints (ENUMERATED), each once: a grid with a
    size missing or repeated fails the checks."""
    points = [{N: n, T: s} for n in ENUMERATED_N for s in ENUMERATED_T]
    printed = [{N: n, T: s} for n in range(ENUMERATED_N[0], ENUMERATED_N[-1] + 1)
               for s in range(ENUMERATED_T[0], ENUMERATED_T[-1] + 1)]
    every = [len(list(itertools.product(range(p[N]), repeat=p[T]))) for p in points]
    no_bos = [sum(1 for seq in itertools.product(range(p[N]), repeat=p[T]) if 0 not in seq) for p in points]
    checks = [read_back.count_check(DecodingParts.count, name, method, measured,
                                    formula(section, key, read_back.COUNT_NAMES), points, (field(key),))
              for name, method, measured, key in (
                ("number of sequences", f"enumeration, {ENUMERATED}", every, "num_sequences"),
                ("sequences without a repeated <BOS>", f"enumeration without word 0 (<BOS>), {ENUMERATED}", no_bos,
                 "num_sequences_without_repeated_bos"))]
    return checks if points == printed else [dataclasses.replace(c, max_error=math.inf) for c in checks]


def _algorithm1_checks(answer: DecodingAnswer, section: Section) -> list[Check]:
    """Algorithm 1 run instrumented on GRID: each operation counted as it happens against the
    cost table shown; their sum against the published exact time; the storage its structures
    held at their peak against the published exact space (and the one shown); the published
    O-forms against the published exact counts."""
    runs = []
    logp = reference.model(0)
    degenerate = 0
    for steps, width, vocab in GRID:
        kept, counter = search.algorithm1(logp, vocab, steps, width)
        runs.append(({T: steps, B: width, N: vocab}, counter))
        degenerate += kept != [reference.greedy(logp, vocab, steps)] * width
    points = [p for p, _ in runs]
    method = f"instrumented run, {len(GRID)} (T, B, N)"
    counted = {search.SCORES: [c.scores for _, c in runs], search.COMPARISONS: [c.comparisons for _, c in runs],
               search.WORDS_WRITTEN: [c.words_written for _, c in runs]}
    checks = [read_back.count_check(DecodingParts.complexity, f"Algorithm 1: {key}", method, counted[key], total,
                                    points, ()) for key, total in answer.cost.totals.items()]
    checks.append(Check(DecodingParts.complexity.id, "Algorithm 1 as printed keeps B copies of the greedy path",
                        f"{method} on a seeded model: its sequences against greedy decoding written apart "
                        "(the flaw below: all beams start at <BOS> with score 0)", float(degenerate), 0.0))
    time = formula(section, "complexity.time_exact", read_back.COST_NAMES)
    space = formula(section, "complexity.space_exact", read_back.COST_NAMES)
    checks.append(read_back.count_check(DecodingParts.complexity, "Algorithm 1: time", f"{method}: every operation",
                                        [sum(ops) for ops in zip(*counted.values(), strict=True)], time, points,
                                        (field("complexity", "time_exact"),)))
    peaks = [c.peak_space for _, c in runs]
    checks.append(Check(DecodingParts.complexity.id, f"Algorithm 1: {search.SPACE}",
                        f"{method}: the values its structures held at the peak, against the published and the "
                        "shown formula", max(read_back.count_error(peaks, shown, points)
                                             for shown in (space, answer.cost.space)), 0.0,
                        (field("complexity", "space_exact"),)))
    for key, exact in (("time", time), ("space", space)):
        checks.append(read_back.o_form_check(DecodingParts.complexity, f"O-form of the {key}", exact,
                                             o_form(section, f"complexity.{key}", read_back.COST_NAMES),
                                             ORDER, (field("complexity", key),)))
    return checks


def _edges_check(restated: Restated, section: Section, beams: list[Hypothesis] | None) -> Check:
    """Each published log-likelihood (`beams`: the beams', as read) against the sum of its path's
    edges (a path not in the tree fails)."""
    published = [read_back.hypothesis(section, key) for key in ("greedy", "optimum")]
    published += beams or [None]
    gaps = [math.inf if h is None or any(h.words[:k] not in restated.logp for k in range(1, len(h.words) + 1))
            else restated.gap(h.score, restated.score[h.words]) for h in published]
    return Check(DecodingParts.search.id, "log-likelihoods = sums of edge log-probabilities",
                 "exact sum along each path", max(gaps), 0.0,
                 (field("greedy", "log_likelihood"), field(BEAMS), field("optimum", "log_likelihood")))


def _feasibility_check(answer: DecodingAnswer) -> Check:
    """2.2's table in base-10 logarithms (the counts overflow floats), from N^T and the
    assumptions restated: 10^18 sequences a second, a Julian year of 31,557,600 s, a universe
    13.787e9 years old; the assumptions the prose states are compared with these too."""
    def log10(q: Any) -> float:
        q = sp.Rational(q)
        return math.log10(q.p) - math.log10(q.q)

    stated = answer.assumptions
    errors = [abs(log10(stated.rate) - 18), abs(log10(stated.seconds_per_year) - math.log10(31_557_600)),
              abs(log10(stated.universe_years) - math.log10(13.787e9))]
    for f in answer.feasibility:
        total = answer.config.vocabulary_size**f.steps
        years = math.log10(total) - 18 - math.log10(31_557_600)
        errors += [abs(f.count - total), abs(f.log10 - math.log10(total)), abs(log10(f.years) - years),
                   abs(log10(f.universes) - (years - math.log10(13.787e9)))]
    err = worst(errors)
    return Check(DecodingParts.impractical.id,
                 "sequences, years and universes", "N^T by integer powers; log10 of the years at 10^18 "
                 "sequences/s and in ages of the universe, recomputed", err, 1e-9)


@dataclass(frozen=True)
class Restated:
    """The tree's scores restated for the checks, apart from search.py: every path's
    log-likelihood summed edge by edge along the path, as integers over the least common
    multiple of the edges' denominators (exact, and ranked as fast as integers). A numerator n
    stands for n / denominator."""
    denominator: int
    logp: dict[search.Path, int]  # each edge's log p
    score: dict[search.Path, int]  # each path's log-likelihood; <BOS>'s (the empty path) is 0

    def numerator(self, x: sp.Rational) -> int | None:
        """x over the denominator; None when x is not a multiple of 1 / denominator (then it is no
        path's score)."""
        q = int(x.q)
        return None if self.denominator % q else int(x.p) * (self.denominator // q)

    def gap(self, x: sp.Rational, numerator: int) -> float:
        """|x - numerator / denominator|, 0.0 exactly when they are equal."""
        if self.numerator(x) == numerator:
            return 0.0
        return float(abs(Fraction(int(x.p), int(x.q)) - Fraction(numerator, self.denominator)))


def _restated(tree: search.Tree) -> Restated:
    denominator = 1
    for x in tree.values():
        denominator = math.lcm(denominator, int(x.q))
    logp = {path: int(x.p) * (denominator // int(x.q)) for path, x in tree.items()}
    score = {(): 0} | {path: sum(logp[path[:k]] for k in range(1, len(path) + 1)) for path in tree}
    return Restated(denominator, logp, score)


def _ranked_by_depth(restated: Restated, steps: int, width: int) -> list[list[search.Path]]:
    """Beam search restated: at depth k rank the paths whose prefix was kept (best first, ties
    by path) and keep the best `width`; entry k - 1 is depth k's ranking."""
    by_depth: dict[int, list[search.Path]] = {}
    for p in restated.logp:
        by_depth.setdefault(len(p), []).append(p)
    kept: set[search.Path] = {()}
    out = []
    for depth in range(1, steps + 1):
        ranked = sorted((p for p in by_depth.get(depth, []) if p[:-1] in kept), key=lambda p: (-restated.score[p], p))
        out.append(ranked)
        kept = set(ranked[:width])
    return out


def _shortfall_check(answer: DecodingAnswer, restated: Restated, ranked: list[list[search.Path]]) -> Check:
    """2.4's comparison, restated from the checked results: the gap between greedy and the
    optimum, the step where greedy first leaves the optimal path with both words' log p there,
    whether the beam found the optimum, and the better sequences it pruned (and when)."""
    cfg, shown = answer.config, answer.shortfall
    greedy, best = answer.greedy.words, answer.optimum.words
    first = next((t for t in range(1, cfg.steps + 1) if greedy[:t] != best[:t]), None)

    def rank(words: search.Path) -> tuple[int, search.Path]:
        return -restated.score[words], words

    lowest = max(rank(h.words) for h in answer.beams)
    kept = [set(depth[:cfg.beam_width]) for depth in ranked]  # sets: one lookup per path, not a scan
    missed = [(h.words, next(t for t in range(1, cfg.steps + 1) if h.words[:t] not in kept[t - 1]))
              for h in answer.ranking if rank(h.words) < lowest and h.words not in kept[-1]]
    expected = (answer.optimum.score - answer.greedy.score, first,
                None if first is None else (greedy[first - 1], cfg.tree[greedy[:first]]),
                None if first is None else (best[first - 1], cfg.tree[best[:first]]),
                answer.beams[0].words == best, missed)
    got = (shown.greedy_gap, shown.diverge_step, shown.greedy_word, shown.optimal_word, shown.beam_found_optimum,
           [(h.words, t) for h, t in shown.missed])
    return Check(DecodingParts.search.id,
                 "what greedy and the beam missed", "gap, first step off the optimal path, pruned better "
                 "sequences: restated from the checked results", float(sum(a != b for a, b in zip(got, expected,
                                                                                                 strict=True))), 0.0)


def _tables_check(answer: DecodingAnswer, restated: Restated,
                  ranked: Callable[[int], list[list[search.Path]]]) -> Check:
    """The greedy and beam search tables shown: at each step the candidates in ranked order, with
    their parent's score, log p, score and whether they are kept; the error counts wrong rows,
    and the rows shown but not compared."""
    cfg, wrong, compared = answer.config, 0, 0

    def row_right(c: search.Candidate, kept: set[search.Path]) -> bool:
        expected = (restated.score.get(c.words[:-1]), restated.logp.get(c.words), restated.score.get(c.words))
        shown = (restated.numerator(c.parent_score), restated.numerator(c.logp), restated.numerator(c.score))
        return None not in expected and shown == expected and c.kept == (c.words in kept)

    for table, width in ((answer.greedy_steps, 1), (answer.beam_steps, cfg.beam_width)):
        ranking = ranked(width)
        wrong += abs(len(table) - len(ranking))
        for step, ranked_step in zip(table, ranking, strict=False):
            wrong += [c.words for c in step.candidates] != ranked_step
            kept = set(ranked_step[:width])
            wrong += sum(not row_right(c, kept) for c in step.candidates)
            compared += len(step.candidates)
    wrong += sum(len(step.candidates) for step in (*answer.greedy_steps, *answer.beam_steps)) - compared
    return Check(DecodingParts.search.id,
                 "greedy and beam search tables", "each step's candidates ranked again from the tree "
                 "(scores, order, kept)", float(wrong), 0.0)


def _same_paths(part: Issued, name: str, method: str, got: list[Hypothesis] | None, restated: Restated,
                expected: list[search.Path], certifies: tuple[str, ...]) -> Check:
    """As `_same`, against paths of the tree with their restated scores (compared as numerators)."""
    if got is None:
        return Check(part.id, name, method, math.inf, 0.0, certifies)
    same = [(h.words, restated.numerator(h.score)) for h in got] == [(p, restated.score[p]) for p in expected]
    return Check(part.id, name, method, 0.0 if same else 1.0, 0.0, certifies)


def _listed(h: Hypothesis | None) -> list[Hypothesis] | None:
    return None if h is None else [h]


def _same(part: Issued, name: str, method: str, got: list[Hypothesis] | None, expected: list[Hypothesis],
          certifies: tuple[str, ...]) -> Check:
    """0 when both lists hold the same paths with the same scores in the same order, else 1
    (infinite when `got`, read from answers.json, does not read)."""
    if got is None:
        return Check(part.id, name, method, math.inf, 0.0, certifies)
    same = [(h.words, h.score) for h in got] == [(h.words, h.score) for h in expected]
    return Check(part.id, name, method, 0.0 if same else 1.0, 0.0, certifies)


# --- The question sheet, variants and grading -------------------------------------------------

def _no_ties(answer: DecodingAnswer, _: VariantsSpec) -> bool:
    scores = [h.score for h in answer.ranking]
    logps: dict[search.Path, list[sp.Rational]] = {}
    for path, logp in answer.config.tree.items():
        logps.setdefault(path[:-1], []).append(logp)
    return len(set(scores)) == len(scores) and all(len(set(x)) == len(x) for x in logps.values())


class Decoding(Question[DecodingAnswer, decoding_view.DecodingView, decoding_view.DecodingPrompt]):
    key = KEY
    title = "Decoding"
    parts = DecodingParts
    not_answers = ("complexity.selection", "complexity.sorted.selection")  # the selection method's name
    unordered = ((BEAMS, "words"),)  # beams in any order: matched to the key's by their words
    properties = {
        "greedy_not_optimal": Property(margin.greedy_not_optimal),
        "greedy_not_best_beam": Property(margin.greedy_not_best_beam),
        "beam_misses_optimum": Property(margin.beam_misses_optimum),
        "no_ties": Property(_no_ties),
        "unambiguous": Property(margin.unambiguous),
    }

    def warm(self, spec: VariantsSpec) -> None:
        cost_model()

    def derive(self, config: Config) -> DecodingAnswer:
        return derive(config)

    def plan(self, answer: DecodingAnswer, config: Config, published: Section | None = None) -> Planned:
        return plan(answer, config, published)

    def boxed(self, section: Section) -> list[Boxed]:
        return decoding_view.boxed(section, self.parts, self.key, BEAMS)

    def view(self, answer: DecodingAnswer, pytorch: bool) -> decoding_view.DecodingView:
        return decoding_view.view(answer, beams_at=f"{self.key}.{BEAMS}")

    def as_json(self, answer: DecodingAnswer) -> dict[str, Any]:
        return as_json(answer)

    def prompt(self, config: Config) -> decoding_view.DecodingPrompt:
        return decoding_view.prompt(DECODING.of(config))

    def randomize(self, rng: random.Random, spec: VariantsSpec) -> Table:
        depth = rng.choice(DECODING.vary_of(spec).depth)
        return {"beam_width": rng.choice(DECODING.vary_of(spec).beam_width), "steps": depth,
                "vocabulary_size": rng.choice(DECODING.vary_of(spec).vocabulary_size),
                "tree": margin.random_tree(rng, spec, depth)}

    def misconceptions(self, config: Config) -> list[Misconception]:
        return misconceptions(config)

    def graded(self, key: dict[str, Any]) -> list[GradedPart]:
        parts = self.parts
        out = [GradedPart(f"{self.key}.num_sequences", parts.count.id, Fraction(parts.count.points), EXACT,
                          get(key, self.key, "num_sequences"), (self.key, "num_sequences"), symbols=(N, T),
                          alternatives=((get(key, self.key, "num_sequences_without_repeated_bos"),
                                         "the count when <BOS> cannot follow itself, as the solutions note"),))]
        sorted_variant = get(key, self.key, "complexity").get("sorted", {})
        for what in ("time", "space"):
            other = sorted_variant.get(what)
            out.append(GradedPart(f"{self.key}.complexity.{what}", parts.complexity.id,
                                  Fraction(parts.complexity.points) / 2, O_FORM,
                                  get(key, self.key, "complexity", what), (self.key, "complexity", what),
                                  symbols=(T, B, N), order=tuple(ORDER),
                                  alternatives=((other, "selecting by sorting the candidates, as the solutions "
                                                 "also derive"),) if isinstance(other, str) else ()))
        greedy = Fraction(parts.greedy.points) / 2
        out.append(GradedPart(f"{self.key}.greedy.words", parts.greedy.id, greedy, WORDS,
                              get(key, self.key, "greedy", "words"), (self.key, "greedy", "words")))
        out.append(GradedPart(f"{self.key}.greedy.log_likelihood", parts.greedy.id, greedy, NUMBER,
                              get(key, self.key, "greedy", "log_likelihood"), (self.key, "greedy", "log_likelihood")))
        beams = get(key, self.key, BEAMS)
        per_field = Fraction(parts.beam.points) / len(beams) / 2
        for i, beam in enumerate(beams):
            others = tuple((" ".join(b["words"]), f"that is the key's beam {k + 1}, which another beam matches")
                           for k, b in enumerate(beams) if k != i)
            out.append(GradedPart(f"{self.key}.{BEAMS}.{i + 1}.words", parts.beam.id, per_field, WORDS,
                                  beam["words"], (self.key, BEAMS, i, "words"), alternatives=others))
            out.append(GradedPart(f"{self.key}.{BEAMS}.{i + 1}.log_likelihood", parts.beam.id, per_field, NUMBER,
                                  beam["log_likelihood"], (self.key, BEAMS, i, "log_likelihood")))
        return out


LITERAL = "Algorithm 1 taken literally, as printed"
POWER_OF_TEN = re.compile(r"(-?)10\^\{(\d+)\}")


def _literal_check(answer: DecodingAnswer) -> Check:
    """2.3's account of Algorithm 1 run literally, as the solutions print it, against the literal
    search run one step on the tree (search.literal_beam_search): the number of disagreements.
    The copies printed of each first word kept are the copies that search keeps, "identical
    beams" is said exactly when a word is kept more than once, and the dead beams' starting
    score is printed as the power of ten the sort-based search starts them at."""
    cfg = answer.config
    literal = decoding_view._literal(answer)
    first = search.literal_beam_search(cfg.tree, 1, cfg.beam_width)
    copies = [len(list(group)) for _, group in itertools.groupby(first, key=lambda h: h.words)]
    printed, i = [], 0
    for e in literal.kept.shown:  # each shown entry against the kept word at its place
        printed.append(e is None or i < len(copies) and e.copies == copies[i])
        i += literal.kept.hidden if e is None else 1
    wrong = [not all(printed) or i != len(copies), literal.identical != (max(copies) > 1)]
    power = POWER_OF_TEN.fullmatch(str(literal.dead_beam_score))
    wrong.append(power is None or int(f"{power.group(1)}1") * 10 ** int(power.group(2)) != search.DEAD_BEAM_SCORE)
    return Check(DecodingParts.complexity.id, LITERAL, "the copies, the identical beams and the dead beams' score "
                 "printed, against the literal search run one step on the tree and the sort-based search's start",
                 float(sum(wrong)), 0.0)
