"""Question 3's work shown, row by row: 3.2(a)'s local gradients and 3.2(b)'s Jacobian entries.

Each row of those two derivations is evaluated on seeded random values (d = 3) and compared
with a quantity computed here without SymPy: the step loss sum((z - y)^2) and its central
differences in y, h_f and h_b (through y = V_f h_f + V_b h_b) for the local rows; (W x + U h)_i
and the central differences of a_i and of f(a_i) in h_j for the entry rows, in both directions.
A row that continues an equality (no left side) must equal the quantity of the row above.
The rows that keep f' or a derivative unevaluated (the chain rule as written) are not
evaluated; the row after them is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy as sp

from derive.answer import Check, Row, worst
from derive.latex.notation import Subscripted
from derive.matexpr import evaluate
from derive.questions.birnn import scalar
from derive.questions.birnn.model import (
    COL,
    FPRIME,
    ROW,
    T_NOW,
    WEIGHTS,
    BirnnParts,
    D,
    Derivation,
    gb_t,
    gf_t,
    gy_t,
    hb,
    hf,
    x,
    y,
    z,
)

SIZE = 3
STEP = 1e-6  # central differences on values of order 1: truncation ~1e-12, rounding ~1e-10
TOLERANCE = 1e-6  # relative to the largest expected magnitude
NAME = "work shown: local gradients and Jacobian entries"


def _activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    return np.tanh if name == "tanh" else (lambda a: 1 / (1 + np.exp(-a)))


def _central(f: Callable[[np.ndarray], Any], at: np.ndarray) -> np.ndarray:
    """Central differences of f at `at`: the gradient of a scalar f (the shape of `at`), or the
    Jacobian of a d x 1 vector f (out_i, in_j) at a d x 1 point."""
    columns = []
    for index in np.ndindex(at.shape):
        up, down = at.copy(), at.copy()
        up[index] += STEP
        down[index] -= STEP
        columns.append((np.asarray(f(up), dtype=float) - np.asarray(f(down), dtype=float)).reshape(-1) / (2 * STEP))
    stacked = np.stack(columns, axis=-1)
    return stacked.reshape(at.shape) if stacked.shape[0] == 1 else stacked


def _float_apply(function: sp.Lambda, array: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: float(function(v)))(array)


def _matrix(expr: sp.Basic, values: Mapping[Any, np.ndarray]) -> np.ndarray:
    """A row's matrix expression on the values; a 1 x 1 trace as that 1 x 1 array."""
    if isinstance(expr, sp.Trace):
        return np.array([[np.trace(_matrix(expr.arg, values))]])
    return evaluate(expr, values, _float_apply)


def _sized(arrays: Mapping[Any, np.ndarray]) -> dict[Any, np.ndarray]:
    """The arrays by their labels at d = SIZE, as `_scalar`'s substitution leaves the labels."""
    return {sp.sympify(label).subs(D, SIZE): array for label, array in arrays.items()}


def _at(row_i: int, col_j: int) -> tuple[tuple[sp.Symbol, int], ...]:
    """The entry (row_i, col_j) (0-based) as the substitution of a component-form row."""
    return (ROW, row_i + 1), (COL, col_j + 1)


@functools.lru_cache(maxsize=4096)
def _expanded(expr: sp.Expr, at: tuple[tuple[sp.Symbol, int], ...],
              size: int) -> tuple[scalar.Program, tuple[sp.Indexed, ...]]:
    """A component-form row with d = size and i, j substituted and its sums done, as a program of
    float arithmetic, and the entries it reads: symbolic work that depends on the row and (i, j)
    only, not on the values, so each process does it once per row and entry however many
    instances it checks."""
    return scalar.compiled(sp.sympify(expr).subs({D: size, **dict(at)}).doit())


def _scalar(expr: sp.Expr, at: tuple[tuple[sp.Symbol, int], ...], sized: Mapping[Any, np.ndarray]) -> float:
    """A component-form row (sums over k = 1..d of indexed entries) at concrete i, j and d."""
    run, read = _expanded(expr, at, SIZE)
    entries = {}
    for entry in read:
        array = sized[entry.base.label]
        index = tuple(int(i) - 1 for i in entry.indices)
        entries[entry] = float(array[index] if len(index) == 2 else array[index[0], 0])
    return scalar.value(run, entries)


def _chains(rows: tuple[Row, ...], expected: Mapping[Any, Any], value: Callable[[Row], Any]) -> list[float]:
    """The relative error of every evaluable row against its left side's expected value (the
    row above's, where the row continues an equality)."""
    errors, current = [], None
    for row in rows:
        if row.lhs is not None:
            current = expected.get(row.lhs)
        got = value(row)
        if got is None:
            continue
        if current is None:
            errors.append(np.inf)  # a row with nothing to compare it with: the check cannot vouch for it
            continue
        want = np.asarray(current, dtype=float)
        difference = np.max(np.abs(np.asarray(got, dtype=float) - want))
        errors.append(float(difference) / max(float(np.max(np.abs(want))), 1.0))
    return errors


def _local_errors(derivation: Derivation, rng: np.random.Generator) -> list[float]:
    v_f, v_b = rng.normal(size=(SIZE, SIZE)), rng.normal(size=(SIZE, SIZE))
    h_f, h_b, target = (rng.normal(size=(SIZE, 1)) for _ in range(3))
    out = v_f @ h_f + v_b @ h_b

    def loss(output: np.ndarray) -> float:
        return float(np.sum((target - output) ** 2))

    values = {WEIGHTS["V_f"]: v_f, WEIGHTS["V_b"]: v_b, hf(): h_f, hb(): h_b, y(): out, z(): target}
    expected: dict[Any, Any] = {
        Subscripted("L", T_NOW): loss(out),
        gy_t(): _central(loss, out),
        gf_t(): _central(lambda h: loss(v_f @ h + v_b @ h_b), h_f),
        gb_t(): _central(lambda h: loss(v_f @ h_f + v_b @ h), h_b),
    }
    return _chains(derivation.local_rows, expected, lambda row: _matrix(row.rhs, values))


def _component(w: np.ndarray, u: np.ndarray, inputs: np.ndarray,
               f: Callable[[np.ndarray], np.ndarray] = np.positive) -> Callable[[np.ndarray], np.ndarray]:
    """The next state as a function of the source state: f(W x + U h)."""
    return lambda h: f(w @ inputs + u @ h)


def _evaluated(row: Row) -> bool:
    """Whether an entry row is evaluated: not one that keeps f' or a derivative unevaluated."""
    return not (row.rhs.has(FPRIME) or row.rhs.has(sp.Derivative))


def _entry_value(row: Row, at: tuple[tuple[sp.Symbol, int], ...], sized: Mapping[Any, np.ndarray]) -> float | None:
    return _scalar(row.rhs, at, sized) if _evaluated(row) else None


def expand(derivation: Derivation) -> None:
    """The symbolic part of every entry row at every (i, j) (`_expanded`), ahead of any check:
    `derive variants` does it before forking its workers (Question.warm), which inherit it."""
    for rows in derivation.entry_rows.values():
        for row in filter(_evaluated, rows):
            for row_i, col_j in np.ndindex(SIZE, SIZE):
                _expanded(row.rhs, _at(row_i, col_j), SIZE)


def _entry_errors(derivation: Derivation, rng: np.random.Generator) -> list[float]:
    f = _activation(derivation.activation.name)
    errors = []
    for direction, state, offset in (("f", hf, 1), ("b", hb, -1)):
        w, u = rng.normal(size=(SIZE, SIZE)), rng.normal(size=(SIZE, SIZE))
        inputs, source = rng.normal(size=(SIZE, 1)), rng.normal(size=(SIZE, 1))
        arrays = {sp.Symbol(f"W_{direction}"): w, sp.Symbol(f"U_{direction}"): u, x(offset): inputs,
                  state(0): source, state(offset): f(w @ inputs + u @ source)}
        rows, sized = derivation.entry_rows[direction], _sized(arrays)
        pre = _component(w, u, inputs)
        jacobian = _central(_component(w, u, inputs, f), source)
        slopes = _central(pre, source)
        for row_i, col_j in np.ndindex(SIZE, SIZE):
            expected: dict[Any, Any] = {rows[0].lhs: float(pre(source)[row_i, 0]), rows[1].lhs: slopes[row_i, col_j],
                        rows[3].lhs: jacobian[row_i, col_j]}
            errors += _chains(rows, expected, functools.partial(_entry_value, at=_at(row_i, col_j), sized=sized))
    return errors


def work_check(derivation: Derivation, seed: int) -> Check:
    """The rows of 3.2(a) and 3.2(b) against independent values (module docstring); the error is
    the largest relative difference, infinite when a row does not evaluate or when the number of
    rows the method text states is not the number compared (each entry row once per (i, j))."""
    rng = np.random.default_rng(seed)
    try:
        local, entries = _local_errors(derivation, rng), _entry_errors(derivation, rng)
        errors, compared = local + entries, len(local) + len(entries) / SIZE**2
    except (TypeError, KeyError, ValueError, AttributeError):
        errors, compared = [np.inf], 0
    unevaluated = sum(row.rhs.has(FPRIME) for rows in derivation.entry_rows.values() for row in rows)
    rows = len(derivation.local_rows) + sum(len(r) for r in derivation.entry_rows.values()) - unevaluated
    if rows != compared:
        errors.append(np.inf)
    return Check(BirnnParts.derivation.id, NAME,
                 f"{rows} rows evaluated on seeded random values, d = {SIZE}, against the step loss, its "
                 f"central differences (h={STEP:g}) and (Wx + Uh)_i (rel.); the {unevaluated} rows with f' "
                 "unevaluated are not", worst(errors), TOLERANCE)
