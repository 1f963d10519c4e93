"""Variant ids: numbered (v001, v002, ...) or read from a roster CSV's `id` column."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from derive.errors import UsageError

MAX_VARIANTS = 100_000
ID_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
MAX_ID_LENGTH = 64


def numbered_ids(count: int) -> list[str]:
    if count > MAX_VARIANTS:
        raise UsageError(f"--count: at most {MAX_VARIANTS} variants, got {count}")
    width = max(3, len(str(count)))
    return [f"v{i:0{width}d}" for i in range(1, count + 1)]


def read_roster(path: Path) -> list[str]:
    """The ids of a roster CSV (an `id` column; other columns are ignored), in file order."""
    where = f"--roster {path}"
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{where}: cannot be read as UTF-8 ({exc})") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise UsageError(f"{where}: not valid CSV ({exc})") from None
    header = [name.strip() for name in rows[0]] if rows else []
    if "id" not in header:
        raise UsageError(f"{where}: no id column (the first row names the columns, one of them id)")
    column = header.index("id")
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        variant_id = row[column].strip() if column < len(row) else ""
        _check_id(variant_id, f"{where}, line {line}")
        if variant_id in seen:
            raise UsageError(f"{where}, line {line}: duplicate id {variant_id!r} (also on line {seen[variant_id]})")
        seen[variant_id] = line
    if not seen:
        raise UsageError(f"{where}: no rows")
    if len(seen) > MAX_VARIANTS:
        raise UsageError(f"{where}: at most {MAX_VARIANTS} rows, got {len(seen)}")
    return list(seen)


def _check_id(variant_id: str, where: str) -> None:
    """Ids name folders: letters, digits, '.', '_' and '-', not starting with '.'."""
    if not variant_id:
        raise UsageError(f"{where}: empty id")
    if set(variant_id) - ID_CHARACTERS or variant_id.startswith(".") or len(variant_id) > MAX_ID_LENGTH:
        raise UsageError(f"{where}: id {variant_id!r} must be 1 to {MAX_ID_LENGTH} letters, digits, '.', '_' or '-', "
                         "not starting with '.'")
