"""Question 4's checks read answers.json as published: errors planted in the parsed section
(not in the answer it was written from) fail the check that certifies the field."""

from __future__ import annotations

import copy

import pytest
import sympy as sp

from derive import build, certify, config, verify
from derive.published import at
from derive.questions.lora import checks as c4
from derive.questions.lora import model as lora_model
from derive.questions.registry import QUESTIONS
from derive.verify import no_torch, resolve, torch_module
from tests.check_support import failed_names

LORA = QUESTIONS["lora"]
n, d, r, h, m = lora_model.n, lora_model.d, lora_model.r, lora_model.h, lora_model.m


@pytest.fixture
def without_torch(monkeypatch):
    monkeypatch.setattr(verify, "torch_module", lambda: None)


def _failing(change, cfg=None):
    """The names of the failing checks when `change` edits the published section in place."""
    cfg = cfg or config.load(None)
    answer = LORA.derive(cfg)
    section = copy.deepcopy(LORA.section(answer))
    change(section)
    return failed_names(resolve(LORA.plan(answer, cfg, section)))


def _set(path, value):
    def change(section):
        parent, _, last = path.rpartition(".")
        (at(section, parent) if parent else section)[last] = value
    return change


def _formula(path, cfg=None):
    answer = LORA.derive(cfg or config.load(None))
    return sp.sympify(at(LORA.section(answer), path), locals={s.name: s for s in (n, d, r, h, m)})


def test_the_published_section_passes(without_torch):
    assert _failing(lambda section: None) == set()


# --- the time as a whole ----------------------------------------------------------------------------

@pytest.mark.parametrize(("mod", "meth", "summand", "label"), [
    ("ffn", "lora", n * d, "LFFN LoRA"),  # the addition of the two products
    ("mha", "qlora", 4 * h * d**2, "MHA QLoRA"),  # dequantizing W^Q, W^K, W^V per head and W^O
])
def test_a_time_that_drops_a_summand_fails_while_its_parts_pass(without_torch, mod, meth, summand, label):
    time = _formula(f"{mod}.{meth}.time")
    assert summand in sp.Add.make_args(time)  # a summand of the published time
    failed = _failing(_set(f"{mod}.{meth}.time", str(sp.expand(time - summand))))
    assert f"{label}: time (all operations)" in failed
    assert f"{label}: multiply-adds" not in failed and f"{label}: elementwise ops" not in failed


# --- formulas in m, at several bit widths -------------------------------------------------------------

@pytest.mark.parametrize("text", [None, "[lora]\nbits = 8\n"], ids=["m = 4", "m = 8"])
@pytest.mark.parametrize(("mod", "label"), [("ffn", "LFFN QLoRA"), ("mha", "MHA QLoRA")])
def test_frozen_bits_right_at_the_configs_m_only_are_caught(without_torch, monkeypatch, load_text, text, mod, label):
    cfg = load_text(text) if text else config.load(None)
    path = f"{mod}.qlora.frozen_weight_bits"
    at_own_m = str(_formula(path, cfg).subs(m, cfg.lora.bits))  # m replaced by the config's number
    assert label + ": frozen-weight bits" in _failing(_set(path, at_own_m), cfg)
    monkeypatch.setattr(c4, "BIT_WIDTHS", ())  # measured at the config's m alone, the plant escapes
    assert label + ": frozen-weight bits" not in _failing(_set(path, at_own_m), cfg)


def test_an_operation_count_that_varies_with_m_is_caught(without_torch):
    time = _formula("ffn.qlora.elementwise_ops")
    wrong = str(time + (m - 4) * d**2)  # right at the default m = 4
    assert "LFFN QLoRA: elementwise ops" in _failing(_set("ffn.qlora.elementwise_ops", wrong))


# --- the choice table, cell by cell -------------------------------------------------------------------

def _swap(first, second):
    def change(section):
        a, b = at(section, first), at(section, second)
        _set(first, b)(section)
        _set(second, a)(section)
    return change


@pytest.mark.parametrize(("first", "second"), [
    ("choice.both.mha", "choice.both.lffn"),  # the two columns of a row
    ("choice.memory_limit", "choice.faster_inference"),  # two rows
    ("choice.faster_inference.mha", "choice.memory_limit.lffn"),
])
def test_two_swapped_choice_cells_are_caught(without_torch, first, second):
    section = LORA.section(LORA.derive(config.load(None)))
    assert at(section, first) != at(section, second)
    assert "choice table" in _failing(_swap(first, second))


@pytest.mark.parametrize("label", ["lora", "QLoRA ", "LoRA/QLoRA"])
def test_a_choice_that_names_no_method_is_caught(without_torch, label):
    assert "choice table" in _failing(_set("choice.both.lffn", label))


# --- W^O's shape ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "caught"), [
    ("d x d", True),  # the assignment's typing
    ("d x d*h", True),  # transposed
    ("d*h x d + 1", True),
    ("d*h", True),  # one side
    ("h d x d", True),  # not an expression
    ("h*d x d", False),  # the same shape, written the other way round
    ("d*h x d", False),
])
def test_a_wrong_w_o_shape_is_caught(without_torch, text, caught):
    assert ("W_O shape" in _failing(_set("w_o_shape", text))) == caught


def test_the_published_w_o_shape_is_the_models():
    assert LORA.as_json(LORA.derive(config.load(None)))["w_o_shape"] == "d*h x d"


# --- fields that do not read ------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "text", "name"), [
    ("ffn.lora.time", "n d^2", "LFFN LoRA: time (all operations)"),
    ("mha.lora.space", "6*h*d*r*k", "MHA LoRA: trainable parameters"),  # a name not in the model
    ("mha.qlora.time_big_o", "d**2*h*n + d*h*n**2", "MHA QLoRA: O-form of the time"),  # no O(...)
    ("ffn.qlora.space_big_o", "O(d*r*m)", "LFFN QLoRA: O-form of the space"),  # m has no place in an O-form
])
def test_a_field_that_does_not_read_fails_its_check(without_torch, path, text, name):
    assert name in _failing(_set(path, text))


# --- the boxes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "text"), [
    ("mha.lora.time_big_o", "O(d*h*n**2)"),  # the box minus its dominant term: its LaTeX is inside the box
    ("ffn.qlora.space_big_o", "O(d*r + 1)"),
])
def test_a_published_o_form_the_box_does_not_show_fails_the_boxed_check(path, text):
    answer = LORA.derive(config.load(None))
    source = build.question_source(LORA, answer, True)
    section = LORA.section(answer)
    assert all(c.passed for c in certify.boxed_checks(LORA, {"lora": section}, source))
    _set(path, text)(section)
    checks = certify.boxed_checks(LORA, {"lora": section}, source)
    assert [c.name for c in checks if not c.passed] == ["boxed answers = answers.json"]


def test_every_boxed_o_form_is_one_field():
    boxes = LORA.boxed(LORA.section(LORA.derive(config.load(None))))
    assert len(boxes) == 8 and all(b.tex is not None and b.field.endswith("_big_o") for b in boxes)
    assert len({b.field for b in boxes}) == 8


# --- PyTorch reads the published values ---------------------------------------------------------------

def test_the_pytorch_job_carries_the_published_values():
    cfg = config.load(None)
    section = LORA.section(LORA.derive(cfg))
    _set("ffn.lora.space", "2*d*r + 1")(section)
    _set("mha.lora.multiply_adds", "n d^2")(section)
    expected = c4.torch_expected(section, cfg.lora.bits)
    (size, flops, params), *_ = expected["ffn"]
    assert params == 2 * size[1] * size[2] + 1
    assert all(flops is None for _, flops, _ in expected["mha"])


@pytest.mark.skipif(torch_module() is None, reason=no_torch())
@pytest.mark.parametrize(("path", "text", "name"), [
    ("ffn.lora.space", "2*d*r + 1", "LFFN: trainable parameters = space"),
    ("mha.lora.multiply_adds", "n d^2", "MHA: FLOPs = 2 x multiply-adds"),
])
def test_a_published_value_pytorch_disagrees_with_fails_its_check(path, text, name):
    assert name in _failing(_set(path, text))
