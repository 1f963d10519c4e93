"""Reading a submission file and a key, and grading one against the other.

A submission has the shape of answers.json (any subset of its answer fields). A file that is
not TOML, or names a part answers.json does not have, is bad input (ConfigError, exit 2); a
wrong or unreadable answer is a verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from derive.config import parse_toml
from derive.errors import ConfigError
from derive.grade.compare import ABSENT, Result, grade_part, words_of
from derive.grade.expr import Unparseable
from derive.grade.key import parts
from derive.grade.parts import GradedPart
from derive.grade.policy import GradingPolicy
from derive.values import path_key

MAX_FILE_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Report:
    results: tuple[Result, ...]
    notes: tuple[str, ...]  # answers that are present but not graded, extra beams

    @property
    def total(self) -> Fraction:
        return sum((r.points for r in self.results), Fraction(0))

    @property
    def maximum(self) -> Fraction:
        return sum((r.part.points for r in self.results), Fraction(0))


def _read_text(path: Path, what: str) -> str:
    name = str(path)
    if not path.is_file():
        raise ConfigError(name, f"no such {what} file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ConfigError(name, f"larger than {MAX_FILE_BYTES // 2**20} MB")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(name, f"not UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(name, f"cannot be read ({exc.strerror})") from None


def read_submission(path: Path) -> dict[str, Any]:
    """Read with the config's own TOML reader: exact decimals, and one-line errors for broken
    TOML, integers past Python's digit limit and nesting past the parser's recursion."""
    return parse_toml(_read_text(path, "submission"), str(path))


def read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(_read_text(path, what))
    except json.JSONDecodeError as exc:
        raise ConfigError(str(path), f"not valid JSON: {exc}") from None
    except RecursionError:
        raise ConfigError(str(path), "not valid JSON: nested too deeply") from None


def read_key(path: Path) -> dict[str, Any]:
    key = read_json(path, "key")
    if isinstance(key, list):
        raise ConfigError(str(path), "is a variants key (a list): use --variants DIR --submissions DIR")
    if not isinstance(key, dict) or "normalization" not in key:
        raise ConfigError(str(path), "is not an answers.json object")
    return key


def _lookup(submission: dict[str, Any], where: tuple[str | int, ...]) -> Any:
    node: Any = submission
    for step in where:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return ABSENT
        elif not isinstance(node, dict) or step not in node:
            return ABSENT
        node = node[step]
    return node


def _walk(sub: Any, key: Any, path: tuple[str | int, ...], graded: set[tuple[str | int, ...]], source: str,
          notes: list[str]) -> None:
    """Unknown names are errors; answers present but not graded become notes."""
    dotted = ".".join(str(s + 1 if isinstance(s, int) else s) for s in path)
    if path in graded:
        return
    tables = isinstance(key, list) and bool(key) and isinstance(key[0], dict)
    if isinstance(key, dict) and not isinstance(sub, dict) or tables and not isinstance(sub, list):
        raise ConfigError(source, f"{dotted}: must be {'a table' if isinstance(key, dict) else 'an array of tables'}"
                                  ", as in answers.json")
    if isinstance(sub, dict) and isinstance(key, dict):
        for name, value in sub.items():
            if name not in key:
                where = path_key(dotted, name) if dotted else path_key("", name).lstrip(".")
                raise ConfigError(source, f"{where}: not a part of answers.json (see docs/submissions.md)")
            _walk(value, key[name], (*path, name), graded, source, notes)
    elif isinstance(sub, list) and tables:
        for i, value in enumerate(sub):
            if i >= len(key):
                notes.append(f"{dotted}.{i + 1}: the key has {len(key)}; not graded")
            else:
                _walk(value, key[i], (*path, i), graded, source, notes)
    elif not any(g[: len(path)] == path for g in graded):
        notes.append(f"{dotted}: not graded (see docs/submissions.md)")


def grade(key: dict[str, Any], submission: dict[str, Any], policy: GradingPolicy, source: str) -> Report:
    """Every graded part of the key against the submission."""
    graded_parts: list[GradedPart] = parts(key)
    notes: list[str] = []
    _walk(submission, key, (), {p.field for p in graded_parts}, source, notes)
    submission = _tied_beams_in_key_order(submission, key)
    results = tuple(grade_part(p, _lookup(submission, p.field), policy.tolerance(p.path)) for p in graded_parts)
    return Report(results, tuple(notes))


def _tied_beams_in_key_order(submission: dict[str, Any], key: dict[str, Any]) -> dict[str, Any]:
    """Beams the key ties (equal log-likelihoods) may come in any order: a submission that lists
    exactly a tied group's beams, each once, in another order is put in the key's order."""
    beams = submission.get("decoding", {}).get("beam") if isinstance(submission.get("decoding"), dict) else None
    expected = key.get("decoding", {}).get("beam", [])
    if not isinstance(beams, list) or len(beams) < 2:
        return submission
    reordered = list(beams)
    start = 0
    while start < len(expected):
        end = start
        while end < len(expected) and expected[end]["log_likelihood"] == expected[start]["log_likelihood"]:
            end += 1
        group = [tuple(b["words"]) for b in expected[start:end]]
        got = [_beam_words(b) for b in beams[start:end]]
        if end - start > 1 and len(got) == len(group) and len(set(got)) == len(got) and set(got) == set(group):
            reordered[start:end] = [beams[start + got.index(w)] for w in group]
        start = end
    return {**submission, "decoding": {**submission["decoding"], "beam": reordered}}


def _beam_words(beam: Any) -> tuple[str, ...] | None:
    try:
        return tuple(words_of(beam.get("words"))) if isinstance(beam, dict) else None
    except Unparseable:  # an unreadable beam is graded, and reported, where it stands
        return None
