"""The answer keys of a batch of variants: key.jsonl (one variant's entry per line, what the grader
streams), key.json (the same entries as one JSON list), key.csv (one row per variant, the
answers flattened to dotted columns), and the per-variant report.

Each is written entry by entry from a `Spool`, so the process writing them holds one variant's
entry at a time, whatever the class size.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, BinaryIO, TextIO

from derive.csvout import Writer

NOT_ANSWERS = ("derive_version", "checks", "skipped_checks")  # in answers.json, but not answers
KEY_FILES = ("key.jsonl", "key.json", "key.csv")


class Spool:
    """JSON objects, one per line, in an anonymous temporary file of `folder` (the system's
    temporary folder when None; nothing is left behind if the process dies); read back in the
    order added, as often as needed."""

    def __init__(self, folder: Path | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (closed by close())

    def add(self, item: Any) -> None:
        self._file.write(json.dumps(item, ensure_ascii=False).encode("utf-8") + b"\n")

    def __iter__(self) -> Iterator[Any]:
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield json.loads(line)

    def copy_to(self, out: BinaryIO) -> None:
        """The lines as written: key.jsonl."""
        self._file.flush()
        self._file.seek(0)
        shutil.copyfileobj(self._file, out)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()


def as_text(write: Callable[[TextIO], None]) -> Callable[[BinaryIO], None]:
    """A writer of text (UTF-8, newlines as written) as derive.outputs.commit takes one."""
    def binary(out: BinaryIO) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        write(text)
        text.flush()
        text.detach()

    return binary


def write_json_list(out: IO[str], items: Iterable[Any]) -> None:
    """json.dumps(list(items), indent=2, ensure_ascii=False) + "\\n", byte for byte, one item at a time."""
    first = True
    for item in items:
        out.write("[\n  " if first else ",\n  ")
        out.write(json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n  "))  # strings escape \n
        first = False
    out.write("[]\n" if first else "\n]\n")


def flatten(value: Any, prefix: str) -> dict[str, str]:
    """Tables become dotted columns, lists of tables 1-based ones (decoding.beam.1.words), word
    lists one space-separated cell, other arrays one JSON cell; exact values stay as written."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, item in value.items():
            out |= flatten(item, f"{prefix}.{key}" if prefix else key)
        return out
    if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        out = {}
        for i, item in enumerate(value, 1):
            out |= flatten(item, f"{prefix}.{i}")
        return out
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return {prefix: " ".join(value)}
    if isinstance(value, str):
        return {prefix: value}
    return {prefix: json.dumps(value, ensure_ascii=False)}


def _row(entry: dict[str, Any]) -> dict[str, str]:
    answers = {k: v for k, v in entry["answers"].items() if k not in NOT_ANSWERS}
    return {"id": entry["id"], "seed": str(entry["seed"])} | entry.get("roster", {}) | flatten(answers, "")


def write_key_csv(out: IO[str], entries: Callable[[], Iterable[dict[str, Any]]]) -> None:
    """Columns id, seed, the roster's other columns, then every answer column in the order first
    seen; a column a variant lacks (a narrower beam) is left empty. Two passes over `entries`:
    the columns, then the rows."""
    columns: dict[str, None] = {}
    for entry in entries():
        columns |= dict.fromkeys(_row(entry))
    writer = Writer(out)
    writer.row(columns)
    for entry in entries():
        row = _row(entry)
        writer.row(row.get(c, "") for c in columns)

