"""Question 3's views (plain data by the rule every view follows: tests/test_views.py): no explicit
matrix, all its templates need, the graph's layout, and the
constants the prose quotes read from the code that uses them."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

import pytest
import sympy as sp
from jinja2 import meta, nodes

from derive import build, config
from derive.answer import Tex
from derive.errors import ConfigError
from derive.latex import formatting
from derive.latex.render import environment, render
from derive.questions.birnn import instance as birnn_instance
from derive.questions.birnn import model as birnn_model
from derive.questions.birnn import settings as birnn_settings
from derive.questions.birnn import view as birnn_view
from derive.questions.birnn.instance import INSTANCE_KEYS
from derive.questions.registry import QUESTIONS
from derive.sheet import sheet_source
from tests.view_support import assert_plain

BIRNN = QUESTIONS["birnn"]
NODE_RADIUS_CM = {False: 0.45, True: 0.36}  # by crowded: the template's node sizes (0.9 cm, 0.72 cm), halved


def _config(activation: str = "tanh", **birnn: Any) -> config.Config:
    base = config.load(None)
    return base.replace(birnn=dataclasses.replace(base.birnn, activation=activation, **birnn))


def _view(cfg: config.Config, pytorch: bool = True) -> birnn_view.BirnnView:
    return BIRNN.view(BIRNN.derive(cfg), pytorch)


def _section(cfg: config.Config, pytorch: bool = True) -> str:
    return build.question_source(BIRNN, BIRNN.derive(cfg), pytorch)


CONFIGS = {"tanh": _config(), "sigmoid": _config("sigmoid", hidden_size=2, steps=4),
           "crowded": _config(hidden_size=16, steps=12), "one step": _config("sigmoid", steps=1)}


# --- No explicit matrix (plain data: tests/test_views.py) --------------------------------------

@pytest.mark.parametrize("name", CONFIGS)
def test_the_view_holds_no_explicit_matrix(name):
    """Stricter than the rule every view follows (tests/test_views.py): Question 3's view holds
    symbolic matrices only; the instance's numbers are laid out as LaTeX."""
    view = _view(CONFIGS[name])
    assert isinstance(view, birnn_view.BirnnView)
    leaves = assert_plain(view, "v") + assert_plain(BIRNN.prompt(CONFIGS[name]), "d")
    assert [path for path, leaf in leaves if isinstance(leaf, sp.MatrixBase)] == []


# Template nodes that would compute, compare or look up by key (a view's job), or set variables.
COMPUTING = (nodes.Filter, nodes.Getitem, nodes.Compare, nodes.BinExpr, nodes.Neg, nodes.Pos, nodes.CondExpr,
             nodes.List, nodes.Tuple, nodes.Dict, nodes.Concat, nodes.Assign, nodes.AssignBlock, nodes.Macro,
             nodes.Const, nodes.Test)


def _parse(name: str) -> nodes.Template:
    env = environment()
    return env.parse(env.loader.get_source(env, name)[0])  # type: ignore[union-attr]


def _only_prints(ast: nodes.Node) -> None:
    """No filter, arithmetic, comparison, test, literal or key lookup; the only calls are the
    shared derivation macro's, on the view's rows."""
    assert not list(ast.find_all(COMPUTING)), [type(n).__name__ for n in ast.find_all(COMPUTING)]
    for call in ast.find_all(nodes.Call):
        assert isinstance(call.node, nodes.Name) and call.node.name == "derivation" and not call.kwargs
        assert all(isinstance(arg, nodes.Getattr) for arg in call.args)


def test_the_section_template_only_prints_the_view_and_the_heading():
    ast = _parse(BIRNN.solutions_template)
    assert meta.find_undeclared_variables(ast) == {"v", "heading"}  # the macros are globals
    _only_prints(ast)


def test_the_sheet_template_only_prints_the_prompt_and_the_heading():
    ast = _parse(BIRNN.sheet_template)
    assert meta.find_undeclared_variables(ast) == {"d", "heading"}
    _only_prints(ast)


def test_headings_come_from_the_heading():
    heading = dataclasses.replace(BIRNN.heading(), number="9", title="Recurrent nets", points=99)
    text = render(BIRNN.solutions_template, heading=heading, v=_view(CONFIGS["tanh"]))
    assert r"\section{Question 9: Recurrent nets}" in text and r"\begin{question}{Question 9.}" in text
    assert r"\section*{Question 9: Recurrent nets (99 points)}" in render(
        BIRNN.sheet_template, heading=heading, d=BIRNN.prompt(CONFIGS["tanh"]))


# --- The graph's layout -------------------------------------------------------------------------

STEPS = (1, 2, 5, 6, 12)


def _graph(steps: int) -> birnn_view.GraphView:
    return _view(_config(hidden_size=2, steps=steps)).graph


@pytest.mark.parametrize("steps", STEPS)
def test_nodes_have_distinct_ids_and_positions_and_edges_join_them(steps):
    g = _graph(steps)
    ids = [n.id for n in g.nodes]
    assert len(set(ids)) == len(ids) == 5 * steps + 2  # x, h_f, h_b, y, L per step; h_f_0, h_b_{T+1}
    assert len({(n.x, n.y) for n in g.nodes}) == len(g.nodes)
    assert len(g.edges) == 7 * steps and all(e.source in ids and e.target in ids for e in g.edges)
    assert sum(n.shaded for n in g.nodes) == sum(n.boxed for n in g.nodes) == steps
    assert g.initial_backward == f"h^{{(b)}}_{{{steps + 1}}}"


def _distance(point: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    (px, py), (ax, ay), (bx, by) = point, a, b
    length2 = (bx - ax) ** 2 + (by - ay) ** 2
    t = max(0.0, min(1.0, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / length2))
    return math.hypot(px - ax - t * (bx - ax), py - ay - t * (by - ay))


@pytest.mark.parametrize("steps", STEPS)
def test_no_edge_crosses_a_node(steps):
    """The staggering of the two directions: every node is clear of every edge it is not on."""
    g = _graph(steps)
    at = {n.id: (float(n.x) * float(g.step_cm), float(n.y)) for n in g.nodes}
    for e in g.edges:
        for node, centre in at.items():
            if node not in (e.source, e.target):
                assert _distance(centre, at[e.source], at[e.target]) > NODE_RADIUS_CM[g.crowded], (e, node)


@pytest.mark.parametrize("steps", STEPS)
def test_the_key_appears_exactly_when_the_figure_is_crowded(steps):
    g = _graph(steps)
    assert g.crowded == (steps > 5)  # T = 5 still fits its labels, T = 6 does not
    assert g.crowded == (float(g.step_cm) < birnn_view.LABELLED_STEP_CM)
    text = _section(_config(hidden_size=2, steps=steps))
    assert ("Edge weights:" in text) == g.crowded == ("in the key under the figure" in text)
    assert (r"node[w," in text) == (not g.crowded)
    if g.crowded:
        assert {entry.weight for entry in g.key} == {tex for tex in (formatting.exact(w) for w in
                                                                    birnn_model.WEIGHTS.values())}
        assert len({entry.kind for entry in g.key}) == len(g.key) == len(birnn_model.WEIGHTS)
    else:
        assert g.key == ()


def test_the_key_follows_the_layout_constants(monkeypatch):
    monkeypatch.setattr(birnn_view, "FIGURE_WIDTH_CM", 100.0)
    g = _graph(12)
    assert not g.crowded and g.key == () and g.step_cm == "2.60"  # at most MAX_STEP_CM apart
    monkeypatch.setattr(birnn_view, "LABELLED_STEP_CM", 3.0)
    assert _graph(1).crowded and len(_graph(1).key) == len(birnn_model.WEIGHTS)


def test_drawn_labels_are_the_graph_labels():
    answer = BIRNN.derive(_config(hidden_size=2, steps=3))
    g = birnn_view.graph_view(answer.graph, 3)
    labels = {n.id: n.label for n in g.nodes}
    assert {(labels[e.source], labels[e.target], e.label) for e in g.edges} == {
        (e.source.label, e.target.label, e.label) for e in answer.graph.edges}


# --- Constants the prose quotes -----------------------------------------------------------------

def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_the_digits_quoted_are_those_the_printed_values_were_evaluated_at(monkeypatch):
    assert f"evaluated at {birnn_instance.DIGITS} digits, then rounded to float64" in _one_line(
        _section(CONFIGS["tanh"]))
    monkeypatch.setattr(birnn_instance, "DIGITS", 73)
    text = _one_line(_section(CONFIGS["tanh"]))
    assert "evaluated at 73 digits, then rounded" in text and "at 50 digits" not in text


def test_the_instance_decimals_come_from_the_instance(monkeypatch):
    assert "entries to two decimals" in _section(CONFIGS["tanh"])
    monkeypatch.setattr(birnn_instance, "DECIMALS", 3)
    cfg = CONFIGS["tanh"]
    entries = birnn_instance.instance_values(cfg.birnn)["W_f"].ravel()
    assert all((v * 1000).is_Integer for v in entries) and not all((v * 100).is_Integer for v in entries)
    text = _section(cfg)
    assert "entries to three decimals" in text and "two decimals" not in text


def test_an_explicit_instance_quotes_no_seed_or_decimals():
    text = _one_line(_section(_config(instance=birnn_settings.BirnnInstance(
        **{k: ((sp.Integer(1),),) for k in birnn_settings.BIRNN_WEIGHTS}, x=((sp.Integer(1),),), z=((sp.Integer(0),),),
        h0_f=(sp.Integer(0),), h_end_b=(sp.Integer(0),)), hidden_size=1, steps=1)))
    assert "the instance of the configuration" in text and "decimals" not in text and "seed" not in text


def test_the_matrix_count_comes_from_the_model(monkeypatch):
    assert "with all six matrices" in _section(CONFIGS["tanh"])
    assert "with all six matrices" in sheet_source(CONFIGS["tanh"])
    answer = BIRNN.derive(CONFIGS["tanh"])
    monkeypatch.setattr(birnn_model, "WEIGHTS", {**birnn_model.WEIGHTS, "B": sp.MatrixSymbol("B", 1, 1)})
    assert "with all seven matrices" in build.question_source(BIRNN, answer, True)
    assert "with all seven matrices" in sheet_source(CONFIGS["tanh"])


def test_the_loss_digits_come_from_the_view(monkeypatch):
    loss = float(BIRNN.derive(CONFIGS["tanh"]).evaluation.loss)
    assert f"L \\approx {loss:.3g}," in _section(CONFIGS["tanh"])
    monkeypatch.setattr(birnn_view, "LOSS_DIGITS", 5)
    assert f"L \\approx {round(loss, 6):.5g}," in _section(CONFIGS["tanh"])


def test_the_activation_is_printed_from_the_model(monkeypatch):
    assert _view(CONFIGS["tanh"]).activation == r"\tanh" and _view(CONFIGS["sigmoid"]).activation == r"\sigma"
    answer = BIRNN.derive(CONFIGS["tanh"])  # derived (and its derivation cached) with the model's own display
    monkeypatch.setitem(birnn_model.DISPLAY, "tanh", sp.Function("f"))
    assert "activation $f = f$" in _one_line(build.question_source(BIRNN, answer, True))
    assert r"h^{(f)}_t &= f\bigl(" in sheet_source(CONFIGS["tanh"])


def test_the_sheet_defines_the_sigmoid_only_for_the_sigmoid():
    assert r"\sigma(a) = 1/(1 + e^{-a})" in sheet_source(CONFIGS["sigmoid"])
    assert r"\sigma(a)" not in sheet_source(CONFIGS["tanh"])


def test_excerpts_name_the_answers_json_key():
    text = _section(CONFIGS["crowded"])
    assert r"under \texttt{birnn.\allowbreak{}instance}.)" in text
    assert re.search(r"\(Excerpts: rows 1--8 and 16 of 16, columns [^.]*\.", text)


# --- The weight names, once ---------------------------------------------------------------------

def test_the_weight_names_have_one_source():
    assignment = ("W_f", "U_f", "V_f", "W_b", "U_b", "V_b")  # restated from the assignment
    assert assignment == birnn_settings.BIRNN_WEIGHTS
    assert tuple(birnn_model.WEIGHTS) == assignment == tuple(w.name for w in birnn_model.WEIGHTS.values())
    assert tuple(w.name for w in (birnn_model.W_f, birnn_model.U_f, birnn_model.V_f,
                                  birnn_model.W_b, birnn_model.U_b, birnn_model.V_b)) == assignment
    assert INSTANCE_KEYS[:6] == assignment
    assert {f.name for f in dataclasses.fields(birnn_settings.BirnnInstance)} >= set(assignment)


def test_a_missing_weight_is_named_with_the_whole_list(load_text):
    with pytest.raises(ConfigError, match=r"all of W_f, U_f, V_f, W_b, U_b, V_b, x, z\)"):
        load_text("[birnn]\nhidden_size = 1\nsteps = 1\n[birnn.instance]\nW_f = [[1]]\n")


# --- The formatting the view uses ---------------------------------------------------------------

def test_counts_are_spelled_as_prose_writes_them():
    assert [formatting.spelled(n) for n in (0, 2, 6, 12, 13)] == ["zero", "two", "six", "twelve", "13"]
    assert all(isinstance(formatting.spelled(n), Tex) for n in (2, 13))


def test_significant_digits_drop_trailing_zeros():
    shown = [formatting.significant(x, 4) for x in (0, 3.0, 1 - 0.3, 12 + 0.3, -0.3)]
    assert shown == ["0", "3", "0.7", "12.3", "-0.3"]
    assert formatting.significant(9.6812, 3) == "9.68"


def test_a_large_loss_is_quoted_in_powers_of_ten():
    """At d = 16, T = 12 the loss runs into the thousands: LaTeX must get 1.12\\times 10^{3},
    not Python's 1.12e+03 (which it would print literally)."""
    loss = float(BIRNN.derive(CONFIGS["crowded"]).evaluation.loss)
    text = _view(CONFIGS["crowded"]).instance.loss
    assert loss >= 1000 and "e+" not in text and r"\times 10^{" in text
