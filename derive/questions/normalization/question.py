"""Question 1: batch, layer and instance normalization statistics of an (N, C, L) tensor.

Each statistic is computed exactly by SymPy over its reduced axes; the biased (population)
variance is used, as in training-time normalization. Checked against NumPy and, where
installed, against PyTorch's normalization functions.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from derive import crosscheck
from derive.answer import Boxed, Check, Row, Terms
from derive.config import Config
from derive.graded_parts import TENSOR, GradedPart, get, shape_of
from derive.properties import Property
from derive.published import Section, at, rationals, read, section_of
from derive.questions.base import Misconception, Question, Table
from derive.questions.normalization import view as shown
from derive.questions.normalization.misconceptions import misconceptions
from derive.questions.normalization.view import SHOWN_GROUPS, boxed, prompt, view
from derive.verify import Planned, compare, torch_job

if TYPE_CHECKING:
    from derive.questions.normalization.view import NormalizationPrompt, NormalizationView
    from derive.variants_spec import VariantsSpec
from derive.questions.normalization.answer import (
    APPROX_DIGITS,
    DEFINITIONS,
    KEY,
    KINDS,
    MOMENTS,
    NormalizationAnswer,
    NormalizationParts,
    as_json,
    derive,
    field,
)
from derive.questions.normalization.settings import SECTION as NORMALIZATION


def by_definition(x: np.ndarray, kind: str, stat: Any) -> tuple[tuple[int, ...], np.ndarray]:
    """The reduced axes and the statistic (keepdims) computed group by group from the definition."""
    index = DEFINITIONS[kind]
    axes = tuple(a for a, i in enumerate(index(0, 0)) if isinstance(i, slice))
    shape = tuple(1 if a in axes else size for a, size in enumerate(x.shape))
    out = np.empty(shape)
    for n, c in itertools.product(range(shape[0]), range(shape[1])):
        out[n, c, 0] = stat(x[index(n, c)])
    return axes, out


def plan(answer: NormalizationAnswer, config: Config, published: Section | None = None) -> Planned:
    """The statistics as published (parsed answers.json: their axes, values and keepdims shape)
    against NumPy over each group taken from the definitions; the work shown row by row."""
    section = as_published(answer) if published is None else published
    x = answer.tensor.astype(float)
    size = float(np.max(np.abs(x))) or 1.0  # errors relative to the data: exact zeros stay checkable
    checks: Planned = []
    for kind in DEFINITIONS:
        for stat, fn, power in (("mean", np.mean, 1), ("variance", np.var, 2)):
            axes, expected = by_definition(x, kind, fn)
            got = _published_statistic(section, kind, stat, axes)
            what = "numpy.mean" if stat == "mean" else "numpy.var (ddof=0)"
            check = compare(NormalizationParts.statistics,
                            f"{kind} {stat}", f"{what} of each group by definition over axes "
                            f"{axes} (rel. to max|x|{'^2' if power == 2 else ''})", got, expected, 1e-12,
                            scale=size**power, certifies=(field(kind, "axes"), field(kind, stat)))
            # the method text names the function the expected values were computed with
            checks.append(check if what.split()[0] == f"numpy.{fn.__name__}" else
                          dataclasses.replace(check, max_error=math.inf))
    checks.append(steps_check(answer))
    checks.append(printed_check(answer))
    checks.append(torch_job(NormalizationParts.statistics,
                            "normalized outputs (PyTorch)", crosscheck.normalization_outputs,
                            *torch_payload(answer, section), certifies=tuple(field(k, f) for k in KINDS
                                                                            for f in ("axes", *MOMENTS))))
    return checks


def as_published(answer: NormalizationAnswer) -> Section:
    return section_of(KEY, as_json(answer))


def _published_statistic(section: Section, kind: str, stat: str, axes: tuple[int, ...]) -> np.ndarray:
    """A published statistic as floats, or NaN (a failure) when its axes are not the definition's
    or its values do not read as exact numbers."""
    values = read(rationals, at(section, f"{kind}.{stat}")) if read(at, section, f"{kind}.axes") == list(axes) else None
    return np.full(1, np.nan) if values is None else values.astype(float)


def row_value(rhs: Any) -> sp.Expr:
    """What a row of the work shows, evaluated: a Terms sum as factor * (sum) - minus."""
    if isinstance(rhs, Terms):
        total = sp.Add(*[sp.sympify(term).doit() for term in rhs.terms])
        factor = 1 if rhs.factor is None else rhs.factor
        return factor * total - (0 if rhs.minus is None else sp.sympify(rhs.minus).doit())
    return sp.sympify(rhs).doit()




def steps_check(answer: NormalizationAnswer) -> Check:
    """Every row of the work shown equals the statistic it ends in: exactly, or within half a
    unit of the 4th significant digit where it says approximately."""
    wrong = 0
    for s in answer.statistics:
        for group in s.groups:
            for rows, result in ((group.mean_rows, group.mean), (group.variance_rows, group.variance)):
                for row in rows:
                    gap = abs(row_value(row.rhs) - result)
                    allowed = 0 if row.rel == "=" else abs(result) * 5 * sp.Rational(10) ** -APPROX_DIGITS
                    wrong += bool(gap > allowed)
    return Check(NormalizationParts.statistics.id,
                 "steps shown", "each row of every group's work evaluated again: equal to the result "
                 f"(approximations to {APPROX_DIGITS} significant digits)", float(wrong), 0.0)


PRINTED = "figure and work as printed"


def printed_check(answer: NormalizationAnswer) -> Check:
    """What the solutions draw and write around the statistics, against the definitions
    (DEFINITIONS, not the statistics' axes): the number of disagreements. In each panel of the
    tensor figure, one unit cell per drawn entry, in the order sample, channel, feature, on its
    sample's row and at its own place, shaded exactly when it is in the first entry's group;
    each channel's number centred under its block of cells, the blocks one cell apart and the
    title centred over them all. In each normalization's work, as many groups as the definition
    makes, "group" plural exactly when there are several, the groups written out and those said
    not to be adding up to them, and every result that is not an integer also shown
    approximately."""
    figure = shown.figure(answer)
    drawn = list(itertools.product(range(figure.samples), range(figure.channels), range(figure.features)))
    wrong = 0
    for panel in figure.panels:
        first = DEFINITIONS[panel.kind](0, 0)
        group = {e for e in drawn if all(isinstance(i, slice) or e[a] == i for a, i in enumerate(first))}
        cells = panel.cells
        wrong += len(cells) != len(drawn) or len({(c.x, c.y) for c in cells}) != len(cells)
        wrong += sum(cell.y != e[0] or cell.shaded != (e in group) for e, cell in zip(drawn, cells, strict=False))
        blocks = [[cell.x for e, cell in zip(drawn, cells, strict=False) if e[1] == c] for c in range(figure.channels)]
        spans = [(min(xs), max(xs) + 1) for xs in blocks if xs]
        wrong += len(spans) != figure.channels or any(b[0] - a[1] != 1 for a, b in itertools.pairwise(spans))
        wrong += sum(float(label.x) != sum(spans[label.channel - 1]) / 2 for label in figure.columns
                     if label.channel <= len(spans))
        wrong += bool(spans) and float(figure.title_x) != (spans[0][0] + spans[-1][1]) / 2
    wrong += [label.channel for label in figure.columns] != list(range(1, figure.channels + 1))
    x = answer.tensor
    for statistic, section in zip(answer.statistics, (shown.section(s) for s in answer.statistics), strict=True):
        groups = by_definition(x.astype(float), statistic.kind, np.mean)[1].size
        written = sum(row.lhs is not None for row in section.rows) // len(MOMENTS)  # a mean and a variance each
        wrong += section.groups != groups or section.plural != (groups > 1) or written + section.hidden != groups
        for g in statistic.groups:
            for rows, result in ((g.mean_rows, g.mean), (g.variance_rows, g.variance)):
                wrong += (result.q != 1) != any(row.rel != "=" for row in rows)
    return Check(NormalizationParts.statistics.id, PRINTED, "the tensor figure's cells, shading and labels, and "
                 "each normalization's groups and approximations as the solutions print them, against the "
                 "definitions", float(wrong), 0.0)


def torch_payload(answer: NormalizationAnswer,
                  section: Section) -> tuple[np.ndarray, list[tuple[str, int, np.ndarray, np.ndarray]]]:
    """The tensor and the published statistics as floats: all the PyTorch check needs."""
    stats = [(s.kind, s.count, _published_statistic(section, s.kind, "mean", KINDS[s.kind][0]),
              _published_statistic(section, s.kind, "variance", KINDS[s.kind][0])) for s in answer.statistics]
    return answer.tensor.astype(float), stats


# --- The question sheet, variants and grading -------------------------------------------------

def _values(answer: NormalizationAnswer, field: str) -> list[Any]:
    return [x for s in answer.statistics for x in getattr(s, field).flat]


def _small_denominators(answer: NormalizationAnswer, spec: VariantsSpec) -> bool:
    limit = NORMALIZATION.vary_of(spec).max_denominator
    return all(x.q <= limit for x in _values(answer, "mean") + _values(answer, "variance"))


class Normalization(Question[NormalizationAnswer, "NormalizationView", "NormalizationPrompt"]):
    key = KEY
    title = "Normalization"
    parts = NormalizationParts
    properties = {
        "nonzero_variance": Property(lambda answer, _: all(x != 0 for x in _values(answer, "variance"))),
        "small_denominators": Property(_small_denominators),
    }

    def derive(self, config: Config) -> NormalizationAnswer:
        return derive(config)

    def plan(self, answer: NormalizationAnswer, config: Config, published: Section | None = None) -> Planned:
        return plan(answer, config, published)

    def view(self, answer: NormalizationAnswer, pytorch: bool) -> NormalizationView:
        return view(answer)

    def as_json(self, answer: NormalizationAnswer) -> dict[str, Any]:
        return as_json(answer)

    def boxed(self, section: Section) -> list[Boxed]:
        return boxed(section)

    def worked(self, answer: NormalizationAnswer) -> dict[str, tuple[str, tuple[Row, ...]]]:
        """Each statistic's work for its first groups, as the PDF shows it."""
        return {s.kind: (f"Question {self.number}, {s.kind} normalization ({min(len(s.groups), SHOWN_GROUPS)} of "
                         f"{len(s.groups)} statistics)", tuple(r for g in s.groups[:SHOWN_GROUPS] for r in g.rows))
                for s in answer.statistics}

    def prompt(self, config: Config) -> NormalizationPrompt:
        return prompt(config)

    def randomize(self, rng: random.Random, spec: VariantsSpec) -> Table:
        n, c, length = rng.choice(NORMALIZATION.vary_of(spec).shapes)
        low, high = NORMALIZATION.vary_of(spec).entries
        return {"tensor": [[[rng.randint(low, high) for _ in range(length)] for _ in range(c)] for _ in range(n)]}

    def misconceptions(self, config: Config) -> list[Misconception]:
        return misconceptions(config)

    def graded(self, key: dict[str, Any]) -> list[GradedPart]:
        share = Fraction(self.parts.statistics.points) / (len(KINDS) * len(MOMENTS))
        out = []
        for kind in KINDS:
            for stat in MOMENTS:
                value = get(key, self.key, kind, stat)
                out.append(GradedPart(field(kind, stat), self.parts.statistics.id, share, TENSOR, value,
                                      (self.key, kind, stat), shape=shape_of(value)))
        return out
