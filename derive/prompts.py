"""What the question sheet shows of each question: the config's data, no answers.

One prompt builder per question, keyed like `derive.questions.QUESTIONS`, so that a later
Question type can take them over. A prompt is a small frozen view built from the config only:
nothing here derives, searches or checks, so the sheet cannot leak a result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

from derive.config import BirnnConfig, Config, LoraConfig
from derive.questions import search

# The assignment's points, per question and sub-question (assignment.md), shown on the sheet.
POINTS: dict[str, dict[str, int]] = {
    "normalization": {"1": 6},
    "decoding": {"2.1": 2, "2.2": 2, "2.3": 3, "2.4(a)": 2, "2.4(b)": 8, "2.5": 3},
    "birnn": {"3.1": 2, "3.2(a)": 8, "3.2(b)": 2, "3.3": 5},
    "lora": {"4.1": 2, "4.2": 2, "4.3": 2, "4.4(a)": 9, "4.4(b)": 3},
}


@dataclass(frozen=True)
class NormalizationPrompt:
    shape: tuple[int, int, int]
    samples: tuple[sp.ImmutableMatrix, ...]  # sample n as a C x L matrix


@dataclass(frozen=True)
class DecodingPrompt:
    beam_width: int
    steps: int
    tree: dict[search.Path, sp.Rational]


@dataclass(frozen=True)
class Prompt:
    """A question's sheet view: its points and its data."""

    points: dict[str, int]
    data: Any

    @property
    def total(self) -> int:
        return sum(self.points.values())


def _normalization(config: Config) -> NormalizationPrompt:
    cfg = config.normalization
    return NormalizationPrompt(cfg.shape, tuple(sp.ImmutableMatrix(sample) for sample in cfg.tensor))


def _decoding(config: Config) -> DecodingPrompt:
    cfg = config.decoding
    shown = {p: logp for p, logp in sorted(cfg.tree.items()) if len(p) <= cfg.steps}
    return DecodingPrompt(cfg.beam_width, cfg.steps, shown)


def _birnn(config: Config) -> BirnnConfig:
    return config.birnn


def _lora(config: Config) -> LoraConfig:
    return config.lora


PROMPTS: dict[str, Callable[[Config], Any]] = {
    "normalization": _normalization,
    "decoding": _decoding,
    "birnn": _birnn,
    "lora": _lora,
}


def prompts(config: Config) -> dict[str, Prompt]:
    return {key: Prompt(POINTS[key], build(config)) for key, build in PROMPTS.items()}
