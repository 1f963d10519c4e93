"""One formatting policy for every number and expression a document prints.

Views (each question's `view` and `prompt`, and the document's head and appendix in
derive/document_view.py) call these to hand their templates finished LaTeX, so a number looks
the same wherever it is printed; templates format nothing. render.finalize formats no number
of its own: it passes `Tex` as it is, prints an int's digits and SymPy objects and `Terms`
through the same printer as `exact`, and refuses a float.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from derive.answer import Tex
from derive.latex import printer

MAX_EXACT_DECIMALS = 100  # a config's numbers have at most this many decimals


def exact(expr: Any) -> Tex:
    """A SymPy object in derive's notation (derive/latex/printer.py)."""
    return Tex(printer.tex(expr))


def dec(value: Any, digits: int = 6) -> Tex:
    """An exact number as a short decimal: at most `digits` significant digits, in powers of ten
    when it is very large or small."""
    return Tex(printer.decimal(value, digits))


def exact_decimal(value: Any, decimals: int = 2) -> Tex | None:
    """An exact number written out in full with at least `decimals` decimals (0.1 -> 0.10, 0.125
    -> 0.125, -2 -> -2.00), or None when its decimal expansion does not end (1/3) or needs more
    than MAX_EXACT_DECIMALS: what is printed is the number itself, not a rounding of it."""
    q = Fraction(int(value.p), int(value.q)) if hasattr(value, "p") else Fraction(value)
    places = decimals
    while (q * 10**places).denominator != 1:
        places += 1
        if places > MAX_EXACT_DECIMALS:
            return None
    digits = str(abs(q.numerator * 10**places // q.denominator)).rjust(places + 1, "0")
    sign = "-" if q < 0 else ""
    return Tex(f"{sign}{digits[:-places]}.{digits[-places:]}" if places else f"{sign}{digits}")


def fixed(x: float, digits: int = 2) -> Tex:
    """A float with a fixed number of decimals (sizes in MiB, percentages, coordinates)."""
    return Tex(f"{float(x):.{digits}f}")


def sci(x: float) -> Tex:
    """A float as m.m x 10^e (2.2's astronomical counts, the appendix's errors and tolerances)."""
    if x == 0:
        return Tex("0")
    if math.isnan(x) or math.isinf(x):
        return Tex(r"\text{" + str(x) + "}")
    mant, exp = f"{x:.1e}".split("e")
    return Tex(rf"{mant}\times 10^{{{int(exp)}}}")


def short(x: float) -> Tex:
    """A float in its shortest form, at most 6 significant digits (13.5, 3): figure coordinates."""
    return significant(x, 6)


def significant(x: float, digits: int = 3) -> Tex:
    """A float at most `digits` significant digits, trailing zeros dropped (Python's g format):
    a loss quoted in passing, a figure's coordinates."""
    return Tex(f"{float(x):.{digits}g}")


_COUNTS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def spelled(n: int) -> Tex:
    """A small count as prose writes it (six matrices, two decimals); past twelve, in digits."""
    return Tex(_COUNTS[n] if 0 <= n < len(_COUNTS) else str(n))
