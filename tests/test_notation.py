"""Notation kept out of identities: plain names in every SymPy object, their LaTeX in one table,
and subscripts (time steps, indices) printed from the objects' structure."""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator

import pytest
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.core.symbol import Str

from derive import config
from derive.latex.notation import LETTER, NOTATION, PLAIN_NAME, Gradient, Jacobian, Series, Subscripted, entry
from derive.latex.printer import NotationError, tex
from derive.questions.birnn import answer as q3a
from derive.questions.birnn import model as m3
from derive.questions.normalization import answer as q1a

d = sp.Symbol("d", integer=True, positive=True)
t = sp.Symbol("t", integer=True, positive=True)
T = sp.Symbol("T", integer=True, positive=True)
i, j, k = sp.symbols("i j k", integer=True, positive=True)


def _names(expr: sp.Basic) -> Iterator[str]:
    """Every name an object carries: symbols, matrix symbols and series (their Str), undefined
    functions, indexed bases' labels, subscripted scalars."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Symbol | Str):
            yield node.name
        elif isinstance(node, AppliedUndef):
            yield node.func.__name__


def _shown() -> Iterator[sp.Basic]:
    """The SymPy objects the document shows: every derivation row of questions 1 and 3, the
    closed forms, and the graph's nodes and weights."""
    rows = []
    for activation in ("tanh", "sigmoid"):
        dv = m3.derive_forms(activation)
        rows += [*dv.activation.rows, *dv.local_rows]
        for table in (dv.entry_rows, dv.jacobian_rows, dv.weight_rows, dv.recursion_rows):
            rows += [r for group in table.values() for r in group]
        yield from vars(dv.forms).values()
    for statistic in q1a.derive(config.load(None)).statistics:
        rows += [r for group in statistic.groups for r in group.rows]
    yield from (x for r in rows for x in (r.lhs, r.rhs) if isinstance(x, sp.Basic))
    yield from m3.WEIGHTS.values()


def _all_names(objects: Iterable[sp.Basic]) -> set[str]:
    return {name for obj in objects for name in _names(obj)}


def test_every_name_in_the_derivation_is_a_plain_identifier():
    names = _all_names(_shown())
    assert {"W_f", "U_b", "h_f", "grad_h_b", "grad_step_y", "fprime", "sigma", "mu", "sigma2", "a", "L"} <= names
    assert not {n for n in names if not PLAIN_NAME.fullmatch(n)}


def test_the_table_covers_every_name_shown_and_holds_no_other():
    names = _all_names(_shown())
    assert not {n for n in names if n not in NOTATION and not LETTER.fullmatch(n)}
    assert set(NOTATION) <= names
    for plain, found in NOTATION.items():
        assert PLAIN_NAME.fullmatch(plain)
        if isinstance(found, Gradient):
            assert PLAIN_NAME.fullmatch(found.wrt) and entry(found.wrt) and entry(found.loss)


def test_a_single_letter_is_its_own_notation_and_any_other_unknown_name_raises():
    assert tex(sp.Symbol("x")) == "x" and tex(sp.MatrixSymbol("W", d, d)) == "W"
    for unknown in (sp.Symbol("alpha"), sp.MatrixSymbol("W_g", d, d), sp.Function("g2")(t),
                    Series("h_g", d, 1, t), Subscripted("nu", t), sp.IndexedBase("U_g")[i, j],
                    sp.Symbol(r"\mu_{c=1}")):
        with pytest.raises(NotationError, match="no notation for the name"):
            tex(unknown)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (Series("h_f", d, 1, t + 1), "h^{(f)}_{t+1}"),
        (Series("h_b", d, 1, t - 1), "h^{(b)}_{t-1}"),
        (Series("x", d, 1, t), "x_{t}"),
        (Series("y", d, 1, T), "y_{T}"),
        (Series("h_f", d, 1, 0), "h^{(f)}_{0}"),
        (Series("grad_h_b", d, 1, t - 1), r"\nabla_{h^{(b)}_{t-1}} L"),
        (Series("grad_step_y", d, 1, t), r"\nabla_{y_{t}} L_{t}"),
        (Series("h_f", d, 1, t + 1).subs(t, 3), "h^{(f)}_{4}"),
        (Subscripted("a", t + 1, i), "a_{t+1,i}"),
        (Subscripted("mu", sp.Eq(sp.Symbol("n"), 1), sp.Eq(sp.Symbol("c"), 2)), r"\mu_{n=1,c=2}"),
        (Subscripted("sigma2", sp.Eq(sp.Symbol("c"), 1)), r"\sigma^2_{c=1}"),
        (Jacobian(Series("h_f", d, 1, t + 1), Series("h_f", d, 1, t)),
         r"\frac{\partial h^{(f)}_{t+1}}{\partial h^{(f)}_{t}}"),
        (Jacobian(Series("h_b", d, 1, t - 1), Series("h_b", d, 1, t)).T,
         r"{\left(\frac{\partial h^{(b)}_{t-1}}{\partial h^{(b)}_{t}}\right)}^{\top}"),
        (sp.Function("sigma")(sp.Symbol("a")), r"\sigma{\left(a \right)}"),
    ],
)
def test_structure_prints_as_textbook_notation(expr, expected):
    assert tex(expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (sp.IndexedBase(Series("x", d, 1, t + 1))[k], "{x_{t+1,k}}"),
        (sp.IndexedBase(Series("h_f", d, 1, t))[k], "{h^{(f)}_{t,k}}"),
        (sp.IndexedBase("U_f")[i, j], "{U^{(f)}_{i,j}}"),
        (sp.IndexedBase(Series("h_b", d, 1, t - 1))[i] ** 2, r"\left({h^{(b)}_{t-1,i}}\right)^{2}"),
        (sp.IndexedBase(Series("x", d, 1, t))[i] ** 2, "{x_{t,i}}^{2}"),
        (sp.IndexedBase("U_b")[i, j] ** 3, r"\left({U^{(b)}_{i,j}}\right)^{3}"),
    ],
)
def test_an_entry_prints_with_its_base_and_its_step(expr, expected):
    """The entry's base carries its plain name (and step); whether a power needs parentheses is
    the table's superscript flag."""
    assert tex(expr) == expected


def test_a_series_keeps_its_step_through_sympy():
    """Steps are arguments: distinct steps are distinct symbols, substitution moves the step,
    and the objects survive pickling (answers cross process boundaries)."""
    h0, h1 = Series("h_f", d, 1, t), Series("h_f", d, 1, t + 1)
    assert h0 != h1 and h0.name == h1.name == "h_f" and h1.time == t + 1 and h1.shape == (d, 1)
    U = sp.MatrixSymbol("U_f", d, d)
    loss = sp.Trace(h1.T * U * h0)
    assert loss.diff(h1) == U * h0 and loss.diff(h0) == U.T * h1
    assert (U * h0).xreplace({t: 2}) == U * Series("h_f", d, 1, 2)
    for obj in (h1, Subscripted("a", t + 1, i), Jacobian(h1, h0), m3.derive_forms("tanh"), q3a.graph(2)):
        assert pickle.loads(pickle.dumps(obj)) == obj
