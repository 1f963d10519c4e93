"""Question 4's views: what its solutions section and its question sheet print, as finished data.

`view` turns a LoraAnswer into a LoraView, which templates/lora/solutions.tex.j2 prints as `v.*`;
`prompt` turns the config's [lora] table into a LoraPrompt, which templates/lora/sheet.tex.j2
prints as `d.*`. Numbers come formatted by derive/latex/formatting.py, the modules' and
methods' names from the model's one table (lora_model.NAMES), and every constant the prose
restates (the default precision, the scales per matrix, the rule's share of the saving, the
second rank, the ordering the O-forms assume) from the model that defines it: the model's
constants are read at each call, through the module.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import sympy as sp

from derive.answer import Boxed, Tex
from derive.latex.formatting import exact, fixed, spelled
from derive.published import Section as Published
from derive.published import o_form
from derive.questions.lora import model
from derive.questions.lora.settings import LoraConfig

if TYPE_CHECKING:
    from derive.questions.lora.answer import LoraAnswer

# Decimals of the figures: a module's frozen weights in MiB (the LFFN's are a few, the MHA's
# many), the adapters in MiB, and two shares of the pass's operations in percent.
MIB_DECIMALS = {"ffn": 1, "mha": 0}
ADAPTER_MIB_DECIMALS = 1
ADAPTER_PERCENT_DECIMALS = 2
DEQUANT_PERCENT_DECIMALS = 3  # dequantization is a small share: three decimals show it
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
    """The question's number formats as the prose restates them, from the model's constants."""

    precision: str  # the default precision, "FP32"
    scales: str  # QLoRA's scales per frozen matrix, "one scale"
    precision_scales: str  # the same with their precision, "one FP32 scale"
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
    trainable: Tex  # the formula
    trainable_here: int  # at the config's sizes
    trainable_higher_rank: int  # at rank RANK_MULTIPLE * r
    frozen_bits: Tex  # the FP32 frozen weights' formula
    frozen_bits_quantized: Tex  # QLoRA's
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
    time_o: Tex  # boxed: O(...)
    space_o: Tex


@dataclass(frozen=True)
class ChoiceCell:
    method: str
    reason: str


@dataclass(frozen=True)
class ChoiceRow:
    """One condition of 4.4(b)'s table: a cell per column (lora_model.CHOICE_COLUMNS)."""

    condition: str
    cells: tuple[ChoiceCell, ...]


@dataclass(frozen=True)
class LoraView:
    """Everything templates/lora/solutions.tex.j2 prints."""

    names: Names
    scheme: Scheme
    sizes: Sizes
    order: Tex  # the ordering the O-forms assume, "r\le d"
    higher_rank: Tex  # the second rank 4.2 quotes, "2r"
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
    """Everything templates/lora/sheet.tex.j2 prints: the config's sizes and the question's terms."""

    names: Names
    precision: str
    sizes: Sizes
    choice_columns: tuple[str, ...]
    conditions: tuple[str, ...]


def counted(k: int, noun: str) -> str:
    """A count of a noun as prose writes it (formatting.spelled): one scale, two scales, no scales."""
    word = "no" if k == 0 else spelled(k)
    return f"{word} {noun}" + ("" if k == 1 else "s")


def share_words(share: Fraction) -> str:
    return SHARE_WORDS.get(share, f"{float(share):.0%}")


def scaled(expr: sp.Expr) -> Tex:
    """A number times symbols as prose writes a short product inline: 4h, 2r."""
    coefficient, rest = expr.as_coeff_Mul()
    return Tex("" if coefficient == 1 else str(coefficient)) + exact(rest)


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def percent(share: float, decimals: int) -> Tex:
    return fixed(100 * share, decimals)


def names() -> Names:
    return Names(ffn=model.NAMES["ffn"], mha=model.NAMES["mha"], lora=model.NAMES["lora"],
                 qlora=model.NAMES["qlora"])


def precision() -> str:
    return f"FP{model.FP32}"


def scheme() -> Scheme:
    return Scheme(precision(), counted(model.SCALES_PER_MATRIX, "scale"),
                  counted(model.SCALES_PER_MATRIX, f"{precision()} scale"), exact(model.FP32 - model.m))


def sizes(c: LoraConfig) -> Sizes:
    return Sizes(c.d, c.r, c.n, c.heads, c.bits)


def order() -> Tex:
    return Tex(", ".join(rf"{exact(small)}\le {exact(large)}" for small, large in model.ORDER))


def choice_columns() -> tuple[str, ...]:
    return tuple(model.NAMES[mod] for mod in model.CHOICE_COLUMNS)


def op_rows(lora: model.ModuleCost, qlora: model.ModuleCost) -> tuple[OpRow, ...]:
    return tuple(OpRow(op.name, op not in lora.ops, op.shape, exact(op.madds), exact(op.eops), exact(op.times))
                 for op in qlora.ops)


def module_view(a: LoraAnswer, mod: str) -> ModuleView:
    lora, qlora = a.costs[mod, "lora"], a.costs[mod, "qlora"]
    fig = a.figures
    return ModuleView(
        name=model.NAMES[mod],
        ops=op_rows(lora, qlora),
        trainable=exact(lora.trainable),
        trainable_here=fig["trainable"][mod],
        trainable_higher_rank=fig["trainable_higher_rank"][mod],
        frozen_bits=exact(lora.frozen_bits),
        frozen_bits_quantized=exact(qlora.frozen_bits),
        frozen_mib=fixed(fig["frozen_mib"][mod, "lora"], MIB_DECIMALS[mod]),
        frozen_mib_quantized=fixed(fig["frozen_mib"][mod, "qlora"], MIB_DECIMALS[mod]),
        adapter_mib=fixed(fig["adapter_mib"][mod], ADAPTER_MIB_DECIMALS),
        adapter_percent=percent(fig["adapter_share"][mod], ADAPTER_PERCENT_DECIMALS),
        dequant_percent=percent(fig["dequant_share"][mod], DEQUANT_PERCENT_DECIMALS),
        saving_per_time=exact(a.saving_per_time[mod]),
    )


def o_box(form: sp.Expr) -> Tex:
    """An O-form as its box holds it: O(form), the form in derive's notation."""
    return Tex(rf"O\!\left({exact(form)}\right)")


def cost_row(mod: str, meth: str, cost: model.ModuleCost) -> CostRow:
    return CostRow(model.NAMES[mod], model.NAMES[meth], exact(cost.time), exact(cost.trainable),
                   o_box(cost.time_big_o), o_box(cost.space_big_o))


def boxed(section: Published) -> list[Boxed]:
    """The eight boxed O-forms of 4.4(a)'s summary (the choice table's cells are printed in bold,
    not boxed), made from the published section: each O-form read back and put in its box."""
    names = {s.name: s for s in model.VARIABLES}
    out = []
    for mod in model.MODULES:
        for meth in model.METHODS:
            for key in ("time_big_o", "space_big_o"):
                path = f"{mod}.{meth}.{key}"
                form = o_form(section, path, names)
                out.append(Boxed(model.LoraParts.complexity, model.field(path), None if form is None else o_box(form)))
    return out


def choice_row(a: LoraAnswer, cond: str) -> ChoiceRow:
    chosen = [a.choice[cond][mod] for mod in model.CHOICE_COLUMNS]
    return ChoiceRow(capitalized(model.CONDITIONS[cond]),
                     tuple(ChoiceCell(model.NAMES[c.method], c.reason) for c in chosen))


def frozen_ratio(a: LoraAnswer) -> Tex:
    return scaled(sp.cancel(a.costs["mha", "lora"].frozen_weights / a.costs["ffn", "lora"].frozen_weights))


def view(a: LoraAnswer) -> LoraView:
    return LoraView(
        names=names(),
        scheme=scheme(),
        sizes=sizes(a.config),
        order=order(),
        higher_rank=scaled(model.RANK_MULTIPLE * model.r),
        ffn=module_view(a, "ffn"),
        mha=module_view(a, "mha"),
        costs=tuple(cost_row(mod, meth, a.costs[mod, meth]) for mod in model.MODULES for meth in model.METHODS),
        saving_share=share_words(model.SAVING_SHARE),
        frozen_ratio=frozen_ratio(a),
        choice_columns=choice_columns(),
        choice=tuple(choice_row(a, cond) for cond in model.CONDITIONS),
    )


def prompt(c: LoraConfig) -> LoraPrompt:
    return LoraPrompt(names(), precision(), sizes(c), choice_columns(), tuple(model.CONDITIONS.values()))
