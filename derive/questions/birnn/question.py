"""Question 3: gradients of a bidirectional RNN. The derivation is in birnn_model, its
evaluation on an instance in birnn_instance, the checks in birnn_checks, what the templates
print in birnn_view; this module reads the computational graph off the model's equations and
assembles the answer."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from derive.answer import Boxed, Row
from derive.config import Config
from derive.graded_parts import NUMBER, GradedPart, get
from derive.published import Section
from derive.questions.base import Misconception, Question, Table
from derive.questions.birnn import checks as birnn_checks
from derive.questions.birnn import steps
from derive.questions.birnn import view as birnn_view
from derive.questions.birnn.instance import (
    instance_values,
)
from derive.questions.birnn.misconceptions import misconceptions
from derive.questions.birnn.model import (
    INSTANCE,
    INSTANCE_KEYS,
    KEY,
    BirnnParts,
    derive_forms,
)
from derive.questions.birnn.settings import BirnnConfig
from derive.verify import Planned

if TYPE_CHECKING:
    from derive.variants_spec import VariantsSpec
from derive.questions.birnn.answer import (
    BirnnAnswer,
    as_json,
    derive,
    instance_table,
)
from derive.questions.birnn.settings import SECTION as BIRNN


class Birnn(Question[BirnnAnswer, birnn_view.BirnnView, birnn_view.BirnnPrompt]):
    key = KEY
    title = "RNNs"
    parts = BirnnParts
    # The config's inputs restated, and whether the question sheet prints the instance.
    not_answers = ("activation", "instance.source", "instance.on_sheet")

    def derive(self, config: Config) -> BirnnAnswer:
        return derive(config)

    def plan(self, answer: BirnnAnswer, config: Config, published: Section | None = None) -> Planned:
        return birnn_checks.plan(answer, config, published)

    def boxed(self, section: Section) -> list[Boxed]:
        return birnn_view.boxed(section, self.key)

    def view(self, answer: BirnnAnswer, pytorch: bool) -> birnn_view.BirnnView:
        return birnn_view.view(answer, pytorch, f"{self.key}.{INSTANCE}")

    def worked(self, answer: BirnnAnswer) -> dict[str, tuple[str, tuple[Row, ...]]]:
        dv = answer.derivation
        steps = {
            "activation": ("the activation's derivative", dv.activation.rows),
            "local": ("local gradients", dv.local_rows),
            "jacobian_entries": ("Jacobian entries", (*dv.entry_rows["f"], *dv.entry_rows["b"])),
            "jacobians": ("Jacobians", (*dv.jacobian_rows["f"], *dv.jacobian_rows["b"])),
            "recursions": ("total-gradient recursions", (*dv.recursion_rows["f"], *dv.recursion_rows["b"])),
            "gradients": ("weight gradients", (*dv.weight_rows["W_b"], *dv.weight_rows["U_f"])),
        }
        return {name: (f"Question {self.number}, {title}", tuple(rows)) for name, (title, rows) in steps.items()}

    def warm(self, spec: VariantsSpec) -> None:
        for activation in BIRNN.vary_of(spec).activation:
            steps.expand(derive_forms(activation))

    def as_json(self, answer: BirnnAnswer) -> dict[str, Any]:
        return as_json(answer)

    def prompt(self, config: Config) -> birnn_view.BirnnPrompt:
        return birnn_view.prompt(BIRNN.of(config))

    def randomize(self, rng: random.Random, spec: VariantsSpec) -> Table:
        """The sizes and a seed, and the instance that seed draws, written out: the variant's
        config.toml gives the numbers its sheet prints, not only how to draw them."""
        sizes = BirnnConfig(rng.choice(BIRNN.vary_of(spec).activation), rng.choice(BIRNN.vary_of(spec).hidden_size),
                            rng.choice(BIRNN.vary_of(spec).steps), rng.randrange(2**32), None)
        drawn = instance_values(sizes)
        vectors = ("h0_f", "h_end_b")  # drawn as d x 1, written as d numbers
        return {"activation": sizes.activation, "hidden_size": sizes.hidden_size, "steps": sizes.steps,
                "seed": sizes.seed, INSTANCE: {k: instance_table(drawn[k].reshape(-1) if k in vectors else drawn[k])
                                               for k in INSTANCE_KEYS}}

    def misconceptions(self, config: Config) -> list[Misconception]:
        return misconceptions(config)

    def graded(self, key: dict[str, Any]) -> list[GradedPart]:
        """The instance's loss and gradients, when the sheet printed the instance (a key written
        before `on_sheet` existed: graded)."""
        if get(key, self.key, INSTANCE).get("on_sheet", True) is False:
            return []
        instance = self.parts.instance
        share = Fraction(instance.points) / 3  # the instance's loss and its two gradients
        out = [GradedPart(f"{self.key}.{INSTANCE}.loss", instance.id, share, NUMBER,
                          get(key, self.key, INSTANCE, "loss"), (self.key, INSTANCE, "loss"))]
        for name in ("grad_W_b", "grad_U_f"):
            matrix = get(key, self.key, INSTANCE, name)
            rows, cols = len(matrix), len(matrix[0])
            for i in range(rows):
                for j in range(cols):
                    out.append(GradedPart(f"{self.key}.{INSTANCE}.{name}.{i + 1}.{j + 1}", instance.id,
                                          share / (rows * cols), NUMBER, matrix[i][j], (self.key, INSTANCE, name),
                                          entry=(i, j), shape=(rows, cols)))
        return out
