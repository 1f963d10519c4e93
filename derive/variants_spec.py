"""The config's `[variants]` table: what `derive variants` draws, and what each variant must satisfy.

Lists are choices drawn uniformly; `[low, high]` pairs are inclusive integer ranges. Every
draw stays within the config's own limits (config.py), so a generated config always loads.
A question left out of `vary` keeps the base config's values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from derive import values as v
from derive.config_keys import ACTIVATIONS, BIRNN, DECODING, LORA, TENSOR_MAX_ENTRIES, TENSOR_MAX_MAGNITUDE
from derive.declare import Choices, Int, Names, Number, Shaped, Table
from derive.errors import ConfigError
from derive.latex.treefig import MAX_LEAVES

QUESTION_KEYS = ("normalization", "decoding", "birnn", "lora")
MAX_DRAWS_LIMIT = 100_000
MAX_WORD_LENGTH = 40
MAX_DEPTH = MAX_BRANCHING = 10
# A student who rounds two scores to two decimals moves each by at most 0.005: only scores
# closer than 0.01 can change order. A margin below this would not protect the answer
# (`unambiguous`, derive/questions/decoding/margin.py).
MIN_MARGIN = Fraction(1, 100)
MAX_MARGIN = 10  # in log p: far beyond any rounding; a tree can still be drawn (log p >= -1000)
DEFAULT_MARGIN = "0.05"

DEFAULTS: dict[str, Any] = {
    "vary": list(QUESTION_KEYS),
    "require": ["nonzero_variance", "small_denominators", "greedy_not_best_beam", "beam_misses_optimum",
                "unambiguous"],
    "max_draws": 2000,
    "normalization": {"shapes": [[4, 2, 3], [3, 2, 4], [2, 3, 4]], "entries": [0, 6], "max_denominator": 144},
    "decoding": {"depth": [3], "branching": [2, 3], "beam_width": [2], "vocabulary_size": [50257],
                 "words": ["the", "a", "cat", "dog", "sat", "ran", "big", "red", "barked", "napped", "slept", "ate"],
                 "margin": Decimal(DEFAULT_MARGIN)},
    "birnn": {"activation": list(ACTIVATIONS), "hidden_size": [3], "steps": [3]},
    "lora": {"d": [1024, 2048, 4096, 8192], "r": [4, 8, 16, 32], "n": [512, 1024, 2048, 4096],
             "heads": [8, 16, 32], "bits": [4, 8]},
}


VARIANTS = Table.of(
    "variants", "what `derive variants` draws for each variant and which properties it must have (docs/variants.md); "
    "not read by a build",
    Names("vary", "the questions that vary; the others keep the base config's tables", "questions"),
    Names("require", "properties every variant must have, proved on its derived answer", "properties"),
    Int("max_draws", "draws of one question per variant before giving up", 1, MAX_DRAWS_LIMIT),
    Table.of(
        "normalization", "what Question 1's tensor is drawn from",
        Shaped("shapes", "[N, C, L] choices",
               {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 3, "maxItems": 3, "items": {
                   "type": "integer", "minimum": 1, "maximum": TENSOR_MAX_ENTRIES}}},
               f"at most {TENSOR_MAX_ENTRIES} entries each"),
        Choices("entries", "integer entries, inclusive [low, high]", low=-TENSOR_MAX_MAGNITUDE,
                high=TENSOR_MAX_MAGNITUDE, pair=True),
        Int("max_denominator", "for small_denominators", 1, 10**12),
    ),
    Table.of(
        "decoding", "what Question 2.4's tree is drawn from",
        Choices("depth", "tree depth (T) choices", low=1, high=MAX_DEPTH),
        Choices("branching", "children per node, inclusive [low, high]", low=1, high=MAX_BRANCHING, pair=True),
        Choices("beam_width", "B choices", (DECODING, "beam_width")),
        Choices("vocabulary_size", "N choices, above the number of words", (DECODING, "vocabulary_size")),
        Shaped("words", "the words the tree is drawn from",
               {"type": "array", "minItems": 1, "uniqueItems": True, "items": {
                   "type": "string", "minLength": 1, "maxLength": MAX_WORD_LENGTH, "pattern": r"^\S+$"}},
               f"distinct words of 1 to {MAX_WORD_LENGTH} characters, no white space"),
        Number("margin", "log p by which every decision of 2.4's answers is won (unambiguous)",
               float(MIN_MARGIN), MAX_MARGIN),
    ),
    Table.of(
        "birnn", "what Question 3's model is drawn from",
        Choices("activation", "activation choices", (BIRNN, "activation")),
        Choices("hidden_size", "d choices", (BIRNN, "hidden_size")),
        Choices("steps", "T choices", (BIRNN, "steps")),
    ),
    Table.of(
        "lora", "what Question 4's model is drawn from",
        Choices("d", "d choices", (LORA, "d"), low=2),
        Choices("r", "r choices (drawn below d)", (LORA, "r")),
        Choices("n", "n choices", (LORA, "n")),
        Choices("heads", "h choices", (LORA, "heads")),
        Choices("bits", "m choices", (LORA, "bits")),
    ),
)


@dataclass(frozen=True)
class Requirement:
    """A property `require` may name: the question whose derived answer proves it (its
    `Question.properties`), what it says, and why a `[variants]` table makes it unattainable
    (None: it may hold), decided before any draw."""

    question: str
    description: str
    impossible: Callable[[VariantsSpec], str | None] = lambda _: None


def _constant_entries(spec: VariantsSpec) -> str | None:
    low, high = spec.normalization.entries
    if low == high:
        return f"variants.normalization.entries = [{low}, {high}] makes every variance 0"
    if all(shape[2] == 1 for shape in spec.normalization.shapes):
        return "with L = 1 in every shape, each instance variance is over one entry, so 0"
    return None


def _branching_tree(spec: VariantsSpec) -> str | None:
    if max(spec.decoding.depth) < 2:
        return "with depth 1, greedy decoding and beam search both find the optimum"
    if spec.decoding.branching[1] < 2:
        return "with branching at most 1 the tree has a single path"
    return None


def _beam_beats_greedy(spec: VariantsSpec) -> str | None:
    if max(spec.decoding.beam_width) < 2:
        return "with beam width 1, beam search is greedy decoding"
    return _branching_tree(spec)


REQUIREMENTS = {
    "nonzero_variance": Requirement("normalization", "no variance is 0", _constant_entries),
    "small_denominators": Requirement("normalization", "every mean and variance has a denominator at most "
                                      "variants.normalization.max_denominator"),
    "greedy_not_optimal": Requirement("decoding", "greedy decoding misses the optimum (under every tie-break)",
                                      _branching_tree),
    "greedy_not_best_beam": Requirement("decoding", "the best beam scores higher than the greedy sequence (under "
                                        "every tie-break)", _beam_beats_greedy),
    "beam_misses_optimum": Requirement("decoding", "beam search misses the optimum (under every tie-break)",
                                       _branching_tree),
    "no_ties": Requirement("decoding", "no two full paths tie, and no two siblings have the same log p"),
    "unambiguous": Requirement("decoding", "every greedy step, beam cut and the optimum is won by at least "
                               "variants.decoding.margin"),
}


@dataclass(frozen=True)
class NormalizationVary:
    shapes: tuple[tuple[int, int, int], ...]
    entries: tuple[int, int]
    max_denominator: int


@dataclass(frozen=True)
class DecodingVary:
    depth: tuple[int, ...]
    branching: tuple[int, int]
    beam_width: tuple[int, ...]
    vocabulary_size: tuple[int, ...]
    words: tuple[str, ...]
    margin: Fraction  # log p by which every decision of 2.4's answers is won (`unambiguous`)


@dataclass(frozen=True)
class BirnnVary:
    activation: tuple[str, ...]
    hidden_size: tuple[int, ...]
    steps: tuple[int, ...]


@dataclass(frozen=True)
class LoraVary:
    d: tuple[int, ...]
    r: tuple[int, ...]
    n: tuple[int, ...]
    heads: tuple[int, ...]
    bits: tuple[int, ...]


@dataclass(frozen=True)
class VariantsSpec:
    vary: tuple[str, ...]
    require: tuple[str, ...]
    max_draws: int
    normalization: NormalizationVary
    decoding: DecodingVary
    birnn: BirnnVary
    lora: LoraVary


def parse(raw: Any) -> VariantsSpec:
    """The `[variants]` table over DEFAULTS, key by key; errors name the key."""
    table = v.table(raw, "variants")
    v.reject_unknown(table, "variants", set(DEFAULTS))
    get = {k: table.get(k, DEFAULTS[k]) for k in ("vary", "require", "max_draws")}
    max_draws = VARIANTS["max_draws"]
    assert isinstance(max_draws, Int)
    sub = {k: _merged(table, k) for k in QUESTION_KEYS}
    vary = _names(get["vary"], "variants.vary", QUESTION_KEYS)
    require = _names(get["require"], "variants.require", tuple(REQUIREMENTS))
    spec = VariantsSpec(vary, require, max_draws.read(get["max_draws"], "variants.max_draws"),
                        _normalization(sub["normalization"]), _decoding(sub["decoding"]), _birnn(sub["birnn"]),
                        _lora(sub["lora"]))
    for name in spec.require:
        reason = REQUIREMENTS[name].impossible(spec)
        if reason:
            raise ConfigError("variants.require", f'"{name}" can never hold: {reason}')
    return spec


def _merged(table: dict[str, Any], key: str) -> dict[str, Any]:
    raw = v.table(table.get(key, {}), f"variants.{key}")
    v.reject_unknown(raw, f"variants.{key}", set(DEFAULTS[key]))
    return DEFAULTS[key] | raw


def _list(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        got = "an empty one" if value == [] else v.type_name(value)
        raise ConfigError(key, f"must be a non-empty array, got {got}")
    return value


def _names(value: Any, key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(key, f"must be an array of names, got {v.type_name(value)}")
    out = tuple(v.choice(x, f"{key}[{i}]", allowed) for i, x in enumerate(value))
    if len(set(out)) != len(out):
        raise ConfigError(key, "lists a name twice")
    return out


def _ints(value: Any, key: str, low: int, high: int) -> tuple[int, ...]:
    return tuple(v.integer(x, f"{key}[{i}]", low, high) for i, x in enumerate(_list(value, key)))


def _drawn(raw: dict[str, Any], table: str, name: str) -> tuple[int, ...]:
    """The choices of `variants.<table>.<name>`, within its declared limits."""
    sub = VARIANTS[table]
    assert isinstance(sub, Table)
    declared = sub[name]
    assert isinstance(declared, Choices)
    item = declared.item
    assert isinstance(item, Int)
    key = f"variants.{table}.{name}"
    return _range(raw[name], key, item.low, item.high) if declared.pair else _ints(raw[name], key, item.low, item.high)


def _range(value: Any, key: str, low: int, high: int) -> tuple[int, int]:
    pair = _ints(value, key, low, high)
    if len(pair) != 2 or pair[0] > pair[1]:
        raise ConfigError(key, f"must be a range [low, high] with low <= high, got {list(pair)}")
    return pair[0], pair[1]


def _normalization(raw: dict[str, Any]) -> NormalizationVary:
    shapes = []
    for i, shape in enumerate(_list(raw["shapes"], "variants.normalization.shapes")):
        key = f"variants.normalization.shapes[{i}]"
        dims = _ints(shape, key, 1, TENSOR_MAX_ENTRIES)
        if len(dims) != 3 or dims[0] * dims[1] * dims[2] > TENSOR_MAX_ENTRIES:
            raise ConfigError(key, f"must be [N, C, L] with at most {TENSOR_MAX_ENTRIES} entries, got {list(dims)}")
        shapes.append((dims[0], dims[1], dims[2]))
    entries = _drawn(raw, "normalization", "entries")
    table = VARIANTS["normalization"]
    assert isinstance(table, Table)
    key = "variants.normalization.max_denominator"
    max_denominator = table.int("max_denominator").read(raw["max_denominator"], key)
    return NormalizationVary(tuple(shapes), (entries[0], entries[1]), max_denominator)


def _decoding(raw: dict[str, Any]) -> DecodingVary:
    key = "variants.decoding"
    depth = _drawn(raw, "decoding", "depth")
    pair = _drawn(raw, "decoding", "branching")
    branching = pair[0], pair[1]
    leaves = branching[1] ** max(depth)
    if leaves > MAX_LEAVES:
        raise ConfigError(f"{key}.branching", f"with depth {max(depth)} allows trees of {leaves} paths; "
                          f"the tree figure draws at most {MAX_LEAVES}")
    words = []
    for i, word in enumerate(_list(raw["words"], f"{key}.words")):
        where = f"{key}.words[{i}]"
        if not isinstance(word, str) or not word or len(word) > MAX_WORD_LENGTH:
            raise ConfigError(where, f"must be a word of 1 to {MAX_WORD_LENGTH} characters")
        if any(ch.isspace() or not ch.isprintable() for ch in word):
            raise ConfigError(where, "must not contain white space")
        words.append(word)
    if len(set(words)) != len(words):
        raise ConfigError(f"{key}.words", "lists a word twice")
    if len(words) < branching[1]:
        raise ConfigError(f"{key}.words", f"has {len(words)} words; siblings need distinct words, up to "
                          f"branching = {branching[1]}")
    vocabulary = _ints(raw["vocabulary_size"], f"{key}.vocabulary_size", len(words) + 1,
                       DECODING.int("vocabulary_size").high)
    return DecodingVary(depth, branching, _drawn(raw, "decoding", "beam_width"), vocabulary,
                        tuple(words), _margin(raw["margin"], f"{key}.margin"))


def _margin(value: Any, key: str) -> Fraction:
    margin = Fraction(v.number(value, key))
    if not MIN_MARGIN <= margin <= MAX_MARGIN:
        raise ConfigError(key, f"must be between {float(MIN_MARGIN):g} (two scores rounded to two decimals can "
                          f"swap when closer) and {MAX_MARGIN}, got {value}")
    return margin


def _birnn(raw: dict[str, Any]) -> BirnnVary:
    key = "variants.birnn"
    activation = _list(raw["activation"], f"{key}.activation")
    return BirnnVary(tuple(v.choice(a, f"{key}.activation[{i}]", ACTIVATIONS) for i, a in enumerate(activation)),
                     _drawn(raw, "birnn", "hidden_size"), _drawn(raw, "birnn", "steps"))


def _lora(raw: dict[str, Any]) -> LoraVary:
    key = "variants.lora"
    spec = LoraVary(*(_drawn(raw, "lora", name) for name in ("d", "r", "n", "heads", "bits")))
    if min(spec.r) >= min(spec.d):
        raise ConfigError(f"{key}.r", f"needs a rank below every d (r < d), but min(r) = {min(spec.r)} >= "
                          f"min(d) = {min(spec.d)}")
    return spec
