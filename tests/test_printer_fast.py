"""The printer's shortcuts print what the slow paths print: decimal's exact exponent agrees with
SymPy's symbolic floor(log10) wherever it is trusted and leaves the rest to it, and what is
remembered is looked up only by a value that prints the same."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from derive.latex import notation, printer
from derive.latex.notation import NotationError
from derive.latex.printer import FAST_EXPONENT_LIMIT, FAST_EXPONENT_MARGIN, decimal, exact_exponent, exponent

DIGITS = (1, 4, 12)


def symbolic_exponent(number: sp.Float) -> int:
    return int(sp.floor(sp.log(abs(number), 10)))


def as_number(value: sp.Expr, digits: int) -> sp.Float:
    """The Float decimal() takes the exponent of."""
    return sp.Float(sp.N(value, digits + 10), digits + 10)


def sample() -> list[sp.Expr]:
    """Powers of ten and numbers just either side of them (inside and outside the margin), tiny
    and huge magnitudes, negatives, exact rationals, irrationals and floats."""
    rng = random.Random(20240611)
    values: list[sp.Expr] = []
    for e in (*range(-25, 26), -300, 300, -999, 999, -1001, 1001, -5000, 5000):
        power = sp.Rational(10) ** e
        values += [power, -power]
        for off in (sp.Rational(1, 10**3), 2 * FAST_EXPONENT_MARGIN, FAST_EXPONENT_MARGIN / 2,
                    sp.Rational(1, 10**9), sp.Rational(1, 10**20)):
            values += [power * (1 + sp.Rational(off)), power * (1 - sp.Rational(off)), -power * (1 - sp.Rational(off))]
    values += [rng.choice((1, -1)) * sp.Rational(rng.randint(1, 10**9), rng.randint(1, 10**9)) *
               sp.Rational(10) ** rng.randint(-60, 60) for _ in range(200)]
    values += [sp.Rational(31, 12), sp.Rational(1, 3), sp.Rational(-2, 3), sp.Rational(99_999, 1000),
               sp.sqrt(2) * 10**50, sp.pi / 10**7, sp.exp(sp.Rational(99536, 100)), sp.log(3), sp.E ** -50,
               sp.Integer(50257) ** 75 / 10**18, 0.1, 1e-300, -123.456, 1e300, 9.999999e5, sp.Float(0.5, 60)]
    return values


VALUES = sample()


@pytest.mark.parametrize("digits", DIGITS)
def test_the_exact_exponent_agrees_with_the_symbolic_one_wherever_it_is_taken(digits):
    taken = 0
    for value in VALUES:
        number = as_number(value, digits)
        fast = exact_exponent(number)
        if fast is not None:
            taken += 1
            assert fast == symbolic_exponent(number), (value, digits)
    assert taken > 400  # the shortcut is the common case


@pytest.mark.parametrize("digits", DIGITS)
def test_decimal_prints_what_the_symbolic_path_prints(digits, monkeypatch):
    fast = [printer._decimal(value, digits) for value in VALUES]
    monkeypatch.setattr(printer, "exact_exponent", lambda number: None)
    assert fast == [printer._decimal(value, digits) for value in VALUES]


@pytest.mark.parametrize("e", [-1001, -300, -7, -1, 0, 1, 2, 15, 300, 999, 1001])
def test_the_symbolic_path_decides_near_a_power_of_ten_and_far_out(e):
    power = sp.Rational(10) ** e
    near = [power, -power, power * (1 + FAST_EXPONENT_MARGIN / 2), power * (1 - FAST_EXPONENT_MARGIN / 2),
            power * (1 + sp.Rational(1, 10**15)), power * (1 - sp.Rational(1, 10**15))]
    for value in near:
        number = as_number(value, 6)
        assert exact_exponent(number) is None, value
        assert exponent(number) == symbolic_exponent(number)
    clear = power * (1 + 2 * FAST_EXPONENT_MARGIN)
    assert (exact_exponent(as_number(clear, 6)) is None) == (abs(e) > FAST_EXPONENT_LIMIT)


def test_the_symbolic_path_decides_for_a_number_held_to_few_bits():
    number = sp.Float(sp.Rational(31, 12), 5)
    assert exact_exponent(number) is None
    assert exponent(number) == 0
    assert exact_exponent(sp.Float(0)) is None
    assert exact_exponent(sp.Float("inf")) is None
    assert exact_exponent(sp.nan) is None


@pytest.mark.parametrize("digits", [3, 20])
def test_remembered_decimals_keep_types_and_precisions_apart(digits):
    values = [2, 2.0, sp.Integer(2), sp.Float(2.0), sp.Float(2.0, 30), sp.Rational(1, 10), 0.1,
              sp.Float(0.1), sp.Float("0.1", 30), sp.Float("0.1", 5), -1, sp.S.NegativeOne, sp.S.Zero, 0]
    expected = [printer._decimal(v, digits) for v in values]
    printer._remembered_decimal.cache_clear()
    assert [decimal(v, digits) for v in values] == expected
    assert printer._remembered_decimal.cache_info().currsize == len(values)  # no two share an entry
    assert [decimal(v, digits) for v in reversed(values)] == expected[::-1]
    assert decimal(sp.sqrt(2), digits) == printer._decimal(sp.sqrt(2), digits)  # an expression: not kept
    assert printer._remembered_decimal.cache_info().currsize == len(values)


X, Y = sp.symbols("x y")


def look_alikes() -> list[sp.Basic]:
    """Objects that are close to equal but print differently: a number's type and precision, an
    unevaluated sum's order, a symbol's assumptions, a matrix's entries."""
    return [sp.Integer(2), sp.Float(2.0), sp.Float(2.0, 30), sp.Rational(1, 2), sp.Float(0.5), sp.Float(0.5, 40),
            X + 2, X + sp.Float(2.0), X + sp.Float(2.0, 30), 2 * X, sp.Float(2.0) * X,
            sp.Add(X, Y, evaluate=False), sp.Add(Y, X, evaluate=False), sp.Add(1, 2, evaluate=False),
            sp.Add(2, 1, evaluate=False), sp.Mul(X, 2, evaluate=False),
            sp.Symbol("x", positive=True) ** 2, X ** 2, X ** sp.Float(2.0),
            sp.ImmutableMatrix([[1, sp.Rational(1, 2)]]), sp.ImmutableMatrix([[sp.Float(1.0), sp.Float(0.5)]]),
            sp.Tuple(1, 2), sp.Tuple(1, sp.Float(2.0))]


def test_remembered_tex_is_what_the_printer_prints_for_look_alikes():
    objects = look_alikes()
    printed = dict(zip(map(sp.srepr, objects), map(printer.PRINTER.doprint, objects), strict=True))
    assert printed[sp.srepr(X + 2)] != printed[sp.srepr(X + sp.Float(2.0))]
    assert printed[sp.srepr(sp.Integer(2))] != printed[sp.srepr(sp.Float(2.0))]
    printer._remembered_tex.cache_clear()
    for order in (objects, objects[::-1], objects):
        assert [printer.tex(o) for o in order] == [printer.PRINTER.doprint(o) for o in order]
    assert printer._remembered_tex.cache_info().currsize == len(objects)


def test_remembered_tex_follows_the_notation_table(monkeypatch):
    mu = sp.Symbol("mu")
    assert printer.tex(mu + 1) == r"\mu + 1"
    monkeypatch.setitem(notation.NOTATION, "mu", notation.Name(r"\bar{m}"))
    assert printer.tex(mu + 1) == r"\bar{m} + 1"
    monkeypatch.setitem(notation.NOTATION, "xbar", notation.Name(r"\bar{x}"))
    assert printer.tex(sp.Symbol("xbar")) == r"\bar{x}"
    monkeypatch.undo()
    assert printer.tex(mu + 1) == r"\mu + 1"
    with pytest.raises(NotationError):
        printer.tex(sp.Symbol("xbar"))


def test_objects_that_are_not_sympy_are_printed_afresh():
    printer._remembered_tex.cache_clear()
    assert printer.tex(2) == "2" and printer.tex(2.0) == printer.PRINTER.doprint(2.0)
    assert printer.tex(sp.Matrix([[1, 2]])) == printer.tex(sp.ImmutableMatrix([[1, 2]]))
    assert printer._remembered_tex.cache_info().currsize == 1
