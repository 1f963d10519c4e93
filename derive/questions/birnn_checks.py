"""Question 3's checks: the closed forms against three independent computations.

1. High precision: complex-step derivatives of the loss (a direct forward pass written from
   the assignment) at the config's own instance and sizes, 50 digits, against the closed forms
   evaluated at 50 digits. The complex step has no subtractive cancellation, so the only
   approximation is the step's O(h^2) = 1e-60.
2. Numeric: central finite differences of a NumPy forward pass, float64.
3. PyTorch autograd (derive.crosscheck): torch.nn.RNN(bidirectional=True, bias=False) for
   tanh, an explicit graph for sigmoid, float64.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import mpmath
import numpy as np
import sympy as sp

from derive import crosscheck
from derive.answer import Check, Skipped
from derive.config import Config
from derive.matexpr import evaluate
from derive.questions.birnn_instance import evaluate_forms, float_apply, mp_apply, mp_values
from derive.questions.birnn_model import WEIGHTS, Activation, BirnnParts, ClosedForms, H, hb, hf
from derive.verify import Planned, compare, max_abs_error, torch_job

if TYPE_CHECKING:
    from derive.questions.birnn import BirnnAnswer

DIGITS = 50
STEP = "1e-30"  # the complex step h: the error of Im L(w + ih)/h is O(h^2)
ENTRIES = 16  # per gradient: every entry up to d = 4, a seeded sample beyond
TOLERANCE = 1e-30  # relative; the step's own error is O(h^2) = 1e-60
EXTRA_DIGITS = 400  # at most this many digits more for saturated units
FLOAT64_EPS = float(np.finfo(np.float64).eps)
ROUNDING_LIMIT = 1e-6  # a check whose rounding bound exceeds this is not run
JACOBIAN_STEP = "1e-20"  # the complex step of the Jacobian checks (complex128)
FD_STEP = "1e-5"  # the central differences' step
FD_FLOOR = "1e-4"  # their errors are relative to at least this multiple of the loss


def plan(answer: BirnnAnswer, config: Config) -> Planned:
    forms, act = answer.derivation.forms, answer.derivation.activation
    floats = {k: a.astype(float) for k, a in answer.values.items()}
    ev = evaluate_forms(forms, act, floats, float_apply)  # not answer.evaluation: the forms under test
    checks: Planned = [graph_check(answer), *jacobian_checks(forms, act, floats)]
    checks += complex_step_checks(forms, act, answer.values, answer.config.seed)
    checks += finite_difference_checks(ev, floats, act.name)
    checks.append(printed_check(answer, ev))
    # float64 rounding through the conditioning of f' (derivative_conditioning), as for the complex step
    d, steps = floats["W_f"].shape[0], floats["x"].shape[0]
    with mpmath.workdps(DIGITS):
        rounding = float(10 * steps * d * derivative_conditioning(act, mp_values(answer.values))) * FLOAT64_EPS
    if rounding > ROUNDING_LIMIT:
        checks.append(Skipped(BirnnParts.instance.id, "gradients (PyTorch autograd)",
                              f"saturated units: float64's rounding bound through f' is {rounding:.2g} "
                              f"(relative), past {ROUNDING_LIMIT:g}"))
    else:
        checks.append(torch_job(BirnnParts.instance, "gradients (PyTorch autograd)", crosscheck.birnn_gradients,
                                ev.grad_W_b.astype(float), ev.grad_U_f.astype(float), floats, act.name,
                                max(1e-10, rounding),
                                certifies=("birnn.instance.grad_W_b", "birnn.instance.grad_U_f")))
    return checks


def assignment_edges(steps: int) -> set[tuple[tuple[str, int], tuple[str, int], str]]:
    """The unrolled graph's edges (source, target, weight), read off the assignment's equations
    h^(f)_t = f(W^(f) x_t + U^(f) h^(f)_{t-1}), h^(b)_t = f(W^(b) x_t + U^(b) h^(b)_{t+1}),
    y_t = V^(f) h^(f)_t + V^(b) h^(b)_t and L_t from y_t, restated here. A node is (its plain
    name, its step), a weight its plain name."""
    edges = set()
    for t in range(1, steps + 1):
        hf, hb, x, y = ("h_f", t), ("h_b", t), ("x", t), ("y", t)
        edges |= {(x, hf, "W_f"), (("h_f", t - 1), hf, "U_f"), (x, hb, "W_b"),
                  (("h_b", t + 1), hb, "U_b"), (hf, y, "V_f"), (hb, y, "V_b"), (y, ("L", t), "")}
    return edges


def graph_check(answer: BirnnAnswer) -> Check:
    """3.1: the drawn graph's edges and the assignment's, as sets: the error counts the differences."""
    drawn, expected = set(answer.graph.edges), assignment_edges(answer.config.steps)
    missing_nodes = {n for edge in expected for n in edge[:2]} ^ set(answer.graph.nodes)
    return Check(BirnnParts.graph.id, "computational graph", f"edges and nodes against the assignment's equations, T = "
                 f"{answer.config.steps}", float(len(drawn ^ expected) + len(missing_nodes)), 0.0)


def printed_check(answer: BirnnAnswer, checked: Any) -> Check:
    """The instance's loss and gradients as printed are the ones the other checks evaluated."""
    printed = answer.evaluation
    err = max(max_abs_error(getattr(printed, k), getattr(checked, k)) for k in ("loss", "grad_W_b", "grad_U_f"))
    return Check(BirnnParts.instance.id,
                 "printed instance values", "loss and gradients shown = the checked evaluation of the forms",
                 err, 0.0, tuple(f"birnn.instance.{k}" for k in ("loss", "grad_W_b", "grad_U_f")))


def forward_states(v: dict[str, np.ndarray], f: Callable[[np.ndarray], np.ndarray],
                   direction: str = "both") -> dict[str, list[Any]]:
    """h^(f)_1..T and/or h^(b)_1..T by a direct forward pass, written from the assignment (not
    from the closed forms); any element type: float64, or object arrays of mpmath numbers."""
    steps, out = v["x"].shape[0], {}
    if direction in ("both", "f"):
        hf = [v["h0_f"].ravel()]
        for t in range(steps):
            hf.append(f(v["W_f"] @ v["x"][t] + v["U_f"] @ hf[-1]))
        out["f"] = hf[1:]
    if direction in ("both", "b"):
        hb = [v["h_end_b"].ravel()]
        for t in reversed(range(steps)):
            hb.append(f(v["W_b"] @ v["x"][t] + v["U_b"] @ hb[-1]))
        out["b"] = hb[1:][::-1]
    return out


def loss_of_states(v: dict[str, np.ndarray], states: dict[str, list[Any]]) -> Any:
    steps = v["x"].shape[0]
    return sum(np.sum((v["z"][t] - v["V_f"] @ states["f"][t] - v["V_b"] @ states["b"][t]) ** 2)
               for t in range(steps))


def activation_function(activation: str, tanh: Callable[[Any], Any], exp: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The assignment's activation, typed from its definition, with a library's tanh and exp."""
    return tanh if activation == "tanh" else (lambda a: 1 / (1 + exp(-a)))


def numpy_loss(v: dict[str, np.ndarray], activation: str) -> float:
    with np.errstate(over="ignore"):  # the sigmoid's exp(-a) overflows to inf for a << 0: 1/(1+inf) = 0 is right
        return float(loss_of_states(v, forward_states(v, activation_function(activation, np.tanh, np.exp))))


def checked_entries(d: int, seed: int) -> list[tuple[int, int]]:
    """Every entry of a d x d gradient, or a seeded sample of ENTRIES of them."""
    every = [(i, j) for i in range(d) for j in range(d)]
    if len(every) <= ENTRIES:
        return every
    picked = np.random.default_rng(seed).choice(len(every), size=ENTRIES, replace=False)
    return [every[k] for k in sorted(picked)]


def complex_step_gradient(v: dict[str, np.ndarray], activation: str, key: str,
                          entries: list[tuple[int, int]]) -> list[Any]:
    """d loss / d v[key][i, j] = Im L(v[key] + ih E_ij) / h for each entry (mpmath, current
    precision). Only the chain that the weight enters is recomputed."""
    f = np.vectorize(activation_function(activation, mpmath.tanh, mpmath.exp), otypes=[object])
    h = mpmath.mpf(STEP)
    chain = "b" if key in ("W_b", "U_b") else "f"
    fixed = forward_states(v, f)
    out = []
    for idx in entries:
        moved = {**v, key: v[key].copy()}
        moved[key][idx] = mpmath.mpc(moved[key][idx], h)
        states = {**fixed, **forward_states(moved, f, chain)}
        out.append(mpmath.im(loss_of_states(moved, states)) / h)
    return out


def derivative_conditioning(act: Activation, v: dict[str, np.ndarray]) -> Any:
    """How many times the closed forms' f'(a), computed as the polynomial p(h) from h = f(a),
    amplify h's relative rounding error: max |h p'(h) / p(h)| over every hidden unit, at the
    current precision. Near saturation p(h) cancels (1 - h^2 for tanh); where it rounds to 0,
    every digit is lost and the bound is |h p'(h)| / 10^-dps."""
    p = sp.lambdify(H, act.in_output, "mpmath")
    dp = sp.lambdify(H, sp.diff(act.in_output, H), "mpmath")
    unit = mpmath.mpf(10) ** -mpmath.mp.dps
    f = np.vectorize(activation_function(act.name, mpmath.tanh, mpmath.exp), otypes=[object])
    states = forward_states(v, f)
    worst = mpmath.mpf(1)
    for h in (h for chain in states.values() for vector in chain for h in vector):
        worst = max(worst, abs(h * dp(h)) / max(abs(p(h)), unit))
    return worst


def complex_step_checks(forms: ClosedForms, act: Activation, values: dict[str, np.ndarray],
                        seed: int) -> list[Check | Skipped]:
    """What rounding can do to the closed forms is bounded by 10 T d kappa 10^-digits (kappa:
    derivative_conditioning; T d units in a chain). The precision is DIGITS, or more where
    saturated units need it for that bound to stay under TOLERANCE (at most EXTRA_DIGITS more);
    the tolerance is TOLERANCE, or that bound where even the extra digits do not suffice, and
    past ROUNDING_LIMIT the check is not run (the reason says so)."""
    d, steps = values["W_f"].shape[0], values["x"].shape[0]
    entries = checked_entries(d, seed)
    digits = DIGITS
    while True:  # a unit saturated at this precision bounds kappa by 10^digits: more digits may resolve it
        with mpmath.workdps(digits):
            rounding = 10 * steps * d * derivative_conditioning(act, mp_values(values)) / mpmath.mpf(10) ** digits
        needed = digits + int(mpmath.ceil(mpmath.log10(rounding / TOLERANCE)))
        if needed <= digits or digits == DIGITS + EXTRA_DIGITS:
            break
        digits = min(needed, DIGITS + EXTRA_DIGITS)
    if rounding > ROUNDING_LIMIT:
        return [Skipped(BirnnParts.instance.id, f"grad {key}: closed form vs complex step",
                        f"saturated units: the rounding bound through f' at {digits} digits is "
                        f"{mpmath.nstr(rounding, 2)} (relative), past {ROUNDING_LIMIT:g}") for key in ("W_b", "U_f")]
    tolerance = max(TOLERANCE, float(rounding))
    with mpmath.workdps(digits):
        v = mp_values(values)
        closed = evaluate_forms(forms, act, v, mp_apply)
        checks: list[Check | Skipped] = []
        for key, grad in (("W_b", closed.grad_W_b), ("U_f", closed.grad_U_f)):
            ref = complex_step_gradient(v, act.name, key, entries)
            got = [grad[idx] for idx in entries]
            scale = max(max(abs(r) for r in ref), mpmath.mpf(10) ** -digits)
            err = float(max(abs(a - b) for a, b in zip(got, ref, strict=True)) / scale)
            which = "every entry" if len(entries) == d * d else f"{len(entries)} of {d * d} entries (seeded)"
            checks.append(Check(BirnnParts.instance.id, f"grad {key}: closed form vs complex step",
                                f"complex-step derivative of the forward pass, h={STEP}, {digits} digits, "
                                f"{which} (rel.)", err, tolerance, (f"birnn.grad_{key}",)))
    return checks


def jacobian_checks(forms: ClosedForms, act: Activation, v: dict[str, np.ndarray]) -> list[Check]:
    """3.2's Jacobians at the instance's first step of each chain (h^(f)_0 -> h^(f)_1 with x_1,
    h^(b)_{T+1} -> h^(b)_T with x_T), for any T, against complex-step derivatives (step JACOBIAN_STEP,
    complex128) of the step h -> f(W x + U h) written from the assignment; entry (i, j) is
    d h_next,i / d h,j (numerator layout). Errors are relative to max|U|: the entries are f' U
    with f' <= 1, and f' written in the state (1 - h^2) loses digits where units saturate."""
    # The sigmoid as (1 + tanh(a/2)) / 2, equal to 1 / (1 + e^-a) but without exp's overflow
    # on the saturated complex arguments of large instances.
    f = np.tanh if act.name == "tanh" else (lambda a: (1 + np.tanh(a / 2)) / 2)
    weights = {WEIGHTS[k]: v[k] for k in WEIGHTS}
    checks, dh = [], float(JACOBIAN_STEP)
    for key, w, u, h, x_in, form, out in (
            ("forward", "W_f", "U_f", v["h0_f"].reshape(-1, 1), v["x"][0], forms.jac_f, hf(1)),
            ("backward", "W_b", "U_b", v["h_end_b"].reshape(-1, 1), v["x"][-1], forms.jac_b, hb(-1))):
        def step(state: np.ndarray, w: str = w, u: str = u, x_in: np.ndarray = x_in) -> np.ndarray:
            return f(v[w] @ x_in.reshape(-1, 1) + v[u] @ state)

        d = h.shape[0]
        reference = np.column_stack([np.imag(step(h + dh * 1j * np.eye(d)[:, [j]])).ravel() / dh for j in range(d)])
        closed = evaluate(form, {**weights, out: step(h)}, float_apply)
        checks.append(compare(BirnnParts.derivation,
                              f"Jacobian ({key}) at the first step", "complex-step derivative of one step "
                              f"of the forward pass, h={JACOBIAN_STEP}, complex128 (rel. to max|U|)", closed, reference,
                              1e-12, scale=float(np.max(np.abs(v[u]))), certifies=(f"birnn.jacobian_{key}",)))
    return checks


def finite_difference_checks(ev: Any, floats: dict[str, np.ndarray], activation: str) -> list[Check]:
    step = float(FD_STEP)
    # Central differences carry round-off of about eps * L / h: errors are relative to the
    # gradient, but never to less than FD_FLOOR L, the noise floor of this step in float64.
    floor = float(FD_FLOOR) * abs(float(ev.loss))
    checks = [compare(BirnnParts.instance, "loss", "NumPy forward pass", ev.loss, numpy_loss(floats, activation), 1e-12,
                      relative=True, certifies=("birnn.instance.loss",))]
    for key, closed in (("W_b", ev.grad_W_b), ("U_f", ev.grad_U_f)):
        fd = np.zeros_like(floats[key])
        for idx in np.ndindex(*fd.shape):
            plus, minus = dict(floats), dict(floats)
            plus[key], minus[key] = floats[key].copy(), floats[key].copy()
            plus[key][idx] += step
            minus[key][idx] -= step
            fd[idx] = (numpy_loss(plus, activation) - numpy_loss(minus, activation)) / (2 * step)
        scale = max(float(np.max(np.abs(closed.astype(float)))), floor)
        checks.append(compare(BirnnParts.instance, f"grad {key}: closed form vs finite differences",
                              f"central differences, h={FD_STEP}, float64 (rel. to max(|grad|, {FD_FLOOR} L))",
                              closed.astype(float), fd, 1e-6, scale=scale,
                              certifies=(f"birnn.grad_{key}", f"birnn.instance.grad_{key}")))
    return checks
