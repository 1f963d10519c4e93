"""Reading a submission file and a key, and grading one against the other.

A submission has the shape of answers.json (any subset of its answer fields). A file that is
not TOML is bad input (ConfigError, exit 2); a field answers.json does not have is ignored and
listed, and the rest graded; a wrong or unreadable answer is a verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from derive.config import parse_toml
from derive.errors import ConfigError
from derive.graded_parts import GradedPart
from derive.grading.compare import ABSENT, Result, grade_part, words_of
from derive.grading.expr import Unparseable
from derive.grading.keycheck import DamagedKey, checked_parts
from derive.grading_policy import GradingPolicy
from derive.questions.registry import QUESTIONS
from derive.values import path_key

MAX_FILE_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Report:
    results: tuple[Result, ...]
    notes: tuple[str, ...]  # answers that are present but not graded, extra beams, beams matched in another order
    ignored: tuple[str, ...] = ()  # fields answers.json does not have, or of the wrong structure: not graded
    source: str = ""  # the submission file, for messages

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
    return checked_key(read_json(path, "key"), str(path))


def checked_key(key: Any, where: str) -> dict[str, Any]:
    if isinstance(key, list):
        raise ConfigError(where, "is a variants key (a list): use --variants DIR --submissions DIR")
    if not isinstance(key, dict) or not any(q.key in key for q in QUESTIONS):
        raise ConfigError(where, "is not an answers.json object")
    try:
        checked_parts(key)
    except DamagedKey as exc:
        raise ConfigError(where, exc.status) from None
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


def _walk(sub: Any, key: Any, path: tuple[str | int, ...], graded: set[tuple[str | int, ...]], notes: list[str],
          ignored: list[str]) -> None:
    """Names answers.json does not have, and tables where it has none, are ignored (and listed);
    answers present but not graded become notes."""
    dotted = ".".join(str(s + 1 if isinstance(s, int) else s) for s in path)
    if path in graded:
        return
    tables = isinstance(key, list) and bool(key) and isinstance(key[0], dict)
    if isinstance(key, dict) and not isinstance(sub, dict) or tables and not isinstance(sub, list):
        ignored.append(f"{dotted}: must be {'a table' if isinstance(key, dict) else 'an array of tables'}, as in "
                       "answers.json; ignored, its parts graded as missing")
        return
    if isinstance(sub, dict) and isinstance(key, dict):
        for name, value in sub.items():
            if name not in key:
                where = path_key(dotted, name) if dotted else path_key("", name).lstrip(".")
                ignored.append(f"{where}: not a part of answers.json; ignored (see docs/submissions.md)")
                continue
            _walk(value, key[name], (*path, name), graded, notes, ignored)
    elif isinstance(sub, list) and tables:
        for i, value in enumerate(sub):
            if i >= len(key):
                notes.append(f"{dotted}.{i + 1}: the key has {len(key)}; not graded")
            else:
                _walk(value, key[i], (*path, i), graded, notes, ignored)
    elif not any(g[: len(path)] == path for g in graded):
        notes.append(f"{dotted}: not graded (see docs/submissions.md)")


def grade(key: dict[str, Any], submission: dict[str, Any], policy: GradingPolicy, source: str) -> Report:
    """Every graded part of the key against the submission; what the key does not have is
    listed as ignored, and the rest is graded. A damaged key raises DamagedKey before any part
    is graded."""
    graded_parts: list[GradedPart] = checked_parts(key)
    notes: list[str] = []
    ignored: list[str] = []
    _walk(submission, key, (), {p.field for p in graded_parts}, notes, ignored)
    submission, matched = _in_key_order(submission, key)
    results = tuple(grade_part(p, _lookup(submission, p.field), policy.tolerance(p.path)) for p in graded_parts)
    return Report(results, (*matched, *notes), tuple(ignored), source)


def arranged(submission: dict[str, Any], key: dict[str, Any]) -> dict[str, Any]:
    """The submission as it is graded: the lists graded in any order (beams) in the key's order."""
    return _in_key_order(submission, key)[0]


lookup = _lookup  # the answer at a part's field, or ABSENT


def _in_key_order(submission: dict[str, Any], key: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The submission with every list a question grades in any order (`Question.unordered`) in
    the key's order, and a note for each that moved."""
    notes: list[str] = []
    for q in QUESTIONS:
        for listed, by in q.unordered:
            submission, note = _list_in_key_order(submission, key, q.key, listed, by)
            notes += note
    return submission, notes


def _list_in_key_order(submission: dict[str, Any], key: dict[str, Any], section: str, listed: str,
                       by: str) -> tuple[dict[str, Any], list[str]]:
    """Entries in any order (a question's beams): each of the first B submitted entries (B the
    key's) is graded against the key's entry with the same `by` words, each key entry used at
    most once; the others fill the key entries left, in their order. Returns the submission with
    the list in the key's order (an empty table where none is left: graded as missing), and a
    note when they moved."""
    table = submission.get(section)
    entries = table.get(listed) if isinstance(table, dict) else None
    expected = [tuple(b[by]) for b in key.get(section, {}).get(listed, [])]
    if not isinstance(entries, list) or not expected:
        return submission, []
    first = entries[: len(expected)]
    slot: list[int | None] = [None] * len(expected)  # slot[k]: the submitted entry graded as the key's entry k
    unmatched = []
    for i, words in enumerate(_words(b, by) for b in first):
        k = next((k for k, e in enumerate(expected) if slot[k] is None and e == words), None)
        if k is None:
            unmatched.append(i)
        else:
            slot[k] = i
    free = [k for k in range(len(expected)) if slot[k] is None]
    for k, i in zip(free, unmatched, strict=False):
        slot[k] = i
    moved = [f"{listed} {i + 1} as the key's {listed} {k + 1}" for k, i in enumerate(slot) if i is not None and i != k]
    reordered = [{} if i is None else first[i] for i in slot] + entries[len(expected):]
    note = [f"{section}.{listed}: {listed}s are matched to the key's in any order: {', '.join(moved)}"] if moved else []
    return {**submission, section: {**submission[section], listed: reordered}}, note


def _words(entry: Any, by: str) -> tuple[str, ...] | None:
    try:
        return tuple(words_of(entry.get(by))) if isinstance(entry, dict) else None
    except Unparseable:  # an unreadable beam is graded, and reported, where it stands
        return None
