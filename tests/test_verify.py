"""The shared numeric comparison (derive.verify.compare): it measures the error in the check's
units and proves, each time it runs, that it could have failed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derive import verify
from derive.answer import Issued, worst

PART = Issued("1", "1")


@pytest.mark.parametrize(("kwargs", "got", "expected", "error"), [
    ({}, [1.0, 2.5], [1.0, 2.0], 0.5),
    ({"relative": True}, [1.0, 2.5], [1.0, 2.0], 0.25),
    ({"scale": 10.0}, [1.0, 2.5], [1.0, 2.0], 0.05),
])
def test_the_error_is_in_the_checks_units(kwargs, got, expected, error):
    check = verify.compare(PART, "n", "m", got, expected, 1.0, **kwargs)
    assert check.max_error == pytest.approx(error)
    assert "cannot fail" not in check.method


@pytest.mark.parametrize("kwargs", [{}, {"relative": True}, {"scale": 1e6}])
@pytest.mark.parametrize("values", [np.zeros(3), np.array([1e10, -3.0, 2.0]), np.array([[1e-300, 5.0]])])
def test_an_agreeing_comparison_passes_at_every_scale(kwargs, values):
    assert verify.compare(PART, "n", "m", values, values.copy(), 1e-12, **kwargs).passed


def test_a_shape_mismatch_fails():
    assert not verify.compare(PART, "n", "m", [[1.0, 2.0]], [[1.0], [2.0]], 1e-12).passed


ORIGINAL = verify.max_abs_error


@pytest.mark.parametrize("broken", [
    lambda a, b: 0.0,  # a comparison that always agrees
    lambda a, b: min(ORIGINAL(a, b), 1e-13),  # one that saturates below the tolerance
])
def test_a_comparison_that_cannot_fail_fails(monkeypatch, broken):
    monkeypatch.setattr(verify, "max_abs_error", broken)
    check = verify.compare(PART, "n", "m", [1.0, 2.0], [1.0, 2.0], 1e-12)
    assert not check.passed
    assert math.isinf(check.max_error) and "cannot fail" in check.method


def test_the_worst_error_is_infinite_where_one_is_not_a_number():
    """answer.worst, how checks gather their errors: max() keeps a NaN only when it comes first."""
    nan = float("nan")
    assert max([0.0, nan, 1e-3]) == 1e-3  # what it replaces
    assert worst([0.0, nan, 1e-3]) == worst([nan]) == worst([]) == float("inf")
    assert worst([1e-3, 2e-3, 0.0]) == 2e-3
    assert worst([0, 10**400]) == 10**400  # an exact count's error: no conversion to float
