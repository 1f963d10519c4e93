"""The library entry point: `derive.solve(config)` -> a Solution (answers, derivations, checks).

A config is a path, TOML text or a dict. Python floats in a dict are read from their decimal
text (0.1 is 1/10), as the TOML reader reads decimals, so a dict and the TOML that writes the
same numbers give the same answers. solve raises CheckFailed when a check fails, as a build
does: nothing it returns is unverified.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np

from derive import config as cfg
from derive.answer import Row
from derive.build import Solved, answers_json, check_failed_message, failures
from derive.build import solve as solve_config
from derive.display import answers_html, checks_html, derivation_html, derivation_latex, solution_html
from derive.errors import CheckFailed, ConfigError
from derive.questions import QUESTIONS

ConfigInput = str | os.PathLike[str] | Mapping[str, Any]


def solve(config: ConfigInput) -> Solution:
    """Derive every answer from a config and check it.

    `config` is a path (`pathlib.Path`, or a str without "=", "[" or a line break), TOML
    text, or a dict with the TOML's shape; what it leaves out takes the assignment's values.
    Bad input raises ConfigError naming the key; a failed check raises CheckFailed.
    """
    solved = solve_config(load(config))
    failed = failures(solved)
    if failed:
        raise CheckFailed(check_failed_message(failed))
    return Solution(solved)


def load(config: ConfigInput) -> cfg.Config:
    defaults = cfg.parse_toml(cfg.default_text(), "default.toml")
    if isinstance(config, Mapping):
        return cfg.from_dict(exact(dict(config)), defaults)
    if isinstance(config, str) and any(mark in config for mark in ("=", "[", "\n")):
        return cfg.loads(config, "config")
    if isinstance(config, (str, os.PathLike)):
        return cfg.load(Path(config))
    raise ConfigError("config", f"must be a path, TOML text or a dict, got a {type(config).__name__}")


def exact(value: Any) -> Any:
    """A dict config as the TOML reader would give it: floats as Decimals from their shortest
    decimal text, NumPy arrays and tuples as lists, NumPy integers as ints."""
    if isinstance(value, Mapping):
        return {str(k): exact(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return exact(value.tolist())
    if isinstance(value, (list, tuple)):
        return [exact(v) for v in value]
    if isinstance(value, bool | str | Decimal):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, float):
        return Decimal(repr(float(value)))  # NumPy floats print with their type name
    return value  # left for the config reader to reject with the key's name


class Answers(dict[str, Any]):
    """The answers.json object (a plain dict), displayed question by question in a notebook."""

    def __str__(self) -> str:
        return json.dumps(self, indent=2, ensure_ascii=False)

    def _repr_html_(self) -> str:
        return answers_html(self)


class Checks(list[Any]):
    """The checks that ran (derive.answer.Check) and those that could not (Skipped)."""

    def _repr_html_(self) -> str:
        return checks_html(self)


@dataclass(frozen=True)
class Derivation:
    """Worked steps: rows of SymPy objects, shown as aligned LaTeX."""

    title: str
    rows: tuple[Row, ...]

    def _repr_latex_(self) -> str:
        return derivation_latex(self.rows)

    def _repr_html_(self) -> str:
        return derivation_html(self.title, self.rows)


class Solution:
    """What solve returns: `answers` (the answers.json object), `checks`, `derivation(name)`."""

    def __init__(self, solved: Solved) -> None:
        self.solved = solved
        self.json = answers_json(solved)
        self.answers = Answers(json.loads(self.json))
        self.checks = Checks([*solved.checks, *solved.skipped])
        self.derivations = _derivations(solved)

    def derivation(self, name: str) -> Derivation:
        if name not in self.derivations:
            raise KeyError(f"no derivation {name!r}; there are: {', '.join(self.derivations)}")
        return self.derivations[name]

    def __str__(self) -> str:
        return self.json

    def __repr__(self) -> str:
        ran = len(self.solved.checks)
        return f"<derive.Solution: {ran} checks passed, {len(self.solved.skipped)} not run>"

    def _repr_html_(self) -> str:
        return solution_html(self.answers, self.checks, list(self.derivations))


def _derivations(solved: Solved) -> dict[str, Derivation]:
    """The worked steps each question keeps as rows (Question.worked), keyed `<question>.<step>`."""
    return {f"{q.key}.{name}": Derivation(title, rows) for q in QUESTIONS
            for name, (title, rows) in q.worked(solved.answers[q.key]).items()}
