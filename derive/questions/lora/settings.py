"""Question 4's tables of the config: `[lora]` (d, r, n, h, m) and `[variants.lora]`, declared,
read and validated here (derive/config_section.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from derive import values as v
from derive import vary
from derive.config_section import ConfigSection
from derive.declare import Choices, Int, Table
from derive.errors import ConfigError

KEY = "lora"


@dataclass(frozen=True)
class LoraConfig:
    d: int
    r: int
    n: int
    heads: int
    bits: int


@dataclass(frozen=True)
class LoraVary:
    d: tuple[int, ...]
    r: tuple[int, ...]
    n: tuple[int, ...]
    heads: tuple[int, ...]
    bits: tuple[int, ...]


TABLE = Table.of(
    KEY, "",
    Int("d", "embedding dimension", 1, 10**6),
    Int("r", "adapter rank", 1, 10**6, note="below d"),
    Int("n", "context length", 1, 10**7),
    Int("heads", "h", 1, 4096),
    Int("bits", "m, QLoRA's integer precision", 2, 16),
)

VARY = Table.of(
    KEY, "what Question 4's model is drawn from",
    Choices("d", "d choices", (TABLE, "d"), low=2),
    Choices("r", "r choices (drawn below d)", (TABLE, "r")),
    Choices("n", "n choices", (TABLE, "n")),
    Choices("heads", "h choices", (TABLE, "heads")),
    Choices("bits", "m choices", (TABLE, "bits")),
)

VARY_DEFAULT: dict[str, Any] = {"d": [1024, 2048, 4096, 8192], "r": [4, 8, 16, 32], "n": [512, 1024, 2048, 4096],
                                "heads": [8, 16, 32], "bits": [4, 8]}
FIELDS = ("d", "r", "n", "heads", "bits")


def read(raw: dict[str, Any], default: dict[str, Any]) -> LoraConfig:
    v.reject_unknown(raw, KEY, TABLE.names())

    def get(name: str) -> int:
        return TABLE.int(name).read(raw.get(name, default.get(name)), f"{KEY}.{name}")

    d, r, n, heads, bits = (get(name) for name in FIELDS)
    if r >= d:
        raise ConfigError(f"{KEY}.r", f"must be below d = {d} (a low rank), got {r}")
    return LoraConfig(d, r, n, heads, bits)


def read_vary(raw: dict[str, Any]) -> LoraVary:
    spec = LoraVary(*(vary.drawn(raw, VARY, name) for name in FIELDS))
    if min(spec.r) >= min(spec.d):
        raise ConfigError(f"variants.{KEY}.r", f"needs a rank below every d (r < d), but min(r) = {min(spec.r)} >= "
                          f"min(d) = {min(spec.d)}")
    return spec


SECTION: ConfigSection[LoraConfig, LoraVary] = ConfigSection(
    KEY, TABLE, read, VARY, VARY_DEFAULT, read_vary,
    graded=(*((mod, meth, f"{kind}_big_o") for mod in ("ffn", "mha") for meth in ("lora", "qlora")
              for kind in ("time", "space")),
            *(("choice", cond, mod) for cond in ("memory_limit", "faster_inference", "both")
              for mod in ("mha", "lffn"))),
)
