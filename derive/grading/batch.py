"""Batch mode: every `<folder>.toml` of a submissions folder graded against the variant in
`<folder>` of a variants folder (DIR/key.json, and DIR/<folder>/config.toml for that variant's
[grading] table). A variant's folder is its id, or, for an id that is not a safe file name (an
e-mail address), the folder `derive variants` made for it (key.json's `folder`). Missing
submissions, unknown ids and malformed files are listed, not fatal. Wrong answers are named with
a misconception derived on the variant's config.toml (derive/grading/misconceptions.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from derive.config import load
from derive.errors import ConfigError
from derive.grading.misconceptions import for_variant, name
from derive.grading.parts import format_points
from derive.grading.policy import GradingPolicy
from derive.grading.report import batch_csv, batch_details
from derive.grading.submission import Report, grade, read_json, read_submission

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


@dataclass(frozen=True)
class Batch:
    table: str  # one row per student
    details: str  # one row per student and part, with the reasons
    messages: tuple[str, ...]  # missing, unknown, malformed
    rows: tuple[tuple[str, str, dict[str, str]], ...] = ()  # (id, status, cells), as the table
    graded: tuple[tuple[str, Report], ...] = ()  # (id, report) of each graded student
    folders: tuple[tuple[str, str], ...] = ()  # (id, its folder: a safe file name) of each student


@dataclass(frozen=True)
class Keyed:
    id: str
    folder: str
    answers: dict[str, Any]
    roster: dict[str, str]  # the roster's other columns


def _variants(folder: Path) -> list[Keyed]:
    key_path = folder / "key.json"
    raw = read_json(key_path, "variants key")
    if not isinstance(raw, list):
        raise ConfigError(str(key_path), "must be a list of variants (SPEC's key.json)")
    out = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not isinstance(
                entry.get("answers"), dict):
            raise ConfigError(f"{key_path}[{i}]", 'must be {"id": "...", "answers": {...}}')
        name = entry.get("folder", entry["id"])
        if not isinstance(name, str) or not SAFE_ID.fullmatch(name):
            raise ConfigError(f"{key_path}[{i}].folder", "must be letters, digits, '_', '.', '-' (a file name)")
        roster = entry.get("roster", {})
        if not isinstance(roster, dict) or not all(isinstance(v, str) for v in roster.values()):
            raise ConfigError(f"{key_path}[{i}].roster", "must be a table of strings")
        out.append(Keyed(entry["id"], name, entry["answers"], roster))
    return out


def _policy(folder: Path, student: str, fixed: GradingPolicy | None) -> GradingPolicy:
    """--config's [grading] when given, else the variant's own config's, else the defaults."""
    if fixed is not None:
        return fixed
    path = folder / student / "config.toml"
    return load(path).grading if path.is_file() else GradingPolicy()


def grade_batch(variants: Path, submissions: Path, fixed: GradingPolicy | None) -> Batch:
    if not submissions.is_dir():
        raise ConfigError(str(submissions), "no such submissions folder")
    keyed = _variants(variants)
    known = {k.folder for k in keyed}
    messages = [f"unknown id: {p.name} (no variant {p.stem})" for p in sorted(submissions.glob("*.toml"))
                if p.stem not in known]
    carried = list(dict.fromkeys(c for k in keyed for c in k.roster))
    columns: list[str] = []
    rows: list[tuple[str, str, dict[str, str]]] = []
    graded: list[tuple[str, Report]] = []
    for k in keyed:
        path = submissions / f"{k.folder}.toml"
        if not path.is_file():
            messages.append(f"missing submission: {k.id} ({path.name})")
            rows.append((k.id, "missing", dict(k.roster)))
            continue
        try:
            submission, policy = read_submission(path), _policy(variants, k.folder, fixed)
            report = grade(k.answers, submission, policy, str(path))
            report = name(report, k.answers, submission,
                          for_variant(variants / k.folder / "config.toml", k.answers, policy), policy)
        except ConfigError as exc:
            messages.append(f"not graded: {exc}")
            rows.append((k.id, f"invalid: {exc.message}", dict(k.roster)))
            continue
        cells = {r.part.path: format_points(r.points) for r in report.results}
        columns += [r.part.path for r in report.results if r.part.path not in columns]
        cells |= {"total": format_points(report.total), "max": format_points(report.maximum)} | k.roster
        rows.append((k.id, "graded", cells))
        graded.append((k.id, report))
    return Batch(batch_csv(columns, rows, carried), batch_details(graded), tuple(messages), tuple(rows),
                 tuple(graded), tuple((k.id, k.folder) for k in keyed))
