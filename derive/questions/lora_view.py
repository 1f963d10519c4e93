"""Question 4's views: what its solutions section and its question sheet print, as finished data.

`view` turns a LoraAnswer into a LoraView, which templates/lora.tex.j2 prints as `v.*`;
`prompt` turns the config's [lora] table into a LoraPrompt, which templates/sheet/lora.tex.j2
prints as `d.*`. Numbers come formatted by derive/latex/formatting.py, the modules' and
methods' names from lora_model's one table, and every constant the prose restates (the
default precision, the scales per matrix, the rule's share of the saving, the second rank)
from the code that defines it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import sympy as sp

from derive.answer import Tex
from derive.config import LoraConfig
from derive.latex.formatting import exact, fixed
from derive.questions.lora_model import (
    CHOICE_COLUMNS,
    CONDITIONS,
    DEFAULT_PRECISION,
    FP32,
    METHODS,
    MODULES,
    NAMES,
    ORDER,
    RANK_MULTIPLE,
    SAVING_SHARE,
    SCALES_PER_MATRIX,
    ModuleCost,
    m,
    r,
)

if TYPE_CHECKING:
    from derive.questions.lora import LoraAnswer

# How many decimals a module's frozen weights get in MiB: the LFFN's are a few, the MHA's many.
MIB_DECIMALS = {"ffn": 1, "mha": 0}
ADAPTER_MIB_DECIMALS = 1
ADAPTER_PERCENT_DECIMALS = 2
DEQUANT_PERCENT_DECIMALS = 3  # dequantization is a small share: three decimals show it
COUNT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SHARE_WORDS = {Fraction(1, 2): "half", Fraction(1, 3): "a third", Fraction(1, 4): "a quarter"}


@dataclass(frozen=True)
class Names:
    """The modules and methods as printed (lora_model.NAMES)."""

    ffn: str
    mha: str
    lora: str
    qlora: str


@dataclass(frozen=True)
class Scheme:
    """The question's model as the prose restates it, from the constants that define it."""

    precision: str  # the default precision's name, "FP32"
    scales_per_matrix: str  # "one" (scale per frozen matrix, under QLoRA)
    saving_per_weight: Tex  # bits saved per quantized weight, "32 - m"


@dataclass(frozen=True)
class Sizes:
    """The config's model."""

    d: int
    r: int
    n: int
    heads: int
    bits: int


@dataclass(frozen=True)
class OpRow:
    """One operation of a forward pass (4.4(a)'s tables), as QLoRA runs it."""

    name: Tex
    quantized_only: bool  # QLoRA's dequantizations: LoRA does not run them
    shape: Tex
    madds: Tex
    eops: Tex
    times: Tex


@dataclass(frozen=True)
class ModuleView:
    """One module (the LFFN or the MHA): its operations, its costs and the figures 4.1-4.3 quote."""

    name: str
    ops: tuple[OpRow, ...]
    trainable: Tex  # the formula, in d, r, h
    trainable_here: int  # at the config's sizes
    trainable_higher_rank: int  # at rank RANK_MULTIPLE * r
    frozen_bits: Tex  # FP32 frozen weights, a formula
    frozen_bits_quantized: Tex  # QLoRA's, a formula
    frozen_mib: Tex
    frozen_mib_quantized: Tex
    adapter_mib: Tex  # the adapters in FP32
    adapter_percent: Tex  # the adapters' share of the pass's operations
    dequant_percent: Tex  # dequantization's share of QLoRA's operations
    saving_per_time: Tex  # bits saved per added operation, a formula


@dataclass(frozen=True)
class CostRow:
    """One row of 4.4(a)'s summary: a module under a method, exact and in O-notation."""

    module: str
    method: str
    time: Tex
    space: Tex
    time_o: Tex
    space_o: Tex


@dataclass(frozen=True)
class ChoiceCell:
    method: str
    reason: str


@dataclass(frozen=True)
class ChoiceRow:
    """One condition of 4.4(b)'s table, a cell per column (CHOICE_COLUMNS)."""

    condition: str
    cells: tuple[ChoiceCell, ...]


@dataclass(frozen=True)
class LoraView:
    """Everything templates/lora.tex.j2 prints."""

    names: Names
    scheme: Scheme
    sizes: Sizes
    order: Tex  # the ordering the O-forms assume, "r\le d"
    higher_rank: Tex  # "2r"
    ffn: ModuleView
    mha: ModuleView
    costs: tuple[CostRow, ...]
    saving_share: str  # the rule's share of the possible saving, "half"
    frozen_ratio: Tex  # the MHA's frozen weights over the LFFN's, "4h"
    choice_columns: tuple[str, ...]
    choice: tuple[ChoiceRow, ...]

    @property
    def modules(self) -> tuple[ModuleView, ModuleView]:
        return (self.ffn, self.mha)


@dataclass(frozen=True)
class LoraPrompt:
    """Everything templates/sheet/lora.tex.j2 prints: the config's sizes and the question's terms."""

    names: Names
    precision: str
    sizes: Sizes
    choice_columns: tuple[str, ...]
    conditions: tuple[str, ...]


def count_word(k: int) -> str:
    return COUNT_WORDS[k] if 0 <= k < len(COUNT_WORDS) else str(k)


def share_words(share: Fraction) -> str:
    return SHARE_WORDS.get(share, f"{float(share):.0%}")


def scaled(expr: sp.Expr) -> Tex:
    """A number times symbols, written as prose writes a short product inline: 4h, 2r."""
    coefficient, rest = expr.as_coeff_Mul()
    return Tex(("" if coefficient == 1 else str(coefficient)) + exact(rest))


def names() -> Names:
    return Names(ffn=NAMES["ffn"], mha=NAMES["mha"], lora=NAMES["lora"], qlora=NAMES["qlora"])


def scheme() -> Scheme:
    return Scheme(DEFAULT_PRECISION, count_word(SCALES_PER_MATRIX), exact(FP32 - m))


def sizes(c: LoraConfig) -> Sizes:
    return Sizes(c.d, c.r, c.n, c.heads, c.bits)


def order() -> Tex:
    return Tex(", ".join(rf"{exact(small)}\le {exact(large)}" for small, large in ORDER))


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def op_rows(lora: ModuleCost, qlora: ModuleCost) -> tuple[OpRow, ...]:
    return tuple(OpRow(op.name, op not in lora.ops, op.shape, exact(op.madds), exact(op.eops), exact(op.times))
                 for op in qlora.ops)


def percent(share: float, decimals: int) -> Tex:
    return fixed(100 * share, decimals)


def module_view(a: LoraAnswer, mod: str) -> ModuleView:
    lora, qlora = a.costs[mod, "lora"], a.costs[mod, "qlora"]
    fig = a.figures
    return ModuleView(
        name=NAMES[mod],
        ops=op_rows(lora, qlora),
        trainable=exact(lora.trainable),
        trainable_here=fig["trainable"][mod],
        trainable_higher_rank=fig["trainable_double_rank"][mod],
        frozen_bits=exact(lora.frozen_bits),
        frozen_bits_quantized=exact(qlora.frozen_bits),
        frozen_mib=fixed(fig["frozen_mib"][mod, "lora"], MIB_DECIMALS[mod]),
        frozen_mib_quantized=fixed(fig["frozen_mib"][mod, "qlora"], MIB_DECIMALS[mod]),
        adapter_mib=fixed(fig["adapter_mib"][mod], ADAPTER_MIB_DECIMALS),
        adapter_percent=percent(fig["adapter_share"][mod], ADAPTER_PERCENT_DECIMALS),
        dequant_percent=percent(fig["dequant_share"][mod], DEQUANT_PERCENT_DECIMALS),
        saving_per_time=exact(a.saving_per_time[mod]),
    )


def cost_row(mod: str, meth: str, cost: ModuleCost) -> CostRow:
    return CostRow(NAMES[mod], NAMES[meth], exact(cost.time), exact(cost.trainable),
                   exact(cost.time_big_o), exact(cost.space_big_o))


def choice_rows(a: LoraAnswer) -> tuple[ChoiceRow, ...]:
    return tuple(ChoiceRow(capitalized(label), tuple(ChoiceCell(NAMES[a.choice[cond][mod].method],
                                                                a.choice[cond][mod].reason)
                                                     for mod in CHOICE_COLUMNS))
                 for cond, label in CONDITIONS.items())


def frozen_ratio(a: LoraAnswer) -> Tex:
    return scaled(sp.cancel(a.costs["mha", "lora"].frozen_weights / a.costs["ffn", "lora"].frozen_weights))


def view(a: LoraAnswer) -> LoraView:
    return LoraView(
        names=names(),
        scheme=scheme(),
        sizes=sizes(a.config),
        order=order(),
        higher_rank=scaled(RANK_MULTIPLE * r),
        ffn=module_view(a, "ffn"),
        mha=module_view(a, "mha"),
        costs=tuple(cost_row(mod, meth, a.costs[mod, meth]) for mod in MODULES for meth in METHODS),
        saving_share=share_words(SAVING_SHARE),
        frozen_ratio=frozen_ratio(a),
        choice_columns=tuple(NAMES[mod] for mod in CHOICE_COLUMNS),
        choice=choice_rows(a),
    )


def prompt(c: LoraConfig) -> LoraPrompt:
    return LoraPrompt(names(), DEFAULT_PRECISION, sizes(c), tuple(NAMES[mod] for mod in CHOICE_COLUMNS),
                      tuple(CONDITIONS.values()))
