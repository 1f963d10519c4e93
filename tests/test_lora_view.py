"""Question 4's views: its templates print only plain, finished data from the view and the heading,
and the names and constants its prose restates follow the code that defines them."""

from __future__ import annotations

import dataclasses
import re
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from jinja2 import meta, nodes

from derive import build, config
from derive.answer import Check, Tex
from derive.latex.render import environment, render
from derive.questions.lora import answer as q4a
from derive.questions.lora import checks as lora_checks
from derive.questions.lora import model as lora_model
from derive.questions.registry import QUESTIONS
from derive.verify import TorchJob, no_torch, run_torch_jobs, torch_module
from tests.view_support import assert_plain

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import layout_configs  # noqa: E402

LORA = QUESTIONS["lora"]
LEAVES = (Tex, str, int, bool)  # what a view may hold besides frozen dataclasses and tuples
# Template nodes that would compute, look up by key or compare in the template instead of the view.
COMPUTING = (nodes.Filter, nodes.Test, nodes.Getitem, nodes.Compare, nodes.BinExpr, nodes.UnaryExpr, nodes.Call,
             nodes.CondExpr, nodes.Const, nodes.List, nodes.Tuple, nodes.Dict, nodes.Macro, nodes.AssignBlock)
RENAMED = {"ffn": "Lffx", "mha": "Mhx", "lora": "Lorx", "qlora": "Qlorx"}


@pytest.fixture(scope="module")
def answer() -> q4a.LoraAnswer:
    """The default config's answer, rendered once: the costs' totals and O-forms are computed
    (and kept) before a test patches a constant the model reads."""
    derived = LORA.derive(config.load(None))
    build.question_source(LORA, derived, True)
    return derived


def section(answer: q4a.LoraAnswer) -> str:
    return build.question_source(LORA, answer, True)


def sheet_part(cfg: config.Config) -> str:
    return render("lora/sheet.tex.j2", heading=LORA.heading(), d=LORA.prompt(cfg))


@pytest.mark.parametrize("name", ["default", "lora_max"])
def test_the_view_and_the_prompt_hold_no_sympy_object_and_no_none(write_config, name):
    """Stricter than the rule every view follows (tests/test_views.py): Question 4 prints only
    finished LaTeX, text, counts and flags."""
    cfg = config.load(write_config(layout_configs.configs()[name]))
    leaves = assert_plain(LORA.view(LORA.derive(cfg), True), "v") + assert_plain(LORA.prompt(cfg), "d")
    assert [(path, type(leaf).__name__) for path, leaf in leaves if type(leaf) not in (Tex, str, int, bool)] == []


def template(name: str) -> nodes.Template:
    env = environment()
    return env.parse(env.loader.get_source(env, name)[0])  # type: ignore[union-attr]


def test_the_section_template_prints_only_the_view_and_the_heading():
    ast = template("lora/solutions.tex.j2")
    assert meta.find_undeclared_variables(ast) == {"v", "heading"}
    assert not list(ast.find_all(nodes.Assign))
    assert not [node for node in ast.find_all(COMPUTING)]


def test_the_sheet_template_prints_only_the_prompt_and_the_heading():
    ast = template("lora/sheet.tex.j2")
    assert meta.find_undeclared_variables(ast) == {"d", "heading"}
    assert not list(ast.find_all(nodes.Assign))
    assert not [node for node in ast.find_all(COMPUTING)]


def test_the_precision_is_fp32s(monkeypatch, answer):
    monkeypatch.setattr(lora_model, "FP32", 16)
    text = section(answer)
    assert "FP32" not in text and "$32 - m$" not in text
    for phrase in ("FP16 by default", "MiB in FP16", "MiB of FP16 adapters", "(one FP16 scale per matrix)",
                   "about $16 - m$ bits"):
        assert phrase in text, phrase
    assert "The default precision\nis FP16." in sheet_part(config.load(None))


def test_the_scales_per_matrix_are_the_models(monkeypatch, answer):
    monkeypatch.setattr(lora_model, "SCALES_PER_MATRIX", 2)
    text = section(answer)
    assert "(two scales per matrix)" in text and "(two FP32 scales per matrix)" in text
    assert "(one scale per matrix)" not in text


@pytest.mark.parametrize(("share", "words"), [(Fraction(1, 3), "a third"), (Fraction(3, 5), r"60\%")])
def test_the_rule_states_the_share_it_decides_by(monkeypatch, answer, share, words):
    monkeypatch.setattr(lora_model, "SAVING_SHARE", share)
    assert f"reach {words} of the possible memory saving" in section(answer)


def test_the_second_rank_is_the_figures(monkeypatch, answer):
    monkeypatch.setattr(lora_model, "RANK_MULTIPLE", 3)
    assert "at rank $3r$)" in section(answer)


def test_the_ordering_is_the_o_forms(monkeypatch, answer):
    monkeypatch.setattr(lora_model, "ORDER", [(lora_model.n, lora_model.d)])
    assert r"dominates when $n\le d$ and" in section(answer)


def test_the_frozen_weights_ratio_is_the_models(answer):
    key = ("mha", "lora")
    cost = dataclasses.replace(answer.costs[key], frozen_weights=8 * lora_model.h * lora_model.d**2)
    assert "holds $8h$ times" in section(dataclasses.replace(answer, costs={**answer.costs, key: cost}))


def _label(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])")  # LoRA, not the LoRA in QLoRA


def test_a_renamed_label_changes_everywhere_it_is_printed(monkeypatch, answer):
    cfg = config.load(None)
    before = {"section": section(answer), "sheet": sheet_part(cfg)}
    old = dict(lora_model.NAMES)
    for key, label in RENAMED.items():
        monkeypatch.setitem(lora_model.NAMES, key, label)
    after = {"section": section(answer), "sheet": sheet_part(cfg)}
    for part, text in after.items():
        for key, label in RENAMED.items():
            printed = len(_label(old[key]).findall(before[part]))
            assert printed and not _label(old[key]).search(text), (part, key)
            assert len(_label(label).findall(text)) == printed, (part, key)
    choice = q4a.as_json(answer)["choice"]
    assert choice["both"] == {"mha": "Qlorx", "lffn": "Lorx"}  # the labels change, answers.json's keys do not


def test_a_renamed_label_renames_the_checks(monkeypatch, answer):
    for key, label in RENAMED.items():
        monkeypatch.setitem(lora_model.NAMES, key, label)
    planned = lora_checks.plan(answer, config.load(None))
    names = {c.name for c in planned if isinstance(c, Check)}
    assert {"Lffx Lorx: multiply-adds", "Mhx Qlorx: frozen-weight bits", "Mhx Lorx: O-form of the time"} <= names
    assert not any(_label(old).search(name) for name in names for old in ("LFFN", "MHA", "LoRA", "QLoRA"))


@pytest.mark.skipif(torch_module() is None, reason=no_torch())
def test_a_renamed_label_renames_the_pytorch_checks(monkeypatch, answer):
    """The worker's checks are named from the labels its job carries."""
    for key, label in RENAMED.items():
        monkeypatch.setitem(lora_model.NAMES, key, label)
    (job,) = [p for p in lora_checks.plan(answer, config.load(None)) if isinstance(p, TorchJob)]
    assert {c.name for c in run_torch_jobs([job])} == {
        "Lffx: FLOPs = 2 x multiply-adds", "Lffx: trainable parameters = space",
        "Mhx: FLOPs = 2 x multiply-adds", "Mhx: trainable parameters = space"}
