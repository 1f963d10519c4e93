"""The planted-error tests' helpers: a question's checks run here, and which of them failed."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from derive.answer import Check
from derive.config import Config
from derive.questions.base import Question
from derive.verify import CheckList, resolve

Planner = ModuleType | Question[Any, Any, Any]  # a question, or a module with its plan(answer, config)


def run_checks(question: Planner, answer: Any, config: Config) -> CheckList:
    """Every check the question plans for the answer, run in this process (PyTorch
    jobs included, where PyTorch is installed)."""
    return resolve(question.plan(answer, config))


def failed_names(results: CheckList) -> set[str]:
    """The names of the checks that ran and failed (a check not run has not failed)."""
    return {c.name for c in results if isinstance(c, Check) and not c.passed}


def failing(question: Planner, answer: Any, config: Config) -> set[str]:
    """The names of the question's checks that fail on the answer: what a planted error must reach."""
    return failed_names(run_checks(question, answer, config))
