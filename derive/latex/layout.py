"""Fitting results to the page: excerpts of large matrices, elided lists, breakable words.

Widths are estimated, conservatively, in em of the document's 11 pt body font from the
LaTeX that will be printed (about half an em per digit or letter); the layout gate
(scripts/layout.py) checks the compiled PDFs for overfull boxes and overlaps at the
README's limits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import sympy as sp

from derive.answer import Tex
from derive.latex import escaping
from derive.latex.printer import decimal, tex

TEXT_WIDTH_EM = 43.0  # 17.2 cm of text at 11 pt: letter paper with 2.2 cm margins
MAX_MATRIX_ROWS = 10  # more rows than this show the first ones, a row of dots, and the last
MAX_MATRIX_COLS = 10  # amsmath's limit (MaxMatrixCols), dots included
Item = TypeVar("Item")

_COMMAND = re.compile(r"\\(?:left|right|[,;!]|[a-zA-Z]+)")
_FRAC = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")


def width_em(latex: str) -> float:
    """Estimated width of math: fractions count their longer part, commands one glyph, binary
    operators and relations their spacing too."""
    text = latex
    while (shorter := _FRAC.sub(lambda m: m[1] if len(m[1]) >= len(m[2]) else m[2], text)) != text:
        text = shorter
    text = _COMMAND.sub("x", text.replace(r"\left", "").replace(r"\right", ""))
    text = re.sub(r"[{}^_\s]", "", text)
    return 0.55 * len(text) + 0.9 * sum(text.count(op) for op in "+-=<>")


def elide(items: Sequence[Item], head: int, tail: int = 1) -> list[Item | None]:
    """The items, or the first `head` and last `tail` with None standing for the ones between."""
    if len(items) <= head + tail + 1:
        return list(items)
    return [*items[:head], None, *items[len(items) - tail:]]


def span(indices: Sequence[int | None], total: int) -> str:
    """`1--7 and 16 of 16` (LaTeX) for an elided index list (0-based in, 1-based out)."""
    shown = [i for i in indices if i is not None]
    runs: list[list[int]] = []
    for i in shown:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts = [f"{r[0] + 1}" if len(r) == 1 else f"{r[0] + 1}--{r[-1] + 1}" for r in runs]
    return f"{' and '.join(parts)} of {total}"


@dataclass(frozen=True)
class MatrixExcerpt:
    """A matrix as printed: all of it when it fits, else corner blocks around dots."""

    rows: tuple[int | None, ...]
    cols: tuple[int | None, ...]
    shape: tuple[int, int]
    cells: tuple[tuple[str, ...], ...]  # LaTeX of the shown entries, None positions as dots

    @property
    def complete(self) -> bool:
        return None not in self.rows and None not in self.cols

    @property
    def width(self) -> float:
        columns = zip(*self.cells, strict=True) if self.cells else []
        return sum(max(width_em(c) for c in col) + 1.2 for col in columns) + 1.0

    @property
    def tex(self) -> Tex:
        return Tex(r"\begin{bmatrix}" + r" \\ ".join(" & ".join(row) for row in self.cells) + r"\end{bmatrix}")

    @property
    def where(self) -> Tex:
        """Which entries are shown, for the sentence under an excerpt."""
        parts = [f"{name} {span(shown, total)}" for name, shown, total in
                 (("rows", self.rows, self.shape[0]), ("columns", self.cols, self.shape[1])) if None in shown]
        return Tex(", ".join(parts))


def excerpt(matrix: sp.MatrixBase, entry: Callable[[sp.Expr], str], budget: float = TEXT_WIDTH_EM) -> MatrixExcerpt:
    """The largest corner excerpt of `matrix` whose estimated width fits `budget` (em)."""
    rows = tuple(elide(range(matrix.rows), MAX_MATRIX_ROWS - 2))
    shown_rows = [i for i in rows if i is not None]
    last = matrix.cols - 1
    candidates = range(matrix.cols) if matrix.cols <= MAX_MATRIX_COLS else [*range(MAX_MATRIX_COLS - 2), last]
    widths = {j: max(width_em(entry(matrix[i, j])) for i in shown_rows) + 1.2 for j in candidates}
    cols: tuple[int | None, ...] = tuple(range(matrix.cols))
    if matrix.cols > MAX_MATRIX_COLS or sum(widths.values()) + 1.0 > budget:
        used, head = widths[last] + 2.2 + 1.0, 0
        while head < min(last, MAX_MATRIX_COLS - 2) and used + widths[head] <= budget:
            used += widths[head]
            head += 1
        cols = (*range(max(head, 1)), None, last)
    return MatrixExcerpt(rows, cols, (matrix.rows, matrix.cols), tuple(
        tuple(_cell(matrix, i, j, entry, cols) for j in cols) for i in rows))


def _cell(matrix: sp.MatrixBase, i: int | None, j: int | None, entry: Callable[[sp.Expr], str],
          cols: tuple[int | None, ...]) -> str:
    if i is None and j is None:
        return r"\ddots"
    if i is None:
        return r"\vdots" if cols.index(j) in (0, len(cols) - 1) else ""
    if j is None:
        return r"\cdots"
    return entry(matrix[i, j])


def pair_excerpts(matrix: sp.MatrixBase, exact: Callable[[sp.Expr], str], approx: Callable[[sp.Expr], str],
                  budget: float = TEXT_WIDTH_EM) -> tuple[MatrixExcerpt, MatrixExcerpt]:
    """An exact matrix and its decimals, over the same entries, each within `budget`."""
    first = excerpt(matrix, exact, budget)
    second = excerpt(matrix, approx, budget)
    if first.cols != second.cols:  # show the same entries in both: the narrower choice
        keep = first if len(first.cols) < len(second.cols) else second
        rebuild = exact if keep is second else approx
        other = MatrixExcerpt(keep.rows, keep.cols, keep.shape, tuple(
            tuple(_cell(matrix, i, j, rebuild, keep.cols) for j in keep.cols) for i in keep.rows))
        first, second = (other, keep) if keep is second else (keep, other)
    return first, second


@dataclass(frozen=True)
class MatrixShown:
    """A boxed matrix result with its decimals, laid out: side by side when both fit the line,
    else one under the other; `excerpt` says which entries an excerpt shows (None: all)."""

    label: Tex
    exact: Tex
    approx: Tex
    together: bool
    excerpt: Tex | None
    key: Tex  # the answers.json key holding every value


def matrix_shown(label: Tex, matrix: sp.MatrixBase, where: str) -> MatrixShown:
    label_em = width_em(label)
    ex, ap = pair_excerpts(matrix, tex, lambda x: decimal(x, 4), TEXT_WIDTH_EM - label_em - 3)
    together = ex.width + ap.width + label_em + 5 <= TEXT_WIDTH_EM
    return MatrixShown(label, ex.tex, ap.tex, together, None if ex.complete else ex.where,
                       escaping.json_key(where))
