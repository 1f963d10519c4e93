"""Properties a variant can be required to have (`[variants] require`), proved on its derived answer.

What each one is called, which question proves it, what it says and when the `[variants]` table
makes it unattainable is declared with the question's tables (its settings.py,
`ConfigSection.requirements`: the config reads it); the proof is the question's own
(`Question.properties`): `derive variants` redraws that question's data until every required
property of it holds on the answer the question's own derivation returns. The registry checks
that the two name the same properties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from derive.variants_spec import VariantsSpec


@dataclass(frozen=True)
class Property:
    holds: Callable[[Any, VariantsSpec], bool]  # on a derived answer, under the [variants] table
