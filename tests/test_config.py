"""Config: defaults, exact decimals, and one-line errors naming the key."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from derive import config
from derive.errors import ConfigError
from derive.questions.registry import QUESTIONS


def test_default_is_the_assignment():
    c = config.load(None)
    assert c.normalization.shape == (4, 2, 3)
    assert c.normalization.tensor[0][0] == (2, 5, 1)
    assert (c.decoding.beam_width, c.decoding.steps, c.decoding.vocabulary_size) == (2, 3, 50257)
    assert (c.birnn.activation, c.birnn.hidden_size, c.birnn.steps) == ("tanh", 3, 3)
    assert (c.lora.d, c.lora.r, c.lora.n, c.lora.heads, c.lora.bits) == (4096, 8, 2048, 32, 4)


def test_decimals_are_exact(load_text):
    c = load_text("[normalization]\ntensor = [[[0.1, 0.2], [1e-1, -2.5]]]\n")
    assert c.normalization.tensor[0][0] == (sp.Rational(1, 10), sp.Rational(1, 5))
    assert c.normalization.tensor[0][1] == (sp.Rational(1, 10), sp.Rational(-5, 2))


def test_missing_tables_take_defaults(load_text):
    c = load_text("[lora]\nd = 64\nr = 4\n")
    assert (c.lora.d, c.lora.r, c.lora.n) == (64, 4, 2048)
    assert c.normalization == config.load(None).normalization


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[normalisation]\n", r"^normalisation: unknown key \(allowed: .*\)$"),
        ("[lora]\ndd = 3\n", r"^lora\.dd: unknown key \(allowed: bits, d, heads, n, r\)$"),
        ("[normalization]\ntensor = []\n", r"^normalization\.tensor: must be a non-empty 3-D array"),
        ("[normalization]\ntensor = [[[1, 2], [3]]]\n", r"^normalization\.tensor: sample 0 is ragged"),
        ("[normalization]\ntensor = [[[1, 2]], [[1, 2], [3, 4]]]\n",
         r"^normalization\.tensor: sample 1 has shape \(2, 2\), sample 0 has \(1, 2\): not rectangular$"),
        ("[normalization]\ntensor = [[[1, \"a\"]]]\n",
         r"^normalization\.tensor\[0\]\[0\]\[1\]: must be a number, got a string$"),
        ("[normalization]\ntensor = [[[1, true]]]\n",
         r"^normalization\.tensor\[0\]\[0\]\[1\]: must be a number, got a boolean$"),
        ("[normalization]\ntensor = [[[1, nan]]]\n",
         r"^normalization\.tensor\[0\]\[0\]\[1\]: must be a finite number, got NaN$"),
        ("[normalization]\ntensor = [1, 2]\n", r"^normalization\.tensor: sample 0 must be a non-empty array"),
        ("[lora]\nr = 4096\n", r"^lora\.r: must be below d = 4096 \(a low rank\), got 4096$"),
        ("[lora]\nbits = 1\n", r"^lora\.bits: must be between 2 and 16, got 1$"),
        ("[lora]\nd = 2.5\n", r"^lora\.d: must be an integer, got a number$"),
        ("normalization = 3\n", r"^normalization: must be a table, got a number$"),
        ("[birnn]\nactivation = \"relu\"\n", r'^birnn\.activation: must be one of "tanh", "sigmoid", got "relu"$'),
        ("x = [\n", r"^.*config\.toml: not valid TOML: "),
    ],
)
def test_bad_input_names_the_key(load_text, text, message):
    with pytest.raises(ConfigError, match=message):
        load_text(text)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: no such config file$"):
        config.load(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r": is a directory, not a config file$"):
        config.load(tmp_path)


def test_non_utf8(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_bytes(b"[lora]\nd = 4\n# \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: not UTF-8 \(byte 15\)$"):
        config.load(path)


def test_a_byte_order_mark_is_allowed(write_config):
    path = write_config("\ufeff[lora]\nd = 64\nr = 4\n")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert config.load(path).lora.d == 64


def test_an_endless_file_is_refused_after_the_size_limit():
    with pytest.raises(ConfigError, match=r"^/dev/zero: is larger than 64 MiB$"):
        config.load(config.Path("/dev/zero"))


@pytest.mark.parametrize(("number", "expected"), [
    ("1e-100", sp.Rational(1, 10**100)),                   # the smallest magnitude allowed
    ("0.5" + "0" * 200, sp.Rational(1, 2)),                 # trailing zeros are not digits that count
    ("1e15", sp.Integer(10**15)),
])
def test_numbers_at_the_limits(load_text, number, expected):
    assert load_text(f"[normalization]\ntensor = [[[{number}]]]\n").normalization.tensor[0][0][0] == expected


@pytest.mark.parametrize("key", config.question_sections.keys())
def test_with_table_reads_what_from_dict_reads(key: str) -> None:
    """A variant's draw reads only the table it changed (config.with_table): the config is the
    one from_dict builds from all the tables, and a bad table is refused naming its key."""
    defaults = config.parse_toml(config.default_text(), "default.toml")
    base = config.from_dict(defaults, defaults)
    for seed in range(3):
        table = QUESTIONS[key].randomize(random.Random(seed), base.variants)
        assert repr(config.with_table(base, key, table, defaults)) == repr(
            config.from_dict({**defaults, key: table}, defaults))
    with pytest.raises(ConfigError, match=f"^{key}.nonsense"):
        config.with_table(base, key, {**defaults[key], "nonsense": 1}, defaults)
