"""The variants of a `derive variants` folder, as the exports read them: the ids, folders and
roster columns from the key (key.jsonl when the folder has one, else key.json), and each
variant's answers and grading policy from its own folder (DIR/<folder>/answers.json and
config.toml), so that a stale folder of an earlier run is never exported."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from derive.config import load
from derive.errors import ConfigError
from derive.grading.batch import keyed
from derive.grading_policy import GradingPolicy
from derive.questions.registry import QUESTIONS


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
        path = self.folder / "config.toml"
        return load(path).grading if path.is_file() else GradingPolicy()


def _answers(path: Path) -> dict[str, Any]:
    try:
        answers = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "missing (the key lists this variant; run `derive variants` again)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(str(path), f"cannot be read as JSON ({exc})") from None
    if not isinstance(answers, dict) or not any(q.key in answers for q in QUESTIONS):
        raise ConfigError(str(path), "is not an answers.json object")
    return answers


def read_variants(folder: Path) -> list[Variant]:
    """Every variant the key lists, in its order; one line naming the file for anything unreadable."""
    if not folder.is_dir():
        raise ConfigError(str(folder), "no such variants folder")
    out = [Variant(k.id, folder / k.folder, dict(k.roster), _answers(folder / k.folder / "answers.json"))
           for k in keyed(folder)]  # the key read as the grader reads it (derive/grading/batch.py)
    if not out:
        raise ConfigError(str(folder), "the key lists no variants")
    return out
