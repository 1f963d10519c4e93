"""Question normalization: its answer, derived from the config, and the answer's answers.json section."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from derive.answer import Row, Terms, Tex
from derive.config import Config
from derive.latex.notation import Subscripted
from derive.questions.base import Part, Parts
from derive.questions.normalization.settings import SECTION as NORMALIZATION

if TYPE_CHECKING:
    pass

APPROX_DIGITS = 4  # the approximations shown: sp.Float(value, 4)
KEY = "normalization"  # the config section, the answers.json key, the templates' name


def field(*path: str) -> str:
    """A dotted key under this question's: `field("batch", "mean")` is "normalization.batch.mean"."""
    return ".".join((KEY, *path))


@dataclass(frozen=True)
class Axis:
    """An axis of the (N, C, L) tensor: the letters of its index and of its size, and what one index is."""

    name: str  # its index: n
    size: str  # its size: N
    noun: str  # what one index is: a sample


AXES = (Axis("n", "N", "sample"), Axis("c", "C", "channel"), Axis("l", "L", "feature"))
AXIS_NAMES = tuple(axis.name for axis in AXES)

# kind -> (reduced axes, what one group of entries sharing a statistic is)
KINDS: dict[str, tuple[tuple[int, ...], str]] = {
    "batch": ((0, 2), "per channel over the batch and the features"),
    "layer": ((1, 2), "per sample over the channels and the features"),
    "instance": ((2,), "per sample and channel over the features"),
}
# statistic -> its symbol's name in derive/latex/notation.py: the fields of each kind in answers.json,
# the symbols of a group's work and the labels of the results
MOMENTS: dict[str, str] = {"mean": "mu", "variance": "sigma2"}


class NormalizationParts(Parts):
    """Question 1 has no sub-questions: its six statistics are worth 6 points."""

    statistics = Part(None, 6, inputs=("normalization.tensor",))


@dataclass(frozen=True)
class Group:
    """One set of entries that share a statistic, with its worked computation."""

    index: tuple[int, ...]  # keepdims index: 0 on reduced axes
    values: tuple[sp.Rational, ...]
    mean: sp.Rational
    variance: sp.Rational
    mean_rows: tuple[Row, ...]
    variance_rows: tuple[Row, ...]

    @property
    def rows(self) -> list[Row]:
        return [*self.mean_rows, *self.variance_rows]


@dataclass(frozen=True)
class Statistic:
    kind: str
    axes: tuple[int, ...]
    description: str
    count: int
    mean: np.ndarray  # object array of Rationals, keepdims shape
    variance: np.ndarray
    groups: tuple[Group, ...]

    def matrix(self, which: str) -> sp.ImmutableMatrix:
        """The statistic `which` (a key of MOMENTS) as an (N or 1) x (C or 1) matrix: the feature
        axis is always reduced."""
        return sp.ImmutableMatrix(getattr(self, which)[:, :, 0].tolist())


@dataclass(frozen=True)
class NormalizationAnswer:
    tensor: np.ndarray  # object array of Rationals, (N, C, L)
    statistics: tuple[Statistic, ...]

    def statistic(self, kind: str) -> Statistic:
        return next(s for s in self.statistics if s.kind == kind)


def derive(config: Config) -> NormalizationAnswer:
    tensor = np.array(NORMALIZATION.of(config).tensor, dtype=object)
    return NormalizationAnswer(tensor, tuple(_statistic(tensor, kind) for kind in KINDS))


def _statistic(tensor: np.ndarray, kind: str) -> Statistic:
    axes, description = KINDS[kind]
    count = int(np.prod([tensor.shape[a] for a in axes]))
    mean, variance, groups = over_axes(tensor, axes)
    return Statistic(kind, axes, description, count, mean, variance, groups)


def over_axes(tensor: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, tuple[Group, ...]]:
    """The mean and the (biased) variance over `axes`, keepdims, and their groups' work."""
    keep_shape = tuple(1 if a in axes else s for a, s in enumerate(tensor.shape))
    mean = np.empty(keep_shape, dtype=object)
    variance = np.empty(keep_shape, dtype=object)
    groups = []
    for index in itertools.product(*(range(s) for s in keep_shape)):
        selector = tuple(slice(None) if a in axes else i for a, i in enumerate(index))
        values = tuple(tensor[selector].ravel())
        group = _group(index, values, axes)
        mean[index], variance[index] = group.mean, group.variance
        groups.append(group)
    return mean, variance, tuple(groups)


def _group(index: tuple[int, ...], values: tuple[sp.Rational, ...], axes: tuple[int, ...]) -> Group:
    """One group's statistics and work, kept per process by its place, values and axes and by the
    names it prints (a variant's draw and its build derive the same tensor; a test renames)."""
    return _worked(index, values, axes, AXIS_NAMES, tuple(MOMENTS.items()), APPROX_DIGITS)


@functools.lru_cache(maxsize=1024)
def _worked(index: tuple[int, ...], values: tuple[sp.Rational, ...], axes: tuple[int, ...],
            *names: object) -> Group:
    """(`names`: AXIS_NAMES, MOMENTS and APPROX_DIGITS, read here, as the cache key only.)"""
    m = sp.Integer(len(values))
    group = [sp.Eq(sp.Symbol(AXIS_NAMES[a]), index[a] + 1) for a in range(3) if a not in axes]  # c = 1, ...
    mu, sigma2 = Subscripted(MOMENTS["mean"], *group), Subscripted(MOMENTS["variance"], *group)
    total = sp.Add(*values)
    mean = total / m
    squares = sp.Add(*[v**2 for v in values])
    variance = squares / m - mean**2
    # The definition, evaluated independently, must agree with the shortcut used to show work.
    assert variance == sp.Add(*[(v - mean) ** 2 for v in values]) / m
    inv = sp.Rational(1, len(values))
    approx = Tex(r"\approx")
    mean_rows = [Row(mu, Terms(values, factor=inv))]
    if mean.q != m:  # the fraction reduces: show it before reducing
        mean_rows.append(Row(None, sp.Mul(total, sp.Pow(m, -1, evaluate=False), evaluate=False)))
    mean_rows += ([Row(None, mean), Row(None, sp.Float(mean, APPROX_DIGITS), rel=approx)] if mean.q != 1
                  else [Row(None, mean)])
    variance_rows = [
        Row(sigma2, Terms(tuple(sp.Pow(v, 2, evaluate=False) for v in values), factor=inv,
                          minus=sp.Pow(mean, 2, evaluate=False))),
        Row(None, sp.Add(squares / m, sp.Mul(-1, sp.Pow(mean, 2, evaluate=False), evaluate=False),
                         evaluate=False)),
        Row(None, variance),
    ]
    if variance.q != 1:
        variance_rows.append(Row(None, sp.Float(variance, APPROX_DIGITS), rel=approx))
    return Group(index, values, mean, variance, tuple(mean_rows), tuple(variance_rows))


def as_json(answer: NormalizationAnswer) -> dict[str, Any]:
    def strings(array: np.ndarray) -> Any:
        return np.vectorize(str, otypes=[object])(array).tolist()

    return {
        s.kind: {"axes": list(s.axes)} | {moment: strings(getattr(s, moment)) for moment in MOMENTS}
        for s in answer.statistics
    }


# Which entries share one statistic, restated from the definitions for the checks (not read from
# KINDS): an index with a slice on every axis the statistic reduces.
DEFINITIONS: dict[str, Any] = {
    "batch": lambda n, c: (slice(None), c, slice(None)),  # per channel
    "layer": lambda n, c: (n, slice(None), slice(None)),  # per sample
    "instance": lambda n, c: (n, c, slice(None)),  # per sample and channel
}
