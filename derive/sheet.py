"""The question sheet: every question restated with this config's data, and no answers."""

from __future__ import annotations

import functools
from typing import Any

from derive.config import Config, default_text, parse_toml
from derive.grade.conventions import conventions
from derive.latex.render import render
from derive.questions import QUESTIONS, Question

SHEET_TITLE = "Assignment 2, theoretical part: questions"  # for the default title, which says "solutions"


@functools.cache
def default_title() -> str:
    return parse_toml(default_text(), "default.toml")["document"]["title"]


def sheet_title(config: Config) -> str:
    title = config.document.title
    return SHEET_TITLE if title == default_title() else title


def question_prompt(q: Question[Any], config: Config) -> str:
    """A question as the sheet restates it: its heading (number, title, points) and its prompt,
    the config's data from `Question.prompt` (nothing derived, searched or checked, so the
    sheet cannot leak a result)."""
    return render(f"sheet/{q.key}.tex.j2", heading=q.heading(), **q.prompt(config))


def sheet_source(config: Config) -> str:
    total = sum(q.heading().points for q in QUESTIONS)
    parts = [render("sheet/head.tex.j2", title=sheet_title(config), total=total)]
    parts.append(render("sheet/conventions.tex.j2", c=conventions(config)))
    parts += [question_prompt(q, config) for q in QUESTIONS]
    return "".join(parts) + "\\end{document}\n"
