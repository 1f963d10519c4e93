"""The JSON Schemas shipped in derive/schemas/ describe what derive really reads and writes:
real configs and real answers.json files validate; planted errors are rejected."""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from derive import api
from derive.build import answers_json
from derive.build import solve as solve_config
from derive.errors import ConfigError
from derive.resources import default_text

jsonschema = pytest.importorskip("jsonschema", reason="the test extra installs jsonschema (make test does)")

CORPUS = Path(__file__).parent / "bad_configs"
STRESS = Path(__file__).resolve().parent.parent / "scripts" / "stress.py"
NOT_TOML = {"broken_toml.toml", "duplicate_key.toml", "non_utf8.toml", "integer_5001_digits.toml",
            "nested_500_deep.toml"}
# What the loader rejects and a JSON Schema cannot say: shapes that depend on other keys, tree
# structure and sums, NaN (JSON has no such number), 2.0 (JSON Schema counts it an integer),
# an empty file (the schema sees an empty table: every default), digits past the 100th after the
# decimal point (JSON numbers are read as floats).
SCHEMA_CANNOT_SAY = {
    "tensor_digits_tiny.toml", "tree_logp_tiny.toml", "tree_logp_below_range_exponent.toml",
    "birnn_instance_h0_size.toml", "birnn_instance_not_square.toml", "birnn_instance_x_rows.toml",
    "lora_r_not_below_d.toml", "steps_too_deep.toml", "tensor_not_rectangular.toml", "tensor_ragged.toml",
    "tensor_too_large.toml", "tensor_nan.toml", "tree_logp_nan.toml", "tree_no_child.toml",
    "tree_prefix_missing.toml", "tree_sum_above_one.toml", "vocabulary_too_small.toml",
    "beam_width_float.toml", "empty_file.toml", "whitespace_only.toml", "grading_unknown_part.toml",
    # the fonts' character table (derive/charset.py) is the loader's, not the schema's
    "document_title_unsupported_char.toml", "tree_word_control_char.toml", "document_student_name_emoji.toml",
}


@functools.cache
def validator(name: str) -> Any:
    text = resources.files("derive").joinpath("schemas", f"{name}.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def stress_module() -> Any:
    spec = importlib.util.spec_from_file_location("stress", STRESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def errors(name: str, instance: Any) -> list[str]:
    return [e.message for e in validator(name).iter_errors(instance)]


def test_the_starter_config_and_generated_variants_validate():
    assert errors("config", tomllib.loads(default_text())) == []
    stress = stress_module()
    for seed in range(25):
        assert errors("config", tomllib.loads(stress.to_toml(stress.variant(seed)))) == [], seed


@pytest.mark.parametrize("path", sorted(p for p in CORPUS.glob("*.toml") if p.name not in NOT_TOML),
                         ids=lambda p: p.name)
def test_the_schema_rejects_the_bad_configs_it_can_describe(path):
    """Each malformed config is rejected by the schema, or listed as beyond what it can say."""
    rejected = errors("config", tomllib.loads(path.read_text(encoding="utf-8"))) != []
    assert rejected == (path.name not in SCHEMA_CANNOT_SAY)


def test_real_answers_files_validate(run, tmp_path):
    code, _, _ = run("build", "--no-pdf", "--out", str(tmp_path))
    assert code == 0
    assert errors("answers", json.loads((tmp_path / "answers.json").read_text(encoding="utf-8"))) == []
    stress = stress_module()
    variant = solve_config(api.load(stress.variant(6)))  # sigmoid, an explicit instance, a depth-3 tree
    assert errors("answers", json.loads(answers_json(variant))) == []


@pytest.fixture(scope="module")
def default_answers() -> dict[str, Any]:
    return json.loads(answers_json(solve_config(api.load({}))))


@pytest.mark.parametrize(("plant", "message"), [
    (lambda a: a["normalization"]["batch"].update(mean=[[[2.5833]]]), "is not of type 'string'"),
    (lambda a: a["normalization"]["layer"].update(variance=[[["0.5"]]]), "does not match"),
    (lambda a: a["decoding"].update(beam=[]), "should be non-empty"),
    (lambda a: a["decoding"]["complexity"].update(time="B*N*T"), "does not match"),
    (lambda a: a["lora"]["choice"]["both"].update(mha="DoRA"), "is not one of"),
    (lambda a: a["checks"][0].update(passed="yes"), "is not of type 'boolean'"),
    (lambda a: a["checks"][0].update(certifies="normalization"), "is not of type 'array'"),
    (lambda a: a.pop("skipped_checks"), "'skipped_checks' is a required property"),
])
def test_planted_errors_in_an_answers_file_are_rejected(default_answers, plant, message):
    answers = copy.deepcopy(default_answers)
    assert errors("answers", answers) == []
    plant(answers)
    assert any(message in e for e in errors("answers", answers))


def test_checks_may_name_the_answer_fields_they_certify(default_answers):
    answers = copy.deepcopy(default_answers)
    answers["checks"][0]["certifies"] = ["normalization.batch.mean"]
    assert errors("answers", answers) == []



@pytest.mark.parametrize(("table", "key", "low", "high"), [
    ("decoding", "beam_width", 1, 10**6), ("decoding", "vocabulary_size", 14, 10**12),
    ("birnn", "hidden_size", 1, 16), ("birnn", "steps", 1, 12), ("birnn", "seed", 0, 2**32 - 1),
    ("lora", "d", 9, 10**6), ("lora", "n", 1, 10**7), ("lora", "heads", 1, 4096), ("lora", "bits", 2, 16),
])
def test_the_schema_and_the_loader_agree_on_integer_ranges(table, key, low, high):
    """At each end of a range both accept; one step outside, both reject (the loader's lows
    above the schema's come from the default tree's words and r = 8 < d)."""
    for value, valid in ((low, True), (high, True), (high + 1, False)):
        raw = {table: {key: value}}
        assert (errors("config", raw) == []) is valid, value
        if valid:
            api.load(raw)
        else:
            with pytest.raises(ConfigError, match=rf"^{table}.{key}: must be between"):
                api.load(raw)
