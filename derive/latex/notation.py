"""Notation kept out of identities: SymPy objects carry plain names, this table their LaTeX.

Every symbol, matrix symbol, undefined function and indexed base is named by a plain
identifier (`W_f`, `h_f`, `grad_h_f`, `mu`, `fprime`); the printer (derive.latex.printer)
looks each name up in NOTATION and nowhere parses LaTeX back. A single Latin letter (`x`, `d`,
`L`) is its own notation and needs no entry; any other name missing from the table is an
error when it is printed.

What a subscript says is structure, not part of a name: `Series` is one step of a time series
of vectors (`Series("h_f", d, 1, t + 1)` prints h^{(f)}_{t+1}), `Subscripted` a scalar with
subscripts (`Subscripted("a", t + 1, i)` prints a_{t+1,i}), `Jacobian` the named matrix of
derivatives of one step of a series with respect to another.

The names in use:
  W_f U_f V_f W_b U_b V_b   the BiRNN's weights, W^{(f)} ... V^{(b)}
  h_f h_b                   hidden states of the two directions, h^{(f)} and h^{(b)}
  grad_h_f grad_h_b         total gradients, nabla_{h^{(f)}_t} L
  grad_step_y grad_step_h_f grad_step_h_b
                            gradients of the step's own loss, nabla_{y_t} L_t
  mu sigma2                 a group's mean and variance, mu and sigma^2
  sigma fprime              the logistic function and f'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.core.symbol import Str

PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
LETTER = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Name:
    """How a plain name prints, and whether that already carries a superscript (so that a
    subscript or a power is attached with care: (h^{(f)}_{t,i})^2, not h^{(f)}_{t,i}^2)."""

    latex: str
    superscript: bool = False


@dataclass(frozen=True)
class Gradient:
    """A vector named as the gradient of the loss L (or, per_step, of the step's own L_t)
    with respect to the time series `wrt` at the same step: nabla_{h^{(f)}_t} L."""

    wrt: str
    per_step: bool = False
    loss: str = "L"


NOTATION: dict[str, Name | Gradient] = {
    "W_f": Name("W^{(f)}", superscript=True),
    "U_f": Name("U^{(f)}", superscript=True),
    "V_f": Name("V^{(f)}", superscript=True),
    "W_b": Name("W^{(b)}", superscript=True),
    "U_b": Name("U^{(b)}", superscript=True),
    "V_b": Name("V^{(b)}", superscript=True),
    "h_f": Name("h^{(f)}", superscript=True),
    "h_b": Name("h^{(b)}", superscript=True),
    "grad_h_f": Gradient("h_f"),
    "grad_h_b": Gradient("h_b"),
    "grad_step_y": Gradient("y", per_step=True),
    "grad_step_h_f": Gradient("h_f", per_step=True),
    "grad_step_h_b": Gradient("h_b", per_step=True),
    "mu": Name(r"\mu"),
    "sigma2": Name(r"\sigma^2", superscript=True),
    "sigma": Name(r"\sigma"),
    "fprime": Name(r"\operatorname{f'}"),
}


class NotationError(TypeError):
    """A SymPy object or name reached the printer with no textbook notation defined for it."""


def entry(plain: str) -> Name | Gradient:
    """The table's entry for a plain name; a single letter is its own notation."""
    found = NOTATION.get(plain)
    if found is not None:
        return found
    if LETTER.fullmatch(plain):
        return Name(plain)
    raise NotationError(f"no notation for the name {plain!r}: add it to derive/latex/notation.py")


def name(plain: str) -> Name:
    """The notation of a name that prints on its own (not a gradient, which needs its step)."""
    found = entry(plain)
    if not isinstance(found, Name):
        raise NotationError(f"{plain!r} is a gradient: it prints only at a time step")
    return found


class Series(sp.MatrixSymbol):
    """One step of a time series of vectors: the plain name of the series and the time.

    `Series("h_f", d, 1, t + 1)` is h^{(f)}_{t+1}; the time is any SymPy expression (t + 1,
    T, 3). The arguments keep MatrixSymbol's order (name, rows, cols) with the time last, so
    that SymPy rebuilds the object from its args as it rebuilds a MatrixSymbol.
    """

    def __new__(cls, name: str | Str, rows: Any, cols: Any, time: Any) -> Series:
        rows, cols = sp.sympify(rows), sp.sympify(cols)
        cls._check_dim(rows)
        cls._check_dim(cols)
        label = Str(name) if isinstance(name, str) else name
        return sp.Basic.__new__(cls, label, rows, cols, sp.sympify(time))

    @property
    def time(self) -> sp.Expr:
        return self.args[3]


class Subscripted(sp.Expr):
    """A scalar named by a plain name with subscripts: `Subscripted("a", t + 1, i)` is
    a_{t+1,i}, `Subscripted("mu", sp.Eq(c, 1))` is mu_{c=1}. Its free symbols are those of
    the subscripts (the name is a string, not a symbol)."""

    is_commutative = True

    def __new__(cls, name: str | Str, *subscripts: Any) -> Subscripted:
        label = name if isinstance(name, Str) else Str(name)
        return super().__new__(cls, label, *map(sp.sympify, subscripts))

    @property
    def name(self) -> str:
        return str(self.args[0].name)

    @property
    def subscripts(self) -> tuple[sp.Basic, ...]:
        return tuple(self.args[1:])


class Jacobian(sp.MatrixExpr):
    """The matrix of derivatives of one step of a series with respect to another, named and not
    evaluated: out = h_f at t + 1 and wrt = h_f at t print as the fraction d h^{(f)}_{t+1} / d h^{(f)}_{t}."""

    def __new__(cls, out: Series, wrt: Series) -> Jacobian:
        return super().__new__(cls, out, wrt)

    @property
    def out(self) -> Series:
        return self.args[0]

    @property
    def wrt(self) -> Series:
        return self.args[1]

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.out.shape[0], self.wrt.shape[0]
