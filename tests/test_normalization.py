"""Question 1: exact statistics against values worked out independently, and its checks."""

from __future__ import annotations

import dataclasses
import statistics
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from derive import config, crosscheck
from derive.questions.normalization import answer as q1a
from derive.questions.normalization import question as q1
from derive.verify import no_torch, torch_module
from tests.check_support import failed_names, failing, run_checks

STATISTICS = q1a.NormalizationParts.statistics
ASSIGNMENT = {  # from SPEC.md and worked by hand
    ("batch", "mean"): [[["31/12"], ["35/12"]]],
    ("batch", "variance"): [[["227/144"], ["179/144"]]],
    ("layer", "mean"): [[["19/6"]], [["2"]], [["5/2"]], [["10/3"]]],
    ("layer", "variance"): [[["65/36"]], [["1"]], [["11/12"]], [["8/9"]]],
}


def test_assignment_values():
    answer = q1a.as_json(q1a.derive(config.load(None)))
    for (kind, stat), expected in ASSIGNMENT.items():
        assert answer[kind][stat] == expected
    assert answer["batch"]["axes"] == [0, 2]
    assert answer["layer"]["axes"] == [1, 2]
    assert answer["instance"]["axes"] == [2]
    assert answer["instance"]["mean"][0] == [["8/3"], ["11/3"]]
    assert answer["instance"]["variance"][0] == [["26/9"], ["2/9"]]


def test_other_tensor_negative_decimal_and_constant(load_text):
    c = load_text("[normalization]\ntensor = [[[1, 1, 1], [-0.5, 0.5, 1.5]]]\n")
    answer = q1a.as_json(q1a.derive(c))
    assert answer["instance"]["mean"] == [[["1"], ["1/2"]]]
    assert answer["instance"]["variance"] == [[["0"], ["2/3"]]]
    assert answer["layer"]["mean"] == [[["3/4"]]]
    assert answer["layer"]["variance"] == [[["19/48"]]]
    assert answer["batch"]["variance"] == [[["0"], ["2/3"]]]


def _fractions(tensor):
    return [[[Fraction(str(v)) for v in row] for row in sample] for sample in tensor]


@pytest.mark.parametrize("seed", range(5))
def test_matches_python_statistics_on_random_tensors(seed, load_text):
    rng = np.random.default_rng(seed)
    n, c, length = rng.integers(1, 5, size=3)
    tensor = (rng.integers(-40, 40, size=(n, c, length)) / 4).tolist()
    answer = q1a.derive(load_text(f"[normalization]\ntensor = {tensor}\n"))
    data = _fractions(tensor)
    for i in range(n):
        for j in range(c):
            group = data[i][j]
            stat = answer.statistic("instance")
            assert stat.mean[i, j, 0] == sp.Rational(statistics.mean(group))
            assert stat.variance[i, j, 0] == sp.Rational(statistics.pvariance(group))
        flat = [v for row in data[i] for v in row]
        assert answer.statistic("layer").variance[i, 0, 0] == sp.Rational(statistics.pvariance(flat))
    for j in range(c):
        flat = [v for i in range(n) for v in data[i][j]]
        assert answer.statistic("batch").mean[0, j, 0] == sp.Rational(statistics.mean(flat))


def _plant(answer, kind, **changes):
    stats = tuple(dataclasses.replace(s, **changes) if s.kind == kind else s for s in answer.statistics)
    return dataclasses.replace(answer, statistics=stats)


def test_checks_pass_on_the_derived_answer():
    c = config.load(None)
    assert failing(q1, q1a.derive(c), c) == set()


@pytest.mark.parametrize(
    ("kind", "stat", "planted", "caught"),
    [
        ("batch", "variance", lambda s: s.variance * sp.Rational(12, 11), "batch variance"),  # unbiased
        ("layer", "mean", lambda s: s.mean + sp.Rational(1, 100), "layer mean"),
        ("instance", "variance", lambda s: -s.variance, "instance variance"),  # a sign
    ],
)
def test_planted_errors_are_caught(kind, stat, planted, caught):
    c = config.load(None)
    answer = q1a.derive(c)
    wrong = _plant(answer, kind, **{stat: planted(answer.statistic(kind))})
    failed = failing(q1, wrong, c)
    assert caught in failed


def test_wrong_axes_are_caught():
    c = config.load(None)
    answer = q1a.derive(c)
    wrong = _plant(answer, "layer", axes=(0, 1))  # claims the numbers belong to other axes
    assert "layer mean" in failing(q1, wrong, c)


@pytest.mark.skipif(torch_module() is None, reason=no_torch())
def test_torch_catches_a_wrong_statistic():
    c = config.load(None)
    answer = q1a.derive(c)
    wrong = _plant(answer, "batch", mean=answer.statistic("batch").mean + 1)
    payload = q1.torch_payload(wrong, q1.as_published(wrong))
    checks = crosscheck.normalization_outputs(torch_module(), STATISTICS, *payload)
    assert [ch.name for ch in checks if not ch.passed] == ["batch norm output"]


def test_single_value_groups_are_solved_and_torch_says_why_it_cannot_check(load_text):
    c = load_text("[normalization]\ntensor = [[[5], [7]]]\n")  # N = L = 1: one value per batch/instance group
    answer = q1a.derive(c)
    assert q1a.as_json(answer)["batch"]["variance"] == [[["0"], ["0"]]]
    results = run_checks(q1, answer, c)
    assert failed_names(results) == set()
    if torch_module() is not None:
        skipped = {r.name for r in results if not hasattr(r, "passed")}
        assert skipped == {"batch norm output", "instance norm output"}


def test_constant_tensor_zero_variances_pass_their_checks(load_text):
    c = load_text("[normalization]\ntensor = [[[-5.92, -5.92, -5.92]], [[-5.92, -5.92, -5.92]]]\n")
    answer = q1a.derive(c)
    assert q1a.as_json(answer)["layer"]["variance"] == [[["0"]], [["0"]]]
    assert failing(q1, answer, c) == set()
    wrong = _plant(answer, "layer", variance=answer.statistic("layer").variance + sp.Rational(1, 10**6))
    assert "layer variance" in failing(q1, wrong, c)


BIG = [[[10**15 - 7, 10**15 - 3, 10**15 - 12, 10**15 - 1, 10**15 - 5]],
       [[-(10**15) + 2, -(10**15) + 9, -(10**15) + 4, -(10**15) + 6, -(10**15) + 11]]]


@pytest.mark.skipif(torch_module() is None, reason=no_torch())
def test_torch_tolerance_follows_the_conditioning_and_still_catches_errors(load_text):
    """Entries near 1e15 with a spread of a few units lose digits to cancellation in float64:
    the rounding bound grows with max|x| / sigma, so valid data passes, the data the bound
    cannot resolve is listed as not run with the reason, and an error larger than the bound
    is still caught."""
    wide = load_text("[normalization]\ntensor = [[[1e15, -3e14, 2e14]], [[-1e15, 5e14, 7e14]]]\n")
    assert failing(q1, q1a.derive(wide), wide) == set()
    tight = load_text(f"[normalization]\ntensor = {BIG}\n")
    answer = q1a.derive(tight)
    results = run_checks(q1, answer, tight)
    assert failed_names(results) == set()
    reasons = {r.name: r.reason for r in results if not hasattr(r, "passed")}
    assert set(reasons) == {"instance norm output", "layer norm output"}
    assert all(reason.startswith("float64 cannot resolve it") for reason in reasons.values())
    wrong = _plant(answer, "batch", mean=answer.statistic("batch").mean + 10**12)
    payload = q1.torch_payload(wrong, q1.as_published(wrong))
    checks = crosscheck.normalization_outputs(torch_module(), STATISTICS, *payload)
    assert [ch.name for ch in checks if not getattr(ch, "passed", True)] == ["batch norm output"]
