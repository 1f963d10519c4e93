"""Question 2's tables of the config: `[decoding]` (B, T, N and the tree of log-probabilities)
and `[variants.decoding]` (what variants draw the tree from), declared, read and validated here
(derive/config_section.py)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from derive import charset, vary
from derive import values as v
from derive.config_section import ConfigSection, Requirable
from derive.declare import Choices, Int, Number, Shaped, Table
from derive.errors import ConfigError
from derive.latex.treefig import MAX_LEAVES

KEY = "decoding"
TREE_MAX_EDGES = 200_000
TREE_MAX_PATH = 1000  # characters of one edge's key
TREE_MIN_LOGP = -1000
TREE_SUM_MAX_BITS = 1 << 16
MAX_WORD_LENGTH = 40
MAX_DEPTH = MAX_BRANCHING = 10
# A student who rounds two scores to two decimals moves each by at most 0.005: only scores
# closer than 0.01 can change order. A margin below this would not protect the answer
# (`unambiguous`, derive/questions/decoding/margin.py).
MIN_MARGIN = Fraction(1, 100)
MAX_MARGIN = 10  # in log p: far beyond any rounding; a tree can still be drawn (log p >= -1000)
DEFAULT_MARGIN = "0.05"

Path_ = tuple[str, ...]


@dataclass(frozen=True)
class DecodingConfig:
    beam_width: int
    steps: int
    vocabulary_size: int
    tree: dict[Path_, sp.Rational]
    tree_is_default: bool  # the packaged illustrative tree, not one the user entered


@dataclass(frozen=True)
class DecodingVary:
    depth: tuple[int, ...]
    branching: tuple[int, int]
    beam_width: tuple[int, ...]
    vocabulary_size: tuple[int, ...]
    words: tuple[str, ...]
    margin: Fraction  # log p by which every decision of 2.4's answers is won (`unambiguous`)


TABLE = Table.of(
    KEY, "",
    Int("beam_width", "B", 1, 10**6),
    Int("steps", "T; defaults to the depth of a tree you give, else 3", 1, 10**6, note="at most the tree's depth"),
    Int("vocabulary_size", "N, for 2.2's figures", 2, 10**12,
        note="at least the tree's distinct words + 1 (`<BOS>`)"),
    Shaped("tree", '`"w1 w2 ..." = log p(last word given <BOS> and the words before it)`',
           {"type": "object", "minProperties": 1, "maxProperties": TREE_MAX_EDGES,
            "propertyNames": {"pattern": r"^[^\s]+( [^\s]+)*$", "maxLength": TREE_MAX_PATH},
            "additionalProperties": {"type": "number", "minimum": TREE_MIN_LOGP, "maximum": 0}},
           f"log p in [{TREE_MIN_LOGP}, 0]; at most {TREE_MAX_EDGES:,} edges; paths up to {TREE_MAX_PATH:,} "
           "characters; see below"),
)

VARY = Table.of(
    KEY, "what Question 2.4's tree is drawn from",
    Choices("depth", "tree depth (T) choices", low=1, high=MAX_DEPTH),
    Choices("branching", "children per node, inclusive [low, high]", low=1, high=MAX_BRANCHING, pair=True),
    Choices("beam_width", "B choices", (TABLE, "beam_width")),
    Choices("vocabulary_size", "N choices, above the number of words", (TABLE, "vocabulary_size")),
    Shaped("words", "the words the tree is drawn from",
           {"type": "array", "minItems": 1, "uniqueItems": True, "items": {
               "type": "string", "minLength": 1, "maxLength": MAX_WORD_LENGTH, "pattern": r"^\S+$"}},
           f"distinct words of 1 to {MAX_WORD_LENGTH} characters, no white space"),
    Number("margin", "log p by which every decision of 2.4's answers is won (unambiguous)",
           float(MIN_MARGIN), MAX_MARGIN),
)

VARY_DEFAULT: dict[str, Any] = {
    "depth": [3], "branching": [2, 3], "beam_width": [2], "vocabulary_size": [50257],
    "words": ["the", "a", "cat", "dog", "sat", "ran", "big", "red", "barked", "napped", "slept", "ate"],
    "margin": Decimal(DEFAULT_MARGIN),
}


def read(raw: dict[str, Any], default: dict[str, Any]) -> DecodingConfig:
    v.reject_unknown(raw, KEY, TABLE.names())

    def get(name: str) -> int:
        return TABLE.int(name).read(raw.get(name, default.get(name)), f"{KEY}.{name}")

    beam_width, vocabulary_size = get("beam_width"), get("vocabulary_size")
    tree = _tree(v.table(raw.get("tree", default.get("tree", {})), f"{KEY}.tree"))
    depth = max(len(p) for p in tree)
    steps = get("steps") if "steps" in raw or "tree" not in raw else depth
    if steps > depth:
        raise ConfigError(f"{KEY}.steps", f"is {steps}, deeper than the tree (depth {depth})")
    parents = {path[:-1] for path in tree}
    childless = sorted(p for p in tree if len(p) < steps and p not in parents)
    if childless:
        raise ConfigError(
            v.path_key(f"{KEY}.tree", " ".join(childless[0])),
            f"has no child, but every node above depth steps = {steps} needs one",
        )
    words = {w for p in tree for w in p}
    if vocabulary_size < len(words) + 1:
        raise ConfigError(
            f"{KEY}.vocabulary_size",
            f"is {vocabulary_size}, smaller than the tree's {len(words)} words plus <BOS>",
        )
    is_default = "tree" in default and tree == _default_tree(tuple(default["tree"].items()))
    return DecodingConfig(beam_width, steps, vocabulary_size, tree, is_default)


@functools.lru_cache(maxsize=4)
def _default_tree(edges: tuple[tuple[str, Any], ...]) -> dict[Path_, sp.Rational]:
    """The defaults' tree, read once per process (every variant's draw is compared with it)."""
    return _tree(dict(edges))


def _tree(raw: dict[str, Any]) -> dict[Path_, sp.Rational]:
    if not raw:
        raise ConfigError(f"{KEY}.tree", "must list at least one edge")
    if len(raw) > TREE_MAX_EDGES:
        raise ConfigError(f"{KEY}.tree", f"has more than {TREE_MAX_EDGES} edges")
    tree: dict[Path_, int | Decimal] = {}
    for text, value in raw.items():
        words, logp = _edge(text, value)
        tree[words] = logp
    orphans = sorted(path for path in tree if len(path) > 1 and path[:-1] not in tree)
    if orphans:
        prefix = " ".join(orphans[0][:-1])
        raise ConfigError(v.path_key(f"{KEY}.tree", " ".join(orphans[0])), f'its prefix "{prefix}" is not listed')
    children: dict[Path_, list[int | Decimal]] = {}
    for path, logp in tree.items():
        children.setdefault(path[:-1], []).append(logp)
    for parent, logps in sorted(children.items()):
        excess = _excess_over_one(logps)
        if excess > 0:
            where = v.path_key(f"{KEY}.tree", " ".join(parent)) if parent else f"{KEY}.tree"
            whose = "its children's" if parent else "the first words'"
            total = mpmath.nstr(1 + excess, 6) if excess > 1e-5 else f"1 + {mpmath.nstr(excess, 3)}"
            raise ConfigError(where, f"{whose} probabilities sum to {total}, more than 1 (compared exactly)")
    return {path: sp.Rational(*logp.as_integer_ratio()) for path, logp in tree.items()}


def _edge(text: str, value: Any) -> tuple[Path_, int | Decimal]:
    """One edge of the tree: its words and its log-probability, validated."""
    words = tuple(text.split(" "))
    problem = None
    if "" in words:
        problem = "words must be non-empty and separated by single spaces"
    elif not text.isprintable() and any(ch.isspace() and ch != " " for ch in text):
        problem = "words must not contain whitespace other than single spaces"
    elif charset.first_unsupported(text) is not None:
        problem = charset.unsupported(text)
    elif len(text) > TREE_MAX_PATH:
        problem = f"path is longer than {TREE_MAX_PATH} characters"
    else:
        logp = v.number(value, v.path_key(f"{KEY}.tree", text))
        if logp > 0:
            problem = f"is a log-probability and must be <= 0, got {value}"
        elif logp < TREE_MIN_LOGP:
            problem = f"must be at least {TREE_MIN_LOGP}, got {value}"
        else:
            return words, logp
    raise ConfigError(v.path_key(f"{KEY}.tree", text), problem)


def _excess_over_one(logps: list[int | Decimal]) -> float | mpmath.mpf:
    """The sum of exp(q) minus 1, with its sign certain. By Lindemann-Weierstrass a sum of
    exponentials of rationals is 1 only for a single q = 0, so refining an enclosure of the sum
    (floats first, then interval arithmetic at doubling precision) decides every other case."""
    if not any(logps):
        return float(len(logps) - 1)
    total = math.fsum(math.exp(float(q)) for q in logps)
    if abs(total - 1) > 1e-12 * len(logps):
        return total - 1
    iv = mpmath.iv.__class__()  # a context of its own: precision is not shared state
    iv.prec = 128
    while iv.prec <= TREE_SUM_MAX_BITS:
        enclosure = iv.fsum(iv.exp(iv.mpf(str(q))) for q in logps) - 1
        if enclosure.a > 0 or enclosure.b < 0:
            return mpmath.mpf(enclosure.mid.a)
        iv.prec *= 2
    raise ConfigError(f"{KEY}.tree", f"a node's probabilities sum too close to 1 to tell ({TREE_SUM_MAX_BITS} bits)")


def read_vary(raw: dict[str, Any]) -> DecodingVary:
    key = f"variants.{KEY}"
    depth = vary.drawn(raw, VARY, "depth")
    pair = vary.drawn(raw, VARY, "branching")
    branching = pair[0], pair[1]
    leaves = branching[1] ** max(depth)
    if leaves > MAX_LEAVES:
        raise ConfigError(f"{key}.branching", f"with depth {max(depth)} allows trees of {leaves} paths; "
                          f"the tree figure draws at most {MAX_LEAVES}")
    words = []
    for i, word in enumerate(vary.listed(raw["words"], f"{key}.words")):
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
    vocabulary = vary.ints(raw["vocabulary_size"], f"{key}.vocabulary_size", len(words) + 1,
                           TABLE.int("vocabulary_size").high)
    return DecodingVary(depth, branching, vary.drawn(raw, VARY, "beam_width"), vocabulary,
                        tuple(words), _margin(raw["margin"], f"{key}.margin"))


def _margin(value: Any, key: str) -> Fraction:
    margin = Fraction(v.number(value, key))
    if not MIN_MARGIN <= margin <= MAX_MARGIN:
        raise ConfigError(key, f"must be between {float(MIN_MARGIN):g} (two scores rounded to two decimals can "
                          f"swap when closer) and {MAX_MARGIN}, got {value}")
    return margin


def _branching_tree(spec: DecodingVary) -> str | None:
    if max(spec.depth) < 2:
        return "with depth 1, greedy decoding and beam search both find the optimum"
    if spec.branching[1] < 2:
        return "with branching at most 1 the tree has a single path"
    return None


def _beam_beats_greedy(spec: DecodingVary) -> str | None:
    if max(spec.beam_width) < 2:
        return "with beam width 1, beam search is greedy decoding"
    return _branching_tree(spec)


SECTION: ConfigSection[DecodingConfig, DecodingVary] = ConfigSection(
    KEY, TABLE, read, VARY, VARY_DEFAULT, read_vary,
    requirements={
        "greedy_not_optimal": Requirable("greedy decoding misses the optimum (under every tie-break)",
                                         _branching_tree),
        "greedy_not_best_beam": Requirable("the best beam scores higher than the greedy sequence (under every "
                                           "tie-break)", _beam_beats_greedy),
        "beam_misses_optimum": Requirable("beam search misses the optimum (under every tie-break)", _branching_tree),
        "no_ties": Requirable("no two full paths tie, and no two siblings have the same log p"),
        "unambiguous": Requirable(f"every greedy step, beam cut and the optimum is won by at least "
                                  f"variants.{KEY}.margin"),
    },
    graded=(("num_sequences",), ("complexity", "time"), ("complexity", "space"), ("greedy", "words"),
            ("greedy", "log_likelihood"), ("beam", "#", "words"), ("beam", "#", "log_likelihood")),
)
