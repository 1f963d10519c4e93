"""Question 4's model: a SymPy cost model of one forward pass of the LFFN and the MHA,
operation by operation, reduced to O-notation; trainable parameters and frozen-weight memory.
It reads no config: the question (lora.py) evaluates it at the config's sizes."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from fractions import Fraction

import sympy as sp

from derive.answer import Tex
from derive.bigo import big_o
from derive.questions.base import Part, Parts
from derive.questions.lora.settings import LoraConfig


class LoraParts(Parts):
    implementation = Part("1", 2, cited=True)  # how LoRA and QLoRA implement the update (prose)
    rank = Part("2", 2, cited=True)  # the choice of rank (prose)
    inference = Part("3", 2, cited=True)  # speed and latency at inference (prose)
    complexity = Part("4(a)", 9)
    choice = Part("4(b)", 3, inputs=tuple(f"lora.{size}" for size in ("d", "r", "n", "heads", "bits")))
    costs = Part("4")  # checks of the cost model, which 4.4(a) and (b) both rest on
    figures = Part.span("1", "3")  # checks of the figures 4.1-4.3 quote for the model


KEY = "lora"  # the config section, the answers.json key, the templates' name
n, d, r, h, m = sp.symbols("n d r h m", integer=True, positive=True)
VARIABLES = [n, d, r, h]
# W^O's shape: the concatenation of h heads of n x d is n x hd, and the product must return
# n x d (the assignment types W^O as d x d, which cannot multiply it).
W_O_SHAPE = (h * d, d)
ORDER = [(r, d)]  # r << d
FP32 = 32  # bits of a weight in the default precision, and of each scale under QLoRA
SCALES_PER_MATRIX = 1  # this question's QLoRA: one FP32 scale per frozen matrix
MODULES = ("ffn", "mha")
METHODS = ("lora", "qlora")
# The one table of names: each module and method as printed (the document, the question sheet,
# the check names, the choices in answers.json). The model and answers.json's cost entries
# key them by MODULES and METHODS.
NAMES = {"ffn": "LFFN", "mha": "MHA", "lora": "LoRA", "qlora": "QLoRA"}
# The choice table (4.4(b)): its rows, the conditions (answers.json key -> as printed), its
# columns in the assignment's order, and the keys answers.json gives the columns.
CONDITIONS = {"memory_limit": "memory limit", "faster_inference": "faster inference", "both": "both"}
CHOICE_COLUMNS = ("mha", "ffn")
CHOICE_KEYS = {"ffn": "lffn", "mha": "mha"}
SAVING_SHARE = Fraction(1, 2)  # "both": quantize the fewest modules that reach this share of the possible saving
RANK_MULTIPLE = 2  # 4.2 quotes the trainable parameters at rank r and at this multiple of r


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
    """A module's cost under one method. Its totals are computed once per object (frozen: they
    cannot go stale; `with_ops` and `dataclasses.replace` make a new object)."""

    ops: tuple[Op, ...]
    trainable: sp.Expr  # parameters
    frozen_weights: sp.Expr  # count of pretrained weights
    frozen_matrices: sp.Expr  # how many pretrained matrices (one scale constant each under QLoRA)
    quantized: bool

    @functools.cached_property
    def madds(self) -> sp.Expr:
        return sp.expand(sp.Add(*[o.madds * o.times for o in self.ops]))

    @functools.cached_property
    def eops(self) -> sp.Expr:
        return sp.expand(sp.Add(*[o.eops * o.times for o in self.ops]))

    @functools.cached_property
    def time(self) -> sp.Expr:
        return sp.expand(self.madds + self.eops)

    @functools.cached_property
    def time_big_o(self) -> sp.Expr:
        return big_o(self.time, VARIABLES, ORDER)

    @functools.cached_property
    def space_big_o(self) -> sp.Expr:
        return big_o(self.trainable, VARIABLES, ORDER)

    @functools.cached_property
    def frozen_bits(self) -> sp.Expr:
        """Memory of the pretrained weights: FP32, or m-bit integers plus one FP32 scale per matrix."""
        if self.quantized:
            return m * self.frozen_weights + FP32 * SCALES_PER_MATRIX * self.frozen_matrices
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
    rows, cols = W_O_SHAPE
    if quantized:
        ops.append(Op(Tex(r"dequantize $W^{O} = \Delta \tilde W^{O}$"), Tex(r"$hd \times d$"), eops=rows * cols))
    ops.append(Op(Tex(r"$[\ldots] W^{O}$"), Tex(r"$(n\times hd)(hd\times d)$"), madds=n * rows * cols))
    return ModuleCost(tuple(ops), 3 * h * 2 * d * r, 3 * h * d**2 + rows * cols, 3 * h + 1, quantized)


@functools.lru_cache(maxsize=1)
def costs() -> dict[tuple[str, str], ModuleCost]:
    """The symbolic cost model (no config input): computed once per process; do not mutate."""
    return {(mod, meth): (ffn_cost if mod == "ffn" else mha_cost)(meth == "qlora")
            for mod in MODULES for meth in METHODS}


Point = dict[sp.Symbol, int]


def point(c: LoraConfig) -> Point:
    """The config's concrete model, as values of the cost model's symbols."""
    return {n: c.n, d: c.d, r: c.r, h: c.heads, m: c.bits}


def value(expr: sp.Expr, at: Point) -> int:
    """A cost at a concrete model: its symbols replaced by integers (exact arithmetic)."""
    return int(sp.sympify(expr).xreplace({k: sp.Integer(v) for k, v in at.items()}))


def field(path: str) -> str:
    """A field's dotted path from answers.json's top ("ffn.lora.time" -> "lora.ffn.lora.time")."""
    return f"{KEY}.{path}"


def with_ops(cost: ModuleCost, ops: list[Op]) -> ModuleCost:
    return replace(cost, ops=tuple(ops))
