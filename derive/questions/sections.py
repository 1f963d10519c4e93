"""The questions' tables of the config, in the assignment's order: config.py, variants_spec.py,
grading_policy.py and derive/schema_gen.py loop over these. A question's package declares its
own (`settings.SECTION`); the question registry (derive/questions/registry.py) lists the same
keys in the same order, and refuses to start otherwise."""

from __future__ import annotations

from typing import Any

from derive.config_section import ConfigSection
from derive.questions.birnn import settings as birnn
from derive.questions.decoding import settings as decoding
from derive.questions.lora import settings as lora
from derive.questions.normalization import settings as normalization

SECTIONS: list[ConfigSection[Any, Any]] = [normalization.SECTION, decoding.SECTION, birnn.SECTION, lora.SECTION]


def keys() -> tuple[str, ...]:
    return tuple(section.key for section in SECTIONS)
