"""The one writer of every CSV file derive writes (key.csv, grades.csv, the reasons, reports).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and some treat a
leading tab or carriage return the same way), so a text cell from a config, a roster or a
submission could run on the instructor's machine. Every cell that starts with one of those
characters is written with a `'` in front, which spreadsheets show as text, unless it is a plain
number (`-1.65`, `+3`, `2.5e-3`): numbers stay numbers. `'-12/5` is text: a spreadsheet would
compute -12/5 (or read a date), so an exact fraction keeps its written form this way.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class _Text(Protocol):
    def write(self, text: str, /) -> Any: ...


def cell(value: object) -> str:
    """The cell as written: a number as it is, a text starting like a formula behind a `'`."""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class Writer:
    """csv.writer's rows, each cell through `cell`, lines ending in \\n."""

    def __init__(self, file: _Text) -> None:
        self._writer = csv.writer(file, lineterminator="\n")

    def row(self, cells: Iterable[object]) -> None:
        self._writer.writerow([cell(c) for c in cells])

    def rows(self, rows: Iterable[Iterable[object]]) -> None:
        for r in rows:
            self.row(r)
