"""The variants of a `derive variants` folder, as the exports read them: the ids, folders and
roster columns from the key (key.jsonl when the folder has one, else key.json), and each
variant's answers and grading policy from its own folder (DIR/<folder>/answers.json and
config.toml), so that a stale folder of an earlier run is never exported."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from derive.errors import ConfigError
from derive.grading.policy import GradingPolicy

SAFE_FOLDER = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")  # roster.slug: no leading "."


@dataclass(frozen=True)
class Variant:
    id: str  # as the roster writes it
    folder: Path  # DIR/<folder>
    roster: dict[str, str]  # the roster's other columns (name, e-mail, section, ...)
    answers: dict[str, Any]  # the variant's answers.json

    @property
    def name(self) -> str:
        return next((v for k, v in self.roster.items() if k.casefold() == "name"), "")

    def policy(self) -> GradingPolicy:
        """The [grading] table of the variant's own config.toml (the defaults when it has none)."""
        from derive.config import load

        path = self.folder / "config.toml"
        return load(path).grading if path.is_file() else GradingPolicy()


def _entries(folder: Path) -> Iterator[tuple[str, Any]]:
    """(where, entry) for every entry of the key, in the key's (the roster's) order."""
    lines = folder / "key.jsonl"
    path = lines if lines.is_file() else folder / "key.json"
    if not path.is_file():
        raise ConfigError(str(folder), "not a `derive variants` folder (no key.json)")
    try:
        text = path.read_text(encoding="utf-8")
        if path is lines:
            for number, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    yield f"{path}, line {number}", json.loads(line)
            return
        raw = json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(str(path), f"not valid JSON: {exc}") from None
    if not isinstance(raw, list):
        raise ConfigError(str(path), "must be a list of variants, as `derive variants` writes it")
    for i, entry in enumerate(raw):
        yield f"{path}[{i}]", entry


def _answers(path: Path) -> dict[str, Any]:
    try:
        answers = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "missing (the key lists this variant; run `derive variants` again)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(str(path), f"cannot be read as JSON ({exc})") from None
    if not isinstance(answers, dict) or "normalization" not in answers:
        raise ConfigError(str(path), "is not an answers.json object")
    return answers


def read_variants(folder: Path) -> list[Variant]:
    """Every variant the key lists, in its order; one line naming the file for anything unreadable."""
    if not folder.is_dir():
        raise ConfigError(str(folder), "no such variants folder")
    out = []
    for where, entry in _entries(folder):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ConfigError(where, 'must be {"id": "...", "folder": "...", ...}')
        name = entry.get("folder", entry["id"])
        if not isinstance(name, str) or not SAFE_FOLDER.fullmatch(name):
            raise ConfigError(f"{where}.folder", "must be letters, digits, '_', '.', '-' (a file name)")
        roster = entry.get("roster", {})
        if not isinstance(roster, dict) or not all(isinstance(v, str) for v in roster.values()):
            raise ConfigError(f"{where}.roster", "must be a table of strings")
        out.append(Variant(entry["id"], folder / name, dict(roster), _answers(folder / name / "answers.json")))
    if not out:
        raise ConfigError(str(folder), "the key lists no variants")
    return out
