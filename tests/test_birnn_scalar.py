"""The float programs the work and rows checks evaluate their rows with (derive/questions/birnn/
scalar.py): the value SymPy gives, on every row those checks read, and the failures SymPy's
float() has where a row does not evaluate."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

from derive import config
from derive.questions.birnn import rows, scalar, steps, view
from derive.questions.birnn.answer import derive


def _sympy_value(expr: sp.Basic, values: dict[sp.Basic, float]) -> float:
    return float(expr.xreplace({k: sp.Float(v) for k, v in values.items()}))


def _agree(expr: sp.Basic, rng: np.random.Generator) -> None:
    indexed = expr.atoms(sp.Indexed)
    leaves = indexed | (expr.atoms(sp.Symbol) - {s for i in indexed for s in i.atoms(sp.Symbol)})
    values = {leaf: float(rng.normal()) for leaf in leaves}
    assert scalar.value(scalar.program(expr), values) == pytest.approx(_sympy_value(expr, values), rel=1e-13,
                                                                         abs=1e-13)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_every_row_the_checks_read_evaluates_as_sympy_does(activation):
    rng = np.random.default_rng(0)
    default = config.load(None)
    answer = derive(default.replace(birnn=dataclasses.replace(default.birnn, activation=activation)))
    compared = 0
    for rows_ in answer.derivation.entry_rows.values():
        for row in filter(steps._evaluated, rows_):
            for i, j in np.ndindex(3, 3):
                _agree(sp.sympify(row.rhs).subs({steps.D: 3, **dict(steps._at(i, j))}).doit(), rng)
                compared += 1
    for section in rows.sections(view.derivation_view(answer)):
        for row in section.rows if section.scalar else ():
            body, _ = rows.prepared(row.rhs)
            for i, j in rows.ENTRIES:
                _agree(body.xreplace({rows.ROW: i + 1, rows.COL: j + 1}), rng)
                compared += 1
    assert compared >= 150  # 189 (tanh), 198 (sigmoid)


def test_arithmetic_and_functions():
    a, b = sp.symbols("a b")
    x = sp.IndexedBase("x")
    rng = np.random.default_rng(1)
    for expr in (a + 2 * b, a * b - sp.Rational(1, 3), a**2 / b, sp.tanh(a) * x[1] + sp.exp(-b),
                 1 / (1 + sp.exp(-a)), (1 - sp.tanh(a) ** 2) * x[2] * x[3]):
        _agree(expr, rng)


def test_what_does_not_evaluate_fails_and_so_does_what_it_does_not_know():
    a, b = sp.symbols("a b")
    with pytest.raises(TypeError, match="no float value for"):
        scalar.program(sp.Function("g")(a))  # an unknown function
    with pytest.raises(TypeError, match="no float value for"):
        scalar.program(sp.sin(a))  # SymPy evaluates it; the rows never print it: refused, a failed check
    with pytest.raises(TypeError, match="no float value"):
        scalar.value(scalar.program(a * sp.nan), {a: 1.0})  # NaN, which max() over errors would let pass
    with pytest.raises(KeyError):
        scalar.value(scalar.program(a + b), {a: 1.0})  # a value not given
    with pytest.raises(TypeError, match="complex"):
        scalar.value(scalar.program(sp.sqrt(a)), {a: -1.0})
    with pytest.raises(TypeError, match="no float value"):
        scalar.value(scalar.program(1 / a), {a: 0.0})
