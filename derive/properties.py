"""Properties a variant can be required to have (`[variants] require`), proved on its derived answer.

Each question lists its own (`Question.properties`): `derive variants` redraws that question's
data until every required property of it holds on the answer the question's own derivation
returns. `impossible` rules out, before any draw, what the `[variants]` table makes unattainable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from derive.variants_spec import VariantsSpec


def always_possible(_: VariantsSpec) -> str | None:
    return None


@dataclass(frozen=True)
class Property:
    description: str
    holds: Callable[[Any, VariantsSpec], bool]
    impossible: Callable[[VariantsSpec], str | None] = always_possible  # why it can never hold, or None
