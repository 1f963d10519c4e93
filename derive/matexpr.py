"""Evaluate SymPy matrix expressions on concrete arrays.

The closed forms shown in the document are the objects evaluated here: one interpreter
for exact arithmetic (object arrays of SymPy numbers) and for float64. An unknown node
raises, so nothing is evaluated silently wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

Apply = Callable[[Any, np.ndarray], np.ndarray]


def evaluate(expr: sp.Basic, values: Mapping[sp.MatrixSymbol, np.ndarray], apply: Apply | None = None) -> np.ndarray:
    """The value of `expr` with each MatrixSymbol replaced by its array in `values`."""
    if isinstance(expr, sp.MatrixSymbol):
        if expr not in values:
            raise KeyError(f"no value for {expr.name}")
        return values[expr]
    if isinstance(expr, sp.Transpose):
        return evaluate(expr.arg, values, apply).T
    if isinstance(expr, sp.MatMul):
        scalar, matrices = _split(expr.args)
        out = evaluate(matrices[0], values, apply)
        for m in matrices[1:]:
            out = out @ evaluate(m, values, apply)
        return _scale(scalar, out)
    if isinstance(expr, sp.MatAdd):
        parts = [evaluate(a, values, apply) for a in expr.args]
        return sum(parts[1:], parts[0])
    if isinstance(expr, sp.HadamardProduct):
        parts = [evaluate(a, values, apply) for a in expr.args]
        out = parts[0]
        for p in parts[1:]:
            out = out * p
        return out
    if isinstance(expr, sp.HadamardPower):
        base, exp = expr.args
        return evaluate(base, values, apply) ** int(exp)
    if isinstance(expr, DiagMatrix):
        vec = evaluate(expr.args[0], values, apply)
        return _diag(vec.reshape(-1))
    if isinstance(expr, sp.OneMatrix):
        rows, cols = _shape(expr, values)
        return np.ones((rows, cols), dtype=_dtype(values))
    if isinstance(expr, sp.ZeroMatrix):
        rows, cols = _shape(expr, values)
        return np.zeros((rows, cols), dtype=_dtype(values))
    if isinstance(expr, ElementwiseApplyFunction):
        if apply is None:
            raise TypeError("an elementwise function needs `apply`")
        return apply(expr.function, evaluate(expr.expr, values, apply))
    raise TypeError(f"cannot evaluate {type(expr).__name__}: {expr}")


def _split(args: tuple[sp.Basic, ...]) -> tuple[sp.Expr, list[sp.Basic]]:
    scalars = [a for a in args if not getattr(a, "is_Matrix", False)]
    matrices = [a for a in args if getattr(a, "is_Matrix", False)]
    return sp.Mul(*scalars), matrices


def _scale(scalar: sp.Expr, array: np.ndarray) -> np.ndarray:
    if scalar == 1:
        return array
    return array * (scalar if array.dtype == object else float(scalar))


def _diag(vec: np.ndarray) -> np.ndarray:
    out = np.zeros((vec.size, vec.size), dtype=vec.dtype)
    if vec.dtype == object:
        out[:] = sp.Integer(0)
    out[np.diag_indices(vec.size)] = vec
    return out


def _dtype(values: Mapping[sp.MatrixSymbol, np.ndarray]) -> Any:
    return next(iter(values.values())).dtype


def _shape(expr: sp.MatrixExpr, values: Mapping[sp.MatrixSymbol, np.ndarray]) -> tuple[int, int]:
    """Concrete shape: the symbolic size d is read off any square value."""
    size = next(v.shape[0] for k, v in values.items() if v.shape[0] == v.shape[1])
    subs = {s: size for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    return int(sp.sympify(expr.rows).subs(subs)), int(sp.sympify(expr.cols).subs(subs))
