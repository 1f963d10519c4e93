"""Values of parsed answers, with bounded work: exact numbers (Fraction, or float once a log
appears), values at integer points for exact symbolic answers, and O-forms reduced with the
project's own O reduction (derive/bigo.py) after an expansion whose size is bounded first."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.printing.precedence import precedence
from sympy.printing.str import StrPrinter

from derive.bigo import big_o
from derive.grading import budget
from derive.grading.expr import Bin, Call, Neg, Node, Num, Sym, Unparseable

MAX_BITS = 20_000  # numerator or denominator of an exact intermediate value
MAX_POWER = 1000  # |integer exponent| of a number
MAX_POLY_POWER = 64  # integer exponent of a symbolic base
MAX_TERMS = 5000  # terms of an O-form once expanded
Value = Fraction | float


_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "^": operator.pow,
}


class _Typed(StrPrinter):
    """SymPy's plain text with `^` for powers: the grammar students type (expr.py), so that a
    reason can be copied back into an answer."""

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        level = precedence(expr)
        return f"{self.parenthesize(expr.base, level, strict=False)}^{self.parenthesize(expr.exp, level, strict=True)}"


def typed(value: sp.Expr | str) -> str:
    """An expression, or a key's published text, as a student would type it: `N^T`, not `N**T`.
    A key's text is derive's own output, in which `**` is only ever the power operator (the
    grammar reads `**` and `^` alike, and no other token holds a `*` twice)."""
    return value.replace("**", "^") if isinstance(value, str) else _Typed().doprint(value)


def _bounded(x: Value, times: int = 1) -> Value:
    """x, its cost charged to the part's budget (`times` for a power: the bits of its exponent)."""
    if isinstance(x, float):
        budget.spend(times)
        if not math.isfinite(x):
            raise Unparseable("a value overflows")
        return x
    bits = max(x.numerator.bit_length(), x.denominator.bit_length())
    budget.spend(budget.for_bits(bits) * times)
    if bits > MAX_BITS:
        raise Unparseable(f"an intermediate value has more than {MAX_BITS} bits")
    return x


def _power(base: Value, exponent: Value) -> Value:
    if isinstance(exponent, Fraction) and exponent.denominator == 1 and isinstance(base, Fraction):
        k = exponent.numerator
        if abs(k) > MAX_POWER:
            raise Unparseable(f"exponent {k} exceeds {MAX_POWER} in magnitude")
        size = max(base.numerator.bit_length(), base.denominator.bit_length())
        if size * abs(k) > MAX_BITS:
            raise Unparseable(f"a power has more than {MAX_BITS} bits")
        if base == 0 and k < 0:
            raise Unparseable("division by zero")
        return _bounded(base**k, abs(k).bit_length())
    if base < 0:
        raise Unparseable("a negative number to a fractional power")
    try:
        return _bounded(float(base) ** float(exponent))
    except (OverflowError, ZeroDivisionError):
        raise Unparseable("a power overflows") from None


def _log(x: Value) -> float:
    if x <= 0:
        raise Unparseable("log of a number that is not positive")
    if isinstance(x, Fraction):
        return math.log(x.numerator) - math.log(x.denominator)
    return math.log(x)


def number(node: Node, env: Mapping[str, int] | None = None) -> Value:
    """The value of a number expression; symbols take their values from env."""
    match node:
        case Num(value):
            return _bounded(value)
        case Sym(name):
            if env is None or name not in env:
                raise Unparseable(f"a number is expected here, not the symbol {name}")
            return _bounded(Fraction(env[name]))
        case Neg(operand):
            return _bounded(-number(operand, env))
        case Call("log", argument):
            return _bounded(_log(number(argument, env)))
        case Call(_, _):
            raise Unparseable("O(...) where a number is expected")
        case Bin(op, left, right):
            a, b = number(left, env), number(right, env)
            if op == "^":
                return _power(a, b)
            if op == "/" and b == 0:
                raise Unparseable("division by zero")
            try:  # a Fraction beyond float range meeting a float overflows
                result = _OPERATIONS[op](a, b)
            except OverflowError:
                raise Unparseable("a value overflows") from None
            return _bounded(result)
    raise Unparseable("not a number")  # unreachable for the grammar's nodes


def is_o_form(node: Node) -> bool:
    return isinstance(node, Call) and node.function == "O"


def _terms(node: Node) -> int:
    """An upper bound on the terms of the node's expansion (a log counts as one symbol)."""
    match node:
        case Num() | Sym():
            return 1
        case Call("log", argument):  # a sum of logs, at most one per symbol occurrence
            if _terms(argument) > MAX_TERMS:
                raise Unparseable(f"expands to more than {MAX_TERMS} terms")
            return _occurrences(argument) + 1
        case Neg(operand):
            return _terms(operand)
        case Call(_, _):
            raise Unparseable("O(...) inside an expression")
        case Bin("^", base, exponent):
            if _has_symbol(exponent):
                raise Unparseable("O-forms here are polynomials: no symbol in an exponent")
            if not _has_symbol(base):
                return 1
            if not isinstance(exponent, Num) or exponent.value.denominator != 1:
                raise Unparseable("O-forms here are polynomials: exponents of symbols are whole numbers")
            k = exponent.value.numerator
            if k > MAX_POLY_POWER:
                raise Unparseable(f"exponent {k} of a symbolic base exceeds {MAX_POLY_POWER}")
            return min(_terms(base) ** k, MAX_TERMS + 1)
        case Bin("*", left, right):
            return min(_terms(left) * _terms(right), MAX_TERMS + 1)
        case Bin("/", left, right):
            if _has_symbol(right):
                raise Unparseable("O-forms here are polynomials: no division by a symbol")
            return _terms(left)
        case Bin(_, left, right):
            return _terms(left) + _terms(right)
    return 1


def _occurrences(node: Node) -> int:
    match node:
        case Sym():
            return 1
        case Neg(operand) | Call(_, operand):
            return _occurrences(operand)
        case Bin(_, left, right):
            return _occurrences(left) + _occurrences(right)
    return 0


def _has_symbol(node: Node) -> bool:
    match node:
        case Sym():
            return True
        case Num():
            return False
        case Neg(operand) | Call(_, operand):
            return _has_symbol(operand)
        case Bin(_, left, right):
            return _has_symbol(left) or _has_symbol(right)
    return False


def _sympy(node: Node, symbols: Mapping[str, sp.Symbol], logs: dict[str, sp.Symbol]) -> sp.Expr:
    """A SymPy expression built node by node; parts without symbols are bounded numbers first."""
    if not _has_symbol(node):
        value = number(node)
        return sp.Rational(value.numerator, value.denominator) if isinstance(value, Fraction) else sp.Float(value)
    match node:
        case Sym(name):
            return symbols[name]
        case Neg(operand):
            return -_sympy(operand, symbols, logs)
        case Call(_, argument):
            return _log_terms(sp.expand(_sympy(argument, symbols, logs)), logs)
        case Bin(op, left, right):
            a, b = _sympy(left, symbols, logs), _sympy(right, symbols, logs)
            return _OPERATIONS[op](a, b)
    raise Unparseable("not an expression")


def _log_terms(inner: sp.Expr, logs: dict[str, sp.Symbol]) -> sp.Expr:
    """log of a product as a sum of logs (log(B N^2) = log B + 2 log N); each log of a symbol, or
    of a sum, is one opaque symbol, at least 1; logs of ordered symbols keep their order."""
    terms = []
    for factor in sp.Mul.make_args(inner):
        base, exponent = factor.as_base_exp()
        if not base.is_number:  # the log of a constant factor is a constant: dominated, dropped
            terms.append(exponent * logs.setdefault(sp.srepr(base), sp.Symbol(f"log({typed(base)})", positive=True)))
    return sp.Add(*terms)


def o_reduction(node: Node, symbols: Sequence[sp.Symbol],
                order: Sequence[tuple[sp.Symbol, sp.Symbol]]) -> sp.Expr:
    """The dominant monomials of an O-form's argument (or of a cost expression), coefficients dropped."""
    inner = node.argument if is_o_form(node) else node  # type: ignore[union-attr]
    terms = _terms(inner)
    if terms > MAX_TERMS:
        raise Unparseable(f"expands to more than {MAX_TERMS} terms")
    budget.spend(terms * budget.UNITS_PER_TERM)  # SymPy's expansion and reduction, by their size
    logs: dict[str, sp.Symbol] = {}
    expr = sp.expand(_sympy(inner, {s.name: s for s in symbols}, logs))
    variables = [*symbols, *sorted(logs.values(), key=str)]
    if not expr.free_symbols:
        return sp.Integer(1)  # O(1)
    log_order = [(logs[sp.srepr(small)], logs[sp.srepr(large)]) for small, large in order
                 if sp.srepr(small) in logs and sp.srepr(large) in logs]
    try:
        return big_o(expr, variables, [*order, *log_order])
    except sp.PolynomialError:
        raise Unparseable("not a polynomial in the question's symbols") from None
