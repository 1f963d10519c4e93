"""Question 3: gradients of a bidirectional RNN. The derivation is in birnn_model, its
evaluation on an instance in birnn_instance, the checks in birnn_checks, what the templates
print in birnn_view; this module reads the computational graph off the model's equations and
assembles the answer."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import sympy as sp

from derive.answer import Boxed, Row, Tex
from derive.config import BirnnConfig, Config
from derive.graded_parts import NUMBER, GradedPart, get
from derive.latex.notation import Series, Subscripted
from derive.latex.printer import tex
from derive.published import Section
from derive.questions.base import Misconception, Question, Table
from derive.questions.birnn import checks as birnn_checks
from derive.questions.birnn import view as birnn_view
from derive.questions.birnn.instance import (
    DECIMALS,
    Evaluation,
    high_precision,
    instance_values,
    rounded,
    working_precision,
)
from derive.questions.birnn.model import (
    INSTANCE,
    INSTANCE_KEYS,
    KEY,
    WEIGHTS,
    BirnnParts,
    D,
    Derivation,
    U_b,
    U_f,
    V_b,
    V_f,
    W_b,
    W_f,
    derive_forms,
    hb,
    hf,
    published_tex,
    x,
    y,
)
from derive.verify import Planned

if TYPE_CHECKING:
    from derive.variants_spec import VariantsSpec

# --- 3.1: the computational graph, read off the model's equations ---------------------------

class Node(NamedTuple):
    """A node of the unrolled graph: a quantity of the model (its plain name) at a time step."""

    kind: str  # x, h_f, h_b, y or L
    step: int

    @property
    def label(self) -> Tex:
        symbol = Subscripted(self.kind, self.step) if self.kind == "L" else Series(self.kind, D, 1, self.step)
        return Tex(tex(symbol))


class Edge(NamedTuple):
    """A matrix product in the equation of the node it enters, or the loss L_t read off y_t."""

    source: Node
    target: Node
    weight: str  # the weight's plain name (a key of WEIGHTS), or "" for y_t -> L_t

    @property
    def label(self) -> Tex:
        return Tex(tex(WEIGHTS[self.weight])) if self.weight else Tex("")


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]  # in order of first appearance along the edges
    edges: tuple[Edge, ...]


def graph(steps: int) -> Graph:
    """Nodes and labelled edges of the unrolled BiRNN, from the equations at each concrete t."""
    edges: list[Edge] = []
    for t in range(1, steps + 1):
        equations = {
            hf.at(t): W_f * x.at(t) + U_f * hf.at(t - 1),
            hb.at(t): W_b * x.at(t) + U_b * hb.at(t + 1),
            y.at(t): V_f * hf.at(t) + V_b * hb.at(t),
        }
        for lhs, rhs in equations.items():
            for term in sp.MatAdd.make_args(rhs):
                weight, source = term.args
                edges.append(Edge(_node(source), _node(lhs), weight.name))
        edges.append(Edge(_node(y.at(t)), Node("L", t), ""))
    nodes = dict.fromkeys(node for edge in edges for node in (edge.source, edge.target))
    return Graph(tuple(nodes), tuple(edges))


def _node(vector: Series) -> Node:
    return Node(vector.name, int(vector.time))


# --- The question's answer --------------------------------------------------------------------


@dataclass(frozen=True)
class BirnnAnswer:
    config: BirnnConfig
    derivation: Derivation
    graph: Graph
    values: dict[str, np.ndarray]
    evaluation: Evaluation  # the closed forms at `digits` digits, each number rounded to the nearest float64
    digits: int

    def grad_matrix(self, key: str) -> sp.ImmutableMatrix:
        grad = self.evaluation.grad_W_b if key == "W_b" else self.evaluation.grad_U_f
        return sp.ImmutableMatrix(grad.tolist())


def derive(config: Config) -> BirnnAnswer:
    cfg = config.birnn
    derivation = derive_forms(cfg.activation)
    values = instance_values(cfg)
    precision = working_precision(derivation.activation, values)
    evaluation = rounded(high_precision(derivation.forms, derivation.activation, values, precision))
    return BirnnAnswer(cfg, derivation, graph(cfg.steps), values, evaluation, precision.digits)


def instance_table(array: np.ndarray) -> list[Any]:
    """An array of exact decimals as [birnn.instance] writes it."""
    return [instance_table(row) if isinstance(row, np.ndarray) else decimal_of(row) for row in array]


def decimal_of(q: sp.Rational) -> Decimal:
    """A drawn entry (k / 10^DECIMALS) as the exact decimal a config writes."""
    value = Decimal(int(q.p)) / Decimal(int(q.q))
    if sp.Rational(str(value)) != q:
        raise ValueError(f"{q} is not a decimal of {DECIMALS} places")
    return value.quantize(Decimal(1).scaleb(-DECIMALS))


def as_json(answer: BirnnAnswer) -> dict[str, Any]:
    ev = answer.evaluation
    return {
        "activation": answer.config.activation,
        **published_tex(answer.derivation.forms),
        INSTANCE: {
            "source": "config" if answer.config.instance is not None else f"random (seed {answer.config.seed})",
            "on_sheet": birnn_view.on_sheet(answer.values),
            "loss": ev.loss,
            "grad_W_b": ev.grad_W_b.tolist(),
            "grad_U_f": ev.grad_U_f.tolist(),
        },
    }


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
        for activation in spec.birnn.activation:
            derive_forms(activation)

    def as_json(self, answer: BirnnAnswer) -> dict[str, Any]:
        return as_json(answer)

    def prompt(self, config: Config) -> birnn_view.BirnnPrompt:
        return birnn_view.prompt(config.birnn)

    def randomize(self, rng: random.Random, spec: VariantsSpec) -> Table:
        """The sizes and a seed, and the instance that seed draws, written out: the variant's
        config.toml gives the numbers its sheet prints, not only how to draw them."""
        sizes = BirnnConfig(rng.choice(spec.birnn.activation), rng.choice(spec.birnn.hidden_size),
                            rng.choice(spec.birnn.steps), rng.randrange(2**32), None)
        drawn = instance_values(sizes)
        vectors = ("h0_f", "h_end_b")  # drawn as d x 1, written as d numbers
        return {"activation": sizes.activation, "hidden_size": sizes.hidden_size, "steps": sizes.steps,
                "seed": sizes.seed, INSTANCE: {k: instance_table(drawn[k].reshape(-1) if k in vectors else drawn[k])
                                               for k in INSTANCE_KEYS}}

    def misconceptions(self, config: Config) -> list[Misconception]:
        from derive.questions.birnn.misconceptions import misconceptions  # it imports this module: imported late

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
