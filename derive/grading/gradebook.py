"""Gradebook files from a batch of grades: the CSV that Moodle's and Canvas's gradebooks import.

Each file has every student of the key (the roster), graded or not; a student without a graded
submission (missing, invalid) has an empty grade, which both gradebooks import as "no grade"
rather than 0. Columns:

- moodle: the identifier, `ID number` (or `Email address` when every id is one), an
  `Email address` column from the roster's when the ids are not e-mail addresses, then the
  assignment column (the total points).
- canvas: `Student`, `ID`, `SIS User ID`, `Section`, then the assignment column. Each takes
  the roster's column of that name (any case; `Student` also a `name` column, `Section` also
  `section`); derive's id fills `SIS User ID` unless the roster has that column, else `ID` unless the
  roster has that one too.

Text cells that a spreadsheet would read as a formula (= + - @ tab CR first) get a `'` first.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from derive.csvout import Writer

GRADEBOOKS = ("moodle", "canvas")
DEFAULT_ASSIGNMENT = "derive"
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "Section")
_CANVAS_SOURCES = {"Student": ("student", "name"), "ID": ("id",), "SIS User ID": ("sis user id",),
                   "Section": ("section",)}
_EMAIL_SOURCES = ("email", "email address", "e-mail")

Row = tuple[str, str, dict[str, str]]  # (id, status, cells: the roster's columns, and total for a graded one)


def _column(cells: dict[str, str], names: Sequence[str]) -> str | None:
    """The roster column among `names` (compared in any case), or None when the roster has none."""
    wanted = {n.casefold() for n in names}
    return next((v for k, v in cells.items() if k.casefold() in wanted), None)


def _grade(status: str, cells: dict[str, str]) -> str:
    return cells.get("total", "") if status == "graded" else ""


def _table(header: Sequence[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = Writer(out)  # formula-like cells neutralized (derive/csvout.py)
    writer.row(header)
    writer.rows(rows)
    return out.getvalue()


def moodle(rows: Sequence[Row], assignment: str = DEFAULT_ASSIGNMENT) -> str:
    by_email = all("@" in student for student, _, _ in rows)
    emails = not by_email and any(_column(cells, _EMAIL_SOURCES) is not None for _, _, cells in rows)
    header = ["Email address" if by_email else "ID number", *(["Email address"] if emails else []), assignment]
    body = [[student, *([_column(cells, _EMAIL_SOURCES) or ""] if emails else []), _grade(status, cells)]
            for student, status, cells in rows]
    return _table(header, body)


def canvas(rows: Sequence[Row], assignment: str = DEFAULT_ASSIGNMENT) -> str:
    carried = [c for c in ("SIS User ID", "ID")
               if any(_column(cells, _CANVAS_SOURCES[c]) is not None for _, _, cells in rows)]
    id_goes = next((c for c in ("SIS User ID", "ID") if c not in carried), None)  # None: the roster has both
    body = []
    for student, status, cells in rows:
        values = {c: _column(cells, _CANVAS_SOURCES[c]) or "" for c in CANVAS_COLUMNS}
        if id_goes is not None:
            values[id_goes] = student
        body.append([*(values[c] for c in CANVAS_COLUMNS), _grade(status, cells)])
    return _table([*CANVAS_COLUMNS, assignment], body)


def gradebook(kind: str, rows: Sequence[Row], assignment: str = DEFAULT_ASSIGNMENT) -> str:
    return {"moodle": moodle, "canvas": canvas}[kind](rows, assignment)
