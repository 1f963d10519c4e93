"""Naming the mistake behind a wrong answer: each question's misconceptions (Question.misconceptions),
derived on the student's own variant, matched with the comparison and tolerance of a correct answer.

A part's answer is named with a misconception only when the part is wrong (or partly wrong), the
answer matches the misconception's value, and the diagnosis is unambiguous on that variant: the
value differs from the key (its accepted alternatives included) and from every other
misconception's value for the part. A `whole` misconception is named only when every part it
changes is answered with its value. The verdict and the points stay what they were.

The catalog is trusted only for a config that derives the key being graded: a config of another
variant would name mistakes by another variant's numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from derive.config import Config, load
from derive.errors import ConfigError
from derive.graded_parts import GradedPart, shape_of
from derive.grading.compare import ABSENT, CORRECT, PARTIAL, WRONG, Diagnosis, Result, grade_part
from derive.grading.submission import Report, arranged, grade, lookup
from derive.grading_policy import GradingPolicy
from derive.questions.base import Misconception
from derive.questions.registry import QUESTIONS


@dataclass(frozen=True)
class Catalog:
    """The misconceptions of one variant, or why there are none (a note for the report)."""

    misconceptions: tuple[Misconception, ...]
    note: str = ""


def derived(config: Config) -> Catalog:
    """Every question's misconceptions on the config's variant."""
    return Catalog(tuple(m for q in QUESTIONS for m in q.misconceptions(config)))


def for_key(config: Config, key: dict[str, Any], policy: GradingPolicy, source: str) -> Catalog:
    """The config's catalog when the config derives every graded answer of the key (within the
    policy's tolerance), else none, with a note saying so."""
    answers = {q.key: q.as_json(q.derive(config)) for q in QUESTIONS}
    if any(r.verdict != CORRECT for r in grade(key, answers, policy, source).results):
        return Catalog((), f"misconceptions not named: {source} does not derive this key's answers")
    return derived(config)


def for_submission(config: Config | None, key: dict[str, Any], policy: GradingPolicy, source: str) -> Catalog:
    """One submission's catalog: `config`'s when it derives the key (a note says so when it does
    not, naming `source`), else the default config's when that derives the key (silently: most
    keys are another variant's)."""
    if config is not None:
        return for_key(config, key, policy, source)
    return replace(for_key(load(None), key, policy, "the default config"), note="")


def for_variant(path: Path, key: dict[str, Any], policy: GradingPolicy) -> Catalog:
    """The catalog of a variant folder's config.toml (batch mode)."""
    if not path.is_file():
        return Catalog((), f"misconceptions not named: no {path}")
    try:
        config = load(path)
    except ConfigError as exc:
        return Catalog((), f"misconceptions not named: {exc}")
    return for_key(config, key, policy, str(path))


def _nested(values: dict[str, Any]) -> dict[str, Any]:
    """Dotted fields (list positions from 1) as the nested tables and arrays of a submission."""
    root: dict[str, Any] = {}
    for path, value in values.items():
        node: Any = root
        steps: list[str | int] = [int(s) - 1 if s.isdigit() else s for s in path.split(".")]
        for step, following in zip(steps, steps[1:], strict=False):
            empty: Any = [] if isinstance(following, int) else {}
            if isinstance(step, int):  # an array of tables (the beams)
                node.extend({} for _ in range(step + 1 - len(node)))
            else:
                node.setdefault(step, empty)
            node = node[step]
        last = steps[-1]
        if isinstance(last, int):
            node.extend({} for _ in range(last + 1 - len(node)))
        node[last] = value
    return root


def _as_key(part: GradedPart, value: Any) -> GradedPart:
    """The part with `value` (a whole field, as a submission holds it) as its expected answer."""
    if part.entry:
        i, j = part.entry
        return replace(part, expected=value[i][j], alternatives=())
    return replace(part, expected=value, shape=shape_of(value) if part.shape else (), alternatives=())


def _same(part: GradedPart, value: Any, got: Any, policy: GradingPolicy) -> bool:
    try:
        return grade_part(_as_key(part, value), got, policy.tolerance(part.path)).verdict == CORRECT
    except (IndexError, TypeError, ValueError):  # a value without the entry: not the same
        return False


def name(report: Report, key: dict[str, Any], submission: dict[str, Any], catalog: Catalog,
         policy: GradingPolicy) -> Report:
    """The report with each wrong part's misconception, when one is named (see the module's doc)."""
    notes = (*report.notes, catalog.note) if catalog.note else report.notes
    if not catalog.misconceptions:
        return replace(report, notes=notes)
    answers = arranged(submission, key)
    values = [arranged(_nested(dict(m.values)), key) for m in catalog.misconceptions]

    def changes(k: int, part: GradedPart) -> Any:
        """Misconception k's value for the part when it differs from the key's, else ABSENT."""
        value = lookup(values[k], part.field)
        if value is ABSENT or grade_part(part, value, policy.tolerance(part.path)).verdict == CORRECT:
            return ABSENT
        return value

    matched: dict[str, int] = {}
    for r in report.results:
        if r.verdict not in (WRONG, PARTIAL):
            continue
        got = lookup(answers, r.part.field)
        held = {k: v for k in range(len(values)) if (v := changes(k, r.part)) is not ABSENT}
        clear = [k for k, v in held.items()
                 if not any(_same(r.part, v, other, policy) for j, other in held.items() if j != k)]
        hits = [k for k in clear if _same(r.part, held[k], got, policy)]
        if len(hits) == 1:
            matched[r.part.path] = hits[0]

    def whole(k: int) -> bool:
        """Every part misconception k changes is answered with its value."""
        return all(_same(r.part, v, lookup(answers, r.part.field), policy) for r in report.results
                   if (v := changes(k, r.part)) is not ABSENT)

    results: list[Result] = []
    for r in report.results:
        k = matched.get(r.part.path)
        if k is not None and (not catalog.misconceptions[k].whole or whole(k)):
            m = catalog.misconceptions[k]
            r = replace(r, misconception=Diagnosis(m.id, m.sentence))
        results.append(r)
    return replace(report, results=tuple(results), notes=notes)


def field_of(part: GradedPart) -> str:
    """The part's answer field: its path without the entry indices of a matrix graded entry by entry."""
    return ".".join(part.path.split(".")[: -len(part.entry)]) if part.entry else part.path


@dataclass(frozen=True)
class Named:
    field: str  # the answer field (a matrix's, for its entries)
    question: str  # the sub-question of the solutions that works it out
    misconception: Diagnosis
    parts: int  # how many of the field's graded parts it was named on


def named(results: Sequence[Result]) -> list[Named]:
    """The misconceptions named in one report, once per answer field, in the report's order."""
    out: dict[tuple[str, str], Named] = {}
    for r in results:
        if r.misconception is not None:
            k = (field_of(r.part), r.misconception.id)
            seen = out.get(k)
            out[k] = Named(k[0], r.part.question, r.misconception, seen.parts + 1 if seen else 1)
    return list(out.values())
