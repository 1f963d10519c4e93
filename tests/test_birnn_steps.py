"""Question 3's work shown, row by row (derive/questions/birnn/steps.py): passes on the
derivation, and fails on a planted wrong row of each kind."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from derive.answer import Row
from derive.questions.birnn import steps
from derive.questions.birnn.model import U_f, W_b, derive_forms, hf, y, z
from derive.questions.birnn.steps import work_check

ROW, COL = sp.symbols("i j", integer=True, positive=True)  # the component form's indices i, j


def _replace_local(derivation, index, rhs):
    rows = list(derivation.local_rows)
    rows[index] = dataclasses.replace(rows[index], rhs=rhs)
    return dataclasses.replace(derivation, local_rows=tuple(rows))


def _replace_entry(derivation, direction, index, change):
    rows = list(derivation.entry_rows[direction])
    rows[index] = dataclasses.replace(rows[index], rhs=change(rows[index].rhs))
    return dataclasses.replace(derivation, entry_rows={**derivation.entry_rows, direction: tuple(rows)})


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_the_work_shown_passes(activation):
    check = work_check(derive_forms(activation), 0)
    assert check.passed and check.max_error < 1e-8


def _swap_w_u(expr):
    """W and U exchanged in the component form: (U x + W h)_i."""
    names = {b: sp.IndexedBase({"W_f": "U_f", "U_f": "W_f"}.get(str(b.label), b.label))
             for b in expr.atoms(sp.IndexedBase) if str(b.label) in ("W_f", "U_f")}
    return expr.xreplace(names)


@pytest.mark.parametrize("plant", [
    lambda d: _replace_local(d, 0, sp.Trace(sp.MatMul((z() + y()).T, z() - y(), evaluate=False))),  # a sign in L_t
    lambda d: _replace_local(d, 1, -d.local_rows[1].rhs),  # the gradient in y with its sign flipped
    lambda d: _replace_local(d, 3, sp.MatMul(2, d.local_rows[3].rhs)),  # a continuation off by 2
    lambda d: _replace_local(d, 5, d.local_rows[3].rhs),  # h_b's local gradient written as h_f's
    lambda d: _replace_entry(d, "f", 0, _swap_w_u),  # W and U exchanged in a_i
    lambda d: _replace_entry(d, "b", 2, lambda e: e.xreplace({ROW: COL, COL: ROW})),  # U_ji for U_ij
    lambda d: _replace_entry(d, "f", 4, lambda e: e * 2),  # f'(a_i) U_ij doubled
    lambda d: _replace_entry(d, "f", 4, lambda e: sp.nan),  # NaN, which max() over the errors let pass
    lambda d: _replace_entry(d, "b", 4, lambda e: e + sp.nan),
    lambda d: dataclasses.replace(d, local_rows=(Row(hf(), d.local_rows[0].rhs), *d.local_rows[1:])),  # unknown lhs
])
def test_a_planted_wrong_row_fails(plant):
    check = work_check(plant(derive_forms("tanh")), 0)
    assert not check.passed


def test_a_row_that_does_not_evaluate_fails():
    derivation = _replace_local(derive_forms("tanh"), 1, sp.MatMul(W_b, U_f.T, hf(), evaluate=False) ** 2)
    assert not work_check(derivation, 0).passed


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_expand_does_the_symbolic_work_the_check_reads(activation):
    """What `derive variants` computes before forking (steps.expand) is every expansion the check
    then reads: the check finds each in the memo, whatever the trajectory's seed."""
    derivation = derive_forms(activation)
    steps._expanded.cache_clear()
    steps.expand(derivation)
    expanded = steps._expanded.cache_info()
    assert expanded.currsize > 0
    for seed in (0, 7):
        assert work_check(derivation, seed).passed
    read = steps._expanded.cache_info()
    assert (read.misses, read.currsize) == (expanded.misses, expanded.currsize)
    assert read.hits > expanded.hits
