"""The grader's documents (feedback sheets, the class report) as PyLaTeX documents, compiled by
the project's hardened pdflatex runner (derive/latex/compile.py). Every string that is not
derive's own (ids, file names, reasons quoting a submission) goes through `text`, which escapes
it with derive's escaping choke point after replacing what the fonts cannot print."""

from __future__ import annotations

from collections.abc import Sequence

from pylatex import Axis, Command, Document, NoEscape, Package

from derive import charset
from derive.latex import layout  # noqa: F401  (escaping and layout import each other: layout first)
from derive.latex.compile import compile_pdf
from derive.latex.escaping import escape

UNPRINTABLE = "?"  # stands for a character of a student's text that the fonts cannot print


def text(value: str) -> NoEscape:
    """A string from outside derive, escaped for LaTeX."""
    return NoEscape(escape("".join(ch if ord(ch) in charset.SUPPORTED else UNPRINTABLE for ch in value)))


def breakable(value: str) -> NoEscape:
    """`text`, with line breaks allowed after each '.', '_', '@' and '-': a long field path or
    e-mail id wraps at the margin instead of running past it."""
    escaped = str(text(value))
    for mark in (".", r"\_", "@", "-"):
        escaped = escaped.replace(mark, mark + r"\allowbreak{}")
    return NoEscape(escaped)


def document(title: str) -> Document:
    """A4, 2 cm margins, no paragraph indent, the title (escaped) as a heading."""
    doc = Document(documentclass="article", document_options=["a4paper", "11pt"], indent=False, lmodern=True,
                   geometry_options={"margin": "2cm"}, page_numbers=True)
    doc.packages.append(Package("booktabs"))
    doc.packages.append(Package("array"))
    doc.append(NoEscape(r"{\Large\bfseries " + text(title) + r"\par}\medskip"))
    return doc


class Chart(Axis):
    """A pgfplots axis at a fixed compatibility level (PyLaTeX's Axis asks for the newest, which
    would make the drawing depend on the installed pgfplots)."""

    _latex_name = "axis"
    packages = [Package("pgfplots"), Command("pgfplotsset", "compat=1.16")]


def options(*items: str) -> NoEscape:
    return NoEscape(", ".join(items))


def symbolic(labels: Sequence[str]) -> str:
    """pgfplots' symbolic coordinates for derive's own labels ("2.4(b)"): braces around each."""
    return ",".join("{" + label + "}" for label in labels)


def pdf(doc: Document, name: str) -> bytes:
    """The document compiled by the hardened runner (fixed SOURCE_DATE_EPOCH: same bytes each time)."""
    return compile_pdf(doc.dumps(), name=name).pdf
