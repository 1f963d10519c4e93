"""Question 3's views: what its two templates print, as finished data.

`view` turns a derived answer into a `BirnnView` for templates/birnn/solutions.tex.j2: the derivation's
rows and closed forms, the computational graph laid out (every node's position, id and style,
every edge's label placement, the key of edge weights when the figure is too crowded for
labels), the instance's numbers formatted, and the constants the prose quotes read from the
code that uses them. `prompt` turns a config into a `BirnnPrompt` for the question sheet
(templates/birnn/sheet.tex.j2), from the config alone. The templates only print these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from derive.answer import Boxed, Row, Tex
from derive.latex import formatting, layout
from derive.latex.escaping import json_key
from derive.latex.notation import Jacobian
from derive.latex.printer import tex
from derive.published import Section, at, read
from derive.questions.birnn import instance as birnn_instance
from derive.questions.birnn import model as birnn_model
from derive.questions.birnn.given import SHEET_MAX_HIDDEN, cells_width, given_cells, on_sheet
from derive.questions.birnn.settings import BirnnConfig

if TYPE_CHECKING:
    from derive.questions.birnn.answer import BirnnAnswer, Edge, Graph, Node

# --- The computational graph's layout ---------------------------------------------------------

Kinds = tuple[str, str]  # an edge's (source kind, target kind): x, h_f, h_b, y or L

# The figure's rows, bottom to top: inputs, the two directions, outputs, losses. Each kind of
# node sits at (its step + a horizontal offset, a height in cm); the two directions are
# staggered so that no edge crosses a node.
PLACE = {"x": (0.0, 0.0), "h_f": (-0.3, 1.5), "h_b": (0.3, 3.0), "y": (0.0, 4.5), "L": (0.0, 5.8)}
# Where an edge's weight is written (TikZ options of its label), by the kinds it joins.
LABEL_PLACEMENT = {("x", "h_f"): "left", ("x", "h_b"): "pos=0.22, right", ("h_f", "h_f"): "pos=0.78, below",
                   ("h_b", "h_b"): "pos=0.22, above", ("h_f", "y"): "pos=0.78, left", ("h_b", "y"): "right",
                   ("y", "L"): "right"}
# The key's entries, in its order: each kind of weighted edge, as the key names it.
KEY_KINDS = {("x", "h_f"): r"x_t \to h^{(f)}_t", ("x", "h_b"): r"x_t \to h^{(b)}_t",
             ("h_f", "h_f"): r"h^{(f)}_{t-1} \to h^{(f)}_t", ("h_b", "h_b"): r"h^{(b)}_{t+1} \to h^{(b)}_t",
             ("h_f", "y"): r"h^{(f)}_t \to y_t", ("h_b", "y"): r"h^{(b)}_t \to y_t"}
INPUT, LOSS = "x", "L"  # the kinds drawn shaded and boxed
MAX_STEP_CM = 2.6  # the horizontal distance between steps, at most
FIGURE_WIDTH_CM = 14.0  # spread over the T steps and the two initial states
LABELLED_STEP_CM = 2.0  # below this distance, edges are not labelled: the key says their weights
COORDINATE_DIGITS = 4

# --- The instance's numbers -------------------------------------------------------------------

GRADIENT_DIGITS = 4  # significant digits of the gradients' entries
GRADIENT_INDENT_EM = 6  # what a gradient's line spends before its matrix
SIDE_BY_SIDE_EM = 16  # what the loss, the labels and the spacing take when all three share a line
LOSS_DECIMALS, LOSS_DIGITS = 6, 3  # the loss, rounded, then quoted at this many significant digits


@dataclass(frozen=True)
class FigureNode:
    id: Tex  # the TikZ name the edges refer to
    x: Tex
    y: Tex
    label: Tex
    shaded: bool  # an input x_t
    boxed: bool  # a loss L_t


@dataclass(frozen=True)
class FigureEdge:
    source: Tex  # node ids
    target: Tex
    placement: Tex  # TikZ options of the weight's label
    label: Tex  # the weight, or empty for y_t -> L_t


@dataclass(frozen=True)
class KeyEntry:
    kind: Tex  # "x_t -> h^(f)_t"
    weight: Tex


@dataclass(frozen=True)
class GraphView:
    step_cm: Tex  # the horizontal distance between steps
    crowded: bool  # too little room for edge labels: the figure is small and has a key
    nodes: tuple[FigureNode, ...]
    edges: tuple[FigureEdge, ...]
    key: tuple[KeyEntry, ...]  # empty unless crowded
    initial_backward: Tex  # h^(b)_{T+1}


@dataclass(frozen=True)
class DerivationView:
    activation_rows: tuple[Row, ...]
    local_rows: tuple[Row, ...]
    entry_rows_f: tuple[Row, ...]
    entry_rows_b: tuple[Row, ...]
    jacobian_rows: tuple[Row, ...]  # forward, then backward
    recursion_rows: tuple[Row, ...]  # forward, then backward
    weight_rows: tuple[Row, ...]  # W^(b), then U^(f)
    local_f: Tex
    local_b: Tex
    boxed: BoxedForms


@dataclass(frozen=True)
class BoxedForms:
    """The boxed closed forms as the solutions print them, "label = form" (box_tex)."""

    jacobian_forward: Tex
    jacobian_backward: Tex
    grad_W_b: Tex
    grad_U_f: Tex


@dataclass(frozen=True)
class InstanceView:
    hidden_size: int
    random: bool  # a seeded random instance, not the config's own
    seed: int
    decimals: Tex  # of a random instance's entries, in words
    digits: int  # of the evaluation the printed values are rounded from
    pytorch: bool  # the PyTorch check runs
    loss: Tex
    grad_W_b: Tex
    grad_U_f: Tex
    side_by_side: bool  # the loss and both gradients fit one line
    complete: bool  # every entry is shown
    shown: Tex  # which entries are, when not all
    where: Tex  # the answers.json key that has every entry


@dataclass(frozen=True)
class BirnnView:
    activation: Tex  # f, as the equations write it
    matrices: Tex  # how many weight matrices, in words
    steps: int
    graph: GraphView
    derivation: DerivationView
    instance: InstanceView


@dataclass(frozen=True)
class GivenArray:
    """One array of the instance as the sheet prints it: every entry exactly."""

    key: Tex  # its config key (birnn.instance.W_f), which the sheet marks it with
    label: Tex
    value: Tex  # a bmatrix; a vector as a transposed row


@dataclass(frozen=True)
class InstancePrompt:
    """The instance 3.3 is evaluated at, for the question sheet: all of it, or why not."""

    lines: tuple[tuple[GivenArray, ...], ...]  # the arrays, as many to a line as fit; empty when not printed
    hidden_size: int
    steps: int
    too_large: Tex  # why it is not printed (empty when it is)


@dataclass(frozen=True)
class BirnnPrompt:
    activation: Tex
    defines_sigmoid: bool  # the sheet says what sigma is
    matrices: Tex
    steps: int
    instance: InstancePrompt


def activation_tex(name: str) -> Tex:
    """The activation as the equations write it (tanh, sigma): the model's display function."""
    return formatting.exact(birnn_model.DISPLAY[name])


def matrix_count() -> Tex:
    """How many weight matrices the model has, in words."""
    return formatting.spelled(len(birnn_model.WEIGHTS))


def prompt(cfg: BirnnConfig) -> BirnnPrompt:
    return BirnnPrompt(activation_tex(cfg.activation), cfg.activation == "sigmoid", matrix_count(), cfg.steps,
                       instance_prompt(birnn_instance.instance_values(cfg), cfg.steps))


# --- The instance on the question sheet -------------------------------------------------------


def given_labels(steps: int) -> dict[str, Tex]:
    """Each array's label on the sheet: the weights by their symbols, x and z by their rows."""
    weights = {k: Tex(tex(w)) for k, w in birnn_model.WEIGHTS.items()}
    return {**weights, "x": Tex(r"[x_1, \dots, x_T]^\top"), "z": Tex(r"[z_1, \dots, z_T]^\top"),
            "h0_f": formatting.exact(birnn_model.hf.at(0)),
            "h_end_b": formatting.exact(birnn_model.hb.at(steps + 1))}


def instance_prompt(values: dict[str, np.ndarray], steps: int) -> InstancePrompt:
    d = values["W_f"].shape[0]
    if not on_sheet(values):
        why = (f"d = {d} is more than {SHEET_MAX_HIDDEN}" if d > SHEET_MAX_HIDDEN
               else "its entries are too long to print")
        return InstancePrompt((), d, steps, Tex(why))
    labels = given_labels(steps)
    lines: list[list[GivenArray]] = [[]]
    used = 0.0  # of the current line, in em
    for k in birnn_model.INSTANCE_KEYS:
        cells = given_cells(values[k])
        body = r" \\ ".join(" & ".join(str(c) for c in row) for row in cells)
        matrix = r"\begin{bmatrix}" + body + r"\end{bmatrix}" + (r"^\top" if values[k].shape[1] == 1 else "")
        if lines[-1] and used + cells_width(cells) > layout.TEXT_WIDTH_EM:
            lines.append([])
            used = 0.0
        lines[-1].append(GivenArray(Tex(f"birnn.instance.{k}"), labels[k], Tex(matrix)))
        used += cells_width(cells)
    return InstancePrompt(tuple(tuple(line) for line in lines), d, steps, Tex(""))


def view(answer: BirnnAnswer, pytorch: bool, where: str) -> BirnnView:
    """`where`: the answers.json key of the instance's values."""
    return BirnnView(activation_tex(answer.config.activation), matrix_count(), answer.config.steps,
                     graph_view(answer.graph, answer.config.steps), derivation_view(answer),
                     instance_view(answer, pytorch, where))


def step_cm(steps: int) -> float:
    return min(MAX_STEP_CM, FIGURE_WIDTH_CM / (steps + 2))


def graph_view(graph: Graph, steps: int) -> GraphView:
    distance = step_cm(steps)
    crowded = distance < LABELLED_STEP_CM
    ids = {node: Tex(f"n{i}") for i, node in enumerate(graph.nodes, start=1)}
    nodes = tuple(figure_node(node, ids[node]) for node in graph.nodes)
    edges = tuple(FigureEdge(ids[e.source], ids[e.target], Tex(LABEL_PLACEMENT[kinds(e)]), e.label)
                  for e in graph.edges)
    return GraphView(formatting.fixed(distance, 2), crowded, nodes, edges, weight_key(graph) if crowded else (),
                     formatting.exact(birnn_model.hb.at(steps + 1)))


def figure_node(node: Node, node_id: Tex) -> FigureNode:
    dx, y = PLACE[node.kind]
    return FigureNode(node_id, formatting.significant(node.step + dx, COORDINATE_DIGITS),
                      formatting.significant(y, COORDINATE_DIGITS), node.label, node.kind == INPUT, node.kind == LOSS)


def kinds(edge: Edge) -> Kinds:
    return edge.source.kind, edge.target.kind


def weight_key(graph: Graph) -> tuple[KeyEntry, ...]:
    """One entry per kind of weighted edge, with the weight its edges carry."""
    weights = {kinds(e): e.label for e in graph.edges if e.weight}
    return tuple(KeyEntry(Tex(text), weights[kind]) for kind, text in KEY_KINDS.items() if kind in weights)


# --- The derivation ---------------------------------------------------------------------------

def derivation_view(answer: BirnnAnswer) -> DerivationView:
    dv = answer.derivation
    forms = dv.forms
    return DerivationView(
        activation_rows=dv.activation.rows, local_rows=dv.local_rows,
        entry_rows_f=dv.entry_rows["f"], entry_rows_b=dv.entry_rows["b"],
        jacobian_rows=dv.jacobian_rows["f"] + dv.jacobian_rows["b"],
        recursion_rows=dv.recursion_rows["f"] + dv.recursion_rows["b"],
        weight_rows=dv.weight_rows["W_b"] + dv.weight_rows["U_f"],
        local_f=formatting.exact(forms.local_f), local_b=formatting.exact(forms.local_b),
        boxed=BoxedForms(**{name: box_tex(name, latex) for name, latex in birnn_model.published_tex(forms).items()}))


# --- The boxed closed forms -------------------------------------------------------------------

# What each boxed closed form is of, by its answers.json field, and the sub-question it answers.
BOX_LABELS = {
    "jacobian_forward": tex(Jacobian(birnn_model.hf(1), birnn_model.hf())),
    "jacobian_backward": tex(Jacobian(birnn_model.hb(-1), birnn_model.hb())),
    "grad_W_b": rf"\nabla_{{{tex(birnn_model.W_b)}}} L",
    "grad_U_f": rf"\nabla_{{{tex(birnn_model.U_f)}}} L",
}
BOX_PARTS = {"jacobian_forward": "jacobians", "jacobian_backward": "jacobians", "grad_W_b": "instance",
             "grad_U_f": "instance"}  # names of BirnnParts (issued once the question is registered)


def box_tex(field: str, latex: str) -> Tex:
    """A boxed closed form: its label, then the form's LaTeX as answers.json publishes it."""
    return Tex(f"{BOX_LABELS[field]} = {latex}")


def boxed(section: Section, key: str) -> list[Boxed]:
    """Each boxed closed form made from the published section (`key`: the question's key)."""
    out = []
    for field, part in BOX_PARTS.items():
        latex = read(at, section, field)
        out.append(Boxed(getattr(birnn_model.BirnnParts, part), f"{key}.{field}",
                         box_tex(field, latex) if isinstance(latex, str) else None))
    return out


# --- The instance -----------------------------------------------------------------------------

def instance_view(answer: BirnnAnswer, pytorch: bool, where: str) -> InstanceView:
    cfg, ev = answer.config, answer.evaluation
    grad_w, grad_u = gradient_excerpt(answer.grad_matrix("W_b")), gradient_excerpt(answer.grad_matrix("U_f"))
    return InstanceView(
        hidden_size=cfg.hidden_size, random=cfg.instance is None, seed=cfg.seed,
        decimals=formatting.spelled(birnn_instance.DECIMALS), digits=answer.digits, pytorch=pytorch,
        loss=formatting.dec(round(float(ev.loss), LOSS_DECIMALS), LOSS_DIGITS),
        grad_W_b=grad_w.tex, grad_U_f=grad_u.tex,
        side_by_side=grad_w.width + grad_u.width + SIDE_BY_SIDE_EM <= layout.TEXT_WIDTH_EM,
        complete=grad_w.complete, shown=grad_w.where, where=json_key(where))


def gradient_excerpt(matrix: sp.ImmutableMatrix) -> layout.MatrixExcerpt:
    return layout.excerpt(matrix, lambda entry: formatting.dec(entry, GRADIENT_DIGITS),
                          layout.TEXT_WIDTH_EM - GRADIENT_INDENT_EM)
