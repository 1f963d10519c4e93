"""The [variants] table's validation, and each required property caught when it fails."""

from __future__ import annotations

import json

import pytest

from derive import config
from derive.errors import ConfigError
from derive.questions import sections
from derive.questions.decoding import answer as decodinga
from derive.questions.normalization import answer as normalizationa
from derive.variants import proved
from derive.variants_spec import requirements


@pytest.mark.parametrize(("text", "message"), [
    ("[variants]\nfoo = 1\n", "variants.foo: unknown key (allowed: "
     f"{', '.join(sorted([*sections.keys(), 'max_draws', 'require', 'vary']))})"),
    ("[variants.decoding]\ndepth = []\n", "variants.decoding.depth: must be a non-empty array, got an empty one"),
    ("[variants.decoding]\nbranching = [3, 2]\n",
     "variants.decoding.branching: must be a range [low, high] with low <= high, got [3, 2]"),
    ("[variants.decoding]\ndepth = [4]\nbranching = [2, 3]\n",
     "variants.decoding.branching: with depth 4 allows trees of 81 paths; the tree figure draws at most 27"),
    ('[variants.decoding]\nwords = ["a", "b", "a"]\n', "variants.decoding.words: lists a word twice"),
    ('[variants.decoding]\nwords = ["a b"]\n', "variants.decoding.words[0]: must not contain white space"),
    ("[variants.lora]\nd = [8]\nr = [8, 16]\n",
     "variants.lora.r: needs a rank below every d (r < d), but min(r) = 8 >= min(d) = 8"),
    ("[variants.normalization]\nshapes = [[64, 8, 9]]\n",
     "variants.normalization.shapes[0]: must be [N, C, L] with at most 4096 entries, got [64, 8, 9]"),
    ('[variants.birnn]\nactivation = ["relu"]\n',
     'variants.birnn.activation[0]: must be one of "tanh", "sigmoid", got "relu"'),
    ('[variants]\nrequire = ["pretty"]\n', "variants.require[0]: must be one of "
     f"{', '.join(map(json.dumps, requirements()))}, got \"pretty\""),
    ('[variants]\nvary = ["lora", "lora"]\n', "variants.vary: lists a name twice"),
    ("[variants.decoding]\nmargin = 0.005\n", "variants.decoding.margin: must be between 0.01 (two scores rounded "
     "to two decimals can swap when closer) and 10, got 0.005"),
    ("[variants.decoding]\nmargin = 11\n", "variants.decoding.margin: must be between 0.01 (two scores rounded "
     "to two decimals can swap when closer) and 10, got 11"),
    ('[variants.decoding]\nmargin = "0.05"\n', "variants.decoding.margin: must be a number, got a string"),
    ("[variants]\nmax_draws = 0\n", "variants.max_draws: must be between 1 and 100000, got 0"),
    ("[variants.normalization]\nentries = [3, 3]\n", 'variants.require: "nonzero_variance" can never hold: '
     "variants.normalization.entries = [3, 3] makes every variance 0"),
    ("[variants.decoding]\nbeam_width = [1]\n", 'variants.require: "greedy_not_best_beam" can never hold: '
     "with beam width 1, beam search is greedy decoding"),
    ("[variants.decoding]\ndepth = [1]\n", 'variants.require: "greedy_not_best_beam" can never hold: '
     "with depth 1, greedy decoding and beam search both find the optimum"),
])
def test_bad_variants_table_names_the_key(load_text, text, message):
    with pytest.raises(ConfigError) as caught:
        load_text(text)
    assert str(caught.value) == message


def test_the_cli_refuses_a_bad_variants_table_in_one_line(tmp_path, write_config, run):
    path = write_config("[variants.decoding]\nbeam_width = [1]\n")
    code, _, err = run("variants", "--count", "1", "--config", str(path), "--out", str(tmp_path / "v"))
    assert code == 2
    assert err == ('derive: variants.require: "greedy_not_best_beam" can never hold: '
                   "with beam width 1, beam search is greedy decoding\n")


SPEC = config.load(None).variants
TREES = {  # (tree, beam width) -> the decoding properties that hold
    "default": ("", {"greedy_not_optimal": True, "greedy_not_best_beam": True, "beam_misses_optimum": False,
                     "no_ties": True, "unambiguous": True}),
    # greedy: "a x" -3.7; beam (B = 2) drops "c" at step 1, ends with "b y" -3; the optimum is "c z" -2.5
    "beam misses": ('beam_width = 2\n[decoding.tree]\n"a" = -0.7\n"b" = -1\n"c" = -2.5\n"a x" = -3\n"b y" = -2\n'
                    '"c z" = 0\n', {"greedy_not_optimal": True, "greedy_not_best_beam": True,
                                    "beam_misses_optimum": True, "no_ties": True, "unambiguous": True}),
    # greedy "a x" -1.2 is the optimum and the best beam; "b y" and "b z" tie at -3
    "greedy is optimal, ties": ('beam_width = 2\n[decoding.tree]\n"a" = -0.2\n"b" = -2\n"a x" = -1\n"b y" = -1\n'
                                '"b z" = -1\n', {"greedy_not_optimal": False, "greedy_not_best_beam": False,
                                                  "beam_misses_optimum": False, "no_ties": False,
                                                  "unambiguous": False}),
}


@pytest.mark.parametrize("name", TREES)
def test_decoding_properties_hold_exactly_when_they_should(load_text, name):
    text, expected = TREES[name]
    cfg = load_text(f"[decoding]\n{text}") if text else config.load(None)
    assert proved(cfg, "decoding", list(expected), SPEC) == expected
    decodinga.derive(cfg)  # the same answer the build shows


@pytest.mark.parametrize(("tensor", "expected"), [
    ("[[[1, 2], [3, 5]], [[2, 2], [4, 6]]]", {"nonzero_variance": False, "small_denominators": True}),
    ("[[[1, 2], [3, 5]], [[2, 3], [4, 6]]]", {"nonzero_variance": True, "small_denominators": True}),
    ("[[[1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]", {"nonzero_variance": True, "small_denominators": False}),
])
def test_normalization_properties_hold_exactly_when_they_should(load_text, tensor, expected):
    cfg = load_text(f"[normalization]\ntensor = {tensor}\n")
    assert proved(cfg, "normalization", list(expected), SPEC) == expected
    normalizationa.derive(cfg)


def test_the_config_schema_describes_the_variants_table():
    jsonschema = pytest.importorskip("jsonschema", reason="the test extra installs jsonschema (make test does)")
    from derive.schema_gen import config_schema
    from derive.variants_spec import defaults

    schema = config_schema()  # the checked-in file, when no question is registered from outside (test_schema_generated)
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors({"variants": defaults()})) == []
    for bad in ({"variants": {"foo": 1}}, {"variants": {"decoding": {"branching": [2]}}},
                {"variants": {"require": ["pretty"]}}, {"variants": {"birnn": {"activation": ["relu"]}}}):
        assert list(validator.iter_errors(bad)), bad
