"""Textbook notation for SymPy objects: a LatexPrinter subclass, one method per notation.

Symbols, matrix symbols, undefined functions and indexed bases carry plain names; their LaTeX
comes from the table in derive.latex.notation, and the structure of a subscript (a time step,
an index) from the objects themselves, never from LaTeX read back. diag, the Hadamard product
and the ones vector print as a grader expects. Objects with no textbook form here (lambdas,
array expressions) and names missing from the table raise instead of leaking SymPy's notation.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from derive.latex import notation
from derive.latex.notation import Gradient, Jacobian, NotationError, Series, Subscripted


class Printer(LatexPrinter):
    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        base = {"order": "none", "mul_symbol": None, "fold_short_frac": False}
        super().__init__({**base, **(settings or {})})

    def emptyPrinter(self, expr: Any) -> str:
        raise NotationError(f"no notation for {type(expr).__name__}: {expr!r}")

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        return notation.name(expr.name).latex

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        return notation.name(expr.name).latex

    def _print_AppliedUndef(self, expr: Any, exp: str | None = None) -> str:
        """f(a), sigma(a), f'(a): the function's name from the table, its arguments in brackets."""
        head = notation.name(expr.func.__name__).latex
        if exp is not None:
            head = f"{self.parenthesize_super(head)}^{{{exp}}}"
        return rf"{head}{{\left({','.join(self._print(a) for a in expr.args)} \right)}}"

    def _print_Series(self, expr: Series) -> str:
        return self._step(expr.name, expr.time)

    def _step(self, plain: str, time: sp.Expr) -> str:
        """A series at a time step: h^{(f)}_{t+1}; a gradient, nabla_{h^{(f)}_{t+1}} L."""
        found = notation.entry(plain)
        if isinstance(found, Gradient):
            loss = notation.name(found.loss).latex
            if found.per_step:
                loss += f"_{{{self._subscript(time)}}}"
            return rf"\nabla_{{{self._step(found.wrt, time)}}} {loss}"
        return f"{found.latex}_{{{self._subscript(time)}}}"

    def _subscript(self, item: sp.Basic) -> str:
        """One subscript as written under a symbol: t+1 (not t + 1), c=1, i."""
        if isinstance(item, sp.Eq):
            return f"{self._print(item.lhs)}={self._print(item.rhs)}"
        offset, origin = sp.sympify(item).as_coeff_Add()
        if origin == 0:
            return self._print(offset)
        return self._print(origin) + (f"{int(offset):+d}" if offset else "")

    def _print_Subscripted(self, expr: Subscripted) -> str:
        subscripts = ",".join(self._subscript(s) for s in expr.subscripts)
        return f"{notation.name(expr.name).latex}_{{{subscripts}}}"

    def _print_Jacobian(self, expr: Jacobian) -> str:
        return rf"\frac{{\partial {self._print(expr.out)}}}{{\partial {self._print(expr.wrt)}}}"

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        inner = self._print(expr.arg)
        if not isinstance(expr.arg, sp.MatrixSymbol):
            inner = rf"\left({inner}\right)"
        return rf"{{{inner}}}^{{\top}}"

    def _print_DiagMatrix(self, expr: Any) -> str:
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    def _print_HadamardProduct(self, expr: Any) -> str:
        parts = []
        for arg in expr.args:
            text = self._print(arg)
            if isinstance(arg, (sp.MatAdd, sp.HadamardProduct)):
                text = rf"\left({text}\right)"
            parts.append(text)
        return r" \odot ".join(parts)

    def _print_HadamardPower(self, expr: Any) -> str:
        base, exp = expr.args
        text = self._print(base)
        if not isinstance(base, sp.MatrixSymbol):
            text = rf"\left({text}\right)"
        if exp == 2:
            return rf"{text} \odot {text}"
        return rf"{text}^{{\odot {self._print(exp)}}}"

    def _print_OneMatrix(self, expr: Any) -> str:
        return r"\mathbf{1}"

    def _print_ZeroMatrix(self, expr: Any) -> str:
        return r"\mathbf{0}"

    def _print_ElementwiseApplyFunction(self, expr: Any) -> str:
        func = expr.function
        var = sp.Dummy()
        body = func(var)
        if not (isinstance(body, sp.Function) and body.args == (var,)):
            raise NotationError(f"elementwise {func} has no textbook notation")
        plain = body.func.__name__
        head = notation.name(plain).latex if isinstance(body, AppliedUndef) else self._hprint_Function(plain)
        return rf"{head}\left({self._print(expr.expr)}\right)"

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        """Positive terms first (N - 1, 1 - h^2); symbolic terms in lex order, numbers as written."""
        terms = expr.as_ordered_terms(order="lex") if expr.free_symbols else list(expr.args)
        terms.sort(key=lambda a: a.could_extract_minus_sign())
        return super()._print_Add(sp.Add(*terms, evaluate=False), order="none")

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        """Factors side by side; a negative numeric coefficient becomes a leading minus."""
        negative, positive = _split_sign(expr)
        args = positive.args if isinstance(positive, sp.MatMul) else (positive,)
        parts = []
        for arg in args:
            text = self._print(arg)
            if isinstance(arg, (sp.MatAdd, sp.Add, sp.HadamardProduct)):
                text = rf"\left({text}\right)"
            parts.append(text)
        return ("- " if negative else "") + " ".join(parts)

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:
        """Positive terms first: 1 - h (.) h, not -h (.) h + 1. Signs are read off the numeric
        coefficient (asking SymPy's assumptions about matrix terms is slow)."""
        terms = sorted((_split_sign(a) for a in expr.args), key=lambda t: t[0])
        parts = []
        for i, (negative, term) in enumerate(terms):
            sign = ("-" if i == 0 else " - ") if negative else ("" if i == 0 else " + ")
            parts.append(sign + self._print(term))
        return "".join(parts)

    def _print_log2(self, expr: sp.Function) -> str:
        return rf"\log_2\left({self._print(expr.args[0])}\right)"

    def _print_Lambda(self, expr: sp.Lambda) -> str:
        raise NotationError(f"lambda has no textbook notation: {expr}")

    def _print_Pow(self, expr: sp.Pow) -> str:
        """(h^{(f)}_{t,i})^2: a power of an entry whose name has a superscript gets parentheses."""
        if isinstance(expr.base, sp.Indexed) and _label(expr.base).superscript and expr.exp.is_Integer:
            return rf"\left({self._print(expr.base)}\right)^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        """Entry k of the series x at t prints as x_{t,k}; entry (i, j) of U_f as U^{(f)}_{i,j}."""
        label = expr.base.label
        subscripts = [self._subscript(i) for i in expr.indices]
        if isinstance(label, Series):
            subscripts.insert(0, self._subscript(label.time))
        return f"{{{_label(expr).latex}_{{{','.join(subscripts)}}}}}"


def _label(entry: sp.Indexed) -> notation.Name:
    """The notation of an indexed entry's base: a plain-named symbol, or a series at a step."""
    return notation.name(entry.base.label.name)


def _split_sign(term: sp.Basic) -> tuple[bool, sp.Basic]:
    """(True, -term) for a matrix term with a negative numeric coefficient, else (False, term)."""
    if isinstance(term, sp.MatMul) and term.args[0].is_Number and term.args[0] < 0:
        coeff, rest = -term.args[0], term.args[1:]
        if coeff == 1:
            return True, rest[0] if len(rest) == 1 else sp.MatMul(*rest, evaluate=False)
        return True, sp.MatMul(coeff, *rest, evaluate=False)
    return False, term


PRINTER = Printer()


def tex(expr: Any) -> str:
    """LaTeX of a SymPy object in derive's notation.

    A SymPy object is printed once per process and remembered while the notation table stays as
    it was: views and templates print the same expressions many times (a row is measured for its
    line, then printed). The key is the object's type and the object, whose equality in SymPy is
    structural and strict about what prints differently (2 and 2.0, a Float's precision, argument
    order, a symbol's assumptions); anything else is printed afresh."""
    if not isinstance(expr, sp.Basic):
        return PRINTER.doprint(expr)
    if notation.NOTATION != _PRINTED_WITH:  # a name's notation changed: what is remembered is stale
        _remembered_tex.cache_clear()
        _PRINTED_WITH.clear()
        _PRINTED_WITH.update(notation.NOTATION)
    return _remembered_tex(expr)


_PRINTED_WITH: dict[str, notation.Name | Gradient] = {}  # the notation table the remembered LaTeX used


@functools.lru_cache(maxsize=4096, typed=True)
def _remembered_tex(expr: sp.Basic) -> str:
    """tex(expr), keyed also on the object's type (typed)."""
    return PRINTER.doprint(expr)


def decimal(value: sp.Expr, digits: int = 6) -> str:
    """A short decimal for an exact number: at most `digits` significant digits, in powers of ten
    at any magnitude (the exponent is taken before the number meets float64's range).

    A number (int, float, SymPy Rational or Float) is printed once per process and remembered:
    views print the same entries many times (an excerpt measures each cell, then shows it). The
    cache is keyed on the value's type and a Float's precision too, so 2, 2.0, Integer(2) and
    Float(2.0) never share an entry; other expressions are printed afresh."""
    if type(value) in (int, float) or isinstance(value, (sp.Rational, sp.Float)):
        return _remembered_decimal(value, getattr(value, "_prec", None), digits)
    return _decimal(value, digits)


@functools.lru_cache(maxsize=4096, typed=True)
def _remembered_decimal(value: Any, prec: int | None, digits: int) -> str:
    """decimal(value, digits), keyed also on the value's type (typed) and a Float's precision."""
    return _decimal(value, digits)


def _decimal(value: sp.Expr, digits: int) -> str:
    number = sp.Float(sp.N(value, digits + 10), digits + 10)
    if number.is_zero:
        return "0"
    exp = exponent(number)
    mant = f"{float(number / sp.Integer(10) ** exp):.{digits}g}"
    if abs(float(mant)) >= 10:  # the mantissa rounded up to 10
        exp, mant = exp + 1, f"{float(mant) / 10:.{digits}g}"
    if -4 <= exp < digits:
        return f"{float(number):.{digits}g}"
    return rf"{mant}\times 10^{{{exp}}}"


# The exact exponent is trusted only where the symbolic one cannot come out otherwise. The symbolic
# path takes log|number| from the number as rounded to its precision: with at least
# FAST_EXPONENT_BITS bits (decimal's Floats have digits + 10 decimal digits, 40 bits or more) and
# at most FAST_EXPONENT_LIMIT decades from 1, its log10 is off by less than 2303 * 2^-40 / ln 10,
# about 1e-9, while a number FAST_EXPONENT_MARGIN (relative) from every power of ten has a log10
# at least 4e-7 from every integer.
FAST_EXPONENT_MARGIN = Fraction(1, 10**6)
FAST_EXPONENT_LIMIT = 1000
FAST_EXPONENT_BITS = 40


def exponent(number: sp.Expr) -> int:
    """floor(log10|number|) of a nonzero number: exactly from its binary digits when that is
    certain to agree with SymPy's symbolic floor(log(|number|, 10)), else by that symbolic path
    (slow: it evaluates a logarithm to decide the floor), so the result is the same either way."""
    fast = exact_exponent(number)
    return fast if fast is not None else int(sp.floor(sp.log(abs(number), 10)))


def exact_exponent(number: sp.Expr) -> int | None:
    """floor(log10|number|) in integer arithmetic, or None where `exponent` must not trust it:
    |number| within FAST_EXPONENT_MARGIN (relative) of a power of ten, further than
    FAST_EXPONENT_LIMIT decades from 1, held to too few bits, or not a finite nonzero Float."""
    if not isinstance(number, sp.Float) or number._prec < FAST_EXPONENT_BITS:
        return None
    _, man, exp, bc = number._mpf_
    if not man:
        return None
    decade = (bc + exp - 1) * 30103 // 100000  # floor((bc + exp - 1) log10 2), within one of the answer
    if abs(decade) > FAST_EXPONENT_LIMIT + 1:
        return None
    size = Fraction(man) * Fraction(2) ** exp
    power = Fraction(10) ** decade
    while power > size:
        decade, power = decade - 1, power / 10
    while power * 10 <= size:
        decade, power = decade + 1, power * 10
    near = size < power * (1 + FAST_EXPONENT_MARGIN) or size > power * 10 * (1 - FAST_EXPONENT_MARGIN)
    return None if near or abs(decade) > FAST_EXPONENT_LIMIT else decade
