"""Question 3's checks: the closed forms against three independent computations.

1. Exact: the fully unrolled loss of a small BiRNN (d = 2, T = 3) built from explicit
   matrices of symbols, differentiated entry by entry by SymPy, compared at exact random
   rational points (evaluated to 40 digits).
2. Numeric: central finite differences of a NumPy forward pass, float64.
3. PyTorch autograd: torch.nn.RNN(bidirectional=True, bias=False) for tanh, an explicit
   graph for sigmoid, float64.
"""

from __future__ import annotations

import functools
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from derive.answer import Check
from derive.config import BirnnConfig, Config
from derive.questions.birnn import BirnnAnswer
from derive.questions.birnn_instance import INSTANCE_KEYS, evaluate_forms, exact_apply, float_apply, instance_values
from derive.questions.birnn_model import Activation, ClosedForms, derive_activation
from derive.verify import CheckList, Planned, compare, resolve, torch_job

EXACT_D, EXACT_T = 2, 3
DIGITS = 40


def verify(answer: BirnnAnswer, config: Config) -> CheckList:
    return resolve(plan(answer, config))


def plan(answer: BirnnAnswer, config: Config) -> Planned:
    forms, act = answer.derivation.forms, answer.derivation.activation
    floats = {k: a.astype(float) for k, a in answer.values.items()}
    ev = evaluate_forms(forms, act, floats, float_apply)
    checks: Planned = [*exact_checks(forms, act, answer.config.seed)]
    checks += finite_difference_checks(ev, floats, act.name)
    checks.append(torch_job("3.3", "gradients (PyTorch autograd)", torch_checks, ev.grad_W_b.astype(float),
                            ev.grad_U_f.astype(float), floats, act.name))
    return checks


@functools.cache
def unrolled_gradient(activation: str, d: int = EXACT_D, steps: int = EXACT_T) -> tuple[list[sp.Symbol], Any]:
    """The fully unrolled loss of a d = 2, T = 3 BiRNN, built from matrices of scalar symbols
    (weights, inputs, targets, initial states), differentiated by SymPy entry by entry with
    respect to W_b and U_f. Depends only on the activation and the sizes: built once per process."""
    f = derive_activation(activation).function

    def symbols(name: str, rows: int, cols: int) -> sp.Matrix:
        return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}_{j}"))

    m = {k: symbols(k, d, d) for k in ("W_f", "U_f", "V_f", "W_b", "U_b", "V_b")}
    m |= {"x": symbols("x", steps, d), "z": symbols("z", steps, d), "h0_f": symbols("h0_f", d, 1),
          "h_end_b": symbols("h_end_b", d, 1)}
    hf, hb = {0: m["h0_f"]}, {steps + 1: m["h_end_b"]}
    xs = {t: m["x"].row(t - 1).T for t in range(1, steps + 1)}
    for t in range(1, steps + 1):
        hf[t] = (m["W_f"] * xs[t] + m["U_f"] * hf[t - 1]).applyfunc(f)
    for t in range(steps, 0, -1):
        hb[t] = (m["W_b"] * xs[t] + m["U_b"] * hb[t + 1]).applyfunc(f)
    loss = sp.Add(*[sp.Add(*(m["z"].row(t - 1).T - m["V_f"] * hf[t] - m["V_b"] * hb[t]).applyfunc(lambda e: e**2))
                    for t in range(1, steps + 1)])
    derivatives = [loss.diff(sym) for sym in [*m["W_b"], *m["U_f"]]]
    args = [sym for key in INSTANCE_KEYS for sym in m[key]]
    # Shared subexpressions (cse) keep evaluating the large derivatives fast.
    return args, sp.lambdify(args, derivatives, modules="mpmath", cse=True)


def exact_checks(forms: ClosedForms, act: Activation, seed: int) -> list[Check]:
    d, steps = EXACT_D, EXACT_T
    v = instance_values(BirnnConfig(act.name, d, steps, seed, None))
    args, gradient = unrolled_gradient(act.name)
    point = [q for key in INSTANCE_KEYS for q in sp.Matrix(v[key])]
    assert len(point) == len(args)
    with mpmath.workdps(DIGITS + 10):
        values = gradient(*[mpmath.mpf(q.p) / q.q for q in point])  # at exact rationals
        by_diff_w = np.array(values[: d * d], dtype=object).reshape(d, d)
        by_diff_u = np.array(values[d * d:], dtype=object).reshape(d, d)
        precise = {k: np.vectorize(lambda q: sp.Float(q, DIGITS + 20), otypes=[object])(a) for k, a in v.items()}
        ev = evaluate_forms(forms, act, precise, exact_apply)
        closed_w = np.vectorize(mpmath.mpf, otypes=[object])(ev.grad_W_b)
        closed_u = np.vectorize(mpmath.mpf, otypes=[object])(ev.grad_U_f)
    method = f"SymPy diff of the unrolled loss, d={d}, T={steps}, at random rationals, {DIGITS} digits"

    def err(a: np.ndarray, b: np.ndarray) -> float:
        return float(max(abs(p - q) for p, q in zip(a.ravel(), b.ravel(), strict=True)))

    return [
        Check("3.3", "grad W_b: closed form vs symbolic", method, err(closed_w, by_diff_w), 1e-30),
        Check("3.3", "grad U_f: closed form vs symbolic", method, err(closed_u, by_diff_u), 1e-30),
    ]


def numpy_loss(v: dict[str, np.ndarray], activation: str) -> float:
    """The loss by a direct NumPy forward pass (written from the assignment, not the closed forms)."""
    f = np.tanh if activation == "tanh" else (lambda a: 1.0 / (1.0 + np.exp(-a)))
    steps = v["x"].shape[0]
    hf, hb = [v["h0_f"].ravel()], [v["h_end_b"].ravel()]
    for t in range(steps):
        hf.append(f(v["W_f"] @ v["x"][t] + v["U_f"] @ hf[-1]))
    for t in reversed(range(steps)):
        hb.append(f(v["W_b"] @ v["x"][t] + v["U_b"] @ hb[-1]))
    hb = hb[1:][::-1]
    return float(sum(np.sum((v["z"][t] - v["V_f"] @ hf[t + 1] - v["V_b"] @ hb[t]) ** 2) for t in range(steps)))


def finite_difference_checks(ev: Any, floats: dict[str, np.ndarray], activation: str) -> list[Check]:
    step = 1e-5
    # Central differences carry round-off of about eps * L / h: errors are relative to the
    # gradient, but never to less than 1e-4 L, the noise floor of this step in float64.
    floor = 1e-4 * abs(float(ev.loss))
    checks = [compare("3.3", "loss", "NumPy forward pass", ev.loss, numpy_loss(floats, activation), 1e-12,
                      relative=True)]
    for key, closed in (("W_b", ev.grad_W_b), ("U_f", ev.grad_U_f)):
        fd = np.zeros_like(floats[key])
        for idx in np.ndindex(*fd.shape):
            plus, minus = dict(floats), dict(floats)
            plus[key], minus[key] = floats[key].copy(), floats[key].copy()
            plus[key][idx] += step
            minus[key][idx] -= step
            fd[idx] = (numpy_loss(plus, activation) - numpy_loss(minus, activation)) / (2 * step)
        scale = max(float(np.max(np.abs(closed.astype(float)))), floor)
        checks.append(compare("3.3", f"grad {key}: closed form vs finite differences",
                              "central differences, h=1e-5, float64 (rel. to max(|grad|, 1e-4 L))",
                              closed.astype(float), fd, 1e-6, scale=scale))
    return checks


def torch_checks(torch: Any, grad_w_b: np.ndarray, grad_u_f: np.ndarray, v: dict[str, np.ndarray],
                 activation: str) -> CheckList:
    t = {k: torch.tensor(a, dtype=torch.float64) for k, a in v.items()}
    d = v["W_f"].shape[0]
    if activation == "tanh":
        rnn = torch.nn.RNN(d, d, bias=False, bidirectional=True, dtype=torch.float64)
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(t["W_f"])
            rnn.weight_hh_l0.copy_(t["U_f"])
            rnn.weight_ih_l0_reverse.copy_(t["W_b"])
            rnn.weight_hh_l0_reverse.copy_(t["U_b"])
        h0 = torch.stack([t["h0_f"].ravel(), t["h_end_b"].ravel()])
        out, _ = rnn(t["x"], h0)
        y = out[:, :d] @ t["V_f"].T + out[:, d:] @ t["V_b"].T
        ((t["z"] - y) ** 2).sum().backward()
        grad_w, grad_u = rnn.weight_ih_l0_reverse.grad, rnn.weight_hh_l0.grad
        method = "torch.nn.RNN(bidirectional=True, bias=False) autograd, float64 (rel.)"
    else:
        w, u = t["W_b"].clone().requires_grad_(), t["U_f"].clone().requires_grad_()
        steps = v["x"].shape[0]
        hf, hb = [t["h0_f"].ravel()], [t["h_end_b"].ravel()]
        for s in range(steps):
            hf.append(torch.sigmoid(t["W_f"] @ t["x"][s] + u @ hf[-1]))
        for s in reversed(range(steps)):
            hb.append(torch.sigmoid(w @ t["x"][s] + t["U_b"] @ hb[-1]))
        hb = hb[1:][::-1]
        loss = sum(((t["z"][s] - t["V_f"] @ hf[s + 1] - t["V_b"] @ hb[s]) ** 2).sum() for s in range(steps))
        loss.backward()
        grad_w, grad_u = w.grad, u.grad
        method = "explicit torch graph (sigmoid) autograd, float64 (rel.)"
    return [
        compare("3.3", "grad W_b: closed form vs PyTorch", method, grad_w_b, grad_w.numpy(), 1e-10, relative=True),
        compare("3.3", "grad U_f: closed form vs PyTorch", method, grad_u_f, grad_u.numpy(), 1e-10, relative=True),
    ]
