"""Question birnn: its answer, derived from the config, and the answer's answers.json section."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import sympy as sp

from derive.answer import Tex
from derive.config import Config
from derive.latex.notation import Series, Subscripted
from derive.latex.printer import tex
from derive.questions.birnn.given import on_sheet
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
    WEIGHTS,
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
from derive.questions.birnn.settings import SECTION as BIRNN
from derive.questions.birnn.settings import BirnnConfig

if TYPE_CHECKING:
    pass

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
    cfg = BIRNN.of(config)
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
            "on_sheet": on_sheet(answer.values),
            "loss": ev.loss,
            "grad_W_b": ev.grad_W_b.tolist(),
            "grad_U_f": ev.grad_U_f.tolist(),
        },
    }
