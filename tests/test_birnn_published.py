"""Question 3 certifies what answers.json publishes: the instance's values are the high-precision
evaluation rounded once to float64 (the same bytes on every machine), each check reads the parsed
section in its published orientation, and the closed forms' LaTeX is tied to the forms checked."""

from __future__ import annotations

import copy
import dataclasses

import mpmath
import numpy as np
import pytest

from derive import build, certify, config
from derive.questions.birnn import answer as q3a
from derive.questions.birnn import checks as c3
from derive.questions.birnn.model import published_tex
from derive.questions.registry import QUESTIONS
from derive.verify import resolve, torch_module

BIRNN = QUESTIONS["birnn"]
DEFAULTS = config.parse_toml(config.default_text(), "default.toml")
# tanh pre-activations 10 and 30: f'(30) = 1 - tanh^2(30) is about 3.5e-26, so more than 50 digits.
SATURATED = {"W_f": [[1]], "U_f": [[1]], "V_f": [[1]], "W_b": [[3]], "U_b": [[1]], "V_b": [[1]],
             "x": [[10]], "z": [[1]]}


def _configs() -> dict[str, config.Config]:
    base = config.load(None)
    sigmoid = base.replace(birnn=dataclasses.replace(base.birnn, activation="sigmoid", hidden_size=2,
                                                                  steps=4, seed=7))
    saturated = config.from_dict({"birnn": {"hidden_size": 1, "steps": 1, "instance": SATURATED}}, DEFAULTS)
    return {"default": base, "sigmoid": sigmoid, "saturated": saturated}


CONFIGS = _configs()


# --- The published values: the high-precision values, rounded once --------------------------------

def _loss(v: dict[str, np.ndarray], activation: str) -> mpmath.mpc:
    """The assignment's forward pass and loss, written here, on mpmath numbers (real or complex)."""
    def f(a):
        return mpmath.tanh(a) if activation == "tanh" else 1 / (1 + mpmath.exp(-a))

    def step(w, u, x, h):
        return [f(sum(w[i][j] * x[j] for j in range(len(x))) + sum(u[i][j] * h[j] for j in range(len(h))))
                for i in range(len(h))]

    steps = len(v["x"])
    forward, backward = [list(v["h0_f"])], [list(v["h_end_b"])]
    for t in range(steps):
        forward.append(step(v["W_f"], v["U_f"], v["x"][t], forward[-1]))
    for t in reversed(range(steps)):
        backward.insert(0, step(v["W_b"], v["U_b"], v["x"][t], backward[0]))
    total = mpmath.mpf(0)
    for t in range(steps):
        for i in range(len(v["z"][t])):
            y = sum(v["V_f"][i][j] * forward[t + 1][j] + v["V_b"][i][j] * backward[t][j]
                    for j in range(len(v["z"][t])))
            total += (v["z"][t][i] - y) ** 2
    return total


def _reference(cfg: config.Config, digits: int) -> dict[str, object]:
    """The loss, and each gradient entry by a complex step of 1e-40, at `digits` digits: this
    file's own route to the values, then rounded to the nearest float64."""
    values = q3a.derive(cfg).values  # the instance's exact entries (inputs, not results)
    with mpmath.workdps(digits):
        v = {k: [[mpmath.mpf(q.p) / q.q for q in row] for row in a.reshape(a.shape[0], -1).tolist()]
             for k, a in values.items()}
        v["h0_f"], v["h_end_b"] = [row[0] for row in v["h0_f"]], [row[0] for row in v["h_end_b"]]
        out: dict[str, object] = {"loss": float(_loss(v, cfg.birnn.activation))}
        h = mpmath.mpf("1e-40")
        for key in ("W_b", "U_f"):
            d = len(v[key])
            grad = [[0.0] * d for _ in range(d)]
            for i in range(d):
                for j in range(d):
                    moved = copy.deepcopy(v)
                    moved[key][i][j] = mpmath.mpc(v[key][i][j], h)
                    grad[i][j] = float(mpmath.im(_loss(moved, cfg.birnn.activation)) / h)
            out[f"grad_{key}"] = grad
    return out


@pytest.mark.parametrize("name", CONFIGS)
def test_what_is_published_is_the_high_precision_value_rounded_to_the_nearest_float64(name):
    cfg = CONFIGS[name]
    published = BIRNN.section(BIRNN.derive(cfg))["instance"]
    expected = _reference(cfg, 120)
    assert {k: published[k] for k in expected} == expected


def test_the_saturated_instance_is_evaluated_with_more_digits():
    assert q3a.derive(CONFIGS["saturated"]).digits > c3.DIGITS == q3a.derive(CONFIGS["default"]).digits


# --- Each check reads the published section ----------------------------------------------------------

def _failing(cfg: config.Config, field: str, wrong: object) -> set[str]:
    answer = q3a.derive(cfg)
    section = c3.as_published(answer)
    target = section
    *parents, last = field.split(".")
    for key in parents:
        target = target[key]
    target[last] = wrong
    return {c.name for c in resolve(c3.plan(answer, cfg, section)) if hasattr(c, "passed") and not c.passed}


def _torch(*names: str) -> set[str]:
    """The PyTorch checks among the names, where PyTorch runs them."""
    return set(names) if torch_module() is not None else set()


@pytest.mark.parametrize("plant", ["transposed", "two entries swapped", "an entry moved", "not numbers"])
@pytest.mark.parametrize("key", ["W_b", "U_f"])
def test_a_published_gradient_is_compared_in_its_published_orientation(plant, key):
    cfg = CONFIGS["default"]
    grad = np.array(BIRNN.section(q3a.derive(cfg))["instance"][f"grad_{key}"])
    wrong: object
    if plant == "transposed":
        wrong = grad.T.tolist()
    elif plant == "two entries swapped":
        swapped = grad.copy()
        swapped[0, 0], swapped[0, 1] = grad[0, 1], grad[0, 0]
        wrong = swapped.tolist()
    elif plant == "an entry moved":
        moved = grad.copy()
        moved[1, 2] += 1e-8 * np.max(np.abs(grad))
        wrong = moved.tolist()
    else:
        wrong = [[str(x) for x in row] for row in grad.tolist()]
    # the document's gradients, printed from the derivation, no longer say what answers.json says
    expected = {f"grad {key}: published vs finite differences", c3.PUBLISHED_VS_HIGH_PRECISION, c3.PRINTED}
    if plant == "an entry moved":  # past float64's rounding and PyTorch's 1e-10, within the differences' noise
        expected = {c3.PUBLISHED_VS_HIGH_PRECISION}  # and within the printed digits
    assert _failing(cfg, f"instance.grad_{key}", wrong) == expected | _torch(f"grad {key}: published vs PyTorch")


@pytest.mark.parametrize("field", ["jacobian_forward", "jacobian_backward", "grad_W_b", "grad_U_f"])
def test_published_latex_of_a_closed_form_that_is_not_the_checked_form_fails_its_checks(field):
    """A character changed, or the LaTeX of another (wrong) form: every check of that form fails."""
    cfg = CONFIGS["default"]
    forms = q3a.derive(cfg).derivation.forms
    names = {"jacobian_forward": {"Jacobian (forward) at the first step"},
             "jacobian_backward": {"Jacobian (backward) at the first step"}}
    for key in ("W_b", "U_f"):
        names[f"grad_{key}"] = {f"grad {key}: closed form vs complex step",
                                f"grad {key}: closed form vs finite differences"}
    other = dataclasses.replace(forms, jac_f=forms.jac_b, jac_b=forms.jac_f, term_W_b=forms.term_U_f,
                                term_U_f=forms.term_W_b)
    right = published_tex(forms)[field]
    for wrong in (right[:-1] + "x", right + " ", published_tex(other)[field]):
        assert wrong != right
        assert _failing(cfg, field, wrong) == names[field]


def test_the_published_latex_is_the_printers_latex_of_the_checked_forms():
    solved = build.solve(CONFIGS["default"])
    forms = solved.answers["birnn"].derivation.forms
    tied = {c.name for c in solved.checks if c.passed and any(p.startswith("birnn.grad_") or p.startswith(
        "birnn.jacobian_") for p in c.certifies)}
    assert tied == {"Jacobian (forward) at the first step", "Jacobian (backward) at the first step",
                    "grad W_b: closed form vs complex step", "grad U_f: closed form vs complex step",
                    "grad W_b: closed form vs finite differences", "grad U_f: closed form vs finite differences"}
    assert {k: solved.published["birnn"][k] for k in published_tex(forms)} == published_tex(forms)


# --- The loss of a cancelling instance -----------------------------------------------------------------

# Saturated units make y_1 = -5 tanh(70) + 3 tanh(63) within 1e-54 of z_1 = -2: the loss is about
# 1e-108, which float64 cannot resolve (it computes 0) and the high-precision evaluation can.
CANCELLING = {"W_f": [[10]], "U_f": [[-2]], "V_f": [[-5]], "W_b": [[9]], "U_b": [[7]], "V_b": [[3]],
              "x": [[7]], "z": [[-2]]}


def test_a_cancelled_loss_is_checked_against_float64_relative_to_its_terms_magnitudes():
    cfg = config.from_dict({"birnn": {"hidden_size": 1, "steps": 1, "instance": CANCELLING}}, DEFAULTS)
    loss = BIRNN.section(q3a.derive(cfg))["instance"]["loss"]
    assert 0 < loss < 1e-100 and loss == _reference(cfg, 200)["loss"]
    values = {k: a.astype(float) for k, a in q3a.derive(cfg).values.items()}
    assert c3.loss_magnitude(values, "tanh") == pytest.approx((2 + 5 + 3) ** 2, rel=1e-12)
    assert "loss" not in _failing(cfg, "instance.loss", loss)
    assert "loss" in _failing(cfg, "instance.loss", 1e-6)


# --- The boxed closed forms -------------------------------------------------------------------------------

def test_each_published_closed_form_is_boxed_as_published():
    cfg = CONFIGS["default"]
    answer = q3a.derive(cfg)
    section = BIRNN.section(answer)
    boxes = BIRNN.boxed(section)
    assert [b.field for b in boxes] == ["birnn.jacobian_forward", "birnn.jacobian_backward", "birnn.grad_W_b",
                                        "birnn.grad_U_f"]
    source = build.question_source(BIRNN, answer, True)
    assert [c.max_error for c in certify.boxed_checks(BIRNN, {"birnn": section}, source)] == [0.0, 0.0]
    wrong = {**section, "grad_U_f": section["grad_W_b"]}
    assert [c.max_error for c in certify.boxed_checks(BIRNN, {"birnn": wrong}, source)] == [0.0, 1.0]
    assert BIRNN.boxed({**section, "jacobian_forward": 3})[0].tex is None
