"""derive.solve: configs as a path, TOML text or a dict; exact numbers; notebook display."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import derive
from derive import api
from derive.answer import Check
from derive.errors import CheckFailed, ConfigError
from derive.questions.registry import QUESTIONS

SMALL = "[normalization]\ntensor = [[[0.1, 0.2], [1, 3]]]\n[lora]\nd = 1024\nr = 4\n"


@pytest.fixture(scope="module")
def small() -> api.Solution:
    return derive.solve({"normalization": {"tensor": [[[0.1, 0.2], [1, 3]]]}, "lora": {"d": 1024, "r": 4}})


def test_a_dict_a_toml_string_and_a_path_are_the_same_config(small, tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    assert api.load(path) == api.load(str(path)) == api.load(SMALL) == small.solved.config
    assert api.load(path) != api.load({})
    assert small.answers["lora"]["ffn"]["lora"]["space"] == "2*d*r"


def test_floats_are_read_from_their_decimal_text(small):
    # (0.1 + 0.2) / 2 is 3/20 exactly; binary floats would give 0.15000000000000002
    assert small.answers["normalization"]["instance"]["mean"] == [[["3/20"], ["2"]]]


@pytest.mark.parametrize(("value", "expected"), [
    (0.1, Decimal("0.1")),
    (1e-7, Decimal("1E-7")),
    (np.float64(2.5), Decimal("2.5")),
    (np.int64(3), 3),
    (True, True),
    ((1, 2.25), [1, Decimal("2.25")]),
    (np.array([[0.5]]), [[Decimal("0.5")]]),
    ({"a": [0.3]}, {"a": [Decimal("0.3")]}),
    ("tanh", "tanh"),
])
def test_exact_conversion_table(value, expected):
    got = api.exact(value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(("config", "message"), [
    ({"lora": {"d": 1024.5}}, r"^lora.d: must be an integer"),
    ({"normalization": {"tensor": [[[float("nan")]]]}}, r"^normalization.tensor\[0\]\[0\]\[0\]: must be a finite"),
    ({"birnn": {"seed": Fraction(1, 3)}}, r"^birnn.seed: must be an integer, got a Fraction"),
    ({"lora": {"rank": 4}}, r"^lora.rank: unknown key"),
    ("[lora]\nd = 0\n", r"^lora.d: must be between 1"),
    ("no-such-file.toml", r"^no-such-file.toml: no such config file"),
    (42, r"^config: must be a path, TOML text or a dict, got a int$"),
])
def test_bad_input_raises_a_config_error_naming_the_key(config, message):
    with pytest.raises(ConfigError, match=message):
        derive.solve(config)


def test_a_failed_check_raises_instead_of_returning_unchecked_answers(monkeypatch):
    wrong = Check("4.1", "planted", "a check that fails", 1.0, 0.0)
    monkeypatch.setattr(QUESTIONS["lora"], "plan", lambda answer, config, published=None: [wrong])
    with pytest.raises(CheckFailed, match=r"^check failed: question 4.1, planted"):
        derive.solve({})


def test_str_is_the_answers_file_and_the_checks_are_listed(small):
    data = json.loads(str(small))
    assert data == dict(small.answers) and data["checks"] == [c.as_json() for c in small.solved.checks]
    assert len(small.checks) == len(small.solved.checks) + len(small.solved.skipped)
    assert repr(small).startswith(f"<derive.Solution: {len(small.solved.checks)} checks passed")


def test_derivations_display_as_aligned_latex_and_html(small):
    batch = small.derivation("normalization.batch")
    latex = batch._repr_latex_()
    assert latex.startswith(r"$$\begin{aligned}") and latex.endswith(r"\end{aligned}$$")
    assert r"\mu_{c=1} &= \frac{1}{2}\left(\frac{1}{10} + \frac{1}{5}\right)" in latex  # exact 0.1 and 0.2
    assert r"&= \frac{3}{20}" in latex
    assert "<table>" in batch._repr_html_() and "Question 1, batch normalization" in batch._repr_html_()
    with pytest.raises(KeyError, match="no derivation 'lora'; there are: normalization.batch"):
        small.derivation("lora")


def test_html_escapes_every_text(small):
    answers = api.Answers({"decoding": {"words": ["<script>&"]}})
    assert "<script>" not in answers._repr_html_() and "&lt;script&gt;&amp;" in answers._repr_html_()
    checks = api.Checks([Check("1", "<b>", "a & b", 0.0, 0.0)])
    assert "&lt;b&gt;" in checks._repr_html_() and "a &amp; b" in checks._repr_html_()
    assert "<td>pass</td>" in small.checks._repr_html_()
