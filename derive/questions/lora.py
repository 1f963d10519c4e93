"""Question 4: LoRA and QLoRA. A SymPy cost model of one forward pass of the LFFN and the
MHA, operation by operation, reduced to O-notation; trainable parameters and frozen-weight
memory; the choice table derived by a stated rule; figures for the config's model."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

import sympy as sp

from derive.answer import Tex
from derive.bigo import big_o
from derive.config import Config, LoraConfig

n, d, r, h, m = sp.symbols("n d r h m", integer=True, positive=True)
VARIABLES = [n, d, r, h]
ORDER = [(r, d)]  # r << d
FP32 = 32
MODULES = ("ffn", "mha")
METHODS = ("lora", "qlora")


@dataclass(frozen=True)
class Op:
    """One operation of a forward pass: multiply-adds of matrix products, or elementwise operations."""

    name: Tex
    shape: Tex
    madds: sp.Expr = sp.Integer(0)
    eops: sp.Expr = sp.Integer(0)
    times: sp.Expr = sp.Integer(1)  # how many times it runs in one pass (per head: h)


@dataclass(frozen=True)
class ModuleCost:
    ops: tuple[Op, ...]
    trainable: sp.Expr  # parameters
    frozen_weights: sp.Expr  # count of pretrained weights
    frozen_matrices: sp.Expr  # how many pretrained matrices (one scale constant each under QLoRA)
    quantized: bool

    @property
    def madds(self) -> sp.Expr:
        return sp.expand(sp.Add(*[o.madds * o.times for o in self.ops]))

    @property
    def eops(self) -> sp.Expr:
        return sp.expand(sp.Add(*[o.eops * o.times for o in self.ops]))

    @property
    def time(self) -> sp.Expr:
        return sp.expand(self.madds + self.eops)

    @property
    def time_big_o(self) -> sp.Expr:
        return big_o(self.time, VARIABLES, ORDER)

    @property
    def space_big_o(self) -> sp.Expr:
        return big_o(self.trainable, VARIABLES, ORDER)

    @property
    def frozen_bits(self) -> sp.Expr:
        """Memory of the pretrained weights: FP32, or m-bit integers plus one FP32 scale per matrix."""
        if self.quantized:
            return m * self.frozen_weights + FP32 * self.frozen_matrices
        return FP32 * self.frozen_weights


def _adapted_projection(label: str, times: sp.Expr, quantized: bool) -> list[Op]:
    """X W + X A B^T for one d x d frozen matrix W with rank-r adapters A, B (d x r)."""
    ops = []
    if quantized:
        ops.append(Op(Tex(rf"dequantize $W^{{{label}}} = \Delta \tilde W^{{{label}}}$"), Tex(r"$d \times d$"),
                      eops=d**2, times=times))
    ops += [
        Op(Tex(rf"$X W^{{{label}}}$"), Tex(r"$(n\times d)(d\times d)$"), madds=n * d * d, times=times),
        Op(Tex(rf"$X A^{{{label}}}$"), Tex(r"$(n\times d)(d\times r)$"), madds=n * d * r, times=times),
        Op(Tex(rf"$(X A^{{{label}}}) (B^{{{label}}})^\top$"), Tex(r"$(n\times r)(r\times d)$"),
           madds=n * r * d, times=times),
        Op(Tex(r"add the two"), Tex(r"$n\times d$"), eops=n * d, times=times),
    ]
    return ops


def ffn_cost(quantized: bool) -> ModuleCost:
    return ModuleCost(tuple(_adapted_projection("F", sp.Integer(1), quantized)), 2 * d * r, d**2, sp.Integer(1),
                      quantized)


def mha_cost(quantized: bool) -> ModuleCost:
    ops: list[Op] = []
    for label in ("Q", "K", "V"):
        ops += _adapted_projection(label, h, quantized)
    ops += [
        Op(Tex(r"$Q K^\top$"), Tex(r"$(n\times d)(d\times n)$"), madds=n * d * n, times=h),
        Op(Tex(r"scale by $1/\sqrt{d}$"), Tex(r"$n\times n$"), eops=n**2, times=h),
        Op(Tex(r"softmax: $\exp$, row sums, divide"), Tex(r"$n\times n$"), eops=n**2 + n * (n - 1) + n**2, times=h),
        Op(Tex(r"$\operatorname{softmax}(\cdot)\, V$"), Tex(r"$(n\times n)(n\times d)$"), madds=n * n * d, times=h),
        Op(Tex(r"concatenate the $h$ heads"), Tex(r"$n\times hd$ (no arithmetic)")),
    ]
    if quantized:
        ops.append(Op(Tex(r"dequantize $W^{O} = \Delta \tilde W^{O}$"), Tex(r"$hd \times d$"), eops=h * d * d))
    ops.append(Op(Tex(r"$[\ldots] W^{O}$"), Tex(r"$(n\times hd)(hd\times d)$"), madds=n * h * d * d))
    return ModuleCost(tuple(ops), 3 * h * 2 * d * r, 3 * h * d**2 + h * d * d, 3 * h + 1, quantized)


@functools.lru_cache(maxsize=1)
def costs() -> dict[tuple[str, str], ModuleCost]:
    """The symbolic cost model (no config input): computed once per process; do not mutate."""
    return {(mod, meth): (ffn_cost if mod == "ffn" else mha_cost)(meth == "qlora")
            for mod in MODULES for meth in METHODS}


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


NAMES = {"ffn": "LFFN", "mha": "MHA", "lora": "LoRA", "qlora": "QLoRA"}
Point = dict[sp.Symbol, int]


def point(c: LoraConfig) -> Point:
    """The config's concrete model, as values of the cost model's symbols."""
    return {n: c.n, d: c.d, r: c.r, h: c.heads, m: c.bits}


def value(expr: sp.Expr, at: Point) -> int:
    return int(sp.sympify(expr).subs(at))


def choose(table: dict[tuple[str, str], ModuleCost], at: Point) -> tuple[dict[str, dict[str, Choice]],
                                                                          dict[str, sp.Expr]]:
    """The decision rule: memory limit -> fewer frozen bits; faster inference -> fewer operations per pass;
    both -> quantize the fewest modules that reach half of the possible memory saving, largest first."""
    def v(expr: sp.Expr) -> int:
        return value(expr, at)

    saving = {mod: table[mod, "lora"].frozen_bits - table[mod, "qlora"].frozen_bits for mod in MODULES}
    added = {mod: table[mod, "qlora"].time - table[mod, "lora"].time for mod in MODULES}
    per_time = {mod: sp.expand(sp.cancel(saving[mod] / added[mod])) for mod in MODULES}  # a sum of terms
    out: dict[str, dict[str, Choice]] = {"memory_limit": {}, "faster_inference": {}, "both": {}}
    for mod in MODULES:
        lighter = "qlora" if v(saving[mod]) > 0 else "lora"
        out["memory_limit"][mod] = Choice(lighter, f"saves {v(saving[mod]) / 8 / 2**20:.1f} MiB of frozen weights")
        faster = "lora" if v(added[mod]) > 0 else "qlora"
        out["faster_inference"][mod] = Choice(faster, f"avoids {v(added[mod]):,} dequantization operations per pass")
    total = sum(v(saving[mod]) for mod in MODULES)
    reached = 0
    for mod in sorted(MODULES, key=lambda k: -v(saving[k])):
        if reached * 2 < total:
            reached += v(saving[mod])
            share = v(saving[mod]) / total
            out["both"][mod] = Choice("qlora", f"{share:.0%} of the possible saving, for "
                                      f"{v(added[mod]) / v(table[mod, 'lora'].time):.2%} more operations per pass "
                                      "(measured time overheads are larger: see 4.3)")
        else:
            out["both"][mod] = Choice("lora", f"only {v(saving[mod]) / total:.0%} of the saving: keep it fast")
    return out, per_time


def derive(config: Config) -> LoraAnswer:
    table = costs()
    at = point(config.lora)
    choice, per_time = choose(table, at)

    def v(expr: sp.Expr) -> int:
        return value(expr, at)

    figures = {
        "trainable": {mod: v(table[mod, "lora"].trainable) for mod in MODULES},
        "trainable_double_rank": {mod: v(table[mod, "lora"].trainable.subs(r, 2 * r)) for mod in MODULES},
        "frozen_mib": {(mod, meth): v(table[mod, meth].frozen_bits) / 8 / 2**20 for mod in MODULES for meth in METHODS},
        "adapter_mib": {mod: v(table[mod, "lora"].trainable) * FP32 / 8 / 2**20 for mod in MODULES},
        "dequant_share": {mod: (v(table[mod, "qlora"].time) - v(table[mod, "lora"].time)) / v(table[mod, "qlora"].time)
                          for mod in MODULES},
        "adapter_share": {mod: v(2 * n * d * r * (1 if mod == "ffn" else 3 * h)) / v(table[mod, "lora"].time)
                          for mod in MODULES},
    }
    return LoraAnswer(config.lora, table, choice, per_time, figures)


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
    out["w_o_shape"] = "h*d x d"
    out["choice"] = {cond: {("lffn" if mod == "ffn" else mod): NAMES[ch.method] for mod, ch in row.items()}
                     for cond, row in answer.choice.items()}
    return out


def with_ops(cost: ModuleCost, ops: list[Op]) -> ModuleCost:
    return replace(cost, ops=tuple(ops))
