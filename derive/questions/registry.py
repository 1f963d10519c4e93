"""The questions, in the assignment's order: registering a question numbers it (1, 2, ...).

Each question is a `Question` (derive/questions/base.py) in its own package: it derives its
answer from the config, plans the checks of that answer, says what its templates print and
how it appears in answers.json, and provides the instructor kit's hooks. None of them knows
about LaTeX files or paths. The registry must list the keys of derive/questions/sections.py, in
the same order: it refuses to start otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from derive.config_section import ConfigSection
from derive.latex import render
from derive.questions import sections
from derive.questions.base import Question, Registry
from derive.questions.birnn.question import Birnn
from derive.questions.decoding.question import Decoding
from derive.questions.lora.question import Lora
from derive.questions.normalization.question import Normalization

QUESTIONS = Registry(Normalization(), Decoding(), Birnn(), Lora(), tables=sections.keys())

__all__ = ["QUESTIONS", "Question", "register"]


def register(question: Question[Any, Any, Any], section: ConfigSection[Any, Any],
             templates: Path | None = None) -> None:
    """Adds a question kept outside derive after the assignment's (tests/fixtures/toy): its config
    tables, the question, and the folder holding its templates/<key>/ (None: derive's own). Call
    it before the first config is read; a question of derive's own is a line in sections.py and
    one in QUESTIONS instead. It registers in this process only: workers forked later inherit
    it, workers spawned (where fork is missing) do not."""
    if section.key != question.key:
        raise ValueError(f"the question {question.key} comes with the config table {section.key}")
    registered = QUESTIONS.questions
    sections.SECTIONS.append(section)
    try:
        QUESTIONS.extend((question,), sections.keys())
    except Exception:  # nothing half-registered: the two lists stay in step
        sections.SECTIONS.pop()
        QUESTIONS.questions = registered
        raise
    if templates is not None:
        render.add_folder(templates)
