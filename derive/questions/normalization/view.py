"""Question 1's views: the finished data its solutions section and its question sheet print.

`view` turns a derived answer into a `NormalizationView` (templates/normalization/solutions.tex.j2),
`prompt` a config into a `NormalizationPrompt` (templates/normalization/sheet.tex.j2). Both
hold only formatted LaTeX (`Tex`), prose, numbers, flags, and the rows and matrices the shared
macros print: the templates compute nothing. The figure's geometry (its cell size, where each
cell is, which cells are shaded, which entries are written) is decided here.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from derive.answer import Boxed, Row, Tex
from derive.config import Config
from derive.latex import formatting, layout, notation
from derive.published import Section as Published
from derive.published import at, rationals, read
from derive.questions.normalization.answer import (
    AXES,
    KINDS,
    MOMENTS,
    NormalizationAnswer,
    NormalizationParts,
    Statistic,
    field,
)
from derive.questions.normalization.settings import SECTION as NORMALIZATION

# The figure draws at most the first 6 samples, 4 channels and 6 features: the pattern is the same beyond.
FIGURE_LIMITS = (6, 4, 6)
CELL_CM = 0.42  # a cell's side at most
ROW_CM = 4.2  # a drawn row's length at most: its cells and a cell's gap between channel blocks
GAP_CM = 0.6  # between panels: three panels of ROW_CM and their gaps fit the 17.2 cm of text
WRITTEN_CELLS = 12  # entries are written in the cells when a drawn row has at most this many ...
WRITTEN_EM = 1.7  # ... and the widest entry drawn is at most this wide
SHOWN_GROUPS = 8  # groups whose computation is written out per normalization; answers.json has all


@dataclass(frozen=True)
class Dimension:
    """An axis of the tensor: the symbols of its index and of its size, and its size."""

    symbol: Tex  # n
    size_symbol: Tex  # N
    size: int


@dataclass(frozen=True)
class Kind:
    """A normalization as the prose names it: the labels of its results and what it reduces over."""

    name: str  # batch
    title: str  # Batch
    mean: Tex  # \mu_{\text{batch}}
    variance: Tex
    reduced: Tex  # the sizes it reduces over: (N, L), or L alone
    per: str  # what one of its statistics belongs to: channel; sample and channel


@dataclass(frozen=True)
class Cell:
    """One drawn entry of the tensor, in cell units from the top left corner."""

    x: int  # the block of its channel, then its feature within the block
    y: int  # its sample
    shaded: bool  # it shares its statistic with the first entry
    entry: Tex | None  # written in the cell; None when the entries are not written


@dataclass(frozen=True)
class Panel:
    """The drawn entries of the tensor, shaded for one normalization."""

    kind: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class ColumnLabel:
    """A channel's number under its block of cells."""

    x: Tex
    channel: int  # counted from 1


@dataclass(frozen=True)
class Figure:
    """One panel per normalization, side by side, and what the caption says about them."""

    unit: Tex  # a cell's side, in cm
    gap: Tex  # after each panel, in cm
    panels: tuple[Panel, ...]
    title_x: Tex  # the middle of a panel
    columns: tuple[ColumnLabel, ...]
    samples: int  # drawn
    channels: int
    features: int
    cropped: bool  # fewer samples, channels or features drawn than the tensor has
    written: bool  # the entries are written in the cells


@dataclass(frozen=True)
class Result:
    """One boxed matrix result and where answers.json has it."""

    label: Tex
    matrix: sp.ImmutableMatrix
    where: str


@dataclass(frozen=True)
class Section:
    """One normalization's worked statistics."""

    kind: Kind
    axes: Tex  # the reduced axes by number: 0, 2
    reduced: tuple[Tex, ...]  # their names: n, l
    description: str
    count: int  # entries per group
    groups: int
    plural: bool  # more than one group
    rows: tuple[Row, ...]  # the work of the groups shown
    hidden: int  # groups whose work is not shown
    the_others: str  # "The other group is", "The other 9 groups are"
    keepdims: tuple[int, ...]  # the statistic's shape
    results: tuple[Result, ...]


@dataclass(frozen=True)
class NormalizationView:
    """Everything the solutions section prints."""

    axes: tuple[Dimension, ...]
    kinds: tuple[Kind, ...]
    mean: Tex  # the mean's symbol
    variance: Tex
    figure: Figure
    sections: tuple[Section, ...]
    tensor_key: str  # where the configuration has the tensor


@dataclass(frozen=True)
class NormalizationPrompt:
    """Everything the question sheet prints: the config's tensor and the names it asks about."""

    axes: tuple[Dimension, ...]
    kinds: tuple[Kind, ...]
    mean: Tex
    variance: Tex
    samples: tuple[sp.ImmutableMatrix, ...]  # each sample as a channels x features matrix


def symbol(moment: str) -> Tex:
    """A statistic's symbol: `symbol("mean")` is \\mu."""
    return Tex(notation.name(MOMENTS[moment]).latex)


def label(moment: str, kind: str) -> Tex:
    """A result's symbol: `label("mean", "batch")` is \\mu_{\\text{batch}}."""
    return Tex(rf"{symbol(moment)}_{{\text{{{kind}}}}}")


def dimensions(shape: Sequence[int]) -> tuple[Dimension, ...]:
    return tuple(Dimension(Tex(axis.name), Tex(axis.size), size) for axis, size in zip(AXES, shape, strict=True))


def kind(name: str) -> Kind:
    """A normalization's names, and what it reduces over as KINDS has it."""
    axes = KINDS[name][0]
    sizes = ", ".join(AXES[a].size for a in axes)
    return Kind(name=name, title=name.capitalize(), mean=label("mean", name), variance=label("variance", name),
                reduced=Tex(f"({sizes})" if len(axes) > 1 else sizes),
                per=" and ".join(axis.noun for a, axis in enumerate(AXES) if a not in axes))


def kinds() -> tuple[Kind, ...]:
    return tuple(kind(name) for name in KINDS)


def figure(answer: NormalizationAnswer) -> Figure:
    """The first samples, channels and features (up to FIGURE_LIMITS), one panel per normalization."""
    samples, channels, features = (min(size, limit) for size, limit in zip(answer.tensor.shape, FIGURE_LIMITS,
                                                                            strict=True))
    entries = np.vectorize(formatting.exact, otypes=[object])(answer.tensor[:samples, :channels, :features])
    written = channels * features <= WRITTEN_CELLS and max(map(layout.width_em, entries.flat)) <= WRITTEN_EM
    return Figure(
        unit=formatting.fixed(min(CELL_CM, ROW_CM / (channels * features + channels - 1)), 3),
        gap=formatting.short(GAP_CM),
        panels=tuple(_panel(s, entries, written) for s in answer.statistics),
        title_x=formatting.short((channels * (features + 1) - 1) / 2),
        columns=tuple(ColumnLabel(formatting.short(c * (features + 1) + features / 2), c + 1) for c in range(channels)),
        samples=samples, channels=channels, features=features,
        cropped=entries.shape != answer.tensor.shape, written=written)


def _panel(statistic: Statistic, entries: np.ndarray, written: bool) -> Panel:
    """The drawn entries, sample by sample, channel by channel: channel blocks one cell apart.
    Shaded: the entries that share their statistic with the first one."""
    features = entries.shape[2]
    cells = []
    for n, c, f in itertools.product(*map(range, entries.shape)):
        shaded = all(a in statistic.axes or i == 0 for a, i in enumerate((n, c, f)))
        cells.append(Cell(c * (features + 1) + f, n, shaded, entries[n, c, f] if written else None))
    return Panel(statistic.kind, tuple(cells))


def section(statistic: Statistic) -> Section:
    """A normalization's statistics: the work of the first SHOWN_GROUPS groups, and its results."""
    groups = len(statistic.groups)
    shown = statistic.groups[:SHOWN_GROUPS]
    return Section(
        kind=kind(statistic.kind),
        axes=Tex(", ".join(str(a) for a in statistic.axes)),
        reduced=tuple(Tex(AXES[a].name) for a in statistic.axes),
        description=statistic.description, count=statistic.count, groups=groups, plural=groups > 1,
        rows=tuple(row for group in shown for row in group.rows), hidden=groups - len(shown),
        the_others=_the_others(groups - len(shown)),
        keepdims=statistic.mean.shape,
        results=tuple(Result(label(moment, statistic.kind), statistic.matrix(moment), field(statistic.kind, moment))
                      for moment in MOMENTS))


def view(answer: NormalizationAnswer) -> NormalizationView:
    return NormalizationView(axes=dimensions(answer.tensor.shape), kinds=kinds(), mean=symbol("mean"),
                             variance=symbol("variance"), figure=figure(answer),
                             sections=tuple(section(s) for s in answer.statistics), tensor_key=field("tensor"))


def prompt(config: Config) -> NormalizationPrompt:
    cfg = NORMALIZATION.of(config)
    return NormalizationPrompt(axes=dimensions(cfg.shape), kinds=kinds(), mean=symbol("mean"),
                               variance=symbol("variance"),
                               samples=tuple(sp.ImmutableMatrix(sample) for sample in cfg.tensor))


def _the_others(hidden: int) -> str:
    return "The other group is" if hidden == 1 else f"The other {hidden} groups are"


def boxed(section: Published) -> list[Boxed]:
    """Each statistic's box as the solutions print it (label = exact matrix), made from the
    published section: its keepdims values read back, the feature axis dropped."""
    out = []
    for kind in KINDS:
        for moment in MOMENTS:
            values = read(rationals, read(at, section, f"{kind}.{moment}"))
            tex = None
            if values is not None and values.ndim == 3 and values.shape[2] == 1:
                matrix = sp.ImmutableMatrix(values[:, :, 0].tolist())
                shown = layout.matrix_shown(label(moment, kind), matrix, field(kind, moment))
                tex = f"{shown.label} = {shown.exact}"
            out.append(Boxed(NormalizationParts.statistics, field(kind, moment), tex))
    return out
