"""Submission text is data: the grammar, its limits, the hostile corpus, the time limit."""

from __future__ import annotations

import builtins
import os
import time
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.graded_parts import GradedPart
from derive.grading import budget, compare, evaluate
from derive.grading.compare import CORRECT, UNPARSEABLE
from derive.grading.expr import Bin, Num, Sym, Unparseable, parse
from derive.grading.submission import grade
from derive.grading_policy import GradingPolicy, Tolerance
from tests.grade_support import key_of


@pytest.fixture(scope="module")
def key() -> dict:
    from derive.config import load

    return key_of(load(None))


@pytest.mark.parametrize("text, value", [
    ("31/12", Fraction(31, 12)), ("2.583", Fraction(2583, 1000)), ("-1.5e-1", Fraction(-3, 20)),
    ("2^3^2", Fraction(512)), ("-2^2", Fraction(-4)), ("2**-1", Fraction(1, 2)), ("(1 + 2)(3)", Fraction(9)),
    ("1e400 / 1e400", Fraction(1)), ("\u22121/4", Fraction(-1, 4)),
])
def test_numbers(text, value):
    assert evaluate.number(parse(text)) == value


def test_juxtaposition_and_split_names():
    assert parse("nd^2", frozenset("nd")) == Bin("*", Sym("n"), Bin("^", Sym("d"), Num(Fraction(2))))
    assert parse("2n d", frozenset("nd")) == Bin("*", Bin("*", Num(Fraction(2)), Sym("n")), Sym("d"))


HOSTILE = [
    ("__import__('os').system('touch PWNED')", 'unexpected character "\'" at position 12'),
    ("__import__", "unknown name '__import__' (symbols here: none; functions: log, O)"),
    ("().__class__.__bases__[0]", "unexpected character '.' at position 3"),
    ("(1).__class__", "unexpected character '.' at position 4"),
    ("lambda: 1", "unexpected character ':' at position 7"),
    ("9**9**9", "exponent 387420489 exceeds 1000 in magnitude"),
    ("10**999 * 10**999 * 10**999 * 10**999 * 10**999 * 10**999 * 10**999",
     "an intermediate value has more than 20000 bits"),
    ("1e999999999", "the literal 1e999999999 has an exponent beyond 400"),
    ("(" * 100 + "1" + ")" * 100, "nested deeper than 40"),
    ("(" * 600 + "1" + ")" * 600, "longer than 1000 characters (1201)"),
    ("-" * 200 + "1", "nested deeper than 40"),
    ("1" * 2_000_000, "longer than 1000 characters (2000000)"),
    ("1\x00", "contains a control character"),
    ("\x1b[2J1", "contains a control character"),
    ("exec(1)", "unknown name 'exec' (symbols here: none; functions: log, O)"),
    ("1/0", "division by zero"),
    ("log(0)", "log of a number that is not positive"),
    ("(-8)^(1/3)", "a negative number to a fractional power"),
    ("1 +", "ends too early"),
    ("1 " * 450, "more than 400 tokens"),
]


@pytest.mark.parametrize("text", ["", "  \t"])
def test_blank_text_is_no_answer(key, text):
    """What the blank submission.toml holds for every field: graded as missing, not unparseable."""
    report = grade(key, {"decoding": {"greedy": {"log_likelihood": text}}}, GradingPolicy(), "s.toml")
    result = {r.part.path: r for r in report.results}["decoding.greedy.log_likelihood"]
    assert (result.verdict, result.reason, result.points) == (compare.MISSING, "no answer", 0)
    with pytest.raises(Unparseable, match="^empty$"):
        parse(text)


@pytest.mark.parametrize("text, reason", HOSTILE)
def test_hostile_text_is_a_graded_unparseable(key, text, reason, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, _forbidden(name))
    monkeypatch.setattr(sp, "sympify", _forbidden("sympify"))
    monkeypatch.setattr(sp, "parse_expr", _forbidden("parse_expr"), raising=False)
    start = time.monotonic()
    report = grade(key, {"decoding": {"greedy": {"log_likelihood": text}}}, GradingPolicy(), "s.toml")
    result = {r.part.path: r for r in report.results}["decoding.greedy.log_likelihood"]
    assert (result.verdict, result.reason, result.points) == (UNPARSEABLE, reason, 0)
    assert time.monotonic() - start < 5
    assert os.listdir(tmp_path) == []  # no effect


@pytest.mark.parametrize("text, reason", [
    ("O((n + d + r + h)^64)", "expands to more than 5000 terms"),
    ("O(2^n)", "O-forms here are polynomials: no symbol in an exponent"),
    ("O(n^d)", "O-forms here are polynomials: no symbol in an exponent"),
    ("O(d^2 / n)", "O-forms here are polynomials: no division by a symbol"),
    ("O(n^(1/2))", "O-forms here are polynomials: exponents of symbols are whole numbers"),
    ("O(d^2 n^65)", "exponent 65 of a symbolic base exceeds 64"),
    ("O(x)", "unknown name 'x' (symbols here: d, h, n, r; functions: log, O)"),
    ("O(n 9**9**9)", "exponent 387420489 exceeds 1000 in magnitude"),
])
def test_hostile_o_forms(key, text, reason):
    report = grade(key, {"lora": {"ffn": {"lora": {"time_big_o": text}}}}, GradingPolicy(), "s.toml")
    result = {r.part.path: r for r in report.results}["lora.ffn.lora.time_big_o"]
    assert (result.verdict, result.reason) == (UNPARSEABLE, reason)


@pytest.mark.parametrize("value, reason", [
    (True, "expected a number or an expression as text, got not text"),
    ({"a": 1}, "expected a number or an expression as text, got a table"),
    ([1, 2], "expected a number or an expression as text, got an array"),
])
def test_wrong_types_are_unparseable(key, value, reason):
    report = grade(key, {"decoding": {"greedy": {"log_likelihood": value}}}, GradingPolicy(), "s.toml")
    result = {r.part.path: r for r in report.results}["decoding.greedy.log_likelihood"]
    assert (result.verdict, result.reason) == (UNPARSEABLE, reason)


def test_deeply_nested_arrays_are_unparseable(key):
    deep: list = [1]
    for _ in range(50):
        deep = [deep]
    report = grade(key, {"normalization": {"batch": {"mean": deep}}}, GradingPolicy(), "s.toml")
    assert (report.results[0].verdict, report.results[0].reason) == (UNPARSEABLE, "arrays nested deeper than 8")


HEAVY = "(" + "*".join(["3^1000"] * 6) + ")/(" + "*".join(["2^1000"] * 6) + ")"  # big exact values, one entry


def _tensor_part(entries: int) -> GradedPart:
    return GradedPart("t", "1", Fraction(1), compare.TENSOR, [[["1"]] * entries], ("t",), shape=(1, entries, 1))


def test_a_tensor_of_heavy_entries_stops_at_the_same_entry_on_every_run():
    """4,096 entries of big exact products: the part's counted budget runs out, at an entry that
    depends on the work, not on the clock; the same verdict and reason on every run."""
    got = [[[HEAVY]] * 4096]
    first = compare.grade_part(_tensor_part(4096), got, Tolerance(1e-3, 1e-9))
    again = compare.grade_part(_tensor_part(4096), got, Tolerance(1e-3, 1e-9))
    assert (first.verdict, first.reason) == (again.verdict, again.reason)
    assert first.verdict == UNPARSEABLE and f"{budget.PART_BUDGET:,} units" in first.reason


def test_the_budget_is_per_part_and_plain_tensors_fit(key):
    got = [[["0.5"]] * 4096]
    result = compare.grade_part(_tensor_part(4096), got, Tolerance(1e-3, 1e-9))
    assert result.verdict in ("wrong", "partial") and "units" not in result.reason  # graded, not stopped
    report = grade(key, {"normalization": {"batch": {"mean": [[[HEAVY]] * 3]}},
                         "decoding": {"greedy": {"log_likelihood": "-12/5"}}}, GradingPolicy(), "s.toml")
    assert all("units" not in r.reason for r in report.results)  # a small part of heavy entries fits


def test_a_budget_planted_smaller_stops_a_part_it_let_through(key, monkeypatch):
    part = _tensor_part(3)
    assert "units" not in compare.grade_part(part, [[[HEAVY]] * 3], Tolerance(1e-3, 1e-9)).reason
    monkeypatch.setattr(budget, "PART_BUDGET", 50)
    stopped = compare.grade_part(part, [[[HEAVY]] * 3], Tolerance(1e-3, 1e-9))
    assert stopped.verdict == UNPARSEABLE and "50 units" in stopped.reason


def _forbidden(name: str):
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{name} called on submission text")

    return refuse


def test_o_reduction_unit():
    n, d, r, h = sp.symbols("n d r h", integer=True, positive=True)
    reduced = evaluate.o_reduction(parse("O(n d^2 + d^2 + n d r)", frozenset("ndrh")), (n, d, r, h), ((r, d),))
    assert reduced == d**2 * n
    with pytest.raises(Unparseable, match="^expands to more than 5000 terms$"):
        evaluate.o_reduction(parse("(n+d+r+h)^20", frozenset("ndrh")), (n, d, r, h), ())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet="0123456789.eE+-*/^() nNdTBrhlogO_x", max_size=40))
def test_any_text_is_a_verdict(key, text):
    """Every part kind turns arbitrary text into a verdict: nothing escapes as an exception."""
    sub = {"decoding": {"num_sequences": text, "complexity": {"time": text}, "greedy": {"log_likelihood": text}},
           "lora": {"mha": {"qlora": {"time_big_o": text}}}, "normalization": {"batch": {"mean": [text, text]}}}
    report = grade(key, sub, GradingPolicy(), "s.toml")
    assert all(r.verdict in (CORRECT, "partial", "wrong", UNPARSEABLE, "missing") for r in report.results)
