"""`questions-all.pdf`: every student's question sheet in one PDF, in roster order, for printing.

Each sheet is its own compiled questions.pdf, included page for page by LaTeX's pdfpages; a
sheet with an odd number of pages is followed by a blank page that names its id, so that
printed duplex every sheet starts on a new leaf and no leaf holds two students' pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from derive.latex.compile import compile_pdf
from derive.latex.render import render

ALL_SHEETS = "questions-all.pdf"


@dataclass(frozen=True)
class Sheet:
    file: str  # its name beside the merging document
    id: str  # the variant's id, printed on its blank padding page


def all_sheets(sheets: list[tuple[str, bytes]]) -> bytes:
    """One PDF of the sheets (id, questions.pdf) in the order given, each padded to an even page count."""
    files = {f"sheet{i:06d}.pdf": pdf for i, (_, pdf) in enumerate(sheets)}
    listed = [Sheet(file, variant_id) for file, (variant_id, _) in zip(files, sheets, strict=True)]
    return compile_pdf(render("sheet/all.tex.j2", sheets=listed), "questions-all.tex", inputs=files).pdf
