"""The question sheet: every question restated with this config's data, and no answers."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from derive.config import Config, default_text, parse_toml
from derive.latex.render import render
from derive.questions import QUESTIONS

SHEET_TITLE = "Assignment 2, theoretical part: questions"  # for the default title, which says "solutions"


@functools.cache
def default_title() -> str:
    return parse_toml(default_text(), "default.toml")["document"]["title"]


def sheet_title(config: Config) -> str:
    title = config.document.title
    return SHEET_TITLE if title == default_title() else title


@dataclass(frozen=True)
class Prompt:
    """A question's sheet view: its points per sub-question and its data, from the config alone
    (`Question.prompt`: nothing derived, searched or checked, so the sheet cannot leak a result)."""

    points: dict[str, int]
    data: Mapping[str, Any]

    @property
    def total(self) -> int:
        return sum(self.points.values())


def sheet_source(config: Config) -> str:
    views = {q.key: Prompt(q.parts.points(), q.prompt(config)) for q in QUESTIONS}
    parts = [render("sheet/head.tex.j2", title=sheet_title(config), total=sum(p.total for p in views.values()))]
    parts += [render(f"sheet/{q.key}.tex.j2", heading=q.heading(), p=views[q.key], points=views[q.key].points)
              for q in QUESTIONS]
    return "".join(parts) + "\\end{document}\n"
