"""The library entry points: `derive.solve(config)` -> a Solution (answers, derivations,
checks); `derive.variant(base, id, seed=...)` -> the Variant `derive variants` draws for that
id; `derive.grade(key, submission)` -> a Graded submission, part by part.

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
from fractions import Fraction
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
from derive.grading import misconceptions
from derive.grading.report import as_json
from derive.grading.report import text as report_text
from derive.grading.submission import Report, checked_key, read_key, read_submission
from derive.grading.submission import grade as grade_submission
from derive.grading_policy import GradingPolicy
from derive.questions.registry import QUESTIONS

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
    if _is_toml_text(config):
        return cfg.loads(str(config), "config")
    if isinstance(config, (str, os.PathLike)):
        return cfg.load(Path(config))
    raise ConfigError("config", f"must be a path, TOML text or a dict, got a {type(config).__name__}")


def _is_toml_text(config: object) -> bool:
    return isinstance(config, str) and any(mark in config for mark in ("=", "[", "\n"))


def _tables(config: ConfigInput | None) -> dict[str, Any]:
    """A config's raw tables (validated by loading it), each one it leaves out from the defaults."""
    defaults = cfg.parse_toml(cfg.default_text(), "default.toml")
    if config is None:
        return {name: defaults.get(name, {}) for name in cfg.table_names()}
    load(config)
    if isinstance(config, Mapping):
        raw = exact(dict(config))
    elif _is_toml_text(config):
        raw = cfg.parse_toml(str(config), "config")
    else:
        path = Path(config)
        raw = cfg.parse_toml(path.read_text(encoding="utf-8"), str(path))
    return {name: raw.get(name, defaults.get(name, {})) for name in cfg.table_names()}


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


@dataclass(frozen=True)
class Variant:
    """One student's variant, as `derive variants` draws it: `config_text` is its config.toml,
    `solution` its answers, solved and checked; `seed` is the variant's own (from the base seed
    and the id)."""

    id: str
    seed: int
    config_text: str
    solution: Solution

    @property
    def answers(self) -> Answers:
        return self.solution.answers

    @property
    def grading(self) -> GradingPolicy:
        """The variant's [grading] table: how `derive grade` grades this variant."""
        return self.solution.solved.config.grading


def variant(base: ConfigInput | None, id: str, seed: int = 0) -> Variant:
    """The variant `derive variants --seed SEED [--config BASE]` writes for the id `id`: the
    same config.toml text and the same answers. `base` is a config as `solve` takes it, or None
    for the assignment's. Raises ConfigError for a bad base or id, CheckFailed as `solve` does."""
    from derive import variants
    from derive.roster import problem_with_id, slug

    if not isinstance(id, str) or not id or (problem := problem_with_id(id)):
        raise ConfigError("id", problem if isinstance(id, str) and id else "must be a non-empty str")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError("seed", f"must be an int, got a {type(seed).__name__}")
    tables = _tables(base)
    defaults = cfg.parse_toml(cfg.default_text(), "default.toml")
    spec = cfg.from_dict(tables, defaults).variants
    job = variants.Job(id, variants.variant_seed(seed, id), tables, spec, pdf=False, folder=slug(id))
    text, _ = variants.draw(job)
    return Variant(id, job.seed, text, solve(text))


KeyInput = Mapping[str, Any] | Solution | Variant | str | os.PathLike[str]
SubmissionInput = Mapping[str, Any] | str | os.PathLike[str]


@dataclass(frozen=True)
class PartGrade:
    """One graded part: its path in answers.json (`decoding.beam.1.log_likelihood`), the
    sub-question it belongs to, the points given of `max_points`, the verdict (`correct`,
    `partial`, `wrong`, `unparseable`, `missing`), the reason, and the misconception a wrong
    answer matches when one is named (docs/feedback.md)."""

    part: str
    question: str
    points: Fraction
    max_points: Fraction
    verdict: str
    reason: str
    misconception: tuple[str, str] | None = None  # (id, sentence) of the mistake a wrong answer matches


@dataclass(frozen=True)
class Graded:
    """A graded submission: every graded part, the total, and what was not graded (`ignored`:
    fields answers.json does not have; `notes`: answers present but not graded). `str()` is the
    text report of `derive grade`; `json()` its `--format json`."""

    parts: tuple[PartGrade, ...]
    total: Fraction
    maximum: Fraction
    ignored: tuple[str, ...]
    notes: tuple[str, ...]
    report: Report

    def __str__(self) -> str:
        return report_text(self.report, f"{self.report.source} graded")

    def json(self) -> str:
        return as_json(self.report)


def grade(key: KeyInput, submission: SubmissionInput, grading: ConfigInput | None = None) -> Graded:
    """Grade a submission against a key, as `derive grade` does.

    `key`: an answers.json object (a dict, or a path to the file), a Solution, or a Variant.
    `submission`: a dict with answers.json's shape (any subset of its answers; floats read from
    their decimal text, as in `solve`), submission TOML text, or a path to a submission file.
    `grading`: a config whose [grading] table applies; by default a Variant's own, else the
    defaults. A wrong answer that matches a known mistake on the key's variant names it (the
    misconceptions of a Variant's or Solution's config; of the default config for a plain key,
    when it derives that key). Bad input raises ConfigError; a wrong answer is a verdict, never
    an exception."""
    if grading is not None:
        policy = load(grading).grading
    elif isinstance(key, Variant):
        policy = key.grading
    else:
        policy = GradingPolicy()
    answers, source = _submission(submission)
    published = _key(key)
    report = grade_submission(published, answers, policy, source)
    if isinstance(key, Variant | Solution):  # the key is this config's own answers: its catalog as it is
        catalog = misconceptions.derived((key.solution if isinstance(key, Variant) else key).solved.config)
    else:  # as `derive grade --key` without --config
        catalog = misconceptions.for_submission(None, published, policy, "the key")
    report = misconceptions.name(report, published, answers, catalog, policy)
    parts = tuple(PartGrade(r.part.path, r.part.question, r.points, r.part.points, r.verdict, r.reason,
                            None if r.misconception is None else (r.misconception.id, r.misconception.sentence))
                  for r in report.results)
    return Graded(parts, report.total, report.maximum, report.ignored, report.notes, report)


def _key(key: KeyInput) -> dict[str, Any]:
    if isinstance(key, Variant | Solution):
        return dict(key.answers)
    if isinstance(key, Mapping):
        try:  # as the grader reads answers.json: plain JSON values
            return checked_key(json.loads(json.dumps(dict(key))), "key")
        except (TypeError, ValueError) as exc:
            raise ConfigError("key", f"must hold JSON values only ({exc})") from None
    if isinstance(key, (str, os.PathLike)):
        return read_key(Path(key))
    raise ConfigError("key", f"must be an answers.json object, a path, a Solution or a Variant, "
                      f"got a {type(key).__name__}")


def _submission(submission: SubmissionInput) -> tuple[dict[str, Any], str]:
    if isinstance(submission, Mapping):
        return exact(dict(submission)), "submission"
    if _is_toml_text(submission):
        return cfg.parse_toml(str(submission), "submission"), "submission"
    if isinstance(submission, (str, os.PathLike)):
        return read_submission(Path(submission)), str(submission)
    raise ConfigError("submission", f"must be a dict, TOML text or a path, got a {type(submission).__name__}")
