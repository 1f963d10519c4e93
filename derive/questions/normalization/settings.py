"""Question 1's tables of the config: `[normalization]` (the tensor) and `[variants.normalization]`
(what variants draw it from), declared, read and validated here (derive/config_section.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from derive import values as v
from derive import vary
from derive.config_section import ConfigSection, Requirable
from derive.declare import Choices, Int, Shaped, Table, number_array, shown
from derive.errors import ConfigError

KEY = "normalization"
TENSOR_MAX_ENTRIES = 4096
TENSOR_MAX_MAGNITUDE = 10**15

Tensor = tuple[tuple[tuple[sp.Rational, ...], ...], ...]


@dataclass(frozen=True)
class NormalizationConfig:
    tensor: Tensor

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.tensor), len(self.tensor[0]), len(self.tensor[0][0])


@dataclass(frozen=True)
class NormalizationVary:
    shapes: tuple[tuple[int, int, int], ...]
    entries: tuple[int, int]
    max_denominator: int


TABLE = Table.of(
    KEY, "",
    Shaped("tensor", "the tensor of Question 1: N x C x L numbers (batch x channels x features)",
           number_array(TENSOR_MAX_MAGNITUDE, 0, 0, 0),
           f"rectangular, at most {TENSOR_MAX_ENTRIES} entries, magnitudes at most {shown(TENSOR_MAX_MAGNITUDE)}"),
)

VARY = Table.of(
    KEY, "what Question 1's tensor is drawn from",
    Shaped("shapes", "[N, C, L] choices",
           {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 3, "maxItems": 3, "items": {
               "type": "integer", "minimum": 1, "maximum": TENSOR_MAX_ENTRIES}}},
           f"at most {TENSOR_MAX_ENTRIES} entries each"),
    Choices("entries", "integer entries, inclusive [low, high]", low=-TENSOR_MAX_MAGNITUDE,
            high=TENSOR_MAX_MAGNITUDE, pair=True),
    Int("max_denominator", "for small_denominators", 1, 10**12),
)

VARY_DEFAULT: dict[str, Any] = {"shapes": [[4, 2, 3], [3, 2, 4], [2, 3, 4]], "entries": [0, 6], "max_denominator": 144}


def read(raw: dict[str, Any], default: dict[str, Any]) -> NormalizationConfig:
    v.reject_unknown(raw, KEY, TABLE.names())
    key = f"{KEY}.tensor"
    value = raw.get("tensor", default.get("tensor"))
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


def read_vary(raw: dict[str, Any]) -> NormalizationVary:
    shapes = []
    for i, shape in enumerate(vary.listed(raw["shapes"], f"variants.{KEY}.shapes")):
        key = f"variants.{KEY}.shapes[{i}]"
        dims = vary.ints(shape, key, 1, TENSOR_MAX_ENTRIES)
        if len(dims) != 3 or dims[0] * dims[1] * dims[2] > TENSOR_MAX_ENTRIES:
            raise ConfigError(key, f"must be [N, C, L] with at most {TENSOR_MAX_ENTRIES} entries, got {list(dims)}")
        shapes.append((dims[0], dims[1], dims[2]))
    entries = vary.drawn(raw, VARY, "entries")
    max_denominator = VARY.int("max_denominator").read(raw["max_denominator"], f"variants.{KEY}.max_denominator")
    return NormalizationVary(tuple(shapes), (entries[0], entries[1]), max_denominator)


def _constant_entries(spec: NormalizationVary) -> str | None:
    low, high = spec.entries
    if low == high:
        return f"variants.{KEY}.entries = [{low}, {high}] makes every variance 0"
    if all(shape[2] == 1 for shape in spec.shapes):
        return "with L = 1 in every shape, each instance variance is over one entry, so 0"
    return None


SECTION: ConfigSection[NormalizationConfig, NormalizationVary] = ConfigSection(
    KEY, TABLE, read, VARY, VARY_DEFAULT, read_vary,
    requirements={
        "nonzero_variance": Requirable("no variance is 0", _constant_entries),
        "small_denominators": Requirable(f"every mean and variance has a denominator at most "
                                         f"variants.{KEY}.max_denominator"),
    },
    graded=tuple((kind, stat) for kind in ("batch", "layer", "instance") for stat in ("mean", "variance")),
)
