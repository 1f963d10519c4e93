"""A scalar SymPy expression (sums, products, powers, numbers and tanh of the entries of a
component-form row, with the sums already written out) as a program of plain float arithmetic:
the work and rows checks read the same row at many values, and SymPy's substitution and
arithmetic cost far more than the arithmetic itself. The program is built once per expression
from its tree (no code is generated or executed). It fails wherever SymPy's float() of the row
would, and on more: a part it does not know (any function but tanh and exp, a constant such as
pi) raises TypeError, a value it is not given KeyError, and a value that is not a finite real
number TypeError; the checks count each as an infinite error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import sympy as sp

Program = Callable[[Mapping[sp.Basic, float]], float]
FUNCTIONS: dict[type, Callable[[float], float]] = {sp.tanh: math.tanh, sp.exp: math.exp}


def program(expr: sp.Basic) -> Program:
    """The expression's value as a function of the values of its symbols and indexed entries."""
    if expr.is_Number:
        value = float(expr)
        return lambda values: value
    if isinstance(expr, (sp.Symbol, sp.Indexed)):
        return lambda values: values[expr]
    parts = [program(arg) for arg in expr.args]
    if expr.is_Add:
        return lambda values: math.fsum(part(values) for part in parts)
    if expr.is_Mul:
        return lambda values: math.prod(part(values) for part in parts)
    if expr.is_Pow:
        base, exponent = parts
        return lambda values: base(values) ** exponent(values)
    if type(expr) in FUNCTIONS and len(parts) == 1:
        function, (argument,) = FUNCTIONS[type(expr)], parts
        return lambda values: function(argument(values))
    raise TypeError(f"no float value for {type(expr).__name__}")


def compiled(expr: sp.Basic) -> tuple[Program, tuple[sp.Indexed, ...]]:
    """The expression's program and the indexed entries it reads."""
    return program(expr), tuple(expr.atoms(sp.Indexed))


def value(run: Program, values: Mapping[sp.Basic, float]) -> float:
    """The program's value; a value that is not a finite real number (a complex power, a division
    by zero, an overflow) raises TypeError, as SymPy's float() of it does."""
    try:
        got = run(values)
    except (ZeroDivisionError, OverflowError) as exc:
        raise TypeError(f"no float value: {exc}") from None
    if isinstance(got, complex):
        raise TypeError("no float value: a complex number")
    if not math.isfinite(got):
        raise TypeError(f"no float value: {got}")
    return float(got)
