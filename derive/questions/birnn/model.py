"""Question 3's model and derivation: the BiRNN as SymPy matrix expressions.

The activation's derivative is derived from its definition and rewritten in terms of the
hidden state; the local gradients, Jacobians and per-step weight contributions come from
SymPy's differentiation (denominator layout, converted to numerator layout on purpose); the
Jacobian entries come from the scalar component form. The closed forms are the objects that
the document shows and the checks evaluate.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from derive import cache
from derive.answer import Row, Tex
from derive.latex.notation import Jacobian, Series, Subscripted
from derive.latex.printer import tex
from derive.questions.base import Part, Parts
from derive.questions.birnn.settings import BIRNN_WEIGHTS

INSTANCE_KEYS = (*BIRNN_WEIGHTS, "x", "z", "h0_f", "h_end_b")  # the instance's arrays, as [birnn.instance] names them


class BirnnParts(Parts):
    graph = Part("1", 2)  # the computational graph
    gradients = Part("2(a)", 8)  # the gradient recursions
    jacobians = Part("2(b)", 2)  # the Jacobians' entries
    derivation = Part("2")  # checks of 3.2(a) and (b) together
    instance = Part("3", 5, inputs=("birnn.activation", *(f"birnn.instance.{name}" for name in INSTANCE_KEYS)))


KEY = "birnn"  # the question's config table and answers.json section
INSTANCE = "instance"  # the field of its section that holds the evaluated instance

D = sp.Symbol("d", integer=True, positive=True)
A = sp.Symbol("a")  # a pre-activation
H = sp.Symbol("h")  # a hidden unit, h = f(a)
T_NOW = sp.Symbol("t", integer=True, positive=True)  # the step the derivation is written at
ROW, COL = sp.symbols("i j", integer=True, positive=True)  # the component form's entry (i, j)
T_END = sp.Symbol("T", integer=True, positive=True)  # the last step
DEFINITIONS = {"tanh": sp.tanh(A), "sigmoid": 1 / (1 + sp.exp(-A))}
DISPLAY = {"tanh": sp.tanh, "sigmoid": sp.Function("sigma")}
FPRIME = sp.Function("fprime")  # f', unevaluated


def _m(name: str) -> sp.MatrixSymbol:
    return sp.MatrixSymbol(name, D, D)


WEIGHTS = {name: _m(name) for name in BIRNN_WEIGHTS}  # the six weights by plain name, in the config's order
W_f, U_f, V_f, W_b, U_b, V_b = WEIGHTS.values()


class Vector:
    """A d x 1 time series of the model by its plain name: `hf(1)` is h_f at time t + 1,
    `hf.at(T_END)` at the last step (derive.latex.notation has the names' LaTeX)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, offset: int = 0) -> Series:
        return self.at(T_NOW + offset)

    def at(self, time: Any) -> Series:
        return Series(self.name, D, 1, time)


x, z, y = Vector("x"), Vector("z"), Vector("y")
hf, hb = Vector("h_f"), Vector("h_b")
gf, gb = Vector("grad_h_f"), Vector("grad_h_b")  # the total gradients of L
gy_t, gf_t, gb_t = Vector("grad_step_y"), Vector("grad_step_h_f"), Vector("grad_step_h_b")  # of the step's L_t


@dataclass(frozen=True)
class Activation:
    name: str
    definition: sp.Expr  # f(a)
    derivative: sp.Expr  # f'(a), as SymPy differentiates it
    in_output: sp.Expr  # the same derivative as a polynomial in h = f(a)
    rows: tuple[Row, ...]

    @property
    def function(self) -> sp.Lambda:
        return sp.Lambda(A, self.definition)

    def of(self, vector: sp.MatrixExpr) -> sp.MatrixExpr:
        """f'(a) written elementwise in the hidden-state vector h = f(a)."""
        return elementwise(self.in_output, vector)


def derive_activation(name: str) -> Activation:
    """f' from f's definition, then rewritten as a polynomial in h = f(a) (degree <= 2)."""
    f = DEFINITIONS[name]
    fp = sp.diff(f, A)
    coeffs = sp.symbols("c0:3")
    poly = sum(c * H**k for k, c in enumerate(coeffs))
    equations = [fp.subs(A, k) - poly.subs(H, f.subs(A, k)) for k in (0, 1, 2)]
    solutions = sp.linsolve(equations, coeffs)
    if len(solutions) != 1:
        raise ArithmeticError(f"f' of {name} is not a quadratic polynomial in f")
    (values,) = solutions
    in_output = sp.factor_terms(poly.subs(dict(zip(coeffs, [sp.simplify(v) for v in values], strict=True))))
    if sp.cancel((fp - in_output.subs(H, f)).rewrite(sp.exp)) != 0:  # the identity, for every a
        raise ArithmeticError(f"f' of {name} does not equal {in_output} at every a")
    fa = DISPLAY[name](A)
    rows = [
        Row(sp.Function("f")(A), fa, note="definition" if name == "tanh" else Tex(r"$\sigma(a) = 1/(1+e^{-a})$")),
        Row(sp.Derivative(sp.Function("f")(A), A), fp, note="SymPy: differentiate the definition"),
    ]
    if in_output.subs(H, fa) != fp:
        rows.append(Row(None, in_output.subs(H, fa), note=Tex("the same function, as a polynomial in $f(a)$")))
    rows.append(Row(None, in_output, note=Tex(r"with $h = f(a)$")))
    return Activation(name, f, fp, in_output, tuple(rows))


def elementwise(expr: sp.Expr, vector: sp.MatrixExpr) -> sp.MatrixExpr:
    """A scalar polynomial in h as an elementwise (Hadamard) expression in a vector."""
    if expr == H:
        return vector
    if expr.is_Number:
        return expr * sp.OneMatrix(*vector.shape)
    if expr.is_Add:
        return sp.MatAdd(*[elementwise(a, vector) for a in expr.args])
    if expr.is_Mul:
        coeff, rest = expr.as_coeff_Mul()
        factors = [elementwise(a, vector) for a in sp.Mul.make_args(rest)]
        product = factors[0] if len(factors) == 1 else sp.HadamardProduct(*factors, evaluate=False)
        return product if coeff == 1 else coeff * product
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        return sp.HadamardPower(elementwise(expr.base, vector), expr.exp)
    raise ArithmeticError(f"no elementwise form for {expr}")


@dataclass(frozen=True)
class ClosedForms:
    """The answers, as the matrix expressions that are shown and evaluated.

    g_f(t) = local_f + jac_f^T g_f(t+1) for t < T, g_f(T) = boundary_f;
    g_b(t) = local_b + jac_b^T g_b(t-1) for t > 1, g_b(1) = boundary_b;
    grad W_b = sum_t term_W_b, grad U_f = sum_t term_U_f.
    """

    local_f: sp.MatrixExpr
    local_b: sp.MatrixExpr
    jac_f: sp.MatrixExpr
    jac_b: sp.MatrixExpr
    boundary_f: sp.MatrixExpr
    boundary_b: sp.MatrixExpr
    term_W_b: sp.MatrixExpr
    term_U_f: sp.MatrixExpr


SUM_OVER_T = r"\sum_{t=1}^{T} "  # the weight gradients are sums of their per-step terms


def published_tex(forms: ClosedForms) -> dict[str, str]:
    """The LaTeX that answers.json publishes for each closed form, by its field: the printer's
    LaTeX of the forms the checks evaluate (each check compares the published string with it)."""
    return {"grad_W_b": SUM_OVER_T + tex(forms.term_W_b), "grad_U_f": SUM_OVER_T + tex(forms.term_U_f),
            "jacobian_forward": tex(forms.jac_f), "jacobian_backward": tex(forms.jac_b)}


def _pre_f(o: int) -> sp.MatrixExpr:
    return sp.MatAdd(W_f * x(o), U_f * hf(o - 1), evaluate=False)


def _pre_b(o: int) -> sp.MatrixExpr:
    return sp.MatAdd(W_b * x(o), U_b * hb(o + 1), evaluate=False)


def _in_states(expr: sp.MatrixExpr, act: Activation, pre: sp.MatrixExpr, state: sp.MatrixSymbol) -> sp.MatrixExpr:
    """Replace SymPy's f'(pre-activation) (a Lambda applied elementwise) by f' written in h."""
    def is_fprime(node: Any) -> bool:
        # Structural comparison first (fast); simplification only where the forms differ.
        return (isinstance(node, ElementwiseApplyFunction)
                and (node.function(A) == act.derivative or sp.simplify(node.function(A) - act.derivative) == 0)
                and (node.expr == sp.MatAdd(*pre.args) or isinstance(sp.simplify(node.expr - pre), sp.ZeroMatrix)))

    out = expr.replace(is_fprime, lambda node: act.of(state))
    if any(isinstance(node, ElementwiseApplyFunction) for node in sp.preorder_traversal(out)):
        raise ArithmeticError(f"f' of the pre-activation was not rewritten in the hidden state: {out}")
    return out


def _scalar_common(expr: sp.MatrixExpr) -> tuple[sp.Integer, sp.MatrixExpr]:
    """2*y - 2*z -> (2, y - z): a common integer factor of a matrix sum, and the rest."""
    if not isinstance(expr, sp.MatAdd):
        return sp.Integer(1), expr
    coeffs = [a.as_coeff_mmul()[0] if isinstance(a, sp.MatMul) else sp.Integer(1) for a in expr.args]
    common = sp.gcd_list(coeffs)
    if common in (0, 1):
        return sp.Integer(1), expr
    return common, sp.MatAdd(*[a / common for a in expr.args], evaluate=False)


@dataclass(frozen=True)
class Derivation:
    activation: Activation
    forms: ClosedForms
    local_rows: tuple[Row, ...]
    entry_rows: dict[str, tuple[Row, ...]]
    jacobian_rows: dict[str, tuple[Row, ...]]
    weight_rows: dict[str, tuple[Row, ...]]

    recursion_rows: dict[str, tuple[Row, ...]]  # the total-gradient recursions and boundaries


def _recursion_rows(f: ClosedForms, jac_f_t: sp.MatrixExpr, jac_b_t: sp.MatrixExpr) -> dict[str, tuple[Row, ...]]:
    """The backward recursions for the total gradients, with their boundary conditions; the
    transposed Jacobians are SymPy's denominator-layout results (see _jacobian)."""
    at_end = {y(): y.at(T_END), z(): z.at(T_END)}
    at_start = {y(): y.at(1), z(): z.at(1)}
    return {
        "f": (
            Row(gf(), sp.MatAdd(f.local_f, sp.MatMul(Jacobian(hf(1), hf()).T, gf(1)), evaluate=False),
                note=Tex(r"for $t = T-1, \dots, 1$")),
            Row(None, sp.MatAdd(f.local_f, sp.MatMul(jac_f_t, gf(1)), evaluate=False),
                note="the Jacobian of (b), transposed"),
            Row(gf.at(T_END), f.boundary_f.xreplace(at_end),
                note=Tex(r"boundary: $h^{(f)}_T$ has no successor")),
        ),
        "b": (
            Row(gb(), sp.MatAdd(f.local_b, sp.MatMul(Jacobian(hb(-1), hb()).T, gb(-1)), evaluate=False),
                note=Tex(r"for $t = 2, \dots, T$")),
            Row(None, sp.MatAdd(f.local_b, sp.MatMul(jac_b_t, gb(-1)), evaluate=False),
                note="the Jacobian of (b), transposed"),
            Row(gb.at(1), f.boundary_b.xreplace(at_start),
                note=Tex(r"boundary: $h^{(b)}_1$ has no successor")),
        ),
    }


@functools.cache
def derive_forms(activation: str) -> Derivation:
    """The whole derivation; a pure function of the activation, so computed once per process
    and kept in derive's cache (derive/cache.py) across processes."""
    return cache.cached("birnn-forms", activation, lambda: _derive_forms(activation), Derivation,
                        types=(Derivation, Activation, ClosedForms, Row))


def _derive_forms(activation: str) -> Derivation:
    act = derive_activation(activation)
    # 3.2(a): local gradients through y_t, the scalar loss wrapped as a trace (never indexed).
    loss_t = sp.Trace((z() - y()).T * (z() - y()))
    grad_y = loss_t.diff(y())
    y_def = V_f * hf() + V_b * hb()
    dy_dhf, dy_dhb = y_def.diff(hf()), y_def.diff(hb())  # denominator layout: (dy/dh)^T
    common, rest = _scalar_common(grad_y)
    local_f = sp.MatMul(common, dy_dhf, rest, evaluate=False)
    local_b = sp.MatMul(common, dy_dhb, rest, evaluate=False)
    lt, gy = Subscripted("L", T_NOW), gy_t()
    local_rows = (
        Row(lt, sp.Trace(sp.MatMul((z() - y()).T, z() - y(), evaluate=False)),
            note=Tex(r"$\|z_t-y_t\|_2^2$ as a $1\times 1$ trace")),
        Row(gy, grad_y, note="SymPy: differentiate the trace"),
        Row(gf_t(), sp.MatMul(dy_dhf, grad_y, evaluate=False),
            note=Tex(r"chain rule; $\partial y_t/\partial h^{(f)}_t = V^{(f)}$")),
        Row(None, local_f),
        Row(gb_t(), sp.MatMul(dy_dhb, grad_y, evaluate=False),
            note=Tex(r"likewise, $\partial y_t/\partial h^{(b)}_t = V^{(b)}$")),
        Row(None, local_b),
    )
    jac_f, jac_f_t, rows_f = _jacobian(act, _pre_f(1), hf(0), hf(1), U_f)
    jac_b, jac_b_t, rows_b = _jacobian(act, _pre_b(-1), hb(0), hb(-1), U_b)
    term_W_b, rows_wb = _weight_term(act, W_b, _pre_b(0), hb(0), gb(0))
    term_U_f, rows_uf = _weight_term(act, U_f, _pre_f(0), hf(0), gf(0))
    forms = ClosedForms(local_f, local_b, jac_f, jac_b, local_f, local_b, term_W_b, term_U_f)
    entries = {"f": _entry_rows(act, "f"), "b": _entry_rows(act, "b")}
    return Derivation(act, forms, local_rows, entries, {"f": rows_f, "b": rows_b}, {"W_b": rows_wb, "U_f": rows_uf},
                      _recursion_rows(forms, jac_f_t, jac_b_t))


def _jacobian(act: Activation, pre: sp.MatrixExpr, wrt: Series, out: Series,
              recurrent: sp.MatrixSymbol) -> tuple[sp.MatrixExpr, sp.MatrixExpr, tuple[Row, ...]]:
    """d out / d wrt for out = f(pre): SymPy's denominator layout, transposed to numerator layout.
    Returns the Jacobian, its transpose (SymPy's result, in the states) and the rows shown."""
    denominator = pre.applyfunc(act.function).diff(wrt)
    numerator = denominator.T.doit()
    jac = _in_states(numerator, act, pre, out)
    jac_t = _in_states(denominator, act, pre, out)
    # Built unevaluated: an evaluated DiagMatrix product asks SymPy's SAT-based assumptions
    # whether the vector is diagonal, a tenth of a second each time.
    expected = sp.MatMul(DiagMatrix(act.of(out)), recurrent, evaluate=False)
    if jac != expected or jac_t != sp.MatMul(recurrent.T, DiagMatrix(act.of(out)), evaluate=False):
        raise ArithmeticError(f"unexpected Jacobian form {jac}")
    rows = (
        Row(Jacobian(out, wrt), _show_fprime(denominator.T, pre), note="numerator layout: transpose of SymPy's result"),
        Row(None, jac, note=Tex(r"$f'$ written in the hidden state")),
    )
    return jac, jac_t, rows


def _weight_term(act: Activation, weight: sp.MatrixSymbol, pre: sp.MatrixExpr, state: sp.MatrixSymbol,
                 grad: sp.MatrixSymbol) -> tuple[sp.MatrixExpr, tuple[Row, ...]]:
    """Step t's contribution: d/dweight of (total gradient at h_t)^T h_t, h_t = f(pre) with its input fixed."""
    contribution = sp.Trace(grad.T * pre.applyfunc(act.function)).diff(weight)
    term = _in_states(contribution, act, pre, state)
    trace = rf"\operatorname{{tr}}\left(({tex(grad)})^{{\top}} {tex(state)}\right)"
    lhs = Tex(rf"\frac{{\partial}}{{\partial {tex(weight)}}}{trace}")
    rows = (
        Row(lhs, _show_fprime(contribution, pre), note="SymPy; step input fixed"),
        Row(None, term),
    )
    return term, rows


def _show_fprime(expr: sp.MatrixExpr, pre: sp.MatrixExpr) -> sp.MatrixExpr:
    """SymPy's f'(pre) shown as f' applied to the pre-activation, for the first step of the work."""
    return expr.replace(lambda n: isinstance(n, ElementwiseApplyFunction),
                        lambda n: n.expr.applyfunc(sp.Lambda(A, FPRIME(A))))


def _entry_rows(act: Activation, direction: str) -> tuple[Row, ...]:
    """(dh_{t+1}/dh_t)_{ij} (or the backward one) from the scalar component form."""
    i, j, k = ROW, COL, sp.Symbol("k", integer=True, positive=True)
    src, dst, xo = (0, 1, 1) if direction == "f" else (0, -1, -1)
    state = hf if direction == "f" else hb
    Wm, Um = (W_f, U_f) if direction == "f" else (W_b, U_b)
    Wi, Ui = sp.IndexedBase(Wm.name), sp.IndexedBase(Um.name)
    xi, hsrc, hdst = sp.IndexedBase(x(xo)), sp.IndexedBase(state(src)), sp.IndexedBase(state(dst))
    pre = sp.Sum(Wi[i, k] * xi[k], (k, 1, D)) + sp.Sum(Ui[i, k] * hsrc[k], (k, 1, D))
    d_pre = sp.diff(pre, hsrc[j])
    d_pre_done = d_pre.doit().replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0].expr)
    entry = sp.diff(act.definition.subs(A, pre), hsrc[j]).doit()
    entry = entry.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0].expr)
    if sp.simplify(entry / Ui[i, j] - act.derivative.subs(A, pre)) != 0:
        raise ArithmeticError("the Jacobian entry is not f'(a_i) U_ij")
    a_i = Subscripted("a", T_NOW + dst, i)
    lhs = Tex(rf"\left({tex(Jacobian(state(dst), state(src)))}\right)_{{ij}}")
    return (
        Row(a_i, pre, note=Tex(rf"so that ${tex(hdst[i])} = f({tex(a_i)})$")),
        Row(sp.Derivative(a_i, hsrc[j]), d_pre, note="SymPy, component by component"),
        Row(None, d_pre_done, note=Tex(r"for $1 \le j \le d$")),
        Row(lhs, FPRIME(a_i) * sp.Derivative(a_i, hsrc[j]), note="chain rule"),
        Row(None, act.in_output.subs(H, hdst[i]) * Ui[i, j], note=Tex(r"$f'$ in the hidden state")),
    )
