"""The config: TOML -> frozen, validated dataclasses with exact numbers.

Every table is optional; what is left out takes the packaged default (the assignment as
printed, `default.toml`). Unknown keys, wrong types and out-of-range values raise
ConfigError naming the key.
"""

from __future__ import annotations

import math
import sys
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import mpmath
import sympy as sp

from derive import charset, variants_spec
from derive import grading_policy as grading
from derive import values as v
from derive.config_keys import (
    ACTIVATIONS,
    BIRNN,
    BIRNN_MAX_MAGNITUDE,
    BIRNN_WEIGHTS,
    DECODING,
    DOCUMENT,
    LORA,
    NORMALIZATION,
    TENSOR_MAX_ENTRIES,
    TENSOR_MAX_MAGNITUDE,
    TEXT_MAX_CHARS,
    TREE_MAX_EDGES,
    TREE_MAX_PATH,
    TREE_MIN_LOGP,
)
from derive.declare import Table
from derive.errors import ConfigError
from derive.resources import default_text
from derive.variants_spec import VariantsSpec

Tensor = tuple[tuple[tuple[sp.Rational, ...], ...], ...]
Matrix = tuple[tuple[sp.Rational, ...], ...]
Path_ = tuple[str, ...]

CONFIG_MAX_BYTES = 64 * 2**20
TREE_SUM_MAX_BITS = 1 << 16
__all__ = ["ACTIVATIONS", "BIRNN_WEIGHTS", "TENSOR_MAX_ENTRIES", "TENSOR_MAX_MAGNITUDE", "TREE_MAX_EDGES",
           "TREE_MAX_PATH"]  # declared in config_keys.py, read from here too


@dataclass(frozen=True)
class DocumentConfig:
    title: str
    variant_id: str = ""  # a variant's id (a roster's student id): the question sheet's page headers print it
    student_name: str = ""  # the question sheet's name line prints it


@dataclass(frozen=True)
class NormalizationConfig:
    tensor: Tensor

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.tensor), len(self.tensor[0]), len(self.tensor[0][0])


@dataclass(frozen=True)
class DecodingConfig:
    beam_width: int
    steps: int
    vocabulary_size: int
    tree: dict[Path_, sp.Rational]
    tree_is_default: bool  # the packaged illustrative tree, not one the user entered


@dataclass(frozen=True)
class BirnnInstance:
    W_f: Matrix
    U_f: Matrix
    V_f: Matrix
    W_b: Matrix
    U_b: Matrix
    V_b: Matrix
    x: Matrix
    z: Matrix
    h0_f: tuple[sp.Rational, ...]
    h_end_b: tuple[sp.Rational, ...]


@dataclass(frozen=True)
class BirnnConfig:
    activation: str
    hidden_size: int
    steps: int
    seed: int
    instance: BirnnInstance | None


@dataclass(frozen=True)
class LoraConfig:
    d: int
    r: int
    n: int
    heads: int
    bits: int


@dataclass(frozen=True)
class Config:
    document: DocumentConfig
    normalization: NormalizationConfig
    decoding: DecodingConfig
    birnn: BirnnConfig
    lora: LoraConfig
    variants: VariantsSpec  # what `derive variants` draws; not used by a build
    grading: grading.GradingPolicy = grading.GradingPolicy()  # used by `derive grade` only


SECTIONS = ("document", "normalization", "decoding", "birnn", "lora", "grading", "variants")


def parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text.removeprefix("\ufeff"), parse_float=Decimal)  # a BOM is allowed
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, f"not valid TOML: {exc}") from None
    except ValueError:  # tomllib's int() on a literal past Python's digit limit
        raise ConfigError(source, f"has an integer of more than {sys.get_int_max_str_digits()} digits") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(source, "has arrays or inline tables nested too deeply") from None


STDIN = "-"  # `--config -`: the config is read from standard input


def load(path: Path | None) -> Config:
    """Read a config file (None: the packaged default; "-": standard input) over the defaults."""
    if path is None:
        defaults = parse_toml(default_text(), "default.toml")
        return from_dict(defaults, defaults)
    if str(path) == STDIN:
        return loads(_decode(_read_bounded(sys.stdin.buffer, "<stdin>"), "<stdin>"), "<stdin>")
    name = str(path)
    if not path.exists():
        raise ConfigError(name, "no such config file")
    if path.is_dir():
        raise ConfigError(name, "is a directory, not a config file")
    try:
        with path.open("rb") as file:
            data = _read_bounded(file, name)
    except OSError as exc:
        raise ConfigError(name, f"cannot be read ({exc.strerror})") from None
    return loads(_decode(data, name), name)


def _read_bounded(file: BinaryIO, name: str) -> bytes:
    """At most CONFIG_MAX_BYTES: an endless source (--config /dev/zero) is refused, not read."""
    data = file.read(CONFIG_MAX_BYTES + 1)
    if len(data) > CONFIG_MAX_BYTES:
        raise ConfigError(name, f"is larger than {CONFIG_MAX_BYTES // 2**20} MiB")
    return data


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(name, f"not UTF-8 (byte {exc.start})") from None


def loads(text: str, name: str) -> Config:
    """A config from TOML text; `name` says where it came from in messages."""
    if not text.strip():
        raise ConfigError(name, "is empty (leave out --config to build the assignment as printed)")
    defaults = parse_toml(default_text(), "default.toml")
    return from_dict(parse_toml(text, name), defaults)


def from_dict(raw: dict[str, Any], defaults: dict[str, Any]) -> Config:
    v.reject_unknown(raw, "", set(SECTIONS))
    merged = {name: v.table(raw.get(name, defaults.get(name, {})), name) for name in SECTIONS}
    return Config(
        document=_document(merged["document"], defaults["document"]),
        normalization=_normalization(merged["normalization"], defaults["normalization"]),
        decoding=_decoding(merged["decoding"], defaults["decoding"]),
        birnn=_birnn(merged["birnn"], defaults["birnn"]),
        lora=_lora(merged["lora"], defaults["lora"]),
        grading=grading.parse(merged["grading"]),
        variants=variants_spec.parse(merged["variants"]),
    )


def _document(raw: dict[str, Any], default: dict[str, Any]) -> DocumentConfig:
    v.reject_unknown(raw, "document", DOCUMENT.names())
    title = raw.get("title", default["title"])
    if not isinstance(title, str) or not title.strip():
        raise ConfigError("document.title", "must be a non-empty string")
    return DocumentConfig(one_line(title, "document.title"), one_line(raw.get("variant_id", ""), "document.variant_id"),
                          one_line(raw.get("student_name", ""), "document.student_name"))


def one_line(text: Any, key: str) -> str:
    """A string a document prints: one line of at most 200 characters the fonts show."""
    if not isinstance(text, str):
        raise ConfigError(key, "must be a string")
    if len(text) > TEXT_MAX_CHARS or "\n" in text:
        raise ConfigError(key, f"must be one line of at most {TEXT_MAX_CHARS} characters")
    charset.require_typesettable(key, text)
    return text


def _normalization(raw: dict[str, Any], default: dict[str, Any]) -> NormalizationConfig:
    v.reject_unknown(raw, "normalization", NORMALIZATION.names())
    key = "normalization.tensor"
    value = raw.get("tensor", default["tensor"])
    if not isinstance(value, list) or not value:
        raise ConfigError(key, "must be a non-empty 3-D array (batch x channels x features)")
    shape: tuple[int, int] | None = None
    out = []
    for i, sample in enumerate(value):
        if not isinstance(sample, list) or not sample or not all(isinstance(r, list) for r in sample):
            raise ConfigError(key, f"sample {i} must be a non-empty array of arrays (3-D tensor)")
        row_shape = (len(sample), len(sample[0]))
        if any(len(r) != row_shape[1] for r in sample) or row_shape[1] == 0:
            raise ConfigError(key, f"sample {i} is ragged or empty: every channel needs the same length")
        if shape is not None and row_shape != shape:
            raise ConfigError(key, f"sample {i} has shape {row_shape}, sample 0 has {shape}: not rectangular")
        shape = row_shape
        out.append(
            tuple(
                tuple(v.rational(x, f"{key}[{i}][{c}][{f}]", TENSOR_MAX_MAGNITUDE) for f, x in enumerate(r))
                for c, r in enumerate(sample)
            )
        )
    assert shape is not None
    if len(out) * shape[0] * shape[1] > TENSOR_MAX_ENTRIES:
        raise ConfigError(key, f"has more than {TENSOR_MAX_ENTRIES} entries")
    return NormalizationConfig(tensor=tuple(out))


def _decoding(raw: dict[str, Any], default: dict[str, Any]) -> DecodingConfig:
    v.reject_unknown(raw, "decoding", DECODING.names())
    beam_width = DECODING.int("beam_width").read(raw.get("beam_width", default["beam_width"]), "decoding.beam_width")
    vocabulary_size = DECODING.int("vocabulary_size").read(
        raw.get("vocabulary_size", default["vocabulary_size"]), "decoding.vocabulary_size"
    )
    tree_raw = v.table(raw.get("tree", default["tree"]), "decoding.tree")
    tree = _tree(tree_raw)
    depth = max(len(p) for p in tree)
    if "steps" in raw or "tree" not in raw:
        steps = DECODING.int("steps").read(raw.get("steps", default["steps"]), "decoding.steps")
    else:
        steps = depth
    if steps > depth:
        raise ConfigError("decoding.steps", f"is {steps}, deeper than the tree (depth {depth})")
    parents = {path[:-1] for path in tree}
    childless = sorted(p for p in tree if len(p) < steps and p not in parents)
    if childless:
        raise ConfigError(
            v.path_key("decoding.tree", " ".join(childless[0])),
            f"has no child, but every node above depth steps = {steps} needs one",
        )
    words = {w for p in tree for w in p}
    if vocabulary_size < len(words) + 1:
        raise ConfigError(
            "decoding.vocabulary_size",
            f"is {vocabulary_size}, smaller than the tree's {len(words)} words plus <BOS>",
        )
    return DecodingConfig(beam_width, steps, vocabulary_size, tree, tree == _tree(default["tree"]))


def _tree(raw: dict[str, Any]) -> dict[Path_, sp.Rational]:
    if not raw:
        raise ConfigError("decoding.tree", "must list at least one edge")
    if len(raw) > TREE_MAX_EDGES:
        raise ConfigError("decoding.tree", f"has more than {TREE_MAX_EDGES} edges")
    tree: dict[Path_, int | Decimal] = {}
    for text, value in raw.items():
        words, logp = _edge(text, value)
        tree[words] = logp
    orphans = sorted(path for path in tree if len(path) > 1 and path[:-1] not in tree)
    if orphans:
        prefix = " ".join(orphans[0][:-1])
        raise ConfigError(v.path_key("decoding.tree", " ".join(orphans[0])), f'its prefix "{prefix}" is not listed')
    children: dict[Path_, list[int | Decimal]] = {}
    for path, logp in tree.items():
        children.setdefault(path[:-1], []).append(logp)
    for parent, logps in sorted(children.items()):
        excess = _excess_over_one(logps)
        if excess > 0:
            where = v.path_key("decoding.tree", " ".join(parent)) if parent else "decoding.tree"
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
        logp = v.number(value, v.path_key("decoding.tree", text))
        if logp > 0:
            problem = f"is a log-probability and must be <= 0, got {value}"
        elif logp < TREE_MIN_LOGP:
            problem = f"must be at least {TREE_MIN_LOGP}, got {value}"
        else:
            return words, logp
    raise ConfigError(v.path_key("decoding.tree", text), problem)


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
    raise ConfigError("decoding.tree", f"a node's probabilities sum too close to 1 to tell ({TREE_SUM_MAX_BITS} bits)")


def _birnn(raw: dict[str, Any], default: dict[str, Any]) -> BirnnConfig:
    v.reject_unknown(raw, "birnn", BIRNN.names())

    def get(name: str) -> int:
        return BIRNN.int(name).read(raw.get(name, default[name]), f"birnn.{name}")

    activation = v.choice(raw.get("activation", default["activation"]), "birnn.activation", ACTIVATIONS)
    d, steps, seed = get("hidden_size"), get("steps"), get("seed")
    instance = None
    if "instance" in raw:
        instance = _instance(v.table(raw["instance"], "birnn.instance"), d, steps)
    return BirnnConfig(activation, d, steps, seed, instance)


def _instance(raw: dict[str, Any], d: int, steps: int) -> BirnnInstance:
    key = "birnn.instance"
    instance = BIRNN["instance"]
    assert isinstance(instance, Table)
    required = tuple(instance.extra["required"])
    v.reject_unknown(raw, key, instance.names())
    for name in required:
        if name not in raw:
            raise ConfigError(f"{key}.{name}", f"is missing (an explicit instance gives all of {', '.join(required)})")
    bound = BIRNN_MAX_MAGNITUDE
    mats = {name: v.matrix(raw[name], f"{key}.{name}", d, d, bound) for name in BIRNN_WEIGHTS}
    zero = tuple(sp.Integer(0) for _ in range(d))
    return BirnnInstance(
        **mats,
        x=v.matrix(raw["x"], f"{key}.x", steps, d, bound),
        z=v.matrix(raw["z"], f"{key}.z", steps, d, bound),
        h0_f=v.vector(raw["h0_f"], f"{key}.h0_f", d, bound) if "h0_f" in raw else zero,
        h_end_b=v.vector(raw["h_end_b"], f"{key}.h_end_b", d, bound) if "h_end_b" in raw else zero,
    )


def _lora(raw: dict[str, Any], default: dict[str, Any]) -> LoraConfig:
    v.reject_unknown(raw, "lora", LORA.names())

    def get(name: str) -> int:
        return LORA.int(name).read(raw.get(name, default[name]), f"lora.{name}")

    d, r, n, heads, bits = get("d"), get("r"), get("n"), get("heads"), get("bits")
    if r >= d:
        raise ConfigError("lora.r", f"must be below d = {d} (a low rank), got {r}")
    return LoraConfig(d, r, n, heads, bits)
