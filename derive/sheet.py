"""The question sheet: every question restated with this config's data, and no answers."""

from __future__ import annotations

import functools
import re
from typing import Any

from derive.config import Config, default_text, parse_toml
from derive.errors import CheckFailed
from derive.grading.conventions import conventions
from derive.latex.render import render
from derive.questions.base import Question
from derive.questions.registry import QUESTIONS

SHEET_TITLE = "Assignment 2, theoretical part: questions"  # for the default title, which says "solutions"


@functools.cache
def default_title() -> str:
    return parse_toml(default_text(), "default.toml")["document"]["title"]


def sheet_title(config: Config) -> str:
    title = config.document.title
    return SHEET_TITLE if title == default_title() else title


def question_prompt(q: Question[Any, Any, Any], config: Config) -> str:
    """A question as the sheet restates it: its heading (number, title, points) and its prompt,
    the config's data from `Question.prompt` (nothing derived, searched or checked, so the
    sheet cannot leak a result)."""
    return render(q.sheet_template, heading=q.heading(), d=q.prompt(config))


def sheet_source(config: Config) -> str:
    """The sheet's LaTeX; refused (a failed check) if it leaves out an input of a graded part."""
    total = sum(q.heading().points for q in QUESTIONS)
    parts = [render("sheet/head.tex.j2", title=sheet_title(config), total=total, student=config.document)]
    parts.append(render("sheet/conventions.tex.j2", c=conventions(config)))
    parts += [question_prompt(q, config) for q in QUESTIONS]
    source = "".join(parts) + "\\end{document}\n"
    missing = missing_inputs(source)
    if missing:
        raise CheckFailed(f"the question sheet does not print {', '.join(missing)}, which graded answers depend on")
    return source


# The sheet's templates mark what prints each input (a config key) and each sub-question they
# say is not graded, in comment lines that TeX ignores.
_GIVEN = re.compile(r"^%<given ([\w. ]+)>\n(.*?)^%</given>$", re.MULTILINE | re.DOTALL)
_NOT_GRADED = re.compile(r"^%<not graded (\S+)>$", re.MULTILINE)


def given_inputs(source: str) -> dict[str, str]:
    """Each input the sheet marks as printed -> the LaTeX that prints it (joined if marked twice;
    one mark may name several inputs that one passage prints)."""
    out: dict[str, str] = {}
    for match in _GIVEN.finditer(source):
        for key in match[1].split():
            out[key] = out.get(key, "") + match[2]
    return out


def not_graded(source: str) -> set[str]:
    """The sub-questions (ids) the sheet says are not graded."""
    return set(_NOT_GRADED.findall(source))


def missing_inputs(source: str) -> list[str]:
    """Every input a sub-question declares (`Part.inputs`) that the sheet does not print, unless
    the sheet says that sub-question is not graded."""
    given = {k for k, latex in given_inputs(source).items() if latex.strip()}
    skipped = not_graded(source)
    needed = {key: None for q in QUESTIONS for part, keys in q.parts.inputs().items() if part not in skipped
              for key in keys}
    return [key for key in needed if key not in given]
