"""Question 3's checks: the closed forms and the published values against three independent
computations. Each check reads what answers.json publishes (its section as serialized and
parsed back): the instance's numbers in their published orientation, and the closed forms'
LaTeX, which must be exactly the printer's LaTeX of the forms the check evaluates.

1. High precision: complex-step derivatives of the loss (a direct forward pass written from
   the assignment) at the config's own instance and sizes, 50 digits or more, against the
   closed forms evaluated at that precision; the published loss and gradients (that
   evaluation rounded to float64) against the direct forward pass and the complex-step
   derivatives. The complex step has no subtractive cancellation, so the only approximation
   is the step's O(h^2) = 1e-60.
2. Numeric: central finite differences of a NumPy forward pass, float64, against the closed
   forms evaluated in float64 and against the published gradients.
3. PyTorch autograd (derive.crosscheck): torch.nn.RNN(bidirectional=True, bias=False) for
   tanh, an explicit graph for sigmoid, float64, against the published gradients.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mpmath
import numpy as np
import sympy as sp

from derive import crosscheck
from derive.answer import Check, Skipped, worst
from derive.config import Config
from derive.latex.notation import Series
from derive.matexpr import evaluate
from derive.published import Section, at, floats, read, section_of
from derive.questions.birnn import rows as birnn_rows
from derive.questions.birnn import view as birnn_view
from derive.questions.birnn.answer import as_json
from derive.questions.birnn.instance import (
    DIGITS,
    TOLERANCE,
    Precision,
    derivative_conditioning,
    evaluate_forms,
    float_apply,
    high_precision,
    mp_values,
    working_precision,
)
from derive.questions.birnn.model import (
    INSTANCE,
    KEY,
    T_NOW,
    WEIGHTS,
    Activation,
    BirnnParts,
    ClosedForms,
    Derivation,
    gb,
    gf,
    hb,
    hf,
    published_tex,
)
from derive.questions.birnn.steps import work_check
from derive.verify import Planned, compare, torch_job

if TYPE_CHECKING:
    from derive.questions.birnn.answer import BirnnAnswer

STEP = "1e-30"  # the complex step h: the error of Im L(w + ih)/h is O(h^2)
ENTRIES = 16  # per gradient: every entry up to d = 4, a seeded sample beyond
FLOAT64_EPS = float(np.finfo(np.float64).eps)
ROUNDING_LIMIT = 1e-6  # a check whose rounding bound exceeds this is not run
JACOBIAN_STEP = "1e-20"  # the complex step of the Jacobian checks (complex128)
FD_STEP = "1e-5"  # the central differences' step
FD_FLOOR = "1e-4"  # their errors are relative to at least this multiple of the loss
TIED = "published LaTeX = the printer's LaTeX of the form evaluated"  # what every check of a form also compares


@dataclass(frozen=True)
class Shown:
    """The instance's values as published, as floats in their published shape; a field that
    does not read is NaN of shape (1,), which no comparison passes."""
    loss: np.ndarray
    grad_W_b: np.ndarray
    grad_U_f: np.ndarray


def shown(section: Section) -> Shown:
    def value(name: str) -> np.ndarray:
        got = read(floats, read(at, section, f"{INSTANCE}.{name}"))
        return np.full(1, np.nan) if got is None else got

    return Shown(value("loss"), value("grad_W_b"), value("grad_U_f"))


def as_published(answer: BirnnAnswer) -> Section:
    """The answer's section of answers.json, serialized and parsed back (plan without a build)."""
    return section_of(KEY, as_json(answer))


def tied(check: Check, section: Section, forms: ClosedForms, field: str) -> Check:
    """The check of a closed form, failed (an infinite error) unless the published LaTeX of the
    field is exactly the printer's LaTeX of the form the check evaluated."""
    if read(at, section, field) == published_tex(forms)[field]:
        return check
    return dataclasses.replace(check, max_error=float("inf"))


def plan(answer: BirnnAnswer, config: Config, published: Section | None = None) -> Planned:
    """`published`: the question's section of answers.json as parsed back; None publishes the answer here."""
    section = as_published(answer) if published is None else published
    forms, act = answer.derivation.forms, answer.derivation.activation
    values = {k: a.astype(float) for k, a in answer.values.items()}
    ev = evaluate_forms(forms, act, values, float_apply)  # not answer.evaluation: the forms under test
    got = shown(section)
    checks: Planned = [graph_check(answer), work_check(answer.derivation, answer.config.seed), rows_check(answer),
                       *jacobian_checks(forms, act, values, section)]
    checks += complex_step_checks(forms, act, answer.values, answer.config.seed, section)
    checks += finite_difference_checks(ev, got, values, act.name, forms, section)
    # float64 rounding through the conditioning of f' (derivative_conditioning), as for the complex step
    d, steps = values["W_f"].shape[0], values["x"].shape[0]
    with mpmath.workdps(DIGITS):
        rounding = float(10 * steps * d * derivative_conditioning(act, mp_values(answer.values))) * FLOAT64_EPS
    checks.append(routes_check(checks, saturated=rounding > ROUNDING_LIMIT))
    checks.append(printed_check(answer, section))
    checks.append(recursion_check(answer.derivation))
    if rounding > ROUNDING_LIMIT:
        checks.append(Skipped(BirnnParts.instance.id, "gradients (PyTorch autograd)",
                              f"saturated units: float64's rounding bound through f' is {rounding:.2g} "
                              f"(relative), past {ROUNDING_LIMIT:g}"))
    else:
        checks.append(torch_job(BirnnParts.instance, "gradients (PyTorch autograd)", crosscheck.birnn_gradients,
                                got.grad_W_b, got.grad_U_f, values, act.name, max(1e-10, rounding),
                                certifies=(f"{KEY}.{INSTANCE}.grad_W_b", f"{KEY}.{INSTANCE}.grad_U_f")))
    return checks


# The fields certified twice, by the high-precision route (complex step) and the float64 route
# (finite differences): both run wherever float64 keeps f' (the PyTorch check's condition), since
# 50 digits or more keep it wherever float64 does.
TWO_ROUTES = (f"{KEY}.grad_W_b", f"{KEY}.grad_U_f",
              *(f"{KEY}.{INSTANCE}.{k}" for k in ("loss", "grad_W_b", "grad_U_f")))
ROUTES = "published gradients and loss: high precision and float64"


def routes_check(checks: Planned, saturated: bool) -> Check:
    """The number of TWO_ROUTES fields that fewer than two checks of this question that ran
    certify (one where float64's rounding bound is past ROUNDING_LIMIT: the high-precision route
    may then be all that runs). Whether each passes is its own verdict."""
    needed = 1 if saturated else 2
    ran = [c for c in checks if isinstance(c, Check)]
    short = sum(sum(path in c.certifies for c in ran) < needed for path in TWO_ROUTES)
    return Check(BirnnParts.instance.id, ROUTES, f"each of the {len(TWO_ROUTES)} fields certified by the complex-step "
                 "checks at high precision and by the finite-difference checks in float64, both of which run unless "
                 "float64's rounding bound through f' is past the limit", float(short), 0.0)


PRINTED = "figure and instance as printed"


def printed_check(answer: BirnnAnswer, section: Section) -> Check:
    """What the solutions draw and print of the graph and the instance, against the graph and
    the published section: the number of disagreements. In the figure, one node per node of the
    graph at its own place, the nodes of a kind one unit apart from step to step and each within
    half a unit of its step's column, one edge per edge of the graph between their nodes with
    its weight; the loss and the gradients printed are the ones answers.json publishes, shown as
    the document shows them; printed side by side only where their widths fit the text."""
    from derive.latex import formatting, layout

    figure = birnn_view.graph_view(answer.graph, answer.config.steps)
    place = {node.id: (float(node.x), float(node.y)) for node in figure.nodes}
    ids = dict(zip(answer.graph.nodes, (node.id for node in figure.nodes), strict=False))
    wrong = [len(figure.nodes) != len(answer.graph.nodes), len(set(place.values())) != len(place)]
    for node, node_id in ids.items():
        x = place[node_id][0]
        after = ids.get(type(node)(node.kind, node.step + 1))
        wrong += [abs(x - node.step) >= 0.5, after is not None and abs(place[after][0] - x - 1) > 1e-9]
    drawn = {(e.source, e.target, e.label) for e in figure.edges}
    wrong.append(drawn != {(ids[e.source], ids[e.target], e.label) for e in answer.graph.edges})
    got = shown(section)
    instance = birnn_view.instance_view(answer, False, "")
    wrong.append(got.loss.shape != () or not np.isfinite(got.loss) or str(instance.loss) != str(
        formatting.dec(round(float(got.loss), birnn_view.LOSS_DECIMALS), birnn_view.LOSS_DIGITS)))
    widths = 0.0
    for key in ("W_b", "U_f"):
        grad = getattr(got, f"grad_{key}")
        if grad.shape != answer.values[key].shape or not np.all(np.isfinite(grad)):
            wrong.append(True)  # answers.json has no such matrix to print
            continue
        excerpt = birnn_view.gradient_excerpt(sp.ImmutableMatrix(grad.tolist()))
        wrong.append(str(getattr(instance, f"grad_{key}")) != str(excerpt.tex))
        widths += excerpt.width
    wrong.append(instance.side_by_side and widths + birnn_view.SIDE_BY_SIDE_EM > layout.TEXT_WIDTH_EM)
    return Check(BirnnParts.instance.id, PRINTED, "the graph figure's nodes, columns and edges against the graph, "
                 "the loss and gradients printed against answers.json's, and the line they share against their "
                 "widths", float(sum(wrong)), 0.0)


def rows_check(answer: BirnnAnswer) -> Check:
    """The printed rows and boxed forms of 3.2 and 3.3, as the view gives them to the template,
    read back (rows.py)."""
    return birnn_rows.rows_check(birnn_view.derivation_view(answer), answer.config.activation, answer.config.seed)


RECURSION = "recursions: the successor's gradient"


def recursion_check(derivation: Derivation) -> Check:
    """The number of rows of each backward recursion (the recursion and its transposed-Jacobian
    form) whose total gradient of the chain is not at the step the assignment's equations make
    the successor of h_t (assignment_edges: t + 1 forward, t - 1 backward)."""
    edges = assignment_edges(3)
    wrong = 0
    for chain, total in (("f", gf), ("b", gb)):
        state = f"h_{chain}"
        (offset,) = {after - before for (a, before), (b, after), _ in edges if a == b == state}
        for row in derivation.recursion_rows[chain][:2]:
            wrong += {s.time for s in row.rhs.atoms(Series) if s.name == total.name} != {T_NOW + offset}
    return Check(BirnnParts.instance.id, RECURSION, "each recursion row's total gradient against the successor "
                 "of h_t in the assignment's equations", float(wrong), 0.0)


def assignment_edges(steps: int) -> set[tuple[tuple[str, int], tuple[str, int], str]]:
    """The unrolled graph's edges (source, target, weight), read off the assignment's equations
    h^(f)_t = f(W^(f) x_t + U^(f) h^(f)_{t-1}), h^(b)_t = f(W^(b) x_t + U^(b) h^(b)_{t+1}),
    y_t = V^(f) h^(f)_t + V^(b) h^(b)_t and L_t from y_t, restated here. A node is (its plain
    name, its step), a weight its plain name."""
    edges = set()
    for t in range(1, steps + 1):
        hf, hb, x, y = ("h_f", t), ("h_b", t), ("x", t), ("y", t)
        edges |= {(x, hf, "W_f"), (("h_f", t - 1), hf, "U_f"), (x, hb, "W_b"),
                  (("h_b", t + 1), hb, "U_b"), (hf, y, "V_f"), (hb, y, "V_b"), (y, ("L", t), "")}
    return edges


def graph_check(answer: BirnnAnswer) -> Check:
    """3.1: the drawn graph's edges and the assignment's, as sets: the error counts the differences."""
    drawn, expected = set(answer.graph.edges), assignment_edges(answer.config.steps)
    missing_nodes = {n for edge in expected for n in edge[:2]} ^ set(answer.graph.nodes)
    return Check(BirnnParts.graph.id, "computational graph", f"edges and nodes against the assignment's equations, T = "
                 f"{answer.config.steps}", float(len(drawn ^ expected) + len(missing_nodes)), 0.0)


def forward_states(v: dict[str, np.ndarray], f: Callable[[np.ndarray], np.ndarray],
                   direction: str = "both") -> dict[str, list[Any]]:
    """h^(f)_1..T and/or h^(b)_1..T by a direct forward pass, written from the assignment (not
    from the closed forms); any element type: float64, or object arrays of mpmath numbers."""
    steps, out = v["x"].shape[0], {}
    if direction in ("both", "f"):
        hf = [v["h0_f"].ravel()]
        for t in range(steps):
            hf.append(f(v["W_f"] @ v["x"][t] + v["U_f"] @ hf[-1]))
        out["f"] = hf[1:]
    if direction in ("both", "b"):
        hb = [v["h_end_b"].ravel()]
        for t in reversed(range(steps)):
            hb.append(f(v["W_b"] @ v["x"][t] + v["U_b"] @ hb[-1]))
        out["b"] = hb[1:][::-1]
    return out


def loss_of_states(v: dict[str, np.ndarray], states: dict[str, list[Any]]) -> Any:
    steps = v["x"].shape[0]
    return sum(np.sum((v["z"][t] - v["V_f"] @ states["f"][t] - v["V_b"] @ states["b"][t]) ** 2)
               for t in range(steps))


def activation_function(activation: str, tanh: Callable[[Any], Any], exp: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The assignment's activation, typed from its definition, with a library's tanh and exp."""
    return tanh if activation == "tanh" else (lambda a: 1 / (1 + exp(-a)))


def numpy_loss(v: dict[str, np.ndarray], activation: str) -> float:
    with np.errstate(over="ignore"):  # the sigmoid's exp(-a) overflows to inf for a << 0: 1/(1+inf) = 0 is right
        return float(loss_of_states(v, forward_states(v, activation_function(activation, np.tanh, np.exp))))


def loss_magnitude(v: dict[str, np.ndarray], activation: str) -> float:
    """The loss computed from the magnitudes of its terms, sum_t || |z_t| + |V^(f)| |h^(f)_t| +
    |V^(b)| |h^(b)_t| ||^2 (float64): float64's rounding error in the loss is a small multiple of
    eps times this, however much z_t - y_t cancels (saturated units make y_t nearly an integer)."""
    with np.errstate(over="ignore"):
        states = forward_states(v, activation_function(activation, np.tanh, np.exp))
    steps = v["x"].shape[0]
    return float(sum(np.sum((np.abs(v["z"][t]) + np.abs(v["V_f"]) @ np.abs(states["f"][t])
                             + np.abs(v["V_b"]) @ np.abs(states["b"][t])) ** 2) for t in range(steps)))


def checked_entries(d: int, seed: int) -> list[tuple[int, int]]:
    """Every entry of a d x d gradient, or a seeded sample of ENTRIES of them."""
    every = [(i, j) for i in range(d) for j in range(d)]
    if len(every) <= ENTRIES:
        return every
    picked = np.random.default_rng(seed).choice(len(every), size=ENTRIES, replace=False)
    return [every[k] for k in sorted(picked)]


def complex_step_gradient(v: dict[str, np.ndarray], activation: str, key: str,
                          entries: list[tuple[int, int]]) -> list[Any]:
    """d loss / d v[key][i, j] = Im L(v[key] + ih E_ij) / h for each entry (mpmath, current
    precision). Only the chain that the weight enters is recomputed."""
    f = np.vectorize(activation_function(activation, mpmath.tanh, mpmath.exp), otypes=[object])
    h = mpmath.mpf(STEP)
    chain = "b" if key in ("W_b", "U_b") else "f"
    fixed = forward_states(v, f)
    out = []
    for idx in entries:
        moved = {**v, key: v[key].copy()}
        moved[key][idx] = mpmath.mpc(moved[key][idx], h)
        states = {**fixed, **forward_states(moved, f, chain)}
        out.append(mpmath.im(loss_of_states(moved, states)) / h)
    return out


def complex_step_checks(forms: ClosedForms, act: Activation, values: dict[str, np.ndarray], seed: int,
                        section: Section) -> list[Check | Skipped]:
    """At the working precision (birnn_instance.working_precision: DIGITS, or more for saturated
    units), the closed forms against complex-step derivatives, and the published loss and
    gradients against the direct forward pass and those derivatives. The tolerance is TOLERANCE,
    or the rounding bound where even the extra digits do not keep it under TOLERANCE; past
    ROUNDING_LIMIT the checks are not run (the reason says so). The checks fail when their method
    text says "every entry" and the entries compared are not all of them, or the reverse."""
    d = values["W_f"].shape[0]
    entries = checked_entries(d, seed)
    precision = working_precision(act, values)
    names = [f"grad {key}: closed form vs complex step" for key in ("W_b", "U_f")] + [PUBLISHED_VS_HIGH_PRECISION]
    if precision.rounding > ROUNDING_LIMIT:
        return [Skipped(BirnnParts.instance.id, name,
                        f"saturated units: the rounding bound through f' at {precision.digits} digits is "
                        f"{mpmath.nstr(precision.rounding, 2)} (relative), past {ROUNDING_LIMIT:g}") for name in names]
    tolerance = max(TOLERANCE, float(precision.rounding))
    closed = high_precision(forms, act, values, precision)
    which = "every entry" if len(entries) == d * d else f"{len(entries)} of {d * d} entries (seeded)"
    with mpmath.workdps(precision.digits):
        v = mp_values(values)
        refs: dict[str, list[Any]] = {}
        checks: list[Check | Skipped] = []
        for key, grad in (("W_b", closed.grad_W_b), ("U_f", closed.grad_U_f)):
            refs[key] = complex_step_gradient(v, act.name, key, entries)
            err = _relative(precision, [grad[idx] for idx in entries], refs[key])
            check = Check(BirnnParts.instance.id, f"grad {key}: closed form vs complex step",
                          f"complex-step derivative of the forward pass, h={STEP}, {precision.digits} digits, "
                          f"{which} (rel.); {TIED}", err, tolerance, (f"{KEY}.grad_{key}",))
            checks.append(tied(check, section, forms, f"grad_{key}"))
        checks.append(published_check(section, v, act.name, entries, refs, precision, which))
    if (which == "every entry") != (set(entries) == set(np.ndindex(d, d))):  # the text misstates the coverage
        return [dataclasses.replace(c, max_error=math.inf) if isinstance(c, Check) else c for c in checks]
    return checks


PUBLISHED_VS_HIGH_PRECISION = "instance values: published vs high precision"


def _relative(precision: Precision, got: list[Any], ref: list[Any]) -> float:
    """The largest difference relative to the largest |reference| (at least 10^-digits)."""
    scale = max(max(abs(r) for r in ref), mpmath.mpf(10) ** -precision.digits)
    return float(max(abs(a - b) for a, b in zip(got, ref, strict=True)) / scale)


def published_check(section: Section, v: dict[str, np.ndarray], activation: str, entries: list[tuple[int, int]],
                    refs: dict[str, list[Any]], precision: Precision, which: str) -> Check:
    """The published loss and gradients, read as floats in their published orientation, against
    the direct forward pass's loss and the complex-step derivatives at the working precision
    (current). They are the closed forms' high-precision values rounded once to float64, so each
    is within half a unit in the last place of the reference, plus the closed forms' own bound:
    the tolerance is float64's machine epsilon relative to the largest |reference|."""
    got = shown(section)
    f = np.vectorize(activation_function(activation, mpmath.tanh, mpmath.exp), otypes=[object])
    loss = loss_of_states(v, forward_states(v, f))
    errors = [float("inf") if got.loss.shape != () else _relative(precision, [mpmath.mpf(float(got.loss))], [loss])]
    for key in ("W_b", "U_f"):
        grad = getattr(got, f"grad_{key}")
        square = grad.shape == v[key].shape
        errors.append(_relative(precision, [mpmath.mpf(float(grad[idx])) for idx in entries], refs[key])
                      if square else float("inf"))
    tolerance = max(FLOAT64_EPS, float(precision.rounding))
    return Check(BirnnParts.instance.id, PUBLISHED_VS_HIGH_PRECISION,
                 f"published loss against the direct forward pass, published gradients against complex-step "
                 f"derivatives ({which}), {precision.digits} digits (rel.; float64's rounding)", worst(errors),
                 tolerance, tuple(f"{KEY}.{INSTANCE}.{k}" for k in ("loss", "grad_W_b", "grad_U_f")))


def jacobian_checks(forms: ClosedForms, act: Activation, v: dict[str, np.ndarray], section: Section) -> list[Check]:
    """3.2's Jacobians at the instance's first step of each chain (h^(f)_0 -> h^(f)_1 with x_1,
    h^(b)_{T+1} -> h^(b)_T with x_T), for any T, against complex-step derivatives (step JACOBIAN_STEP,
    complex128) of the step h -> f(W x + U h) written from the assignment; entry (i, j) is
    d h_next,i / d h,j (numerator layout). Errors are relative to max|U|: the entries are f' U
    with f' <= 1, and f' written in the state (1 - h^2) loses digits where units saturate. The
    published LaTeX must be the printer's LaTeX of the form evaluated."""
    # The sigmoid as (1 + tanh(a/2)) / 2, equal to 1 / (1 + e^-a) but without exp's overflow
    # on the saturated complex arguments of large instances.
    f = np.tanh if act.name == "tanh" else (lambda a: (1 + np.tanh(a / 2)) / 2)
    weights = {WEIGHTS[k]: v[k] for k in WEIGHTS}
    checks, dh = [], float(JACOBIAN_STEP)
    for key, w, u, h, x_in, form, out in (
            ("forward", "W_f", "U_f", v["h0_f"].reshape(-1, 1), v["x"][0], forms.jac_f, hf(1)),
            ("backward", "W_b", "U_b", v["h_end_b"].reshape(-1, 1), v["x"][-1], forms.jac_b, hb(-1))):
        def step(state: np.ndarray, w: str = w, u: str = u, x_in: np.ndarray = x_in) -> np.ndarray:
            return f(v[w] @ x_in.reshape(-1, 1) + v[u] @ state)

        d = h.shape[0]
        reference = np.column_stack([np.imag(step(h + dh * 1j * np.eye(d)[:, [j]])).ravel() / dh for j in range(d)])
        closed = evaluate(form, {**weights, out: step(h)}, float_apply)
        check = compare(BirnnParts.derivation, f"Jacobian ({key}) at the first step", "complex-step derivative of "
                        f"one step of the forward pass, h={JACOBIAN_STEP}, complex128 (rel. to max|U|); {TIED}",
                        closed, reference, 1e-12, scale=float(np.max(np.abs(v[u]))),
                        certifies=(f"{KEY}.jacobian_{key}",))
        checks.append(tied(check, section, forms, f"jacobian_{key}"))
    return checks


def finite_difference_checks(ev: Any, got: Shown, values: dict[str, np.ndarray], activation: str,
                             forms: ClosedForms, section: Section) -> list[Check]:
    """Central differences of a NumPy forward pass, every entry, against the closed forms in
    float64 and against the published gradients; the published loss against that forward pass."""
    step = float(FD_STEP)
    # A float64 loss carries round-off of about eps * M (M: loss_magnitude), and central
    # differences eps * M / h: the loss's error is relative to M, the gradients' relative to the
    # gradient, but never to less than FD_FLOOR M, the noise floor of this step in float64.
    magnitude = loss_magnitude(values, activation)
    checks = [compare(BirnnParts.instance, "loss", "published, against a NumPy forward pass, float64 (rel. to "
                      "the loss of the terms' magnitudes)", got.loss, numpy_loss(values, activation), 1e-12,
                      scale=magnitude, certifies=(f"{KEY}.{INSTANCE}.loss",))]
    method = (f"central differences, h={FD_STEP}, float64, every entry (rel. to max(|grad|, {FD_FLOOR} x the loss "
              "of the terms' magnitudes))")
    floor = float(FD_FLOOR) * magnitude
    for key, closed in (("W_b", ev.grad_W_b), ("U_f", ev.grad_U_f)):
        fd = np.zeros_like(values[key])
        for idx in np.ndindex(*fd.shape):
            plus, minus = dict(values), dict(values)
            plus[key], minus[key] = values[key].copy(), values[key].copy()
            plus[key][idx] += step
            minus[key][idx] -= step
            fd[idx] = (numpy_loss(plus, activation) - numpy_loss(minus, activation)) / (2 * step)
        scale = max(float(np.max(np.abs(fd))), floor)
        form = compare(BirnnParts.instance, f"grad {key}: closed form vs finite differences", f"{method}; {TIED}",
                       closed.astype(float), fd, 1e-6, scale=scale, certifies=(f"{KEY}.grad_{key}",))
        checks.append(tied(form, section, forms, f"grad_{key}"))
        checks.append(compare(BirnnParts.instance, f"grad {key}: published vs finite differences", method,
                              getattr(got, f"grad_{key}"), fd, 1e-6, scale=scale,
                              certifies=(f"{KEY}.{INSTANCE}.grad_{key}",)))
    return checks
