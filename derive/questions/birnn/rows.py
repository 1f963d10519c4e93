"""Question 3's printed work read back: every row the document prints for 3.2 (the activation,
the local gradients, the Jacobian entries of both directions, the Jacobian matrices) and for
3.3 (the total-gradient recursions, the per-step weight terms), and the boxed forms of both,
taken from the view the template prints (birnn_view.DerivationView), each against an
independent value.

What a row claims to be is read from its left side as printed (the LaTeX the template
receives): the step loss L_t, a gradient nabla_{y_t} L_t or nabla_{h_t} L, a pre-activation
a_{t+1,i}, its derivative d a / d h_{t,j}, a Jacobian or its (i, j) entry, a weight's term
d/dW tr((nabla_{h_t} L)^T h_t), the activation f(a) or its derivative. A row that continues an
equality claims what the row above claims. Each claim is computed here on a seeded random
trajectory of the assignment's equations (d = 3, T = 5, t = 3), written from the assignment:
h^(f)_s = f(W^(f) x_s + U^(f) h^(f)_{s-1}), h^(b)_s = f(W^(b) x_s + U^(b) h^(b)_{s+1}),
y_s = V^(f) h^(f)_s + V^(b) h^(b)_s, L = sum_s ||z_s - y_s||^2; derivatives by the complex
step through the whole trajectory (a state moved, every later state of its direction
recomputed; a weight's term with the total gradient and the step's input held). The row's
right side (the SymPy expression the template prints) is evaluated at the same values by an
evaluator written here (not derive.matexpr), f' and an unevaluated derivative by complex-step
derivatives of what they name. A left side that does not read as one of those claims, or a
right side that does not evaluate, is an infinite error. The notes beside the rows are not read.

A boxed form's label must read as the claim of a row checked here and the box must print that
row's last right side; a weight's gradient, the sum over t = 1..T of its term, which is also
evaluated at every t and summed against d L / d W.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from derive.answer import Check, Row, worst
from derive.latex.notation import Jacobian, Series, Subscripted
from derive.latex.printer import tex
from derive.questions.birnn import scalar
from derive.questions.birnn.model import COL, ROW, BirnnParts

if TYPE_CHECKING:
    from derive.questions.birnn.view import DerivationView

SIZE, NOW, END = 3, 3, 5  # d, the t the rows are read at, and T
STEP = 1e-20  # the complex step: Im f(x + ih) / h has no cancellation, its error is O(h^2)
# Relative to the largest expected magnitude (at least 1). The derivatives' own error is float64's
# rounding (3e-15 at most over seeds 0-199): the published decade, no less than a thousandth of
# this, is 1e-12 on every processor; a wrong row is off by the order of the values themselves.
TOLERANCE = 1e-9
NAME = "printed work of 3.2 and 3.3 read back"

Claim = tuple[Any, ...]  # what a row's left side names: ("jac", "h_f", 4, "h_f", 3), ...


# --- The trajectory, from the assignment's equations ------------------------------------------

def activation(name: str) -> Callable[[Any], Any]:
    return np.tanh if name == "tanh" else (lambda a: 1 / (1 + np.exp(-a)))


def slope(f: Callable[[Any], Any], at: Any) -> Any:
    """f' by the complex step."""
    return np.imag(f(at + 1j * STEP)) / STEP


class Trajectory:
    """A seeded random instance of the BiRNN over s = 0..T+1, with h^(f)_0 and h^(b)_{T+1}
    given; `run(moved)` recomputes it with some quantities set ((kind, s) -> value)."""

    def __init__(self, activation_name: str, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.f = activation(activation_name)
        self.weights = {name: rng.normal(scale=0.6, size=(SIZE, SIZE))
                        for name in ("W_f", "U_f", "V_f", "W_b", "U_b", "V_b")}
        self.x = {s: rng.normal(size=(SIZE, 1)) for s in range(END + 2)}
        self.z = {s: rng.normal(size=(SIZE, 1)) for s in range(END + 2)}
        self.start_f, self.end_b = rng.normal(size=(SIZE, 1)), rng.normal(size=(SIZE, 1))
        self.base = self.run({})
        self.slopes: dict[tuple[Any, Any], np.ndarray] = {}

    def run(self, moved: Mapping[tuple[str, Any], np.ndarray]) -> dict[tuple[str, Any], Any]:
        w = {name: moved.get((name, None), weight) for name, weight in self.weights.items()}
        out: dict[tuple[str, Any], Any] = {(name, None): weight for name, weight in w.items()}
        out["h_f", 0] = moved.get(("h_f", 0), self.start_f)
        for s in range(1, END + 2):
            out["a_f", s] = w["W_f"] @ self.x[s] + w["U_f"] @ out["h_f", s - 1]
            out["h_f", s] = moved.get(("h_f", s), self.f(out["a_f", s]))
        out["h_b", END + 1] = moved.get(("h_b", END + 1), self.end_b)
        for s in range(END, -1, -1):
            out["a_b", s] = w["W_b"] @ self.x[s] + w["U_b"] @ out["h_b", s + 1]
            out["h_b", s] = moved.get(("h_b", s), self.f(out["a_b", s]))
        for s in range(END + 2):
            out["y", s] = moved.get(("y", s), w["V_f"] @ out["h_f", s] + w["V_b"] @ out["h_b", s])
            out["L", s] = np.sum((self.z[s] - out["y", s]) ** 2)
        out["L", None] = sum(out["L", s] for s in range(1, END + 1))
        return out

    def derivative(self, of: tuple[str, Any], wrt: tuple[str, Any]) -> np.ndarray:
        """d of / d wrt by the complex step: (out_i, in_j) for a vector `of`, the gradient
        (the shape of `wrt`) for a scalar one; `wrt` is a step's value or a weight (name, None)."""
        if (of, wrt) not in self.slopes:
            self.slopes[of, wrt] = self._derivative(of, wrt)
        return self.slopes[of, wrt]

    def _derivative(self, of: tuple[str, Any], wrt: tuple[str, Any]) -> np.ndarray:
        at = self.base[wrt]
        columns = []
        for j in np.ndindex(at.shape):
            moved = at.astype(complex)
            moved[j] += 1j * STEP
            columns.append(np.imag(np.asarray(self.run({wrt: moved})[of])).reshape(-1) / STEP)
        stacked = np.stack(columns, axis=-1)
        return stacked.reshape(at.shape) if stacked.shape[0] == 1 else stacked


    def contribution(self, weight: str, gradient: tuple[str, int], state: tuple[str, int]) -> np.ndarray:
        """d/d weight of (nabla_{h_s} L)^T h_s, the total gradient and h_s's input from the step
        before (in its direction) held fixed: the weight's use at that step alone."""
        name, s = state
        before = self.base[name, s - 1 if name == "h_f" else s + 1]
        g = self.derivative(("L", None), gradient)
        w = self.weights
        direction = name[-1]

        def used(value: np.ndarray) -> Any:
            moved = {**w, weight: value}
            return np.sum(g * self.f(moved[f"W_{direction}"] @ self.x[s] + moved[f"U_{direction}"] @ before))

        out = np.zeros_like(w[weight])
        for index in np.ndindex(out.shape):
            value = w[weight].astype(complex)
            value[index] += 1j * STEP
            out[index] = np.imag(used(value)) / STEP
        return out


# --- What a printed left side claims ----------------------------------------------------------

TIME = r"([tT](?:[+-]\d+)?|\d+)"
SERIES = rf"(?:h\^\{{\((f|b)\)\}}_\{{{TIME}\}}|(y)_\{{{TIME}\}})"
WEIGHT = r"([WUV])\^\{\((f|b)\)\}"
STATE = rf"h\^\{{\((f|b)\)\}}_\{{{TIME}\}}"
ENTRY = r"h\^\{\((f|b)\)\}_\{" + TIME + r",j\}"
FRACTION = rf"\\frac\{{\\partial h\^\{{\((f|b)\)\}}_\{{{TIME}\}}\}}\{{\\partial h\^\{{\((f|b)\)\}}_\{{{TIME}\}}\}}"
CLAIMS = [
    ("loss", re.compile(rf"L_\{{{TIME}\}}")),
    ("step_gradient", re.compile(rf"\\nabla_\{{{SERIES}\}} L_\{{{TIME}\}}")),
    ("gradient", re.compile(rf"\\nabla_\{{{SERIES}\}} L")),
    ("pre", re.compile(rf"a_\{{{TIME},i\}}")),
    ("pre_slope", re.compile(rf"\\frac\{{d\}}\{{d \{{{ENTRY}\}}\}} a_\{{{TIME},i\}}")),
    ("jac_entry", re.compile(rf"\\left\({FRACTION}\\right\)_\{{ij\}}")),
    ("jac", re.compile(FRACTION)),
    ("contribution", re.compile(rf"\\frac\{{\\partial\}}\{{\\partial {WEIGHT}\}}\\operatorname\{{tr\}}\\left\("
                                rf"\(\\nabla_\{{{STATE}\}} L\)\^\{{\\top\}} {STATE}\\right\)")),
    ("weight_gradient", re.compile(rf"\\nabla_\{{{WEIGHT}\}} L")),
    ("f", re.compile(r"f\{\\left\(a \\right\)\}")),
    ("f_slope", re.compile(r"\\frac\{d\}\{d a\} f\{\\left\(a \\right\)\}")),
]


def time_of(text: str) -> int:
    """t + n, T + n or a step, printed, on the trajectory."""
    return {"t": NOW, "T": END}[text[0]] + int(text[1:] or 0) if text[0] in "tT" else int(text)


def claim(printed: str, direction: str) -> Claim | None:
    """What a left side printed as `printed` names; `direction` (f or b) is the one the rows are
    printed under, which a_{s,i} does not name. None when it is none of CLAIMS."""
    for kind, pattern in CLAIMS:
        found = pattern.fullmatch(printed)
        if found is None:
            continue
        g = list(found.groups())
        if kind == "loss":
            return ("L", time_of(g[0]))
        if kind in ("step_gradient", "gradient"):
            series = ("h_" + g[0], time_of(g[1])) if g[0] else ("y", time_of(g[3]))
            return (kind, series, ("L", time_of(g[4]) if kind == "step_gradient" else None))
        if kind == "pre":
            return ("pre", direction, time_of(g[0]))
        if kind == "pre_slope":
            return ("pre_slope", direction, time_of(g[2]), ("h_" + g[0], time_of(g[1])))
        if kind == "contribution":
            return (kind, f"{g[0]}_{g[1]}", ("h_" + g[2], time_of(g[3])), ("h_" + g[4], time_of(g[5])))
        if kind == "weight_gradient":
            return (kind, f"{g[0]}_{g[1]}")
        if kind in ("jac", "jac_entry"):
            return (kind, ("h_" + g[0], time_of(g[1])), ("h_" + g[2], time_of(g[3])))
        return (kind,)
    return None


def printed(part: Any) -> str:
    return str(part) if isinstance(part, str) else tex(part)


# --- The claims' values -----------------------------------------------------------------------

ENTRIES = [(i, j) for i in range(SIZE) for j in range(SIZE)]
POINTS = (-1.3, -0.2, 0.4, 1.7)  # where the activation's rows are compared


def expected(c: Claim, path: Trajectory, entry: tuple[int, int], point: float) -> Any:
    """The value of a claim at the (i, j) entry (component claims) or the activation's point."""
    i, j = entry
    if c[0] == "L":
        return path.base["L", c[1]]
    if c[0] in ("step_gradient", "gradient"):
        return path.derivative(c[2], c[1])
    if c[0] == "pre":
        return float(path.base[f"a_{c[1]}", c[2]][i, 0])
    if c[0] == "pre_slope":
        return float(path.derivative((f"a_{c[1]}", c[2]), c[3])[i, j])
    if c[0] == "jac":
        return path.derivative(c[1], c[2])
    if c[0] == "jac_entry":
        return float(path.derivative(c[1], c[2])[i, j])
    if c[0] == "contribution":
        return path.contribution(*c[1:])
    if c[0] == "weight_gradient":
        return path.derivative(("L", None), (c[1], None))
    if c[0] == "f":
        return float(path.f(point))
    if c[0] == "f_slope":
        return float(slope(path.f, point))
    raise ValueError(f"no value for {c}")


@functools.cache
def time_at(time: sp.Expr, now: int) -> int:
    """A printed time (t + 1, T, 1) on the trajectory, at t = now."""
    return int(time.subs({sp.Symbol("t", integer=True, positive=True): now,
                          sp.Symbol("T", integer=True, positive=True): END}))


@functools.cache
def prepared(expr: sp.Basic) -> tuple[sp.Basic, tuple[tuple[sp.Dummy, sp.Basic], ...]]:
    """A scalar row with what Values.component evaluates (a pre-activation, f', f, sigma, an
    unevaluated derivative) held as placeholders, outermost first, and its sums over k = 1..d
    written out for d = SIZE: the entry (i, j) and the placeholders' values are all it needs."""
    held, walk = {}, sp.preorder_traversal(sp.sympify(expr))
    for node in walk:
        if isinstance(node, (sp.Derivative, Subscripted)) or type(node).__name__ in HELD:
            held[node] = sp.Dummy()
            walk.skip()
    body = sp.sympify(expr).xreplace(held).subs(sp.Symbol("d", integer=True, positive=True), SIZE)
    body = body.replace(lambda n: isinstance(n, sp.Sum) and len(n.limits) == 1,
                        lambda n: sp.Add(*(n.function.subs(n.limits[0][0], k)
                                           for k in range(int(n.limits[0][1]), int(n.limits[0][2]) + 1))))
    return body, tuple((slot, node) for node, slot in held.items())


@functools.lru_cache(maxsize=4096)
def at_entry(body: sp.Basic, i: int, j: int) -> tuple[scalar.Program, tuple[sp.Indexed, ...]]:
    """A prepared row at the entry (i, j) (0-based) as a program of float arithmetic, and the
    indexed entries it then reads: symbolic work of the row and the entry alone, done once per
    process for every trajectory."""
    return scalar.compiled(body.xreplace({ROW: sp.Integer(i + 1), COL: sp.Integer(j + 1)}))


class Unreadable(ValueError):
    """A right side with a part this evaluator does not know."""


def position(index: Any) -> int:
    """A printed index 1..d as a NumPy position (no wrapping around from 0 or below)."""
    k = int(index)
    if not 1 <= k <= SIZE:
        raise Unreadable(f"index {k} is outside 1..{SIZE}")
    return k - 1


@dataclass
class Values:
    """What the symbols of a right side stand for on the trajectory."""

    path: Trajectory
    direction: str
    entry: tuple[int, int]
    point: float
    now: int = NOW  # the step t stands for

    def time(self, time: Any) -> int:
        return time_at(sp.sympify(time), self.now)

    def series(self, s: Series) -> np.ndarray:
        name, when = str(s.name), self.time(s.time)
        if name in ("h_f", "h_b", "y"):
            return self.path.base[name, when]
        if name in ("x", "z"):
            return getattr(self.path, name)[when]
        if name in ("grad_h_f", "grad_h_b"):
            return self.path.derivative(("L", None), (name[5:], when))
        raise Unreadable(f"no value for the series {name}")

    def fprime(self, a: Any) -> Any:
        return slope(self.path.f, a)

    def matrix(self, e: Any) -> Any:
        """A matrix expression's value (a float for a scalar)."""
        if isinstance(e, Series):
            return self.series(e)
        if isinstance(e, Jacobian):
            return self.path.derivative((str(e.out.name), self.time(e.out.time)),
                                        (str(e.wrt.name), self.time(e.wrt.time)))
        if isinstance(e, sp.MatrixSymbol):
            if str(e.name) not in self.path.weights:
                raise Unreadable(f"no value for {e.name}")
            return self.path.weights[str(e.name)]
        if e.is_Number:
            return float(e)
        if isinstance(e, sp.OneMatrix):
            return np.ones(tuple(SIZE if n != 1 else 1 for n in e.shape))
        args = [self.matrix(a) for a in e.args] if not isinstance(e, ElementwiseApplyFunction) else []
        if isinstance(e, sp.MatAdd):
            return sum(args[1:], args[0])
        if isinstance(e, sp.MatMul):
            out = args[0]
            for a in args[1:]:
                out = out * a if np.ndim(out) == 0 or np.ndim(a) == 0 else out @ a
            return out
        if isinstance(e, sp.Transpose):
            return args[0].T
        if isinstance(e, sp.HadamardProduct):
            return np.prod(np.stack(args), axis=0)
        if isinstance(e, sp.HadamardPower):
            return args[0] ** args[1]
        if isinstance(e, DiagMatrix):
            return np.diag(args[0].reshape(-1))
        if isinstance(e, sp.Trace):
            return np.array([[np.trace(args[0])]])
        if isinstance(e, ElementwiseApplyFunction):
            inner = self.matrix(e.expr)
            a = sp.Dummy("a")
            body = e.function(a)
            if body == sp.Function("fprime")(a):
                return self.fprime(inner)
            raise Unreadable(f"no value for the function {e.function}")
        raise Unreadable(f"no value for {type(e).__name__}")

    def scalar(self, e: Any) -> float:
        """A component-form or activation row's value at the entry (i, j) or the point."""
        body, held = prepared(e)
        run, entries = at_entry(body, *self.entry)
        at = {slot: float(self.component(node)) for slot, node in held}
        point = {sp.Symbol("a"): self.point, sp.Symbol("h"): float(self.path.f(self.point))}
        return scalar.value(run, {**at, **point, **{n: self.indexed(n) for n in entries}})

    def indexed(self, n: sp.Indexed) -> float:
        label = n.base.label
        at = tuple(position(k) for k in n.indices)
        array = self.series(label) if isinstance(label, Series) else self.weight(label)
        return float(array[at] if len(at) == 2 else array[at[0], 0])

    def weight(self, label: Any) -> np.ndarray:
        if str(label) not in self.path.weights:
            raise Unreadable(f"no value for {label}")
        return self.path.weights[str(label)]

    def component(self, node: Any) -> float:
        """A pre-activation a_{s,i}; f', f or sigma of one or of a; d a_{s,i} / d h_{s',j}; d f(a) / d a."""
        i, j = self.entry
        if isinstance(node, Subscripted) and node.name == "a":
            when, index = node.subscripts
            return float(self.path.base[f"a_{self.direction}", self.time(when)][position(index.subs(ROW, i + 1)), 0])
        if isinstance(node, sp.Derivative):
            ((wrt, times),) = node.variable_count
            of = node.expr
            if times == 1 and wrt == sp.Symbol("a") and of == sp.Function("f")(wrt):
                return float(slope(self.path.f, self.point))
            if not (times == 1 and isinstance(of, Subscripted) and of.name == "a" and isinstance(wrt, sp.Indexed)
                    and isinstance(wrt.base.label, Series)):
                raise Unreadable(f"no value for {node}")
            when, index = of.subscripts
            label = wrt.base.label
            slopes = self.path.derivative((f"a_{self.direction}", self.time(when)),
                                          (str(label.name), self.time(label.time)))
            row = position(index.subs(ROW, i + 1))
            col = position(wrt.indices[0].subs({ROW: i + 1, COL: j + 1}))
            return float(slopes[row, col])
        if type(node).__name__ in HELD and len(node.args) == 1:
            inner = node.args[0]
            value = self.component(inner) if isinstance(inner, Subscripted) else float(
                inner.subs(sp.Symbol("a"), self.point))
            return float(HELD[type(node).__name__](self, value))
        raise Unreadable(f"no value for {node}")


# The undefined functions a printed row may apply: f', the activation f, the logistic sigma.
HELD: dict[str, Callable[[Values, float], Any]] = {
    "fprime": lambda values, a: values.fprime(a),
    "f": lambda values, a: values.path.f(a),
    "sigma": lambda values, a: 1 / (1 + np.exp(-a)),
}


# --- The rows, section by section -------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    """Rows printed together: matrix rows, or scalar rows read at every (i, j) of a direction
    (the component form) or at the activation's points."""

    rows: tuple[Row, ...]
    direction: str = "f"
    scalar: bool = False
    at_points: bool = False


def sections(view: DerivationView) -> list[Section]:
    return [Section(view.activation_rows, scalar=True, at_points=True), Section(view.local_rows),
            Section(view.entry_rows_f, "f", scalar=True), Section(view.entry_rows_b, "b", scalar=True),
            Section(view.jacobian_rows), Section(view.recursion_rows), Section(view.weight_rows)]


def relative(got: Any, want: Any) -> float:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.size != want.size or got.shape not in (want.shape, (1, 1), ()):
        return float("inf")  # a transposed or misshapen value is not the claim
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1.0))


def row_errors(section: Section, path: Trajectory) -> tuple[list[float], dict[Claim, Row]]:
    """Each row's relative error against its claim (infinite: no claim, or no value), and the
    last row of each claim's chain."""
    errors, last, current = [], {}, None
    cases: Iterable[tuple[tuple[int, int], float]] = (
        [((0, 0), p) for p in POINTS] if section.at_points else
        [(e, 0.0) for e in ENTRIES] if section.scalar else [((0, 0), 0.0)])
    for row in section.rows:
        if row.lhs is not None:
            current = claim(printed(row.lhs), section.direction)
        if current is None:
            errors.append(float("inf"))
            continue
        last[current] = row
        cases_errors: list[float] = []
        for entry, point in cases:
            values = Values(path, section.direction, entry, point)
            try:
                got = values.scalar(row.rhs) if section.scalar else values.matrix(row.rhs)
                cases_errors.append(relative(got, expected(current, path, entry, point)))
            except (Unreadable, TypeError, ValueError, KeyError, AttributeError, IndexError):
                cases_errors.append(float("inf"))
        errors.append(worst(cases_errors))
    return errors, last


SUM = re.compile(r"\\sum_\{t=1\}\^\{T\} (.*)")  # a weight's gradient: the sum of its per-step terms


def boxed_errors(view: DerivationView, last: Mapping[Claim, Row], path: Trajectory) -> list[float]:
    """Each boxed form: its label read as a claim checked above, its form that claim's last
    printed right side (infinite otherwise); a weight's gradient, the sum over t = 1..T of the
    last right side of its per-step rows, and that sum evaluated against d L / d weight."""
    errors = []
    for box in (view.boxed.grad_W_b, view.boxed.grad_U_f):
        label, _, form = str(box).partition(" = ")
        read, summed = claim(label, "f"), SUM.fullmatch(form)
        rows = [row for c, row in last.items() if read is not None and c[0] == "contribution" and c[1] == read[1]]
        if read is None or summed is None or len(rows) != 1 or summed.group(1) != printed(rows[0].rhs):
            errors.append(float("inf"))
            continue
        try:
            total = sum(Values(path, "f", (0, 0), 0.0, now=s).matrix(rows[0].rhs) for s in range(1, END + 1))
            errors.append(relative(total, expected(read, path, (0, 0), 0.0)))
        except (Unreadable, TypeError, ValueError, KeyError, AttributeError, IndexError):
            errors.append(float("inf"))
    for box in (view.boxed.jacobian_forward, view.boxed.jacobian_backward):
        label, _, form = str(box).partition(" = ")
        read = claim(label, "f")
        row = last.get(read) if read is not None else None
        errors.append(0.0 if row is not None and form == printed(row.rhs) else float("inf"))
    for direction, form in (("f", view.local_f), ("b", view.local_b)):  # the template prints their labels
        row = last.get(("step_gradient", (f"h_{direction}", NOW), ("L", NOW)))
        errors.append(0.0 if row is not None and str(form) == printed(row.rhs) else float("inf"))
    return errors


def rows_check(view: DerivationView, activation_name: str, seed: int) -> Check:
    """Every printed row of 3.2's work and 3.3's recursions and per-step terms, and the boxed
    forms of 3.2 and 3.3, against the claims their left sides print (module docstring): the largest
    relative error, infinite for a row or box that does not read back."""
    path = Trajectory(activation_name, seed)
    errors, last, rows = [], {}, 0
    for section in sections(view):
        got, ends = row_errors(section, path)
        errors += got
        last.update(ends)
        rows += len(section.rows)
    errors += boxed_errors(view, last, path)
    return Check(BirnnParts.derivation.id, NAME,
                 f"each of the {rows} printed rows' left side read back as what it names, the right side "
                 f"evaluated on a seeded random trajectory (d = {SIZE}, T = {END}, t = {NOW}) against complex-step "
                 f"derivatives (h={STEP:g}) of the assignment's equations, every (i, j) of the entries (rel.); the "
                 "boxed forms against those rows, the weights' gradients as their sums over t = 1..T",
                 worst(errors), TOLERANCE)
