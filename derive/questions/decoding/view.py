"""Question 2's views: what its two templates print, as finished data.

`view` turns a derived answer into the solutions' `DecodingView` and `prompt` the config into
the question sheet's `DecodingPrompt`. Numbers are formatted here (derive/latex/formatting.py),
words escaped and made breakable, the tree figure placed and the step tables' middles elided
and their columns sized, so that templates/decoding/solutions.tex.j2, templates/decoding/sheet.tex.j2
and the decoding macros of templates/macros.tex.j2 only print.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sympy as sp

from derive.answer import Boxed, Tex
from derive.latex import formatting, layout, treefig
from derive.latex.escaping import json_key, words
from derive.published import Section, formula, o_form
from derive.questions.decoding import beam_sort, search
from derive.questions.decoding import published as read_back
from derive.questions.decoding.search import Candidate, Hypothesis, Path, Step
from derive.questions.decoding.settings import DecodingConfig

if TYPE_CHECKING:
    from derive.questions.decoding.answer import DecodingAnswer, DecodingParts, Shortfall

BILLION = 10**9  # 2.2 gives the age of the universe in billions of years
ESTIMATE_DIGITS = 3  # 2.2's years and ages of the universe, 2.5's likelihood ratio
EXPONENT_DECIMALS = 1  # 2.2's N^T, as a power of ten
BEST_SHOWN = 5  # paths of the exhaustive ranking listed
IN_TEXT_HEAD = 3  # a list in running text shows its first items, dots and its last
BEAMS_HEAD = 7  # beams listed before the dots (and the last)
STEPS_HEAD, STEPS_TAIL = 5, 2  # steps of a step table shown before and after the dots
CANDIDATES_HEAD, CANDIDATES_TAIL = 6, 1  # candidates of a step shown before and after the dots
# A step table's candidate column (em): half an em per character of its longest path, at least
# CANDIDATE_MIN_EM, at most what the three score columns (each at least SCORE_MIN_EM) and the
# other columns (OTHER_COLUMNS_EM) leave of the text width.
EM_PER_CHARACTER = 0.5
SCORE_MIN_EM = 3
OTHER_COLUMNS_EM = 12
CANDIDATE_MIN_EM = 8
ROOT_ANCHOR, NODE_ANCHOR = Tex("east"), Tex("west")  # <BOS> is drawn left of its column, words right

X = TypeVar("X")
Item = TypeVar("Item")


# --- Shared pieces ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Elided(Generic[Item]):
    """A list as printed: its first and last items, None where the hidden middle is."""

    shown: tuple[Item | None, ...]
    hidden: int  # the items None stands for (0: none hidden)


def _elided(items: Sequence[X], show: Callable[[X], Item], head: int, tail: int = 1) -> Elided[Item]:
    """The first `head` and last `tail` items, shown; only those are formatted, as a step may
    have thousands of candidates."""
    kept = layout.elide(items, head, tail)
    hidden = len(items) - len(kept) + 1 if len(kept) < len(items) else 0
    return Elided(tuple(None if x is None else show(x) for x in kept), hidden)


def _logp(value: sp.Expr) -> Tex:
    """A log-probability or a score, to as many digits as on the figure's edges."""
    return formatting.dec(value, treefig.LOGP_DIGITS)


def _power_of_ten(value: int) -> Tex:
    """-10^{9}, 10^{18}: a signed power of ten as such, any other number as a decimal."""
    sign, size = ("-" if value < 0 else ""), abs(value)
    exponent = len(str(size)) - 1
    if size != 10**exponent:
        return formatting.dec(value)
    return Tex(sign) + formatting.exact(sp.Pow(10, exponent, evaluate=False))


@dataclass(frozen=True)
class Scored:
    """A path of words with its log-likelihood."""

    words: Tex
    score: Tex


def _scored(h: Hypothesis) -> Scored:
    return Scored(words(h.words), _logp(h.score))


# --- The tree figure (both sheets) --------------------------------------------------------------

@dataclass(frozen=True)
class DrawnNode:
    id: str
    anchor: Tex
    x: Tex  # cm
    y: Tex  # cm
    label: str | Tex
    framed: bool


@dataclass(frozen=True)
class LegendEntry:
    key: str
    word: Tex


@dataclass(frozen=True)
class DrawnTree:
    nodes: tuple[DrawnNode, ...]
    edges: tuple[treefig.Edge, ...]
    legend: tuple[LegendEntry, ...]  # long words drawn as keys
    marked: bool  # the beams, the greedy path and the optimum are highlighted


@dataclass(frozen=True)
class Figure:
    drawn: DrawnTree | None
    not_drawn: str  # why it is not drawn (a clause), when it is not


def _figure(fig: treefig.TreeFigure | str) -> Figure:
    if isinstance(fig, str):
        return Figure(None, fig)
    nodes = tuple(DrawnNode(n.id, ROOT_ANCHOR if i == 0 else NODE_ANCHOR, formatting.fixed(n.x),
                            formatting.fixed(n.y), n.label, n.framed) for i, n in enumerate(fig.nodes))
    legend = tuple(LegendEntry(key, words([word])) for key, word in fig.legend)
    return Figure(DrawnTree(nodes, fig.edges, legend, fig.marked), "")


# --- Step tables (2.4) --------------------------------------------------------------------------

@dataclass(frozen=True)
class CandidateRow:
    words: Tex
    parent_score: Tex
    logp: Tex
    score: Tex
    kept: bool


@dataclass(frozen=True)
class StepRows:
    t: int
    candidates: Elided[CandidateRow]
    hidden_kept: int  # how many of the hidden candidates are kept


@dataclass(frozen=True)
class StepTable:
    candidate_em: Tex  # the candidate column's width
    steps: Elided[StepRows]


def _candidate(c: Candidate) -> CandidateRow:
    return CandidateRow(words(c.words), _logp(c.parent_score), _logp(c.logp), _logp(c.score), c.kept)


def _step(step: Step) -> StepRows:
    candidates = _elided(step.candidates, _candidate, CANDIDATES_HEAD, CANDIDATES_TAIL)
    hidden = step.candidates[CANDIDATES_HEAD:len(step.candidates) - CANDIDATES_TAIL] if candidates.hidden else ()
    return StepRows(step.t, candidates, sum(1 for c in hidden if c.kept))


def _shown_paths(steps: Sequence[Step]) -> list[Path]:
    """The candidates' paths a step table shows."""
    return [c.words for s in layout.elide(steps, STEPS_HEAD, STEPS_TAIL) if s is not None
            for c in layout.elide(s.candidates, CANDIDATES_HEAD, CANDIDATES_TAIL) if c is not None]


def _candidate_em(paths: Sequence[Path], rows: Sequence[CandidateRow]) -> Tex:
    """The candidate column's width (em) for the paths and rows shown."""
    score_em = max([SCORE_MIN_EM, *(layout.width_em(x) for r in rows for x in (r.parent_score, r.logp, r.score))])
    words_em = max((len(" ".join(p)) * EM_PER_CHARACTER for p in paths), default=0.0)
    room = layout.TEXT_WIDTH_EM - 3 * score_em - OTHER_COLUMNS_EM
    return formatting.fixed(max(min(room, words_em), CANDIDATE_MIN_EM), 1)


def _step_table(steps: Sequence[Step]) -> StepTable:
    table = _elided(steps, _step, STEPS_HEAD, STEPS_TAIL)
    rows = [c for s in table.shown if s is not None for c in s.candidates.shown if c is not None]
    return StepTable(_candidate_em(_shown_paths(steps), rows), table)


# --- The solutions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counting:
    """2.1."""

    count: Tex
    count_no_bos: Tex


@dataclass(frozen=True)
class FeasibilityRow:
    steps: int
    exponent: Tex  # N^T = 10^exponent
    years: Tex
    universes: Tex


@dataclass(frozen=True)
class Enumeration:
    """2.2: the cost of exhaustive search, and what the estimate assumes."""

    rate: Tex  # sequences scored per second
    universe_billions: Tex  # the age of the universe, in billions of years
    rows: tuple[FeasibilityRow, ...]


@dataclass(frozen=True)
class CostRow:
    name: str
    per_step: Tex
    total: Tex


@dataclass(frozen=True)
class Count:
    number: int
    name: str


@dataclass(frozen=True)
class Algorithm1:
    """2.3: Algorithm 1's operations as printed."""

    rows: tuple[CostRow, ...]
    time: Tex
    space: Tex
    time_big_o: Tex
    space_big_o: Tex
    counts: tuple[Count, ...]  # at the config's sizes, in the table's order, but the last
    last_count: Count
    stored: int


@dataclass(frozen=True)
class Sorting:
    """2.3: the common implementation, which sorts the candidates."""

    powers_of_two: Tex
    worst_case: Tex
    recurrence_up_to: int
    exhaustive_up_to: int
    attained_at: str  # the sizes at which a constructed order attains W(n), as a list in words
    rows: tuple[CostRow, ...]
    per_step_big_o: Tex
    time_big_o: Tex
    scores: int
    comparisons: int
    bound_factor: int


@dataclass(frozen=True)
class Copies:
    copies: int
    words: Tex
    score: Tex


@dataclass(frozen=True)
class Literal:
    """2.3: Algorithm 1 run literally, and the usual fix."""

    kept: Elided[Copies]  # its first step's beams
    identical: bool  # the first word is kept more than once
    dead_beam_score: Tex


@dataclass(frozen=True)
class Beam:
    number: int
    words: Tex
    score: Tex


@dataclass(frozen=True)
class Search:
    """2.4: greedy decoding, beam search and exhaustive search on the tree."""

    illustrative: bool  # the packaged example tree, not the assignment's
    figure: Figure
    greedy_table: StepTable
    greedy: Scored
    beam_table: StepTable
    beams: Elided[Beam]
    beam_count: int
    beams_at: Tex  # their place in answers.json
    paths: int  # paths of full depth
    optimum: Scored
    best: tuple[Scored, ...]


@dataclass(frozen=True)
class Divergence:
    """Where greedy leaves the optimal path, and what it costs."""

    step: int
    greedy_word: Tex
    greedy_logp: Tex
    optimal_word: Tex
    optimal_logp: Tex
    gap: Tex  # nats
    ratio: Tex  # e^gap


@dataclass(frozen=True)
class Pruned:
    words: Tex
    score: Tex
    step: int


@dataclass(frozen=True)
class Limitations:
    """2.5, on this tree."""

    divergence: Divergence | None  # None: greedy finds the optimum
    beam_found_optimum: bool
    missed: Elided[Pruned]  # better sequences than a returned beam


@dataclass(frozen=True)
class DecodingView:
    beam_width: int
    steps: int
    vocabulary_size: int
    counting: Counting
    enumeration: Enumeration
    algorithm1: Algorithm1
    sorting: Sorting
    literal: Literal
    search: Search
    limitations: Limitations


def _cost_rows(per_step: dict[str, sp.Expr], totals: dict[str, sp.Expr]) -> tuple[CostRow, ...]:
    return tuple(CostRow(name, formatting.exact(expr), formatting.exact(totals[name]))
                 for name, expr in per_step.items())


def _enumeration(a: DecodingAnswer) -> Enumeration:
    rows = tuple(FeasibilityRow(f.steps, formatting.fixed(f.log10, EXPONENT_DECIMALS),
                                formatting.dec(f.years, ESTIMATE_DIGITS), formatting.dec(f.universes, ESTIMATE_DIGITS))
                 for f in a.feasibility)
    return Enumeration(rate=_power_of_ten(a.assumptions.rate),
                       universe_billions=formatting.dec(a.assumptions.universe_years / BILLION), rows=rows)


def _algorithm1(a: DecodingAnswer) -> Algorithm1:
    c = a.cost
    *counts, last = (Count(a.cost_numbers[name], name) for name in c.totals)
    return Algorithm1(rows=_cost_rows(c.per_step, c.totals), time=formatting.exact(c.time),
                      space=formatting.exact(c.space), time_big_o=formatting.exact(c.time_big_o),
                      space_big_o=formatting.exact(c.space_big_o), counts=tuple(counts),
                      last_count=last, stored=a.cost_numbers[search.SPACE])


def _sorting(a: DecodingAnswer) -> Sorting:
    s = a.sort_cost
    return Sorting(powers_of_two=formatting.exact(s.powers_of_two), worst_case=formatting.exact(s.worst_case),
                   recurrence_up_to=beam_sort.RECURRENCE_UP_TO, exhaustive_up_to=beam_sort.EXHAUSTIVE_UP_TO,
                   attained_at=_in_words(beam_sort.ATTAINED_AT),
                   rows=_cost_rows(s.per_step, s.totals), per_step_big_o=formatting.exact(s.per_step_big_o),
                   time_big_o=formatting.exact(s.time_big_o), scores=a.sort_numbers[search.SCORES],
                   comparisons=a.sort_numbers[beam_sort.SORT_COMPARISONS], bound_factor=beam_sort.BOUND_FACTOR)


def _in_words(numbers: Sequence[int]) -> str:
    """7, 12 and 33."""
    *head, last = (str(x) for x in numbers)
    return f"{', '.join(head)} and {last}" if head else last


def _literal(a: DecodingAnswer) -> Literal:
    kept = _elided(a.literal_first, lambda e: Copies(e[1], words(e[0].words), _logp(e[0].score)), IN_TEXT_HEAD)
    return Literal(kept, a.literal_first[0][1] > 1, _power_of_ten(search.DEAD_BEAM_SCORE))


def _search(a: DecodingAnswer, beams_at: str) -> Search:
    cfg = a.config
    figure = _figure(treefig.tree_figure(cfg.tree, cfg.steps, a.greedy, a.beams, a.optimum))
    beams = _elided(list(enumerate(a.beams, start=1)), lambda b: Beam(b[0], words(b[1].words), _logp(b[1].score)),
                    BEAMS_HEAD)
    return Search(illustrative=cfg.tree_is_default, figure=figure, greedy_table=_step_table(a.greedy_steps),
                  greedy=_scored(a.greedy), beam_table=_step_table(a.beam_steps), beams=beams,
                  beam_count=len(a.beams), beams_at=json_key(beams_at), paths=len(a.ranking),
                  optimum=_scored(a.optimum), best=tuple(_scored(h) for h in a.ranking[:BEST_SHOWN]))


def _divergence(sf: Shortfall) -> Divergence | None:
    if sf.diverge_step is None or sf.greedy_word is None or sf.optimal_word is None:
        return None
    (greedy, greedy_logp), (optimal, optimal_logp) = sf.greedy_word, sf.optimal_word
    return Divergence(sf.diverge_step, words([greedy]), _logp(greedy_logp), words([optimal]), _logp(optimal_logp),
                      _logp(sf.greedy_gap), formatting.dec(sp.exp(sf.greedy_gap), ESTIMATE_DIGITS))


def _limitations(a: DecodingAnswer) -> Limitations:
    sf = a.shortfall
    missed = _elided(sf.missed, lambda m: Pruned(words(m[0].words), _logp(m[0].score), m[1]), IN_TEXT_HEAD)
    return Limitations(_divergence(sf), sf.beam_found_optimum, missed)


def view(answer: DecodingAnswer, beams_at: str) -> DecodingView:
    """The solutions' view of an answer; `beams_at`: the beams' dotted key in answers.json."""
    cfg = answer.config
    return DecodingView(beam_width=cfg.beam_width, steps=cfg.steps, vocabulary_size=cfg.vocabulary_size,
                        counting=Counting(formatting.exact(answer.count), formatting.exact(answer.count_no_bos)),
                        enumeration=_enumeration(answer), algorithm1=_algorithm1(answer), sorting=_sorting(answer),
                        literal=_literal(answer), search=_search(answer, beams_at),
                        limitations=_limitations(answer))


def boxed(section: Section, parts: type[DecodingParts], key: str, beams_field: str) -> list[Boxed]:
    """The answers templates/decoding/solutions.tex.j2 boxes, made from the published section (`key`: its
    place in answers.json, `beams_field` the beams' under it) with the formatting `view` gives
    the answer: the count, Algorithm 1's and the sort-based O-forms, greedy's words and log p,
    and each beam the solutions list."""
    def boxed_o(path: str, names: dict[str, Any], before: str, after: str = "") -> Boxed:
        form = o_form(section, path, names)
        tex = None if form is None else before + rf"O\!\left({formatting.exact(form)}\right)" + after
        return Boxed(parts.complexity, f"{key}.{path}", tex)

    count = formula(section, "num_sequences", read_back.COUNT_NAMES)
    out = [Boxed(parts.count, f"{key}.num_sequences",
                 None if count is None else rf"\prod_{{t=1}}^{{T}} N = {formatting.exact(count)}"),
           boxed_o("complexity.time", read_back.COST_NAMES, r"\text{time} = "),
           boxed_o("complexity.space", read_back.COST_NAMES, r"\text{space} = "),
           boxed_o("complexity.sorted.per_step", read_back.SORT_NAMES, "", r" \text{ per step}"),
           boxed_o("complexity.sorted.time", read_back.SORT_NAMES, r"\text{time} = ")]
    greedy = read_back.hypothesis(section, "greedy")
    label = None if greedy is None else rf"\bar w_{{1:{len(greedy.words)}}}"
    out += [Boxed(parts.greedy, f"{key}.greedy.words",
                  None if greedy is None else f"${label}$ = ``{words(greedy.words)}''"),
            Boxed(parts.greedy, f"{key}.greedy.log_likelihood",
                  None if greedy is None else rf"$\log p({label}) = {_logp(greedy.score)}$")]
    beams = read_back.hypotheses(section, beams_field)
    if beams is None:
        return [*out, Boxed(parts.beam, f"{key}.{beams_field}", None)]
    for shown in layout.elide(list(enumerate(beams, start=1)), BEAMS_HEAD):
        if shown is not None:
            number, h = shown
            out.append(Boxed(parts.beam, f"{key}.{beams_field}", rf"$w^{{({number})}}_{{1:{len(h.words)}}}$ = "
                             rf"``{words(h.words)}'', \quad $\log p = {_logp(h.score)}$"))
    return out


# --- The question sheet -------------------------------------------------------------------------

@dataclass(frozen=True)
class EdgeLine:
    path: str
    logp: Tex


@dataclass(frozen=True)
class DecodingPrompt:
    beam_width: int
    steps: int
    figure: Figure
    edges: tuple[EdgeLine, ...]  # the tree as a list, when the figure is not drawn


def prompt(cfg: DecodingConfig) -> DecodingPrompt:
    """The sheet's view: the config's tree to the depth asked, drawn, or listed when it cannot be."""
    shown = {p: logp for p, logp in sorted(cfg.tree.items()) if len(p) <= cfg.steps}
    figure = _figure(treefig.tree_figure(shown, cfg.steps))
    edges = () if figure.drawn else tuple(EdgeLine(" ".join(p), _logp(logp)) for p, logp in shown.items())
    return DecodingPrompt(cfg.beam_width, cfg.steps, figure, edges)
