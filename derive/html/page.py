"""solutions.html and questions.html: each question's prose, work, figures, results and checks.

Made from what the PDF is made from: each question's LaTeX template rendered with its view
(read into HTML by derive.html.prose, the drawing macros replaced by HTML from the same view
data: derivations from their rows, the figures from their geometry, the step tables), its
`boxed` answers (from the published answers.json) and the appendix view. Every value reaches
the page through derive.html.markup.finalize.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2

from derive.answer import Row, Terms, Tex
from derive.document_view import AppendixView, CheckRow, head_view
from derive.html import figures
from derive.html.markup import Markup, escape, finalize, math, tex_math, tex_text
from derive.html.prose import Blocks, Reader
from derive.html.prose import cited as prose_cited
from derive.latex import render
from derive.latex.render import terms_tex
from derive.questions.base import Question
from derive.questions.registry import QUESTIONS
from derive.resources import packaged
from derive.version import __version__

if TYPE_CHECKING:
    from derive.config import Config
    from derive.solved import Solved


@dataclass(frozen=True)
class HtmlRow:
    lhs: Markup | None
    rel: Markup
    rhs: Markup | None
    note: Markup


@dataclass(frozen=True)
class Result:
    part: str
    field: str
    math: Markup | None  # None: the field does not read as a formula


@dataclass(frozen=True)
class Candidate:
    words: Markup
    parent_score: Markup
    logp: Markup
    score: Markup
    kept: bool


@dataclass(frozen=True)
class Step:
    t: int
    candidates: tuple[Candidate | None, ...]  # None where the hidden middle is
    hidden: int
    hidden_kept: int


@dataclass(frozen=True)
class StepTable:
    """A step table of 2.4 (derive.questions.decoding.view.StepTable), its words as text and its scores as MathML."""

    caption: str
    steps: tuple[Step | None, ...]
    hidden: int


@dataclass(frozen=True)
class Section:
    anchor: str
    number: str
    title: str
    body: Markup  # the question's prose, work and figures, in the PDF's order
    results: tuple[Result, ...]


@dataclass(frozen=True)
class CheckErrors:
    """A check's row of the appendix view with its error and tolerance as MathML."""

    row: CheckRow
    max_error: Markup
    tolerance: Markup


def mixed(note: str) -> Markup:
    """A note: plain text escaped; Tex with $...$ spans as text and MathML in turn."""
    if not isinstance(note, Tex):
        return escape(note)
    pieces = re.split(r"(?<!\\)\$", str(note))  # an escaped \$ is text
    return Markup("".join(str(tex_math(Tex(p)) if i % 2 else tex_text(Tex(p))) for i, p in enumerate(pieces)))


def boxed(content: str) -> Markup:
    """A box's content: text with $...$ spans (the PDF's \\answertext) or a formula (\\answerbox)."""
    return mixed(Tex(content)) if "$" in content else tex_math(Tex(content), block=True)


def _side(value: Any) -> Markup | None:
    if value is None:
        return None
    return math(Tex(terms_tex(value)) if isinstance(value, Terms) else value)


def html_row(row: Row) -> HtmlRow:
    return HtmlRow(_side(row.lhs), tex_math(Tex(row.rel)), _side(row.rhs), mixed(row.note))


def _candidate(c: Any) -> Candidate | None:
    if c is None:
        return None
    return Candidate(tex_text(c.words), math(c.parent_score), math(c.logp), math(c.score), c.kept)


def step_table(caption: str, table: Any) -> StepTable:
    steps = tuple(None if s is None else Step(s.t, tuple(_candidate(c) for c in s.candidates.shown),
                                              s.candidates.hidden, s.hidden_kept)
                  for s in table.steps.shown)
    return StepTable(caption, steps, table.steps.hidden)


def _blocks(name: str) -> Any:
    return getattr(environment().get_template("blocks.html.j2").module, name)


def macros(reader: Reader, view: dict[str, Any]) -> dict[str, Any]:
    """The drawing macros of templates/macros.tex.j2 as the HTML edition calls them: each puts
    HTML made from the same view data into the reader's blocks and leaves its placeholder."""
    search = getattr(view.get("v"), "search", None)
    blocks = reader.blocks

    def derivation(rows: Any, inline: bool = False) -> Tex:
        return blocks.put(reader.region("Derivation", Markup(_blocks("work")(tuple(html_row(r) for r in rows)))))

    def draw_tree(fig: Any) -> Tex:
        drawn = reader.region("Figure", figures.tree_svg(fig, "fig-tree"))
        return blocks.put(Markup(_blocks("tree")(drawn, fig.marked, fig.legend)))

    def table(view_table: Any) -> Tex:
        greedy = search is not None and view_table is getattr(search, "greedy_table", None)
        caption = "Greedy decoding, step by step" if greedy else "Beam search, step by step"
        return blocks.put(Markup(_blocks("step_table")(step_table(caption, view_table))))

    return {"derivation": derivation, "draw_tree": draw_tree, "step_table": table}


def prose(template: str, view: dict[str, Any], name: str, cited: dict[str, int] | None = None,
          **context: Any) -> Markup:
    """A LaTeX template of the PDF, rendered with `view` and read into HTML; `name` names the
    document (its boxes that scroll are named after it), `cited` numbers the references."""
    reader = Reader(name, Blocks(), figures.of(view), cited)
    latex = render.environment().get_template(template).render(**context, **view, **macros(reader, view))
    return reader.paragraphs(latex)


def references() -> tuple[Markup, dict[str, int]]:
    """The PDF's references as HTML, and each one's number for the questions' citations."""
    latex = render.render("references.tex.j2")
    return Reader("the references").paragraphs(latex), prose_cited(latex)


def section(q: Question[Any, Any, Any], published: dict[str, Any], view: dict[str, Any],
            cited: dict[str, int]) -> Section:
    results = tuple(Result(b.part.id, b.field, None if b.tex is None else boxed(b.tex))
                    for b in q.boxed(published[q.key]))
    body = prose(q.solutions_template, view, f"question {q.number}", cited, heading=q.heading())
    return Section(f"q{q.number}", q.number, q.title, body, results)


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(packaged("templates") / "html")),
                              autoescape=False, finalize=finalize, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env


def solutions_html(solved: Solved, appendix: AppendixView) -> str:
    """solutions.html of a solved build whose checks all passed."""
    config = solved.config
    head = head_view(config.document.title, __version__, config.document.variant_id)
    listed, cited = references()
    sections = [section(q, solved.published, {"v": q.view(solved.answers[q.key], solved.pytorch)},
                        cited) for q in QUESTIONS]
    style = Markup((packaged("templates") / "html" / "style.css").read_text(encoding="utf-8"))
    return environment().get_template("solutions.html.j2").render(
        head=head, version=__version__, sections=sections, appendix=appendix, style=style,
        check_rows=tuple(CheckErrors(c, math(c.max_error), math(c.tolerance)) for c in appendix.check_rows),
        cited=mixed(head.cited), references=listed)


@dataclass(frozen=True)
class SheetSection:
    anchor: str
    number: str
    title: str
    points: int
    body: Markup


def questions_html(config: Config) -> str:
    """questions.html: the question sheet's instructions, conventions and questions, read from
    the sheet's LaTeX templates with the same prompts (no answers: the sheet's views hold none)."""
    from derive.grading.conventions import conventions
    from derive.sheet import sheet_title

    sections = [SheetSection(f"q{q.number}", q.number, q.title, q.heading().points,
                             prose(q.sheet_template, {"d": q.prompt(config)}, f"question {q.number}",
                                   heading=q.heading()))
                for q in QUESTIONS]
    style = Markup((packaged("templates") / "html" / "style.css").read_text(encoding="utf-8"))
    return environment().get_template("questions.html.j2").render(
        title=sheet_title(config), version=__version__, student=config.document, style=style,
        total=sum(s.points for s in sections), sections=sections,
        instructions=prose("sheet/instructions.tex.j2", {}, "the instructions"),
        conventions=prose("sheet/conventions.tex.j2", {"c": conventions(config)}, "the conventions"))
