"""Variant ids: numbered (v001, v002, ...) or read from a roster, as instructors have one.

A roster is a CSV file (`,` or `;` between cells, found from its header line), whose header is
matched case-insensitively. The id column is the one `--id-column` names, else the first of
ID_COLUMNS present. Ids are kept as written (an e-mail address is an id) in the keys and the
grades; each gets a folder name that is safe on any file system (`folder_names`). A `name`
column is printed on the student's question sheet; the other columns are carried into key.csv
and grades.csv.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from derive import charset
from derive.errors import UsageError

MAX_VARIANTS = 100_000
MAX_ID_LENGTH = 200
ID_COLUMNS = ("id", "student_id", "sis_id", "username", "email")  # looked for in this order
NAME_COLUMN = "name"
# Columns of key.csv and grades.csv that a carried roster column may not take.
RESERVED_COLUMNS = ("seed", "folder", "status", "total", "max")
DELIMITERS = ",;"
FOLDER_LENGTH = 48  # of a folder name's readable part
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Student:
    id: str  # as the roster writes it
    folder: str  # the variant's folder (and the submission's file name): letters, digits, '.', '_', '-'
    name: str = ""
    columns: tuple[tuple[str, str], ...] = ()  # the roster's other columns, (header as written, cell)


def numbered_ids(count: int) -> list[Student]:
    if count > MAX_VARIANTS:
        raise UsageError(f"--count: at most {MAX_VARIANTS} variants, got {count}")
    width = max(3, len(str(count)))
    return [Student(i, i) for i in (f"v{k:0{width}d}" for k in range(1, count + 1))]


def read_roster(path: Path, id_column: str | None = None) -> list[Student]:
    """The students of a roster, in file order."""
    where = f"--roster {path}"
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{where}: cannot be read as UTF-8 ({exc})") from None
    first = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first.count)  # the header's separator; ',' when it has none
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise UsageError(f"{where}: not valid CSV ({exc})") from None
    header = [name.strip() for name in rows[0]] if rows else []
    column = _id_column(header, id_column, where)
    name_at = _find(header, NAME_COLUMN)
    carried = _carried(header, column, where)
    students: list[Student] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        cells = [cell.strip() for cell in row] + [""] * (len(header) - len(row))
        at = f"{where}, line {line}"
        student_id = _checked_id(cells[column], at)
        if student_id in seen:
            raise UsageError(f"{at}: duplicate id {student_id!r} (also on line {seen[student_id]})")
        seen[student_id] = line
        name = cells[name_at] if name_at is not None else ""
        if name and (problem := problem_with_id(name)):
            raise UsageError(f"{at}: name {name!r} {problem}")
        students.append(Student(student_id, "", name, tuple((header[i], cells[i]) for i in carried)))
    if not students:
        raise UsageError(f"{where}: no rows")
    if len(students) > MAX_VARIANTS:
        raise UsageError(f"{where}: at most {MAX_VARIANTS} rows, got {len(students)}")
    folders = folder_names([s.id for s in students])
    return [Student(s.id, folders[s.id], s.name, s.columns) for s in students]


def _find(header: list[str], wanted: str) -> int | None:
    matches = [i for i, name in enumerate(header) if name.casefold() == wanted.casefold()]
    return matches[0] if matches else None


def _id_column(header: list[str], chosen: str | None, where: str) -> int:
    if chosen is not None:
        found = _find(header, chosen.strip())
        if found is None:
            raise UsageError(f"{where}: no column {chosen!r} (--id-column; the header has {', '.join(header)})")
        return found
    for name in ID_COLUMNS:
        found = _find(header, name)
        if found is not None:
            return found
    raise UsageError(f"{where}: no id column (the first row names the columns, one of them "
                     f"{', '.join(ID_COLUMNS)}, or choose one with --id-column)")


def _carried(header: list[str], id_at: int, where: str) -> list[int]:
    """The columns key.csv and grades.csv carry: all but the id, each with a distinct name."""
    carried, seen = [], {header[id_at].casefold()}
    for i, name in enumerate(header):
        if i == id_at:
            continue
        if not name:
            raise UsageError(f"{where}: column {i + 1} has no name in the header")
        if name.casefold() in seen or name.casefold() in RESERVED_COLUMNS:
            raise UsageError(f"{where}: column {name!r} is named twice or takes a name the keys use "
                             f"(id, {', '.join(RESERVED_COLUMNS)})")
        seen.add(name.casefold())
        carried.append(i)
    return carried


def problem_with_id(text: str) -> str:
    """What keeps `text` off a sheet (as an id or a name), or ""."""
    if len(text) > MAX_ID_LENGTH or not text.isprintable():
        return f"must be one line of at most {MAX_ID_LENGTH} printable characters"
    if charset.first_unsupported(text) is not None:
        return charset.unsupported(text)
    return ""


def _checked_id(text: str, where: str) -> str:
    if not text:
        raise UsageError(f"{where}: empty id")
    if problem := problem_with_id(text):
        raise UsageError(f"{where}: id {text!r} {problem}")
    return text


def slug(student_id: str) -> str:
    """An id as a folder name: '@' as '_at_', other characters outside letters, digits, '.', '_'
    and '-' as '_', no leading '.', at most FOLDER_LENGTH characters."""
    text = _UNSAFE.sub("_", student_id.replace("@", "_at_")).lstrip(".")[:FOLDER_LENGTH]
    return text or "student"


def folder_names(ids: list[str]) -> dict[str, str]:
    """Each id's folder: its slug, which is the id itself when that is already safe. Ids whose
    slugs collide (compared case-insensitively, as some file systems do) each get their slug and
    the first 8 hex digits of the id's SHA-256, whatever the roster's order."""
    slugs = {i: slug(i) for i in ids}
    count: dict[str, int] = {}
    for s in slugs.values():
        count[s.casefold()] = count.get(s.casefold(), 0) + 1
    folders = {i: s if count[s.casefold()] == 1 else f"{s}-{hashlib.sha256(i.encode()).hexdigest()[:8]}"
               for i, s in slugs.items()}
    taken: dict[str, str] = {}
    for i, folder in folders.items():
        if folder.casefold() in taken:  # a slug that equals another's slug and hash: not seen in practice
            raise UsageError(f"--roster: ids {taken[folder.casefold()]!r} and {i!r} would share folder {folder!r}")
        taken[folder.casefold()] = i
    return folders
