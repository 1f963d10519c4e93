"""Question 4: LoRA and QLoRA. The cost model (lora_model) evaluated at the config's sizes:
the O-forms, trainable parameters and frozen-weight memory; the choice table derived by a
stated rule; figures for the config's model."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from derive.answer import Boxed, Tex
from derive.config import Config
from derive.graded_parts import CHOICE, O_FORM, GradedPart, get
from derive.published import Section
from derive.questions.base import Misconception, Question, Table
from derive.questions.lora import checks as lora_checks
from derive.questions.lora import view as lora_view
from derive.questions.lora.misconceptions import misconceptions
from derive.questions.lora.model import (
    CHOICE_COLUMNS,
    CHOICE_KEYS,
    CONDITIONS,
    KEY,
    METHODS,
    MODULES,
    NAMES,
    ORDER,
    VARIABLES,
    LoraParts,
    costs,
)
from derive.verify import Planned

if TYPE_CHECKING:
    from derive.variants_spec import VariantsSpec
from derive.questions.lora.answer import (
    LoraAnswer,
    as_json,
    derive,
)
from derive.questions.lora.settings import SECTION as LORA


class Lora(Question[LoraAnswer, lora_view.LoraView, lora_view.LoraPrompt]):
    key = KEY
    title = Tex("Low-rank adaptation")  # trusted: a hyphen, not an escaped {-}
    parts = LoraParts

    def warm(self, spec: VariantsSpec) -> None:
        costs()

    def derive(self, config: Config) -> LoraAnswer:
        return derive(config)

    def plan(self, answer: LoraAnswer, config: Config, published: Section | None = None) -> Planned:
        return lora_checks.plan(answer, config, published)

    def view(self, answer: LoraAnswer, pytorch: bool) -> lora_view.LoraView:
        return lora_view.view(answer)  # no PyTorch check is named in the prose

    def as_json(self, answer: LoraAnswer) -> dict[str, Any]:
        return as_json(answer)

    def boxed(self, section: Section) -> list[Boxed]:
        return lora_view.boxed(section)

    def prompt(self, config: Config) -> lora_view.LoraPrompt:
        return lora_view.prompt(LORA.of(config))

    def randomize(self, rng: random.Random, spec: VariantsSpec) -> Table:
        drawn = LORA.vary_of(spec)
        d = rng.choice([d for d in drawn.d if any(r < d for r in drawn.r)])
        return {"d": d, "r": rng.choice([r for r in drawn.r if r < d]), "n": rng.choice(drawn.n),
                "heads": rng.choice(drawn.heads), "bits": rng.choice(drawn.bits)}

    def misconceptions(self, config: Config) -> list[Misconception]:
        return misconceptions(config)

    def graded(self, key: dict[str, Any]) -> list[GradedPart]:
        complexity, choice = self.parts.complexity, self.parts.choice
        o_forms = [(mod, meth, f"{k}_big_o") for mod in MODULES for meth in METHODS for k in ("time", "space")]
        out = [GradedPart(f"{self.key}.{mod}.{meth}.{name}", complexity.id, Fraction(complexity.points) / len(o_forms),
                          O_FORM, get(key, self.key, mod, meth, name), (self.key, mod, meth, name),
                          symbols=tuple(VARIABLES), order=tuple(ORDER)) for mod, meth, name in o_forms]
        cells = [(cond, CHOICE_KEYS[mod]) for cond in CONDITIONS for mod in CHOICE_COLUMNS]
        out += [GradedPart(f"{self.key}.choice.{cond}.{mod}", choice.id, Fraction(choice.points) / len(cells), CHOICE,
                           get(key, self.key, "choice", cond, mod), (self.key, "choice", cond, mod),
                           options=tuple(NAMES[meth] for meth in METHODS))
                for cond, mod in cells]
        return out
