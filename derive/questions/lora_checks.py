"""Question 4's checks: the SymPy cost model against counted execution.

An instrumented NumPy forward pass of the same modules (LoRA, and QLoRA with an actual m-bit
quantize/dequantize) counts multiply-adds and elementwise operations; PyTorch's
FlopCounterMode and its trainable-parameter count check the model's matrix products and space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from derive import crosscheck
from derive.answer import Check
from derive.config import Config
from derive.questions.lora import LoraAnswer, d, h, n, r
from derive.verify import CheckList, Planned, count_check, resolve, torch_job

GRID = [(3, 4, 2, 1), (5, 6, 2, 2), (4, 8, 3, 3), (2, 5, 1, 2), (7, 3, 1, 1)]  # (n, d, r, h)


@dataclass
class Counter:
    madds: int = 0
    eops: int = 0

    def mm(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.madds += a.shape[0] * a.shape[1] * b.shape[1]
        return a @ b

    def elementwise(self, out: np.ndarray, per_entry: int = 1) -> np.ndarray:
        self.eops += out.size * per_entry
        return out

    def softmax(self, s: np.ndarray) -> np.ndarray:
        e = self.elementwise(np.exp(s - s.max(axis=1, keepdims=True)))
        sums = e.sum(axis=1, keepdims=True)
        self.eops += s.shape[0] * (s.shape[1] - 1)
        return self.elementwise(e / sums)


def quantize(w: np.ndarray, bits: int) -> tuple[np.ndarray, float]:
    """The assignment's quant: W~ = round(W / Delta), Delta = max|W| / (2^(m-1) - 1)."""
    delta = float(np.max(np.abs(w))) / (2 ** (bits - 1) - 1)
    return np.rint(w / delta).astype(np.int32), delta


class Frozen:
    """A pretrained matrix: FP32 for LoRA; stored as m-bit integers and a scale for QLoRA."""

    def __init__(self, w: np.ndarray, bits: int | None) -> None:
        self.w = w
        self.q = quantize(w, bits) if bits else None

    def weight(self, c: Counter) -> np.ndarray:
        if self.q is None:
            return self.w
        w_int, delta = self.q
        return c.elementwise(delta * w_int.astype(float))  # dequantize before the matmul


class Projection:
    """A frozen d x d matrix with rank-r adapters."""

    def __init__(self, rng: np.random.Generator, dim: int, rank: int, bits: int | None) -> None:
        self.frozen = Frozen(rng.normal(size=(dim, dim)), bits)
        self.a, self.b = rng.normal(size=(dim, rank)), rng.normal(size=(dim, rank))

    def __call__(self, x: np.ndarray, c: Counter) -> np.ndarray:
        w = self.frozen.weight(c)
        return c.elementwise(c.mm(x, w) + c.mm(c.mm(x, self.a), self.b.T))


def count_ffn(size: tuple[int, int, int, int], bits: int | None) -> Counter:
    tokens, dim, rank, _ = size
    rng, c = np.random.default_rng(0), Counter()
    Projection(rng, dim, rank, bits)(rng.normal(size=(tokens, dim)), c)
    return c


def count_mha(size: tuple[int, int, int, int], bits: int | None) -> Counter:
    tokens, dim, rank, heads = size
    rng, c = np.random.default_rng(0), Counter()
    x = rng.normal(size=(tokens, dim))
    outs = []
    for _ in range(heads):
        q, k, v = (Projection(rng, dim, rank, bits)(x, c) for _ in range(3))
        scores = c.elementwise(c.mm(q, k.T) / np.sqrt(dim))
        outs.append(c.mm(c.softmax(scores), v))
    concat = np.concatenate(outs, axis=1)  # n x hd: no arithmetic
    w_o = Frozen(rng.normal(size=(heads * dim, dim)), bits)  # W^O is hd x d
    c.mm(concat, w_o.weight(c))
    return c


def verify(answer: LoraAnswer, config: Config) -> CheckList:
    return resolve(plan(answer, config))


def plan(answer: LoraAnswer, config: Config) -> Planned:
    bits = config.lora.bits
    checks: Planned = []
    for mod, counter in (("ffn", count_ffn), ("mha", count_mha)):
        for meth in ("lora", "qlora"):
            cost = answer.costs[mod, meth]
            runs = [(size, counter(size, bits if meth == "qlora" else None)) for size in GRID]
            label = f"{'LFFN' if mod == 'ffn' else 'MHA'} {'QLoRA' if meth == 'qlora' else 'LoRA'}"
            for kind in ("madds", "eops"):
                pairs = [(getattr(cnt, kind), _at(getattr(cost, kind), size)) for size, cnt in runs]
                what = "multiply-adds" if kind == "madds" else "elementwise ops"
                checks.append(count_check("4.4", f"{label}: {what}", f"instrumented NumPy pass, {len(GRID)} sizes",
                                          pairs))
    checks.append(quantization_check(bits))
    expected = {mod: [(size, 2 * _at(answer.costs[mod, "lora"].madds, size), _at(answer.costs[mod, "lora"].trainable,
                                                                              size)) for size in GRID]
                for mod in ("ffn", "mha")}
    checks.append(torch_job("4.4", "FLOPs and trainable parameters (PyTorch)", crosscheck.lora_counts,
                            expected))
    return checks


def _at(expr: Any, size: tuple[int, int, int, int]) -> int:
    return int(expr.subs({n: size[0], d: size[1], r: size[2], h: size[3]}))


def quantization_check(bits: int) -> Check:
    """dequant(quant(W)) is within Delta/2 of W, entry by entry: the error over Delta/2 is at most 1."""
    w = np.random.default_rng(1).normal(size=(64, 64))
    w_int, delta = quantize(w, bits)
    ratio = float(np.max(np.abs(delta * w_int - w)) / (delta / 2))
    if np.max(np.abs(w_int)) > 2 ** (bits - 1) - 1:
        ratio = float("inf")
    return Check("4.4", f"{bits}-bit quantization error", "max |dequant(quant(W)) - W| / (Delta/2), 64x64",
                 ratio, 1.0 + 1e-12)
