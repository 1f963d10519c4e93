"""Question 4's misconceptions, each the question's cost model (lora_model) or decision rule
(lora.choose) changed as the mistake changes it: attention computed once instead of per head,
frozen weights counted as trainable, adapters counted once instead of per head (the costs); the
choice table's two conditions swapped, every module quantized under "both" (the choice).
Dequantization left out is no misconception here: d^2 is dominated by n d^2, so the O-forms
do not change."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

import sympy as sp

from derive.config import Config
from derive.questions.base import Misconception
from derive.questions.lora.answer import choose
from derive.questions.lora.model import (
    CHOICE_KEYS,
    KEY,
    METHODS,
    MODULES,
    NAMES,
    ModuleCost,
    costs,
    h,
    n,
    point,
    with_ops,
)
from derive.questions.lora.settings import SECTION as LORA


def _time(cost: ModuleCost) -> str:
    return f"O({cost.time_big_o})"


def _space(cost: ModuleCost) -> str:
    return f"O({cost.space_big_o})"


def _each(change: Any, what: str, modules: tuple[str, ...] = MODULES,
          methods: tuple[str, ...] = METHODS) -> dict[str, str]:
    """`what` ("time" or "space") of every (module, method) under the changed cost model."""
    shown = _time if what == "time" else _space
    return {f"{KEY}.{mod}.{meth}.{what}_big_o": shown(change(costs()[mod, meth], mod, meth))
            for mod in modules for meth in methods}


def _attention_once(cost: ModuleCost, *_: str) -> ModuleCost:
    """The products over the n x n scores (quadratic in n) run once, not once per head."""
    return with_ops(cost, [replace(op, times=sp.Integer(1)) if sp.degree(op.madds + op.eops, n) == 2 else op
                           for op in cost.ops])


def _choices(table: dict[str, dict[str, str]]) -> dict[str, str]:
    return {f"{KEY}.choice.{cond}.{CHOICE_KEYS[mod]}": method for cond, row in table.items()
            for mod, method in row.items()}


def misconceptions(config: Config) -> list[Misconception]:
    at = point(LORA.of(config))
    choice, _ = choose(costs(), at)
    named = {cond: {mod: NAMES[c.method] for mod, c in row.items()} for cond, row in choice.items()}
    swapped = {"memory_limit": named["faster_inference"], "faster_inference": named["memory_limit"]}
    everything, _ = choose(costs(), at, Fraction(1))
    return [
        Misconception("attention-once", "Attention's n x n products (Q K^T and the softmax times V) were counted "
                      "once instead of once per head.", _each(_attention_once, "time", ("mha",))),
        Misconception("frozen-as-trainable", "The frozen pretrained weights were counted in the space of the "
                      "trainable parameters.",
                      _each(lambda c, *_: replace(c, trainable=c.trainable + c.frozen_weights), "space")),
        Misconception("adapters-once", "The adapters of the Q, K and V projections were counted once instead of "
                      "once per head.", _each(lambda c, *_: replace(c, trainable=c.trainable.subs(h, 1)), "space",
                                               ("mha",))),
        Misconception("choice-swapped", "The choice table's rows were swapped: under a memory limit the method "
                      "that saves memory (QLoRA's quantized weights), for faster inference the one without "
                      "dequantization.", _choices(swapped), whole=True),
        Misconception("both-quantize-all", "Under both constraints every module was quantized; the rule "
                      "quantizes only the modules needed to reach half of the possible memory saving.",
                      _choices({"both": {mod: NAMES[c.method] for mod, c in everything["both"].items()}})),
    ]
