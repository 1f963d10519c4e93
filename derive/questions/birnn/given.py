"""Question 3: the given instance on the question sheet: its entries as printed and whether
they fit, which decides whether the sheet prints the instance (and so whether 3.3's numbers
are graded: answers.json's `instance.on_sheet`)."""

from __future__ import annotations

import numpy as np

from derive.answer import Tex
from derive.latex import formatting, layout
from derive.questions.birnn import model as birnn_model

SHEET_MAX_HIDDEN = 8  # the sheet prints an instance of d <= this whose matrices each fit a line
SHEET_DECIMALS = 2  # entries are printed exactly, with at least this many decimals
SHEET_LABEL_EM = 7.0  # a matrix's label and the space around it, on its line
SHEET_SCALE = 0.9  # the instance is set in \small


def given_cells(array: np.ndarray) -> list[list[Tex | None]]:
    """The entries as printed, by rows; a vector (d x 1) as one row."""
    rows = array.T if array.shape[1] == 1 else array
    return [[formatting.exact_decimal(q, SHEET_DECIMALS) for q in row] for row in rows]


def cells_width(cells: list[list[Tex | None]]) -> float:
    """A bmatrix's estimated width in em of the body font, set in \\small (MatrixExcerpt.width's rule)."""
    width = sum(max(layout.width_em(str(c)) for c in col) + 1.2 for col in zip(*cells, strict=True)) + 1.0
    return width * SHEET_SCALE + SHEET_LABEL_EM


def fits_a_line(cells: list[list[Tex | None]]) -> bool:
    return all(c is not None for row in cells for c in row) and cells_width(cells) <= layout.TEXT_WIDTH_EM


def on_sheet(values: dict[str, np.ndarray]) -> bool:
    """Whether the question sheet prints this instance, so that 3.3's numbers are graded: d at
    most SHEET_MAX_HIDDEN and every array, entries written out exactly, fitting a line."""
    return values["W_f"].shape[0] <= SHEET_MAX_HIDDEN and all(
        fits_a_line(given_cells(values[k])) for k in birnn_model.INSTANCE_KEYS)
