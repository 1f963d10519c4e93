"""Question 3's printed work read back (derive/questions/birnn/rows.py): passes on the rows the
view gives the template, and fails on a planted wrong row of each kind, among them the two
printed-work survivors of docs/testing.md (3.2's chain rule with f'(a) divided, the backward
Jacobian printed at h_{t-2}) and a transposed Jacobian."""

from __future__ import annotations

import dataclasses
import types

import pytest
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from derive import config
from derive.answer import Row, Tex
from derive.latex.notation import Jacobian
from derive.latex.printer import tex
from derive.questions.birnn import checks as birnn_checks
from derive.questions.birnn import question as q3
from derive.questions.birnn import view as birnn_view
from derive.questions.birnn.model import FPRIME, T_END, U_b, derive_forms, gf, hb, hf, x
from derive.questions.birnn.rows import NAME, TOLERANCE, Trajectory, claim, row_errors, rows_check, sections

ROW, COL = sp.symbols("i j", integer=True, positive=True)  # the component form's indices i, j


def _view(activation="tanh"):
    return birnn_view.derivation_view(types.SimpleNamespace(derivation=derive_forms(activation)))


def _check(view, activation="tanh", seed=0):
    return rows_check(view, activation, seed)


def _replace(view, field, index, **change):
    rows = list(getattr(view, field))
    rows[index] = dataclasses.replace(rows[index], **change)
    return dataclasses.replace(view, **{field: tuple(rows)})


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_the_printed_work_passes(activation, seed):
    check = _check(_view(activation), activation, seed)
    assert check.passed and check.max_error < 1e-8, check


def test_the_left_sides_read_as_the_assignment_names_them():
    # t = 3 and T = 5 on the trajectory: h^(b)_{t-1} is h_b at 2, nabla_{h^(f)_T} L at 5
    assert claim(r"\frac{\partial h^{(b)}_{t-1}}{\partial h^{(b)}_{t}}", "f") == ("jac", ("h_b", 2), ("h_b", 3))
    assert claim(r"\nabla_{h^{(f)}_{T}} L", "f") == ("gradient", ("h_f", 5), ("L", None))
    assert claim(r"\nabla_{h^{(f)}_{T-1}} L", "f") == ("gradient", ("h_f", 4), ("L", None))
    assert claim(r"\frac{d}{d {h^{(b)}_{t,j}}} a_{t-1,i}", "b") == ("pre_slope", "b", 2, ("h_b", 3))
    assert claim(r"h^{(f)}_{t}", "f") is None


def _chain_rule_divided(view, field):
    """The survivor: f'(a_i) divided by, not multiplied by, the derivative of a_i."""
    rows = getattr(view, field)
    (fprime,) = rows[3].rhs.atoms(FPRIME)
    (slope,) = rows[3].rhs.atoms(sp.Derivative)
    return _replace(view, field, 3, rhs=fprime / slope)


def _box(view, field, change):
    return dataclasses.replace(view, boxed=dataclasses.replace(
        view.boxed, **{field: Tex(change(str(getattr(view.boxed, field))))}))


def _jacobian_at_t_minus_2(view):
    """The survivor: the boxed backward Jacobian labelled d h^(b)_{t-2} / d h^(b)_t."""
    form = str(view.boxed.jacobian_backward).partition(" = ")[2]
    box = Tex(f"{tex(Jacobian(hb(-2), hb()))} = {form}")
    return dataclasses.replace(view, boxed=dataclasses.replace(view.boxed, jacobian_backward=box))


PLANTED = {
    "chain rule f'(a) divided, forward": lambda v: _chain_rule_divided(v, "entry_rows_f"),
    "chain rule f'(a) divided, backward": lambda v: _chain_rule_divided(v, "entry_rows_b"),
    "boxed backward Jacobian at h_{t-2}": _jacobian_at_t_minus_2,
    "backward Jacobian row at h_{t-2}": lambda v: _replace(v, "jacobian_rows", 2, lhs=Jacobian(hb(-2), hb())),
    "recursion through the Jacobian at h_{t-2}": lambda v: _replace(v, "recursion_rows", 3, rhs=v.recursion_rows[
        3].rhs.xreplace({Jacobian(hb(-1), hb()): Jacobian(hb(-2), hb())})),
    "transposed Jacobian, forward": lambda v: _replace(v, "jacobian_rows", 1, rhs=v.jacobian_rows[1].rhs.T),
    "transposed Jacobian, backward, SymPy's row": lambda v: _replace(v, "jacobian_rows", 2,
                                                                     rhs=v.jacobian_rows[2].rhs.T),
    "transposed Jacobian, boxed": lambda v: dataclasses.replace(v, boxed=dataclasses.replace(
        v.boxed, jacobian_forward=Tex(str(v.boxed.jacobian_forward).partition(" = ")[0] + " = "
                                      + tex(v.jacobian_rows[1].rhs.T)))),
    "Jacobian entry U_ji": lambda v: _replace(v, "entry_rows_b", 4,
                                             rhs=v.entry_rows_b[4].rhs.xreplace({ROW: COL, COL: ROW})),
    "directions exchanged": lambda v: dataclasses.replace(v, entry_rows_f=v.entry_rows_b,
                                                          entry_rows_b=v.entry_rows_f),
    "recursion's boundary at T - 1": lambda v: _replace(v, "recursion_rows", 2, lhs=gf.at(T_END - 1)),
    "local gradient of h_b printed as h_f's": lambda v: _replace(v, "local_rows", 5, rhs=v.local_rows[3].rhs),
    "boxed local gradient not the row's": lambda v: dataclasses.replace(v, local_b=v.local_f),
    "a row with no readable left side": lambda v: _replace(v, "local_rows", 0, lhs=hf()),
    "a right side that does not evaluate": lambda v: _replace(
        v, "jacobian_rows", 1, rhs=sp.MatMul(DiagMatrix(sp.MatrixSymbol("q", 3, 1)), U_b, evaluate=False)),
    "an index one below, U_{i-1,j}": lambda v: _replace(v, "entry_rows_f", 4,
                                                       rhs=v.entry_rows_f[4].rhs.xreplace({ROW: ROW - 1})),
    "W^(b)'s term with x_{t-1}": lambda v: _replace(v, "weight_rows", 1,
                                                   rhs=v.weight_rows[1].rhs.xreplace({x(): x(-1)})),
    "U^(f)'s term with h^(f)_t for h^(f)_{t-1}": lambda v: _replace(v, "weight_rows", 3,
                                                                   rhs=v.weight_rows[3].rhs.xreplace({hf(-1): hf()})),
    "boxed W^(b) gradient summed from t = 2": lambda v: _box(v, "grad_W_b", lambda b: b.replace("t=1", "t=2")),
    "boxed W^(b) gradient with U^(f)'s term": lambda v: _box(
        v, "grad_W_b", lambda b: b.partition(" = ")[0] + " = " + str(v.boxed.grad_U_f).partition(" = ")[2]),
    "the activation's derivative off": lambda v: _replace(v, "activation_rows", 2,
                                                          rhs=2 * v.activation_rows[2].rhs),
    # A NaN error is not the largest to max(): each of these passed before the errors were
    # gathered by answer.worst.
    "an entry row that is NaN": lambda v: _replace(v, "entry_rows_f", 4, rhs=sp.nan),
    "an entry row plus NaN": lambda v: _replace(v, "entry_rows_b", 4, rhs=v.entry_rows_b[4].rhs + sp.nan),
    "an activation row of oo * 0": lambda v: _replace(v, "activation_rows", 2,
                                                      rhs=v.activation_rows[2].rhs + sp.oo * sp.Symbol("a") * 0),
}


@pytest.mark.parametrize("plant", PLANTED.values(), ids=PLANTED.keys())
def test_a_planted_wrong_row_fails(plant):
    view = _view()
    planted = plant(view)
    assert planted != view and _check(view).passed
    assert not _check(planted).passed


@pytest.fixture(scope="module")
def answer():
    return q3.derive(config.load(None))


def test_the_build_plans_it_and_it_reads_the_model_rows(answer):
    """The build's check reads the rows the model derives, through the view: a chain rule
    divided in birnn_model's rows fails it."""
    (planned,) = [c for c in birnn_checks.plan(answer, config.load(None)) if getattr(c, "name", "") == NAME]
    assert planned.passed
    rows = list(answer.derivation.entry_rows["f"])
    (fprime,) = rows[3].rhs.atoms(FPRIME)
    (slope,) = rows[3].rhs.atoms(sp.Derivative)
    rows[3] = Row(rows[3].lhs, fprime / slope, note=rows[3].note)
    derivation = dataclasses.replace(answer.derivation, entry_rows={**answer.derivation.entry_rows, "f": tuple(rows)})
    assert not birnn_checks.rows_check(dataclasses.replace(answer, derivation=derivation)).passed


def test_the_boxed_label_the_view_prints_is_read(answer, monkeypatch):
    """The survivor as it was: the view's label of the backward Jacobian at h_{t-2}."""
    monkeypatch.setitem(birnn_view.BOX_LABELS, "jacobian_backward", tex(Jacobian(hb(-2), hb())))
    assert not birnn_checks.rows_check(answer).passed


@pytest.mark.parametrize("field, index, change", [
    ("entry_rows_f", 3, lambda e: e.atoms(FPRIME).pop() / e.atoms(sp.Derivative).pop()),  # f'(a) divided
    ("jacobian_rows", 3, lambda e: e.T),  # a transposed Jacobian
    ("weight_rows", 1, lambda e: e.xreplace({x(): x(-1)})),  # W^(b)'s term with x_{t-1}
    ("weight_rows", 3, lambda e: e.xreplace({hf(-1): hf()})),  # U^(f)'s term with h^(f)_t
])
def test_the_wrong_row_itself_is_off_by_its_value(field, index, change):
    """Not only the box below it: the planted row's own error is finite and past the tolerance."""
    view = _view()
    planted = _replace(view, field, index, rhs=change(getattr(view, field)[index].rhs))
    path = Trajectory("tanh", 0)
    (section,) = [s for s in sections(planted) if s.rows == getattr(planted, field)]
    errors, _ = row_errors(section, path)
    assert TOLERANCE < errors[index] < float("inf")
    assert max(errors[:index] + errors[index + 1:]) < TOLERANCE
