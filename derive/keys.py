"""The answer keys of a batch of variants: key.json (every answers.json, by id) and key.csv
(one row per variant, the answers flattened to dotted columns), and the per-variant report."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

NOT_ANSWERS = ("derive_version", "checks", "skipped_checks")  # in answers.json, but not answers


def key_json(entries: list[dict[str, Any]]) -> str:
    """entries: {"id", "seed", "answers"} in variant order."""
    return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"


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


def key_csv(entries: list[dict[str, Any]]) -> str:
    """Columns id, seed, the roster's other columns, then every answer column in the order first
    seen; a column a variant lacks (a narrower beam) is left empty."""
    rows = []
    for entry in entries:
        answers = {k: v for k, v in entry["answers"].items() if k not in NOT_ANSWERS}
        rows.append({"id": entry["id"], "seed": str(entry["seed"])} | entry.get("roster", {}) | flatten(answers, ""))
    columns: dict[str, None] = {}
    for row in rows:
        columns |= dict.fromkeys(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
