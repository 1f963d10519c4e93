"""Question 3's misconceptions on the evaluated instance, each the question's closed forms
(derive_forms) changed as the mistake changes them and evaluated by the same recursions
(evaluate_forms) on the variant's instance: the gradient transposed (numerator vs denominator
layout), the recursion's Jacobian left untransposed, the recursion left out, the activation's
derivative left out, one end of the time sum dropped, the loss halved."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import sympy as sp

from derive.config import Config
from derive.latex.notation import Series
from derive.questions.base import Misconception
from derive.questions.birnn.instance import Evaluation, evaluate_forms, float_apply, instance_values
from derive.questions.birnn.model import INSTANCE, KEY, Activation, ClosedForms, derive_forms
from derive.questions.birnn.settings import SECTION as BIRNN


def _changed(forms: ClosedForms, change: Any) -> ClosedForms:
    return dataclasses.replace(forms, **{f.name: change(f.name, getattr(forms, f.name))
                                         for f in dataclasses.fields(forms)})


def _without_derivative(forms: ClosedForms, act: Activation) -> ClosedForms:
    """f' replaced by 1 wherever the forms hold it (written in a hidden state, act.of(h))."""
    def change(_: str, expr: sp.MatrixExpr) -> sp.MatrixExpr:
        states = {a for a in expr.atoms(sp.MatrixSymbol) if isinstance(a, Series)}
        return expr.xreplace({act.of(v): sp.OneMatrix(*v.shape) for v in states})
    return _changed(forms, change)


def _jacobians(forms: ClosedForms, change: Any) -> ClosedForms:
    return _changed(forms, lambda name, expr: change(expr) if name in ("jac_f", "jac_b") else expr)


def _fields(ev: Evaluation, loss: bool = True, transpose: bool = False) -> dict[str, Any]:
    def matrix(m: np.ndarray) -> Any:
        return (m.T if transpose else m).astype(float).tolist()
    out: dict[str, Any] = {f"{KEY}.{INSTANCE}.loss": float(ev.loss)} if loss else {}
    return out | {f"{KEY}.{INSTANCE}.grad_W_b": matrix(ev.grad_W_b), f"{KEY}.{INSTANCE}.grad_U_f": matrix(ev.grad_U_f)}


def misconceptions(config: Config) -> list[Misconception]:
    cfg = BIRNN.of(config)
    derivation = derive_forms(cfg.activation)
    forms, act = derivation.forms, derivation.activation
    values = {k: a.astype(float) for k, a in instance_values(cfg).items()}

    def run(changed: ClosedForms, summed: range | None = None) -> Evaluation:
        return evaluate_forms(changed, act, values, float_apply, summed)

    right = run(forms)
    steps = cfg.steps
    halved = Evaluation(right.loss / 2, right.grad_W_b / 2, right.grad_U_f / 2, right.g_f, right.g_b)
    return [
        Misconception("gradient-transposed", "The weight gradients were given transposed (numerator layout): "
                      "the gradient of the loss with respect to a d x d matrix has that matrix's layout.",
                      _fields(right, loss=False, transpose=True)),
        Misconception("jacobian-untransposed", "The backward recursion multiplied by the Jacobian itself instead "
                      "of its transpose (numerator and denominator layouts mixed).",
                      _fields(run(_jacobians(forms, lambda j: j.T)), loss=False)),
        Misconception("no-recursion", "Only each step's direct term was kept: the gradient flowing back through "
                      "the later (forward) or earlier (backward) hidden states was left out.",
                      _fields(run(_jacobians(forms, lambda j: sp.ZeroMatrix(*j.shape))), loss=False)),
        Misconception("no-activation-derivative", f"The activation's derivative ({act.name}') was left out of the "
                      "chain rule.", _fields(run(_without_derivative(forms, act)), loss=False)),
        Misconception("sum-without-first-step", "The sum over time was started at t = 2: step 1's term was "
                      "dropped.", _fields(run(forms, range(2, steps + 1)), loss=False)),
        Misconception("sum-without-last-step", f"The sum over time was stopped at t = T - 1 = {steps - 1}: the last "
                      "step's term was dropped.", _fields(run(forms, range(1, steps)), loss=False)),
        Misconception("half-squared-error", "The loss was taken as half the squared error; the question's loss "
                      "is the sum of ||z_t - y_t||^2, without 1/2.", _fields(halved)),
    ]
