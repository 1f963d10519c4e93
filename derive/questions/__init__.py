"""The questions, in the assignment's order: registering a question numbers it (1, 2, ...).

Each question is a `Question` (derive/questions/base.py) in its own module: it derives its
answer from the config, plans the checks of that answer, says what its templates print and
how it appears in answers.json, and provides the instructor kit's hooks. None of them knows
about LaTeX files or paths.
"""

from __future__ import annotations

from derive.questions.base import Question, Registry
from derive.questions.birnn.question import Birnn
from derive.questions.decoding.question import Decoding
from derive.questions.lora.question import Lora
from derive.questions.normalization.question import Normalization

QUESTIONS = Registry(Normalization(), Decoding(), Birnn(), Lora())

__all__ = ["QUESTIONS", "Question"]
