"""The questions: each module derives its answer from the config, verifies it, and says
how it appears in answers.json. None of them knows about LaTeX files or paths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from derive.config import Config
from derive.questions import birnn, birnn_checks, decoding, lora, lora_checks, normalization
from derive.verify import Planned


@dataclass(frozen=True)
class Question:
    key: str  # the answers.json key and the template's name
    number: str
    title: str
    derive: Callable[[Config], Any]
    plan: Callable[[Any, Config], Planned]  # the checks; PyTorch ones deferred as TorchJob
    as_json: Callable[[Any], dict[str, Any]]


QUESTIONS: tuple[Question, ...] = (
    Question("normalization", "1", "Normalization", normalization.derive, normalization.plan,
             normalization.as_json),
    Question("decoding", "2", "Decoding", decoding.derive, decoding.plan, decoding.as_json),
    Question("birnn", "3", "RNNs", birnn.derive, birnn_checks.plan, birnn.as_json),
    Question("lora", "4", "Low-rank adaptation", lora.derive, lora_checks.plan, lora.as_json),
)
