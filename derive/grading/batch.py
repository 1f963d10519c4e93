"""Batch mode: every `<folder>.toml` of a submissions folder graded against the variant in
`<folder>` of a variants folder (DIR/key.jsonl, or DIR/key.json from before it, and
DIR/<folder>/config.toml for that variant's [grading] table). A variant's folder is its id, or,
for an id that is not a safe file name (an e-mail address), the folder `derive variants` made
for it (the key's `folder`). Missing submissions, unknown ids, malformed files and damaged key
entries are listed, not fatal. The key is read twice, one entry at a time. Wrong answers are named
with a misconception derived on the variant's config.toml (derive/grading/misconceptions.py).

Each student's results go to a spool (a temporary file) as they are graded, and the batch's
tables are written from it: the parent holds no report once it is spooled, unless a document
that needs them all (--feedback, --report) asks to keep them."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from derive.config import load
from derive.errors import ConfigError
from derive.graded_parts import format_points
from derive.grading.keycheck import DamagedKey, checked_parts
from derive.grading.misconceptions import for_variant, name
from derive.grading.report import spooled
from derive.grading.submission import Report, grade, read_submission
from derive.grading_policy import GradingPolicy
from derive.keys import Spool
from derive.progress import on_terminal, track

SAFE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")  # as roster.slug makes folders: no leading "."
# One variant's entry: its answers.json and its id, a build's answers being far smaller.
MAX_ENTRY_CHARS = 256 * 2**20
READ_CHARS = 2**16
_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class Batch:
    messages: tuple[str, ...] = ()  # missing, unknown, malformed
    columns: tuple[str, ...] = ()  # the parts graded, in the order first met
    carried: tuple[str, ...] = ()  # the roster's other columns
    spool: Spool = field(default_factory=Spool)  # each student's results, in the key's order
    graded: tuple[tuple[str, Report], ...] = ()  # (id, report) of each graded student, when kept
    folders: tuple[tuple[str, str], ...] = ()  # (id, its folder: a safe file name) of each student, when kept

    def rows(self) -> Iterator[tuple[str, str, dict[str, str]]]:
        """(id, status, cells) of each student, as the table has them."""
        return ((r["id"], r["status"], r["cells"]) for r in self.spool)


@dataclass(frozen=True)
class Keyed:
    id: str
    folder: str
    answers: Any  # an answers.json object, unless the key is damaged
    roster: dict[str, str]  # the roster's other columns
    where: str = ""  # the key file (and line or index) it was read from


def entries(folder: Path) -> Iterator[tuple[str, Any]]:
    """The key's entries one at a time, each with where it is (for messages): key.jsonl line by
    line, or, in a folder from before key.jsonl, key.json's list read incrementally. Either way
    one entry is held at a time, whatever the class size."""
    jsonl, whole = folder / "key.jsonl", folder / "key.json"
    if jsonl.is_file():
        yield from _lines(jsonl)
    elif whole.is_file():
        yield from _listed(whole)
    else:
        raise ConfigError(str(folder), "no key.jsonl or key.json (not a `derive variants` folder?)")


def _lines(path: Path) -> Iterator[tuple[str, Any]]:
    with _opened(path) as file:
        for number, line in enumerate(iter(lambda: file.readline(MAX_ENTRY_CHARS + 1), ""), 1):
            where = f"{path}, line {number}"
            if len(line) > MAX_ENTRY_CHARS:
                raise ConfigError(where, f"longer than {MAX_ENTRY_CHARS // 2**20} M characters (one variant's entry)")
            if line.strip():
                yield where, _decoded(line, where)


def _listed(path: Path) -> Iterator[tuple[str, Any]]:
    """The items of a JSON list, parsed one at a time from a growing window of the file."""
    decoder = json.JSONDecoder()
    with _opened(path) as file:
        window, at, ended = "", 0, False

        def next_char() -> str:  # the next character that is not white space ("" at the end)
            nonlocal window, at, ended
            while True:
                at = _SPACE.match(window, at).end()  # type: ignore[union-attr]  # matches the empty string
                if at < len(window) or ended:
                    return window[at:at + 1]
                window, at = file.read(READ_CHARS), 0
                ended = not window

        if next_char() != "[":
            raise ConfigError(str(path), "must be a list of variants (SPEC's key.json)")
        at += 1
        if next_char() == "]":
            return
        for index in itertools.count():
            next_char()  # raw_decode starts at a value, not white space
            while True:
                try:
                    item, end = decoder.raw_decode(window, at)
                    if end < len(window) or ended:  # a number cut at the window's end would parse short
                        break
                except json.JSONDecodeError:
                    if ended:
                        raise ConfigError(f"{path}[{index}]", "not valid JSON") from None
                except RecursionError:
                    raise ConfigError(f"{path}[{index}]", "not valid JSON: nested too deeply") from None
                more = file.read(max(READ_CHARS, len(window) - at))  # at least doubles: linear overall
                window, at, ended = window[at:] + more, 0, not more
            yield f"{path}[{index}]", item
            at = end
            separator = next_char()
            if separator == "]":
                return
            if separator != ",":
                raise ConfigError(f"{path}[{index}]", "not valid JSON: expected ',' or ']' after the entry")
            at += 1


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[IO[str]]:
    try:
        with open(path, encoding="utf-8") as file:
            yield file
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), f"not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot be read ({exc.strerror})") from None


def _decoded(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(where, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise ConfigError(where, "not valid JSON: nested too deeply") from None


def keyed(folder: Path) -> Iterator[Keyed]:
    """The variants of a key, one at a time; a malformed entry (no id, a bad folder name) stops
    the batch, a damaged answers table is that variant's row (batch grading checks it)."""
    for where, entry in entries(folder):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ConfigError(where, 'must be {"id": "...", "answers": {...}}')
        name = entry.get("folder", entry["id"])
        if not isinstance(name, str) or not SAFE_ID.fullmatch(name):
            raise ConfigError(f"{where}.folder", "must be letters, digits, '_', '.', '-' (a file name)")
        roster = entry.get("roster", {})
        if not isinstance(roster, dict) or not all(isinstance(v, str) for v in roster.values()):
            raise ConfigError(f"{where}.roster", "must be a table of strings")
        yield Keyed(entry["id"], name, entry.get("answers"), roster, where)


def _policy(folder: Path, student: str, fixed: GradingPolicy | None) -> GradingPolicy:
    """--config's [grading] when given, else the variant's own config's, else the defaults."""
    if fixed is not None:
        return fixed
    path = folder / student / "config.toml"
    return load(path).grading if path.is_file() else GradingPolicy()


def grade_batch(variants: Path, submissions: Path, fixed: GradingPolicy | None, keep: bool = False) -> Batch:
    """Every student of the key graded, each spooled as graded (`keep`: the reports kept too, for
    the documents that need them all)."""
    if not submissions.is_dir():
        raise ConfigError(str(submissions), "no such submissions folder")
    known: set[str] = set()
    folders: list[tuple[str, str]] = []  # (id, folder): feedback sheets are named by folder
    carried: dict[str, None] = {}
    count = 0
    for k in keyed(variants):  # a first pass over the key: its folders and roster columns, not its answers
        known.add(k.folder)
        count += 1
        if keep:
            folders.append((k.id, k.folder))
        carried |= dict.fromkeys(k.roster)
    messages = [f"unknown id: {p.name} (no variant {p.stem})" for p in sorted(submissions.glob("*.toml"))
                if p.stem not in known]
    columns: dict[str, None] = {}
    graded: list[tuple[str, Report]] = []
    spool = Spool()
    try:
        entries = keyed(variants)
        for k in track(entries, count, "grading", unit="students") if on_terminal() else entries:
            path = submissions / f"{k.folder}.toml"
            try:
                checked_parts(k.answers)
            except DamagedKey as exc:  # the key's fault, not the student's: reported as such, the others graded
                messages.append(f"not graded: {k.where} (variant {k.id}): {exc.status}")
                spool.add(spooled(k.id, exc.status, dict(k.roster)))
                continue
            if not path.is_file():
                messages.append(f"missing submission: {k.id} ({path.name})")
                spool.add(spooled(k.id, "missing", dict(k.roster)))
                continue
            try:
                submission, policy = read_submission(path), _policy(variants, k.folder, fixed)
                report = grade(k.answers, submission, policy, str(path))
                report = name(report, k.answers, submission,
                              for_variant(variants / k.folder / "config.toml", k.answers, policy), policy)
            except ConfigError as exc:
                messages.append(f"not graded: {exc}")
                spool.add(spooled(k.id, f"invalid: {exc.message}", dict(k.roster)))
                continue
            cells = {r.part.path: format_points(r.points) for r in report.results}
            columns |= dict.fromkeys(r.part.path for r in report.results)
            cells |= {"total": format_points(report.total), "max": format_points(report.maximum)} | k.roster
            spool.add(spooled(k.id, "graded", cells, report))
            if keep:
                graded.append((k.id, report))
    except BaseException:  # a key that stops the batch, an interrupt: no spool left open
        spool.close()
        raise
    return Batch(tuple(messages), tuple(columns), tuple(carried), spool, tuple(graded), tuple(folders))
