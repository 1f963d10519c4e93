"""Question lora: its answer, derived from the config, and the answer's answers.json section."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy as sp

from derive.config import Config
from derive.questions.lora.model import (
    CHOICE_KEYS,
    CONDITIONS,
    FP32,
    METHODS,
    MODULES,
    NAMES,
    RANK_MULTIPLE,
    SAVING_SHARE,
    W_O_SHAPE,
    LoraParts,
    ModuleCost,
    Point,
    costs,
    d,
    h,
    n,
    point,
    r,
    value,
)
from derive.questions.lora.settings import SECTION as LORA
from derive.questions.lora.settings import LoraConfig

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Choice:
    method: str
    reason: str


@dataclass(frozen=True)
class LoraAnswer:
    config: LoraConfig
    costs: dict[tuple[str, str], ModuleCost]
    choice: dict[str, dict[str, Choice]]  # condition -> module -> choice
    saving_per_time: dict[str, sp.Expr]
    figures: dict[str, Any]


def choose(table: dict[tuple[str, str], ModuleCost], at: Point, reach: Fraction | None = None
           ) -> tuple[dict[str, dict[str, Choice]], dict[str, sp.Expr]]:
    """The decision rule: memory limit -> fewer frozen bits; faster inference -> fewer operations per pass;
    both -> quantize the fewest modules that reach `reach` (SAVING_SHARE when None) of the possible memory saving,
    largest first."""
    reach = SAVING_SHARE if reach is None else reach

    def v(expr: sp.Expr) -> int:
        return value(expr, at)

    saving = {mod: table[mod, "lora"].frozen_bits - table[mod, "qlora"].frozen_bits for mod in MODULES}
    added = {mod: table[mod, "qlora"].time - table[mod, "lora"].time for mod in MODULES}
    per_time = {mod: sp.expand(sp.cancel(saving[mod] / added[mod])) for mod in MODULES}  # a sum of terms
    out: dict[str, dict[str, Choice]] = {cond: {} for cond in CONDITIONS}
    for mod in MODULES:
        lighter = "qlora" if v(saving[mod]) > 0 else "lora"
        out["memory_limit"][mod] = Choice(lighter, f"saves {v(saving[mod]) / 8 / 2**20:.1f} MiB of frozen weights")
        faster = "lora" if v(added[mod]) > 0 else "qlora"
        out["faster_inference"][mod] = Choice(faster, f"avoids {v(added[mod]):,} dequantization operations per pass")
    total = sum(v(saving[mod]) for mod in MODULES)
    reached = 0
    for mod in sorted(MODULES, key=lambda k: -v(saving[k])):
        if reached < reach * total:
            reached += v(saving[mod])
            share = v(saving[mod]) / total
            out["both"][mod] = Choice("qlora", f"{share:.0%} of the possible saving, for "
                                      f"{v(added[mod]) / v(table[mod, 'lora'].time):.2%} more operations per pass "
                                      f"(measured time overheads are larger: see {LoraParts.inference.id})")
        else:
            out["both"][mod] = Choice("lora", f"only {v(saving[mod]) / total:.0%} of the saving: keep it fast")
    return out, per_time


def derive(config: Config) -> LoraAnswer:
    table = costs()
    at = point(LORA.of(config))
    choice, per_time = choose(table, at)

    def v(expr: sp.Expr) -> int:
        return value(expr, at)

    figures = {
        "trainable": {mod: v(table[mod, "lora"].trainable) for mod in MODULES},
        "trainable_higher_rank": {mod: v(table[mod, "lora"].trainable.subs(r, RANK_MULTIPLE * r)) for mod in MODULES},
        "frozen_mib": {(mod, meth): v(table[mod, meth].frozen_bits) / 8 / 2**20 for mod in MODULES for meth in METHODS},
        "adapter_mib": {mod: v(table[mod, "lora"].trainable) * FP32 / 8 / 2**20 for mod in MODULES},
        "dequant_share": {mod: (v(table[mod, "qlora"].time) - v(table[mod, "lora"].time)) / v(table[mod, "qlora"].time)
                          for mod in MODULES},
        "adapter_share": {mod: v(2 * n * d * r * (1 if mod == "ffn" else 3 * h)) / v(table[mod, "lora"].time)
                          for mod in MODULES},
    }
    return LoraAnswer(LORA.of(config), table, choice, per_time, figures)


def as_json(answer: LoraAnswer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mod in MODULES:
        out[mod] = {}
        for meth in METHODS:
            cost = answer.costs[mod, meth]
            out[mod][meth] = {
                "time": str(cost.time), "time_big_o": f"O({cost.time_big_o})",
                "multiply_adds": str(cost.madds), "elementwise_ops": str(cost.eops),
                "space": str(cost.trainable), "space_big_o": f"O({cost.space_big_o})",
                "frozen_weight_bits": str(cost.frozen_bits),
            }
    out["w_o_shape"] = " x ".join(str(side) for side in W_O_SHAPE)
    out["choice"] = {cond: {CHOICE_KEYS[mod]: NAMES[ch.method] for mod, ch in row.items()}
                     for cond, row in answer.choice.items()}
    return out
