"""Question 3's checks over the whole allowed input range, saturated units included: none
fails where the derivation is right, and a planted error is still caught there."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

from derive import config
from derive.questions.birnn import answer as q3a
from derive.questions.birnn import checks as c3
from tests.check_support import run_checks

DEFAULTS = config.parse_toml(config.default_text(), "default.toml")


def _instance(activation: str, d: int, steps: int, rng: np.random.Generator, bound: int) -> config.Config:
    def draw(rows: int, cols: int) -> list[list[int]]:
        return rng.integers(-bound, bound + 1, size=(rows, cols)).tolist()

    square = {name: draw(d, d) for name in ("W_f", "U_f", "V_f", "W_b", "U_b", "V_b")}
    instance = {**square, "x": draw(steps, d), "z": draw(steps, d)}
    raw = {"birnn": {"activation": activation, "hidden_size": d, "steps": steps, "instance": instance}}
    return config.from_dict(raw, DEFAULTS)


def _failures(cfg: config.Config, answer: q3a.BirnnAnswer) -> list[str]:
    return [f"{c.name}: {c.max_error:.3g} > {c.tolerance:.3g}" for c in run_checks(c3, answer, cfg)
            if hasattr(c, "passed") and not c.passed]


# The smallest case: tanh pre-activation 30, where 1 - tanh^2 loses 26 digits at 50.
SMALLEST = {"W_f": [[1]], "U_f": [[1]], "V_f": [[1]], "W_b": [[3]], "U_b": [[1]], "V_b": [[1]],
            "x": [[10]], "z": [[1]]}


def _smallest(activation: str = "tanh") -> config.Config:
    raw = {"birnn": {"activation": activation, "hidden_size": 1, "steps": 1, "instance": SMALLEST}}
    return config.from_dict(raw, DEFAULTS)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_the_smallest_saturated_case_passes(activation):
    cfg = _smallest(activation)
    assert _failures(cfg, q3a.derive(cfg)) == []


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize(("d", "steps", "bound", "count"), [(1, 1, 10, 40), (1, 3, 10, 15), (2, 2, 100, 8),
                                                            (3, 2, 100, 3)])
def test_random_instances_over_the_allowed_range_pass(activation, d, steps, bound, count):
    rng = np.random.default_rng([d, steps, bound, activation == "tanh"])
    failed = {}
    for k in range(count):
        cfg = _instance(activation, d, steps, rng, bound)
        problems = _failures(cfg, q3a.derive(cfg))
        if problems:
            failed[k] = problems
    assert failed == {}


def test_a_planted_error_on_the_saturated_case_is_still_caught():
    """The extra digits keep the tolerance at 1e-30 here: an error of 1e-20 is caught."""
    cfg = _smallest()
    answer = q3a.derive(cfg)
    forms = answer.derivation.forms
    wrong = dataclasses.replace(forms, boundary_b=forms.boundary_b * (1 + sp.Rational(1, 10**20)))
    checks = c3.complex_step_checks(wrong, answer.derivation.activation, answer.values, 0, c3.as_published(answer))
    by_name = {c.name: c for c in checks}
    assert by_name["grad W_b: closed form vs complex step"].tolerance == c3.TOLERANCE
    assert not by_name["grad W_b: closed form vs complex step"].passed


def test_units_saturated_past_the_extra_digits_skip_the_check_and_say_why():
    """A sigmoid pre-activation of 2000: 1 - h is e^-2000, beyond 50 + 400 digits."""
    instance = {**SMALLEST, "W_b": [[100]], "x": [[20]]}
    raw = {"birnn": {"activation": "sigmoid", "hidden_size": 1, "steps": 1, "instance": instance}}
    cfg = config.from_dict(raw, DEFAULTS)
    answer = q3a.derive(cfg)
    results = c3.complex_step_checks(answer.derivation.forms, answer.derivation.activation, answer.values, 0,
                                     c3.as_published(answer))
    assert [type(r).__name__ for r in results] == ["Skipped", "Skipped", "Skipped"]
    assert all("saturated units: the rounding bound through f' at 450 digits" in r.reason for r in results)
    assert _failures(cfg, answer) == []  # finite differences still run and pass
