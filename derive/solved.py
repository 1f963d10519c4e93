"""What `build.solve` returns: a config's answers, published and checked. Its own module, so that
what prints a solved config (derive/html/page.py) need not import the pipeline that calls it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from derive.answer import Check, Skipped
from derive.config import Config


@dataclass(frozen=True)
class Solved:
    config: Config
    answers: dict[str, Any]
    published: dict[str, Any]  # each question's section of answers.json, serialized and parsed back
    checks: list[Check]
    skipped: list[Skipped]
    pytorch: bool  # PyTorch was installed: the sections' prose names its checks (in both editions)
