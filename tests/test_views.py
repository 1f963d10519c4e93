"""Every registered question's views, by one rule (tests/view_support.py): a new question is tested
here without a line of its own.

For each question and a few configs (the default, the golden variants, and configs at the
layout limits that stress every question): the view (`{"v": ...}`, with and without PyTorch)
and the prompt (`{"d": ...}`) hold only plain, finished data; the solutions template renders
from the heading and the view alone, and the sheet's from the heading and the prompt alone
(the renderer's StrictUndefined fails a template that reads anything else). The rule itself is
tested to refuse floats, lists, answer objects and leaves that are not what their field declares.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import typing
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pytest
import sympy as sp

from derive import config
from derive.answer import Tex
from derive.latex.render import environment, render
from derive.questions.registry import QUESTIONS
from derive.sheet import question_prompt
from tests.view_support import CONTAINERS, assert_plain

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import layout_configs  # noqa: E402


def _stressed() -> str:
    """One config at the layout limits of every question: huge entries, a crowded BiRNN figure,
    a wide tree whose step tables and beams are elided, the largest LoRA numbers."""
    layout = layout_configs.configs()
    return "".join(layout[name] for name in ("tensor_1x11x1_huge", "birnn_tanh_16x12", "tree_wide_60", "lora_max"))


CONFIGS = {
    "default": lambda: config.load(None),
    "sigmoid": lambda: config.load(ROOT / "tests/golden/sigmoid/config.toml"),
    "small": lambda: config.load(ROOT / "tests/golden/small/config.toml"),
    "stressed": lambda: config.loads(_stressed(), "stressed.toml"),
    "unicode": lambda: config.loads(layout_configs.configs()["tree_unicode"], "unicode.toml"),
}


@functools.cache
def loaded(name: str) -> config.Config:
    return CONFIGS[name]()


@functools.cache
def derived(key: str, name: str) -> Any:
    return QUESTIONS[key].derive(loaded(name))


keys = pytest.mark.parametrize("key", QUESTIONS.keys())
configs = pytest.mark.parametrize("name", CONFIGS)
pytorch = pytest.mark.parametrize("pytorch", [True, False], ids=["pytorch", "no-pytorch"])


# --- Plain data, for every question --------------------------------------------------------------

@keys
@configs
@pytorch
def test_the_view_is_a_frozen_view_dataclass_of_plain_data(key: str, name: str, pytorch: bool) -> None:
    view = QUESTIONS[key].view(derived(key, name), pytorch)  # the template's `v`
    assert dataclasses.is_dataclass(view) and type(view).__dataclass_params__.frozen
    assert type(view).__name__.endswith("View")
    assert_plain(view, "v")


@keys
@configs
def test_the_prompt_is_a_frozen_prompt_dataclass_of_plain_data(key: str, name: str) -> None:
    prompt = QUESTIONS[key].prompt(loaded(name))  # the sheet template's `d`
    assert dataclasses.is_dataclass(prompt) and type(prompt).__dataclass_params__.frozen
    assert type(prompt).__name__.endswith("Prompt")
    assert_plain(prompt, "d")


# --- The templates need nothing else -------------------------------------------------------------

@keys
@configs
@pytorch
def test_the_solutions_render_from_the_heading_and_the_view_alone(key: str, name: str, pytorch: bool) -> None:
    q = QUESTIONS[key]
    text = render(f"{key}/solutions.tex.j2", heading=q.heading(), v=q.view(derived(key, name), pytorch))
    assert q.heading().title in text


@keys
@configs
def test_the_sheet_renders_from_the_heading_and_the_prompt_alone(key: str, name: str) -> None:
    """derive/sheet.py's `question_prompt` renders it with the heading and the prompt's keys, and
    the prompt is `d` alone (test_the_prompt_is_d_and_holds_only_plain_data)."""
    q = QUESTIONS[key]
    assert q.heading().title in question_prompt(q, loaded(name))


@keys
def test_a_template_without_its_data_does_not_render(key: str) -> None:
    """The renderer is strict: withholding the view (or the prompt) fails, so rendering with the
    heading and the view alone proves the template reads nothing else."""
    q = QUESTIONS[key]
    with pytest.raises(jinja2.UndefinedError):
        render(f"{key}/solutions.tex.j2", heading=q.heading())
    with pytest.raises(jinja2.UndefinedError):
        render(f"{key}/sheet.tex.j2", heading=q.heading())


def test_a_template_reading_anything_else_does_not_render() -> None:
    q = QUESTIONS["lora"]
    view = q.view(derived("lora", "default"), True)
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string(r"\VAR{answer.choice}").render(heading=q.heading(), v=view)
    with pytest.raises(TypeError, match="StrictUndefined"):  # printed: `finalize` refuses it first
        environment().from_string(r"\VAR{v.no_such_field}").render(heading=q.heading(), v=view)


# --- The rule refuses what is not plain ----------------------------------------------------------

@dataclasses.dataclass
class Mutable:
    text: Tex


class Pair(typing.NamedTuple):  # a tuple, but an answer's record (BiRNN's graph nodes are NamedTuples)
    first: Tex
    second: Tex


NOT_PLAIN = {
    "float": lambda answer: 3.0,
    "list": lambda answer: [Tex("a"), Tex("b")],
    "dict": lambda answer: {"a": Tex("a")},
    "set": lambda answer: frozenset({1}),
    "array": lambda answer: np.zeros(2),
    "mutable matrix": lambda answer: sp.Matrix([[1]]),
    "callable": lambda answer: len,
    "a SymPy function class": lambda answer: sp.Function("f"),
    "answer object": lambda answer: answer,
    "non-frozen dataclass": lambda answer: Mutable(Tex("x")),
    "in a tuple": lambda answer: (Tex("x"), 3.0),
    "named tuple": lambda answer: Pair(Tex("a"), Tex("b")),
}


@keys
@pytest.mark.parametrize("wrong", NOT_PLAIN)
def test_the_rule_refuses_a_view_holding_what_is_not_plain(key: str, wrong: str) -> None:
    answer = derived(key, "default")
    view = QUESTIONS[key].view(answer, True)
    first = dataclasses.fields(view)[0].name
    with pytest.raises(AssertionError):
        assert_plain(dataclasses.replace(view, **{first: NOT_PLAIN[wrong](answer)}))


def _replace_first(value: Any, declared: type, make: Any) -> tuple[Any, bool]:
    """`value` with its first leaf in a field declared `declared` (and holding one) replaced by
    `make(leaf)`, searched depth first through the view's dataclasses and tuples."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        hints = {} if type(value) in CONTAINERS else typing.get_type_hints(type(value))
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if hints.get(field.name) is declared and type(item) is declared:
                return dataclasses.replace(value, **{field.name: make(item)}), True
            new, done = _replace_first(item, declared, make)
            if done:
                return dataclasses.replace(value, **{field.name: new}), True
    elif type(value) is tuple:
        for i, item in enumerate(value):
            new, done = _replace_first(item, declared, make)
            if done:
                return (*value[:i], new, *value[i + 1:]), True
    return value, False


MISDECLARED = {"Tex field holding a str": (Tex, str), "str field holding Tex": (str, Tex),
               "int field holding a bool": (int, lambda n: bool(n)), "bool field holding an int": (bool, int)}


@keys
def test_the_rule_refuses_a_leaf_that_is_not_what_its_field_declares(key: str) -> None:
    """Each kind of swap the question's views have a field for (every view has a Tex field; not
    every one has an int, a plain str or a bool) is refused."""
    q = QUESTIONS[key]
    views = (q.view(derived(key, "default"), True), q.prompt(loaded("default")))
    tried = []
    for wrong, (declared, make) in MISDECLARED.items():
        replaced = [new for new, done in (_replace_first(view, declared, make) for view in views) if done]
        if replaced:
            tried.append(wrong)
            with pytest.raises(AssertionError, match="declared"):
                assert_plain(replaced[0])
    assert "Tex field holding a str" in tried, tried
