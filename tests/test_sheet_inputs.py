"""Every input a graded answer depends on is on the question sheet: declared per sub-question
(`Part.inputs`), marked where the sheet prints it, and the BiRNN instance printed exactly."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal

import pytest

from derive import config, sheet, variants
from derive.errors import CheckFailed
from derive.grading.key import parts as graded_parts
from derive.questions.registry import QUESTIONS
from tests.test_variants import job

NUMBER = re.compile(r"-?\d+\.\d+|-?\d+")


def key_of(cfg: config.Config) -> dict:
    return {q.key: q.as_json(q.derive(cfg)) for q in QUESTIONS}


def variant_config(variant_id: str, write_config, base: str | None = None) -> tuple[config.Config, str]:
    text, _ = variants.draw(job(variant_id, base, write_config))
    return config.loads(text, "config.toml"), text


def assert_inputs_on_sheet(cfg: config.Config) -> str:
    """Each graded part's declared inputs are marked on the sheet with something printed; a
    sub-question the sheet calls not graded has no graded part in the key."""
    source = sheet.sheet_source(cfg)
    given = sheet.given_inputs(source)
    graded = graded_parts(key_of(cfg))
    inputs = {part: keys for q in QUESTIONS for part, keys in q.parts.inputs().items()}
    assert {p.question for p in graded} & sheet.not_graded(source) == set()
    for part in graded:
        for key in inputs[part.question]:
            assert given.get(key, "").strip(), f"{part.path} depends on {key}, which the sheet does not print"
    return source


def test_every_graded_sub_question_declares_its_inputs():
    declared = {part: keys for q in QUESTIONS for part, keys in q.parts.inputs().items()}
    assert declared["2.4(b)"] == ("decoding.tree", "decoding.steps", "decoding.beam_width")
    assert {f"birnn.instance.{k}" for k in ("W_f", "U_f", "V_f", "W_b", "U_b", "V_b", "x", "z", "h0_f",
                                             "h_end_b")} <= set(declared["3.3"])
    assert declared["1"] == ("normalization.tensor",)


def test_the_default_sheet_prints_every_graded_input():
    assert_inputs_on_sheet(config.load(None))


@pytest.mark.parametrize("variant_id", ["v001", "v002", "v003"])
def test_a_variant_sheet_prints_every_graded_input_and_the_drawn_instance_exactly(variant_id, write_config):
    cfg, text = variant_config(variant_id, write_config)
    source = assert_inputs_on_sheet(cfg)
    written = tomllib.loads(text, parse_float=Decimal)["birnn"]["instance"]
    given = sheet.given_inputs(source)
    for name, value in written.items():
        rows = value if isinstance(value[0], list) else [value]
        expected = [Decimal(str(v)) for row in rows for v in row]
        printed = [Decimal(n) for n in NUMBER.findall(given[f"birnn.instance.{name}"].split("=", 1)[1])]
        assert printed == expected, name  # the printed numbers are the instance, not a rounding of it
        assert all(len(n.split(".")[1]) == 2 for n in NUMBER.findall(given[f"birnn.instance.{name}"].split("=", 1)[1]))


def test_the_written_instance_is_the_one_the_seed_draws(write_config):
    """A variant's config.toml gives the instance itself; building it gives the seed's answers."""
    cfg, text = variant_config("v001", write_config)
    assert cfg.birnn.instance is not None
    without = re.sub(r"^\[birnn\.instance\]\n(?:[^\[\n].*\n)*", "", text, flags=re.MULTILINE)
    seeded = config.loads(without, "seeded.toml")
    assert seeded.birnn.instance is None and seeded.birnn.seed == cfg.birnn.seed
    birnn = QUESTIONS["birnn"]
    explicit, drawn = birnn.as_json(birnn.derive(cfg)), birnn.as_json(birnn.derive(seeded))
    assert explicit["instance"]["loss"] == drawn["instance"]["loss"]
    assert explicit["instance"]["grad_W_b"] == drawn["instance"]["grad_W_b"]


def test_removing_a_printed_input_fails_the_sheet(monkeypatch):
    cfg = config.load(None)
    source = sheet.sheet_source(cfg)
    for key in ("birnn.instance.h0_f", "decoding.tree", "normalization.tensor"):
        block = re.search(rf"^%<given {re.escape(key)}>\n.*?^%</given>\n", source, re.MULTILINE | re.DOTALL)
        assert block is not None
        assert sheet.missing_inputs(source.replace(block[0], "")) == [key]
    emptied = source.replace("%<given lora.d lora.r lora.heads lora.n lora.bits>\n", "%<given lora.d lora.r>\n")
    assert sheet.missing_inputs(emptied) == ["lora.n", "lora.heads", "lora.bits"]
    real = sheet.question_prompt

    def without_beam_width(q, c):
        return real(q, c).replace("%<given decoding.beam_width decoding.steps>", "%<given decoding.steps>")

    monkeypatch.setattr(sheet, "question_prompt", without_beam_width)
    with pytest.raises(CheckFailed, match="does not print decoding.beam_width"):
        sheet.sheet_source(cfg)


def test_an_instance_too_large_to_print_is_not_graded(load_text):
    cfg = load_text("[birnn]\nhidden_size = 9\nsteps = 2\n")
    source = assert_inputs_on_sheet(cfg)
    assert sheet.not_graded(source) == {"3.3"}
    assert "d = 9 is more than 8" in source and "birnn.instance.W_f" not in sheet.given_inputs(source)
    key = key_of(cfg)
    assert key["birnn"]["instance"]["on_sheet"] is False
    assert not [p for p in graded_parts(key) if p.question == "3.3"]
    small = key_of(load_text("[birnn]\nhidden_size = 8\nsteps = 2\n"))
    assert small["birnn"]["instance"]["on_sheet"] is True
    assert len([p for p in graded_parts(small) if p.question == "3.3"]) == 1 + 2 * 64


def test_a_config_instance_is_printed_with_all_its_decimals(load_text):
    rows = "[[0.125, 0], [1, -2.5]]"
    weights = "".join(f"{w} = {rows}\n" for w in ("W_f", "U_f", "V_f", "W_b", "U_b", "V_b"))
    cfg = load_text(f"[birnn]\nhidden_size = 2\nsteps = 1\n[birnn.instance]\n{weights}x = [[0.1, 0.2]]\n"
                    "z = [[0.333, 1]]\n")
    given = sheet.given_inputs(assert_inputs_on_sheet(cfg))
    assert "0.125 & 0.00 \\\\ 1.00 & -2.50" in given["birnn.instance.W_f"]
    assert "0.333 & 1.00" in given["birnn.instance.z"] and "0.00 & 0.00" in given["birnn.instance.h0_f"]
    long = load_text(f"[birnn]\nhidden_size = 2\nsteps = 1\n[birnn.instance]\n{weights}x = [[0.1, 0.2]]\n"
                     f"z = [[0.{'3' * 80}, 1]]\n")
    assert sheet.not_graded(sheet.sheet_source(long)) == {"3.3"}
