"""Question 3: gradients of a bidirectional RNN. The derivation is in birnn_model, its
evaluation on an instance in birnn_instance, the checks in birnn_checks; this module draws
the computational graph and assembles the answer."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from derive.config import BirnnConfig, Config
from derive.grade.parts import NUMBER, get
from derive.grade.parts import Part as GradedPart
from derive.latex.printer import tex
from derive.questions import birnn_checks
from derive.questions.base import Question, Table
from derive.questions.birnn_instance import Evaluation, evaluate_forms, float_apply, instance_values
from derive.questions.birnn_model import BirnnParts, D, Derivation, U_b, U_f, V_b, V_f, W_b, W_f, derive_forms
from derive.verify import Planned

if TYPE_CHECKING:
    from derive.variants_spec import VariantsSpec

# --- 3.1: the computational graph, read off the model's equations ---------------------------

@dataclass(frozen=True)
class Graph:
    nodes: dict[str, tuple[int, int]]  # node LaTeX -> (column t, row)
    edges: tuple[tuple[str, str, str], ...]  # (from, to, weight LaTeX or "")


def graph(steps: int) -> Graph:
    """Nodes and labelled edges of the unrolled BiRNN, from the equations at each concrete t."""
    def vec(name: str, t: int) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(f"{name}_{{{t}}}", D, 1)

    rows = {"x": 0, "h^{(f)}": 1, "h^{(b)}": 2, "y": 3, "L": 4}
    nodes: dict[str, tuple[int, int]] = {}
    edges: list[tuple[str, str, str]] = []
    for t in range(1, steps + 1):
        equations = {
            vec("h^{(f)}", t): W_f * vec("x", t) + U_f * vec("h^{(f)}", t - 1),
            vec("h^{(b)}", t): W_b * vec("x", t) + U_b * vec("h^{(b)}", t + 1),
            vec("y", t): V_f * vec("h^{(f)}", t) + V_b * vec("h^{(b)}", t),
        }
        for lhs, rhs in equations.items():
            for term in sp.MatAdd.make_args(rhs):
                weight, source = term.args
                edges.append((source.name, lhs.name, weight.name))
        edges.append((vec("y", t).name, f"L_{{{t}}}", ""))
    for src, dst, _ in edges:
        for name in (src, dst):
            base, step = name.rsplit("_", 1)
            nodes.setdefault(name, (int(step.strip("{}")), rows[base]))
    return Graph(nodes, tuple(edges))


# --- The question's answer --------------------------------------------------------------------

@dataclass(frozen=True)
class BirnnAnswer:
    config: BirnnConfig
    derivation: Derivation
    graph: Graph
    values: dict[str, np.ndarray]
    evaluation: Evaluation  # float64, from the closed forms

    def grad_matrix(self, key: str) -> sp.ImmutableMatrix:
        grad = self.evaluation.grad_W_b if key == "W_b" else self.evaluation.grad_U_f
        return sp.ImmutableMatrix(grad.astype(float).tolist())


def derive(config: Config) -> BirnnAnswer:
    cfg = config.birnn
    derivation = derive_forms(cfg.activation)
    values = instance_values(cfg)
    floats = {k: a.astype(float) for k, a in values.items()}
    evaluation = evaluate_forms(derivation.forms, derivation.activation, floats, float_apply)
    return BirnnAnswer(cfg, derivation, graph(cfg.steps), values, evaluation)


def sum_over_t(term: sp.MatrixExpr) -> str:
    return r"\sum_{t=1}^{T} " + tex(term)


def as_json(answer: BirnnAnswer) -> dict[str, Any]:
    forms, ev = answer.derivation.forms, answer.evaluation
    return {
        "activation": answer.config.activation,
        "grad_W_b": sum_over_t(forms.term_W_b),
        "grad_U_f": sum_over_t(forms.term_U_f),
        "jacobian_forward": tex(forms.jac_f),
        "jacobian_backward": tex(forms.jac_b),
        "instance": {
            "source": "config" if answer.config.instance is not None else f"random (seed {answer.config.seed})",
            "loss": float(ev.loss),
            "grad_W_b": ev.grad_W_b.astype(float).tolist(),
            "grad_U_f": ev.grad_U_f.astype(float).tolist(),
        },
    }


class Birnn(Question[BirnnAnswer]):
    key = "birnn"
    title = "RNNs"
    parts = BirnnParts

    def derive(self, config: Config) -> BirnnAnswer:
        return derive(config)

    def plan(self, answer: BirnnAnswer, config: Config) -> Planned:
        return birnn_checks.plan(answer, config)

    def view(self, answer: BirnnAnswer, pytorch: bool) -> Mapping[str, Any]:
        return {"answers": {self.key: answer}, "pytorch": pytorch}

    def as_json(self, answer: BirnnAnswer) -> dict[str, Any]:
        return as_json(answer)

    def prompt(self, config: Config) -> Mapping[str, Any]:
        return {"activation": config.birnn.activation, "steps": config.birnn.steps}

    def randomize(self, rng: random.Random, spec: VariantsSpec) -> Table:
        return {"activation": rng.choice(spec.birnn.activation), "hidden_size": rng.choice(spec.birnn.hidden_size),
                "steps": rng.choice(spec.birnn.steps), "seed": rng.randrange(2**32)}

    def graded(self, key: dict[str, Any]) -> list[GradedPart]:
        instance = self.parts.instance
        share = Fraction(instance.points) / 3  # the instance's loss and its two gradients
        out = [GradedPart(f"{self.key}.instance.loss", instance.id, share, NUMBER,
                          get(key, self.key, "instance", "loss"), (self.key, "instance", "loss"))]
        for name in ("grad_W_b", "grad_U_f"):
            matrix = get(key, self.key, "instance", name)
            rows, cols = len(matrix), len(matrix[0])
            for i in range(rows):
                for j in range(cols):
                    out.append(GradedPart(f"{self.key}.instance.{name}.{i + 1}.{j + 1}", instance.id,
                                          share / (rows * cols), NUMBER, matrix[i][j], (self.key, "instance", name),
                                          entry=(i, j), shape=(rows, cols)))
        return out
