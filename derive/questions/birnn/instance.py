"""Question 3 on a concrete instance: the config's (or a seeded random) values, and the
closed forms evaluated on them by the two backward recursions, in float64 or at high precision.

What answers.json publishes (and the document prints) is the high-precision evaluation, each
number rounded once to the nearest float64: mpmath computes with integers, so those bytes are
the same on every CPU, where a float64 evaluation's last digit depends on the machine's
instructions (fused multiply-adds, vector widths)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from derive.matexpr import evaluate
from derive.questions.birnn.model import (
    INSTANCE_KEYS,
    WEIGHTS,
    A,
    Activation,
    ClosedForms,
    H,
    V_b,
    V_f,
    _pre_b,
    _pre_f,
    gb,
    gf,
    hb,
    hf,
    x,
    y,
    z,
)
from derive.questions.birnn.settings import BirnnConfig, BirnnInstance

DECIMALS = 2  # a random instance's entries are drawn to this many decimals, and kept exact
DIGITS = 50  # the high-precision evaluations' working precision, at least
TOLERANCE = 1e-30  # relative: the rounding bound more digits are sought for near saturated units
EXTRA_DIGITS = 400  # at most this many digits more for saturated units


def instance_values(cfg: BirnnConfig) -> dict[str, np.ndarray]:
    """The config's explicit instance, or a seeded random one (DECIMALS decimals, kept exact)."""
    d, steps = cfg.hidden_size, cfg.steps
    if cfg.instance is not None:
        inst: BirnnInstance = cfg.instance
        out = {k: np.array(getattr(inst, k), dtype=object) for k in INSTANCE_KEYS}
    else:
        rng, unit = np.random.default_rng(cfg.seed), 10**DECIMALS
        scale = {"x": 1.0, "z": 1.0, "h0_f": 0.5, "h_end_b": 0.5}
        shapes = {**{k: (d, d) for k in WEIGHTS}, "x": (steps, d), "z": (steps, d), "h0_f": (d,), "h_end_b": (d,)}
        out = {}
        for k in INSTANCE_KEYS:
            raw = np.round(rng.normal(0.0, scale.get(k, 0.6), size=shapes[k]) * unit).astype(int)
            out[k] = np.vectorize(lambda v: sp.Rational(int(v), unit), otypes=[object])(raw)
    out["h0_f"] = out["h0_f"].reshape(d, 1)
    out["h_end_b"] = out["h_end_b"].reshape(d, 1)
    return out


@functools.cache
def elementwise_function(func: sp.Lambda, module: str) -> Any:
    """f or f' of the closed forms, compiled once per process: NumPy's ufuncs, or mpmath's
    functions applied entry by entry to object arrays."""
    compiled = sp.lambdify(A, func(A), module)
    return compiled if module == "numpy" else np.vectorize(compiled, otypes=[object])


def float_apply(func: sp.Lambda, array: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # the sigmoid's exp(-a) overflows to inf for a << 0: 1/(1+inf) = 0 is right
        return elementwise_function(func, "numpy")(array.astype(float))


def mp_apply(func: sp.Lambda, array: np.ndarray) -> np.ndarray:
    """The same on an array of mpmath numbers (at the current precision)."""
    return elementwise_function(func, "mpmath")(array)


def mp_values(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The instance's exact rationals as mpmath numbers at the current precision."""
    return {k: np.vectorize(lambda q: mpmath.mpf(q.p) / q.q, otypes=[object])(a) for k, a in values.items()}


@dataclass(frozen=True)
class Evaluation:
    loss: Any
    grad_W_b: np.ndarray
    grad_U_f: np.ndarray
    g_f: Mapping[int, np.ndarray]
    g_b: Mapping[int, np.ndarray]


def forward(act: Activation, v: dict[str, np.ndarray], apply: Any) -> dict[str, dict[int, np.ndarray]]:
    """The model's own equations, evaluated: h^(f)_t, h^(b)_t and y_t for t = 1..T."""
    steps = v["x"].shape[0]
    xs = {t: v["x"][t - 1].reshape(-1, 1) for t in range(1, steps + 1)}
    states: dict[str, dict[int, np.ndarray]] = {"x": xs, "hf": {0: v["h0_f"]}, "hb": {steps + 1: v["h_end_b"]}}
    weights = {WEIGHTS[k]: v[k] for k in WEIGHTS}
    for t in range(1, steps + 1):
        env = {**weights, x(0): xs[t], hf(-1): states["hf"][t - 1]}
        states["hf"][t] = evaluate(_pre_f(0).applyfunc(act.function), env, apply)
    for t in range(steps, 0, -1):
        env = {**weights, x(0): xs[t], hb(1): states["hb"][t + 1]}
        states["hb"][t] = evaluate(_pre_b(0).applyfunc(act.function), env, apply)
    y_def = V_f * hf() + V_b * hb()
    states["y"] = {t: evaluate(y_def, {**weights, hf(): states["hf"][t], hb(): states["hb"][t]})
                   for t in range(1, steps + 1)}
    states["z"] = {t: v["z"][t - 1].reshape(-1, 1) for t in range(1, steps + 1)}
    return states


def _total(terms: Iterable[np.ndarray]) -> np.ndarray:
    """The terms' sum, added to 0 as sum() adds them (entries of any kind: floats, complex, mpmath)."""
    return sum(terms, np.zeros(()))


def evaluate_forms(forms: ClosedForms, act: Activation, v: dict[str, np.ndarray], apply: Any,
                   summed: range | None = None) -> Evaluation:
    """The loss and both weight gradients from the closed forms, by the two recursions.
    `summed`: the steps whose terms the weight gradients add up (all of 1..T unless given)."""
    s = forward(act, v, apply)
    steps = len(s["x"])
    summed = range(1, steps + 1) if summed is None else summed
    weights = {WEIGHTS[k]: v[k] for k in WEIGHTS}

    def env(t: int) -> dict[sp.MatrixSymbol, np.ndarray]:
        out = dict(weights)
        for o in (-1, 0, 1):
            for name, sym in (("x", x), ("hf", hf), ("hb", hb), ("y", y), ("z", z)):
                if t + o in s[name]:
                    out[sym(o)] = s[name][t + o]
        return out

    g_f = {steps: evaluate(forms.boundary_f, env(steps), apply)}
    for t in range(steps - 1, 0, -1):
        g_f[t] = evaluate(forms.local_f, env(t), apply) + evaluate(forms.jac_f, env(t), apply).T @ g_f[t + 1]
    g_b = {1: evaluate(forms.boundary_b, env(1), apply)}
    for t in range(2, steps + 1):
        g_b[t] = evaluate(forms.local_b, env(t), apply) + evaluate(forms.jac_b, env(t), apply).T @ g_b[t - 1]
    grad_w = _total(evaluate(forms.term_W_b, {**env(t), gb(): g_b[t]}, apply) for t in summed)
    grad_u = _total(evaluate(forms.term_U_f, {**env(t), gf(): g_f[t]}, apply) for t in summed)
    loss = sum(((s["z"][t] - s["y"][t]) ** 2).sum() for t in range(1, steps + 1))
    return Evaluation(loss, grad_w, grad_u, g_f, g_b)


def _floats(array: np.ndarray) -> np.ndarray:
    return np.vectorize(float, otypes=[float])(array)


def rounded(ev: Evaluation) -> Evaluation:
    """Every number of a high-precision evaluation rounded once to the nearest float64 (mpmath's
    conversion rounds to nearest, ties to even)."""
    return Evaluation(float(ev.loss), _floats(ev.grad_W_b), _floats(ev.grad_U_f),
                      {t: _floats(g) for t, g in ev.g_f.items()}, {t: _floats(g) for t, g in ev.g_b.items()})


@dataclass(frozen=True)
class Precision:
    digits: int  # the working precision
    rounding: Any  # what rounding can do to the closed forms there, relative (an mpmath number)


Exact = tuple[tuple[str, tuple[int, ...], tuple[Any, ...]], ...]


def exact(values: dict[str, np.ndarray]) -> Exact:
    """The instance's exact values as a hashable key: each array's name, shape and entries."""
    return tuple((k, a.shape, tuple(a.flat)) for k, a in sorted(values.items()))


def _arrays(key: Exact) -> dict[str, np.ndarray]:
    """The object arrays an `exact` key was made from."""
    out = {}
    for name, shape, entries in key:
        out[name] = np.empty(len(entries), dtype=object)
        out[name][:] = entries
        out[name] = out[name].reshape(shape)
    return out


def derivative_conditioning(act: Activation, v: dict[str, np.ndarray]) -> Any:
    """How many times the closed forms' f'(a), computed as the polynomial p(h) from h = f(a),
    amplify h's relative rounding error: max |h p'(h) / p(h)| over every hidden unit, at the
    current precision. Near saturation p(h) cancels (1 - h^2 for tanh); where it rounds to 0,
    every digit is lost and the bound is |h p'(h)| / 10^-dps. Once per process for each
    activation, instance and precision (the working precision and the checks' rounding bound)."""
    return _conditioning(act, exact(v), mpmath.mp.dps)


@functools.lru_cache(maxsize=32)
def _conditioning(act: Activation, key: Exact, dps: int) -> Any:
    v = _arrays(key)
    p, dp = _polynomial_and_derivative(act.in_output)
    unit = mpmath.mpf(10) ** -mpmath.mp.dps
    states = forward(act, v, mp_apply)
    steps = len(states["x"])
    worst = mpmath.mpf(1)
    for chain in ("hf", "hb"):
        for t in range(1, steps + 1):
            for h in states[chain][t].flat:
                worst = max(worst, abs(h * dp(h)) / max(abs(p(h)), unit))
    return worst


@functools.lru_cache(maxsize=16)
def _polynomial_and_derivative(in_output: sp.Expr) -> tuple[Any, Any]:
    """p(h) and p'(h) compiled for mpmath, once per process for each activation."""
    return sp.lambdify(H, in_output, "mpmath"), sp.lambdify(H, sp.diff(in_output, H), "mpmath")


def working_precision(act: Activation, values: dict[str, np.ndarray]) -> Precision:
    """DIGITS, or more where saturated units need it: what rounding can do to the closed forms
    is bounded by 10 T d kappa 10^-digits (kappa: derivative_conditioning; T d units in a chain),
    and digits are added (at most EXTRA_DIGITS) until that bound is under TOLERANCE. A process
    computes it once per activation, instance and those constants (the answer and its checks
    both need it)."""
    return _working_precision(act, exact(values), DIGITS, EXTRA_DIGITS, TOLERANCE)


@functools.lru_cache(maxsize=32)
def _working_precision(act: Activation, key: Exact, *constants: object) -> Precision:
    """(`constants`: DIGITS, EXTRA_DIGITS and TOLERANCE, read here, as the cache key only.)"""
    values = _arrays(key)
    d, steps = values["W_f"].shape[0], values["x"].shape[0]
    digits = DIGITS
    while True:  # a unit saturated at this precision bounds kappa by 10^digits: more digits may resolve it
        with mpmath.workdps(digits):
            rounding = 10 * steps * d * derivative_conditioning(act, mp_values(values)) / mpmath.mpf(10) ** digits
        needed = digits + int(mpmath.ceil(mpmath.log10(rounding / TOLERANCE)))
        if needed <= digits or digits == DIGITS + EXTRA_DIGITS:
            return Precision(digits, rounding)
        digits = min(needed, DIGITS + EXTRA_DIGITS)


def high_precision(forms: ClosedForms, act: Activation, values: dict[str, np.ndarray],
                   precision: Precision) -> Evaluation:
    """The closed forms evaluated on the instance's exact values at the working precision: once
    per process for each forms, instance and precision (the answer and its checks both need it),
    its arrays read-only."""
    return _high_precision(forms, act, exact(values), precision.digits)


@functools.lru_cache(maxsize=32)
def _high_precision(forms: ClosedForms, act: Activation, key: Exact, digits: int) -> Evaluation:
    with mpmath.workdps(digits):
        ev = evaluate_forms(forms, act, mp_values(_arrays(key)), mp_apply)
    for array in (ev.grad_W_b, ev.grad_U_f, *ev.g_f.values(), *ev.g_b.values()):
        array.setflags(write=False)
    return dataclasses.replace(ev, g_f=MappingProxyType(ev.g_f), g_b=MappingProxyType(ev.g_b))
