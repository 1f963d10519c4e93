"""Rendering: a Jinja environment with LaTeX-safe delimiters and one escaping choke point.

Every `\\VAR{...}` goes through `finalize`: trusted LaTeX (`Tex`) passes as it is, SymPy
objects go through derive's printer, plain strings are escaped, anything else is an error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import sympy as sp

from derive import charset
from derive.answer import Row, Terms, Tex
from derive.latex import layout
from derive.latex.escaping import escape
from derive.latex.printer import tex
from derive.resources import packaged


def terms_tex(value: Terms) -> str:
    """A sum term by term; the middle is elided past `value.show` terms, or sooner when the
    terms would not fit the line (the first terms, `\\cdots`, the last two, or at the narrowest
    the first and the last)."""
    parts = [tex(t) for t in value.terms]
    outside = [tex(x) for x in (value.factor, value.minus) if x is not None]
    budget = layout.TEXT_WIDTH_EM - 8 - layout.width_em(" ".join(outside))
    head, tail = (value.show - 2, 2) if len(parts) > value.show else (len(parts), 0)
    while head + tail > 2 and layout.width_em(" + ".join(parts[:head] + parts[len(parts) - tail:])) > budget:
        if head == len(parts):  # everything shown: elide at least two terms, if there are enough
            if len(parts) < 5:
                break
            head, tail = len(parts) - 4, 2
        elif head > 1:
            head -= 1
        else:
            tail = 1
    if head < len(parts):
        parts = [*parts[:head], r"\cdots", *parts[len(parts) - tail:]]
    body = ""
    for i, part in enumerate(parts):
        if i and part.startswith("-"):
            body += " - " + part[1:].lstrip()
        else:
            body += (" + " if i else "") + part
    if value.factor is not None:
        body = rf"{tex(value.factor)}\left({body}\right)"
    if value.minus is not None:
        body += " - " + tex(value.minus)
    return body


def finalize(value: Any) -> str:
    if isinstance(value, Tex):
        return str(value)
    if isinstance(value, str):
        return str(escape(value))
    if isinstance(value, bool):
        raise TypeError("a bare boolean reached the template; say what it means")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise TypeError(f"a bare float reached the template ({value!r}); format it in the view "
                        "with derive.latex.formatting")
    if isinstance(value, Terms):
        return terms_tex(value)
    if isinstance(value, sp.Basic):
        return tex(value)
    raise TypeError(f"cannot put a {type(value).__name__} into LaTeX: {value!r}")


def template_dir() -> Path:
    """Templates ship inside the wheel as derive/templates; in a source tree they are ../templates."""
    return packaged("templates")


_FOLDERS: list[Path] = []  # the template folders of questions kept outside derive, after derive's own


def add_folder(folder: Path) -> None:
    """Also looks for templates in `folder` (a question registered from outside derive)."""
    if folder not in _FOLDERS:
        _FOLDERS.append(folder)
        environment.cache_clear()


@functools.cache
def environment() -> jinja2.Environment:
    """One per process: Jinja compiles each template once."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(template_dir()), *map(str, _FOLDERS)]),
        block_start_string=r"\BLOCK{",
        block_end_string="}",
        variable_start_string=r"\VAR{",
        variable_end_string="}",
        comment_start_string=r"\#{",
        comment_end_string="}",
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
    )
    for name in MACROS:
        env.globals[name] = _macro(name, LAID_OUT.get(name))
    env.globals["unicode_declarations"] = Tex(charset.preamble())
    return env


# The shared template macros (templates/macros.tex.j2), called from templates as functions that
# return Tex: what they print is built from already-finalized pieces.
# `derivation` and `matrix_result` are laid out here first (line breaks, what fits the line).
MACROS = ("derivation", "matrix_result", "path_list", "draw_tree", "step_table")


def _macro(name: str, layout: Callable[..., Any] | None = None) -> Any:
    """The macro as a function returning Tex; with `layout`, the template's arguments are laid
    out first and the macro prints the result."""
    def call(*args: Any, **kwargs: Any) -> Tex:
        if layout is not None:
            args, kwargs = (layout(*args, **kwargs),), {}
        return Tex(getattr(environment().get_template("macros.tex.j2").module, name)(*args, **kwargs))
    return call


@dataclass(frozen=True)
class PlacedRow:
    """A row of an aligned derivation with where it goes: after a line break, and aligned at
    the relation (a continuation line) or not (a row that continues the line before)."""

    row: Row
    newline: bool
    align: bool


def place_rows(rows: Sequence[Row], inline: bool = False) -> tuple[PlacedRow, ...]:
    """Each row on its own line; with `inline`, rows without a left side continue the line
    before until it would outgrow the text width, then go on the next line, aligned."""
    placed, line = [], 0.0
    for i, row in enumerate(rows):
        em = sum(layout.width_em(finalize(part)) for part in (row.rel, row.rhs, row.note)) + 1
        wrap = inline and row.lhs is None and i > 0 and line + em > layout.TEXT_WIDTH_EM - 2
        placed.append(PlacedRow(row, i > 0 and (row.lhs is not None or not inline or wrap),
                                row.lhs is None and (not inline or wrap)))
        if row.lhs is not None:
            line = em + layout.width_em(finalize(row.lhs))
        else:
            line = em + 2 if wrap or not inline else line + em
    return tuple(placed)


# The macros whose arguments Python lays out before they print: a template calls
# derivation(rows, inline) and matrix_result(label, matrix, where).
LAID_OUT: dict[str, Callable[..., Any]] = {"derivation": place_rows, "matrix_result": layout.matrix_shown}


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
