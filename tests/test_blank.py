"""`submission.toml`: every graded field, blank, with its form; filled from the key it grades full."""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from typing import Any

import pytest

from derive import config, variants
from derive.executors import Serial
from derive.grading.blank import blank
from derive.grading.compare import CORRECT, MISSING
from derive.grading.key import parts
from derive.grading.submission import grade
from derive.grading_policy import GradingPolicy
from derive.tomlwrite import toml_value
from tests.grade_support import key_of


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The assignment's key, and a drawn variant's as `derive variants` writes it, with its blank file."""
    out = tmp_path_factory.mktemp("variants")
    variants.run(["v001"], 5, None, out, Serial(), pdf=False)
    return {"default": key_of(config.load(None)),
            "v001": json.loads((out / "v001" / "answers.json").read_text(encoding="utf-8")),
            "v001 blank": {"text": (out / "v001" / "submission.toml").read_text(encoding="utf-8")}}


def _value(value: Any) -> str:
    """A key's value as TOML: floats as their repr (TOML reads them back exactly)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return toml_value(value)


def fill(text: str, key: dict[str, Any], beam_order: list[int] | None = None) -> str:
    """The blank file with each `name = ""` line replaced by the key's value, as a student would
    type it: the table headers and comments stay; beams are filled in `beam_order` of the key's."""
    lines, table, beam = [], [], -1
    for line in text.splitlines():
        if line.startswith("[["):
            beam += 1
            table = [*line[2:line.index("]]")].split("."), (beam_order or list(range(99)))[beam]]
        elif line.startswith("["):
            table = line[1:line.index("]")].split(".")
        elif ' = ""' in line:
            name = line.split(" = ")[0]
            node: Any = key
            for step in [*table, name]:
                node = node[step]
            line = f"{name} = {_value(' '.join(node) if name == 'words' else node)}  # filled"
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", ["default", "v001"])
def test_the_blank_file_lists_every_graded_field_and_grades_as_missing(keys, name):
    key = keys[name]
    text = keys["v001 blank"]["text"] if name == "v001" else blank(key)
    assert text == blank(key)  # the variant folder's file is the key's blank file
    sub = tomllib.loads(text, parse_float=Decimal)
    report = grade(key, sub, GradingPolicy(), "submission.toml")
    assert {r.verdict for r in report.results} == {MISSING} and report.total == 0
    assert report.notes == () and report.ignored == ()
    lines = [line for line in text.splitlines() if ' = ""' in line]
    assert len(lines) == len({p.field for p in parts(key)})  # each field once
    assert all("  # " in line and line.split("  # ")[1] for line in lines)  # each with its form


@pytest.mark.parametrize("name", ["default", "v001"])
def test_the_blank_file_filled_from_the_key_grades_full_marks(keys, name):
    key = keys[name]
    width = len(key["decoding"]["beam"])
    for order in (list(range(width)), list(range(width))[::-1]):  # the beams as the key lists them, then reversed
        sub = tomllib.loads(fill(blank(key), key, order), parse_float=Decimal)
        report = grade(key, sub, GradingPolicy(), "submission.toml")
        assert [(r.part.path, r.reason) for r in report.results if r.verdict != CORRECT] == []
        assert report.total == report.maximum and report.ignored == ()


def test_forms_say_the_shape_symbols_and_length():
    text = blank(key_of(config.load(None)))
    for expected in (
        'mean = ""      # a 1 x 2 x 1 array of numbers (keepdims, or a list of 2 with the size-1 axes dropped)',
        'mean = ""      # a 4 x 2 x 1 array of numbers (keepdims, or 4 x 2 with the size-1 axes dropped)',
        'num_sequences = ""  # an exact expression in N and T, as text (not an O-form)',
        'time = ""   # an O-form in T, B and N, as text: "O(...)"',
        'words = ""           # the 3 words after <BOS>, as text separated by spaces',
        "[[decoding.beam]]  # beam 2; in any order",
        'grad_W_b = ""  # a 3 x 3 array of numbers, a list per row of the matrix',
        'mha = ""   # "LoRA" or "QLoRA"',
    ):
        assert expected in text.splitlines()
